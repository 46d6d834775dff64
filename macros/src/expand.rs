//! Code generation for one function: the call site static, the execution guard around the
//! body, and the classification of the returned value.
//!
//! The body runs wrapped so that every exit is seen: a sync body runs in a `move` closure
//! (so `return` and `?` leave the closure, not the function) passed to an `FnOnce` parameter
//! (so the closure may return borrows of captured `&mut` arguments); an async body runs in an
//! inner `async move` block awaited inside the function, with the guard living across the
//! await, so dropping the outer future marks the execution `cancelled` and unwinding marks
//! it `panic`. Nothing is measured before the body starts, so a future never polled is never
//! counted.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens as _, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{
    Attribute, Block, Expr, ImplItemFn, ItemFn, LitStr, Signature, Stmt, Token, Type, Visibility,
};

use crate::args::{Args, Classify};
use crate::{async_like, params, types};

/// A function to instrument, from a free `fn` or a method.
pub(crate) struct FnItem {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) defaultness: Option<Token![default]>,
    pub(crate) sig: Signature,
    pub(crate) block: Block,
}

impl From<ItemFn> for FnItem {
    fn from(f: ItemFn) -> Self {
        FnItem { attrs: f.attrs, vis: f.vis, defaultness: None, sig: f.sig, block: *f.block }
    }
}

impl From<ImplItemFn> for FnItem {
    fn from(f: ImplItemFn) -> Self {
        FnItem {
            attrs: f.attrs,
            vis: f.vis,
            defaultness: f.defaultness,
            sig: f.sig,
            block: f.block,
        }
    }
}

/// The type of the value an execution produces: the `Output` of the future for a function
/// returning an async block (`None` if it cannot be read from the signature), the declared
/// return type otherwise (`()` when none is written).
pub(crate) fn value_type(sig: &Signature, block: &Block) -> Option<Type> {
    if async_like::is_async_like(sig, block) {
        types::future_output(&sig.output).cloned()
    } else {
        Some(types::returned(&sig.output).cloned().unwrap_or_else(|| syn::parse_quote!(())))
    }
}

/// Instruments `item` as the call site `name` with `args`.
pub(crate) fn function(item: FnItem, args: &Args, name: &LitStr) -> syn::Result<TokenStream> {
    if let Some(constness) = &item.sig.constness {
        return Err(syn::Error::new(
            constness.span,
            "`#[instrumented]` cannot instrument a `const fn`: it may run at compile time, where nothing can be recorded",
        ));
    }
    if let Some(exclude) = &args.exclude {
        return Err(syn::Error::new(
            exclude.span(),
            "`exclude` only applies to a method inside an `#[instrumented]` impl block",
        ));
    }
    let value = value_type(&item.sig, &item.block);
    check_result_options(args, value.as_ref(), &item.sig)?;
    if let Some(objectives) = &args.objective {
        objectives.check(args.buckets.as_deref())?;
    }
    let parts = Parts::new(args, name, &item.sig)?;

    let FnItem { attrs, vis, defaultness, sig, mut block } = item;
    let (inner_attrs, outer_attrs): (Vec<_>, Vec<_>) =
        attrs.into_iter().partition(|attr| matches!(attr.style, syn::AttrStyle::Inner(_)));
    let body = if let Some(async_block) = async_like::async_block_mut(&sig, &mut block) {
        // The body keeps its capture mode in an inner block; the outer block moves what it
        // uses (the span's fields borrow arguments, which a returned future cannot borrow
        // from the function's frame). For a block in tail position this only ever moves
        // references and values the function no longer uses.
        let capture = async_block.capture.replace(Token![move](Span::call_site()));
        let stmts = std::mem::take(&mut async_block.block.stmts);
        let body = parts.async_body(&stmts, value.as_ref(), capture);
        async_block.block.stmts = vec![Stmt::Expr(Expr::Verbatim(body), None)];
        block.stmts.into_iter().map(|stmt| stmt.into_token_stream()).collect()
    } else if sig.asyncness.is_some() {
        parts.async_body(&block.stmts, value.as_ref(), Some(Token![move](Span::call_site())))
    } else {
        parts.sync_body(&block.stmts, value.as_ref())
    };
    Ok(quote! {
        #(#outer_attrs)*
        #vis #defaultness #sig {
            #(#inner_attrs)*
            #body
        }
    })
}

/// `err` and `ok_if` only make sense for a `Result`; say so at the option.
fn check_result_options(args: &Args, value: Option<&Type>, sig: &Signature) -> syn::Result<()> {
    if value.is_some_and(types::is_result) {
        return Ok(());
    }
    let fn_name = &sig.ident;
    if let Some(err) = &args.err {
        return Err(syn::Error::new(
            err.span(),
            format!(
                "`err` records the error of a `Result`, but `{fn_name}` does not return a `Result`"
            ),
        ));
    }
    if let Some(Classify::OkIf(ok_if, _)) = &args.classify {
        return Err(syn::Error::new(
            ok_if.span(),
            format!(
                "`ok_if` decides which `Err`s count as successes, but `{fn_name}` does not return a `Result`; use `error_if` to classify other return types"
            ),
        ));
    }
    Ok(())
}

/// The generated pieces around a body.
struct Parts {
    /// The call site static and its registration.
    callsite: TokenStream,
    /// The expression starting the execution.
    start: TokenStream,
    /// Classifies `__flowmeter_ret` and finishes the execution.
    finish: TokenStream,
    span: bool,
}

impl Parts {
    fn new(args: &Args, name: &LitStr, sig: &Signature) -> syn::Result<Self> {
        let kind = args.kind.clone().unwrap_or_else(|| LitStr::new("function", Span::call_site()));
        let span = args.span_enabled();
        Ok(Parts {
            callsite: callsite(args, name, &kind, sig),
            start: start(args, name, &kind, sig)?,
            finish: finish(args),
            span,
        })
    }

    fn sync_body(&self, stmts: &[Stmt], value: Option<&Type>) -> TokenStream {
        let Parts { callsite, start, finish, span } = self;
        let fake_return = fake_return(value);
        let (execution, run) = if *span {
            (quote!(mut __flowmeter_execution), quote!(__flowmeter_execution.run_once))
        } else {
            (quote!(__flowmeter_execution), quote!(::flowmeter::__private::run))
        };
        quote! {
            #callsite
            let #execution = #start;
            let __flowmeter_ret = #run(move || {
                #fake_return
                #(#stmts)*
            });
            #finish
            __flowmeter_ret
        }
    }

    fn async_body(
        &self,
        stmts: &[Stmt],
        value: Option<&Type>,
        capture: Option<Token![move]>,
    ) -> TokenStream {
        let Parts { callsite, start, finish, span } = self;
        let fake_return = fake_return(value);
        let future = quote!(async #capture { #fake_return #(#stmts)* });
        let run = if *span {
            quote! {
                let __flowmeter_ret = ::flowmeter::__private::InSpan::new(
                    __flowmeter_execution.scope(),
                    #future,
                ).await;
            }
        } else {
            quote!(let __flowmeter_ret = #future.await;)
        };
        quote! {
            #callsite
            let __flowmeter_execution = #start;
            #run
            #finish
            __flowmeter_ret
        }
    }
}

/// The call site: a static with everything known at compile time, registered in
/// `CALLSITES` at link time (so `/catalog` lists it and its series exist from startup).
fn callsite(args: &Args, name: &LitStr, kind: &LitStr, sig: &Signature) -> TokenStream {
    let labels = args.labels.iter().flatten().map(|(key, value)| quote!((#key, #value)));
    let buckets = match &args.buckets {
        Some(buckets) => {
            let buckets = buckets.iter().map(|b| Literal::f64_suffixed(*b));
            quote!(::core::option::Option::Some(&[#(#buckets),*]))
        }
        None => quote!(::core::option::Option::None),
    };
    let span = args.span_enabled();
    let objectives = crate::objective::Objectives::tokens(args.objective.as_ref());
    // The line of the function's name, not of the attribute.
    let line = quote_spanned!(sig.ident.span()=> ::core::line!());
    quote! {
        static __FLOWMETER_CALLSITE: ::flowmeter::__private::Callsite =
            ::flowmeter::__private::Callsite::new(::flowmeter::__private::CallsiteMeta {
                name: #name,
                kind: #kind,
                labels: &[#(#labels),*],
                buckets: #buckets,
                span: #span,
                objectives: #objectives,
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: #line,
            });
        #[::flowmeter::__private::linkme::distributed_slice(::flowmeter::__private::CALLSITES)]
        #[linkme(crate = ::flowmeter::__private::linkme)]
        static __FLOWMETER_CALLSITE_REF: &::flowmeter::__private::Callsite = &__FLOWMETER_CALLSITE;
    }
}

/// Starts the execution. The span is built in a closure that runs only when telemetry is
/// on, so a disabled program never evaluates the field expressions.
fn start(args: &Args, name: &LitStr, kind: &LitStr, sig: &Signature) -> syn::Result<TokenStream> {
    if !args.span_enabled() {
        // Metrics only: the recording alone, no execution around it (nothing to trace).
        return Ok(quote!(::flowmeter::__private::Callsite::start(&__FLOWMETER_CALLSITE)));
    }
    let empty = quote!(::flowmeter::__private::tracing::field::Empty);
    let mut fields = vec![
        quote!("primitive.name" = #name),
        quote!("primitive.type" = #kind),
        quote!("status" = #empty),
        quote!("error.type" = #empty),
        quote!("error" = #empty),
        quote!("otel.status_code" = #empty),
    ];
    fields.extend(params::span_fields(&sig.inputs, args)?);
    fields.extend(args.fields.iter().flat_map(|f| &f.0).map(|field| field.to_token_stream()));
    Ok(quote! {
        ::flowmeter::__private::Execution::start(&__FLOWMETER_CALLSITE, || {
            ::flowmeter::__private::tracing::info_span!(#name, #(#fields),*)
        })
    })
}

/// Classifies `__flowmeter_ret`, records the error on the span for `err`, and finishes.
fn finish(args: &Args) -> TokenStream {
    // Autoref specialization (flowmeter's `metrics::outcome`): an error that implements
    // `ErrorType` names its variant, any other `Err` its type, any other value succeeds.
    let by_type = quote! {{
        #[allow(unused_imports)]
        use ::flowmeter::__private::{ClassifyAny as _, ClassifyResult as _, ClassifyTyped as _};
        (&&::flowmeter::__private::Outcome(&__flowmeter_ret)).classify()
    }};
    let classify = match &args.classify {
        None => by_type,
        Some(Classify::OkIf(_, ok_if)) => quote! {
            if ::flowmeter::__private::is_ok_if(&__flowmeter_ret, #ok_if) {
                ::flowmeter::__private::Classified::SUCCESS
            } else #by_type
        },
        Some(Classify::ErrorIf(error_if)) => {
            quote!(::flowmeter::__private::classify_error_if(&__flowmeter_ret, #error_if))
        }
    };
    // Spanned at `err`, so an error type without `Display` is reported there.
    let record_error = args.err.as_ref().filter(|_| args.span_enabled()).map(|err| {
        quote_spanned! {err.span()=>
            ::flowmeter::__private::record_error(__flowmeter_execution.span(), &__flowmeter_ret);
        }
    });
    let finish = if args.span_enabled() {
        quote!(__flowmeter_execution.finish(__flowmeter_outcome);)
    } else {
        quote!(::flowmeter::__private::finish_recording(__flowmeter_execution, __flowmeter_outcome);)
    };
    quote! {
        let __flowmeter_outcome = #classify;
        #record_error
        #finish
    }
}

/// A `return` of the declared type that never runs, first in the wrapped body: it tells
/// inference what the closure or async block returns, so `?` and `.into()` inside it resolve
/// as they would in the function itself (tracing-attributes does the same).
fn fake_return(value: Option<&Type>) -> TokenStream {
    let Some(ty) = value.filter(|ty| !matches!(ty, Type::Never(_))) else {
        return TokenStream::new();
    };
    let ty = types::erase_impl_trait(ty);
    quote_spanned! {ty.span()=>
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::let_with_type_underscore,
            clippy::needless_return,
            clippy::unreachable
        )]
        if false {
            let __flowmeter_fake_return: #ty = loop {};
            return __flowmeter_fake_return;
        }
    }
}
