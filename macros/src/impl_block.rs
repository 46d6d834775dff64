//! `#[instrumented]` on an impl block: every method and associated function becomes a call
//! site named `Type::method`, with the impl's options as defaults.
//!
//! A method may carry its own `#[instrumented(...)]`: its options replace the impl's for that
//! method, and `#[instrumented(exclude)]` leaves it uninstrumented. The impl expands first
//! (outer attributes expand before the items inside them), so it sees and removes those
//! method attributes; one that is still there when it expands alone was not inside an
//! instrumented impl, which is why `exclude` is an error there.

use proc_macro2::TokenStream;
use quote::ToTokens as _;
use syn::{Attribute, ImplItem, ImplItemFn, ItemImpl, LitStr, Meta, Type};

use crate::args::{Args, Classify, Record};
use crate::expand::{self, FnItem};
use crate::{params, types};

/// Instruments every function of `item` with `args` as defaults.
pub(crate) fn expand(args: Args, mut item: ItemImpl) -> syn::Result<TokenStream> {
    if let Some(name) = args.key("name") {
        return Err(syn::Error::new(
            name.span(),
            "`name` names one function: put it on a method; the methods of an instrumented impl block are named `Type::method`",
        ));
    }
    if let Some(exclude) = &args.exclude {
        return Err(syn::Error::new(
            exclude.span(),
            "`exclude` goes on a method inside an `#[instrumented]` impl block, not on the block",
        ));
    }
    let type_name = type_name(&item.self_ty);
    let mut errors: Option<syn::Error> = None;
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        match method_tokens(method, &args, type_name.as_deref(), &item.self_ty) {
            Ok(Some(tokens)) => *impl_item = ImplItem::Verbatim(tokens),
            Ok(None) => {}
            Err(error) => match &mut errors {
                Some(errors) => errors.combine(error),
                None => errors = Some(error),
            },
        }
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(item.into_token_stream()),
    }
}

/// The instrumented method, or `None` (attribute removed, method untouched) for `exclude`.
fn method_tokens(
    method: &mut ImplItemFn,
    defaults: &Args,
    type_name: Option<&str>,
    self_ty: &Type,
) -> syn::Result<Option<TokenStream>> {
    let own = take_method_args(&mut method.attrs)?.unwrap_or_default();
    if own.exclude.is_some() {
        return Ok(None);
    }
    // The method's own span options contradict a `span = false` it inherits.
    let span_off = own.span.as_ref().or(defaults.span.as_ref()).is_some_and(|s| !s.value);
    if let Some(key) = ["skip", "skip_all", "fields", "err"].iter().find_map(|k| own.key(k))
        && span_off
    {
        return Err(syn::Error::new(
            key.span(),
            format!("`{key}` configures the span, and this method's span is off (`span = false`)"),
        ));
    }
    let args = own.or(defaults_for(defaults, method));
    let name = match (&args.name, type_name) {
        (Some(name), _) => name.clone(),
        (None, Some(type_name)) => {
            LitStr::new(&format!("{type_name}::{}", method.sig.ident), method.sig.ident.span())
        }
        (None, None) => {
            return Err(syn::Error::new_spanned(
                self_ty,
                format!(
                    "cannot name `{}` after this type: give it `#[instrumented(name = \"...\")]`",
                    method.sig.ident
                ),
            ));
        }
    };
    expand::function(FnItem::from(method.clone()), &args, &name).map(Some)
}

/// The impl's options as they apply to `method`: `err` and `ok_if` only where it returns a
/// `Result`, and `skip(...)` only of the arguments it has, so one impl-level option can serve
/// methods of different shapes.
fn defaults_for(defaults: &Args, method: &ImplItemFn) -> Args {
    let mut args = defaults.clone();
    if !expand::value_type(&method.sig, &method.block).is_some_and(|ty| types::is_result(&ty)) {
        args.err = None;
        if matches!(args.classify, Some(Classify::OkIf(..))) {
            args.classify = None;
        }
    }
    if let Some(Record::Skip(skips)) = &mut args.record {
        let present = params::arg_names(&method.sig.inputs);
        skips.retain(|skip| present.iter().any(|name| name == skip));
    }
    args
}

/// Removes the method's `#[instrumented(...)]` attributes and parses the one there may be.
fn take_method_args(attrs: &mut Vec<Attribute>) -> syn::Result<Option<Args>> {
    let mut found: Option<Args> = None;
    let mut error: Option<syn::Error> = None;
    attrs.retain(|attr| {
        if !is_instrumented(attr) {
            return true;
        }
        let parsed = match &attr.meta {
            Meta::Path(_) => Ok(Args::default()),
            Meta::List(list) => list.parse_args::<Args>(),
            Meta::NameValue(nv) => {
                Err(syn::Error::new_spanned(nv.eq_token, "expected `#[instrumented(...)]`"))
            }
        };
        let parsed = parsed.and_then(|args| match found {
            Some(_) => {
                Err(syn::Error::new_spanned(attr, "a method takes one `#[instrumented(...)]`"))
            }
            None => Ok(args),
        });
        match parsed {
            Ok(args) => found = Some(args),
            Err(e) => match &mut error {
                Some(error) => error.combine(e),
                None => error = Some(e),
            },
        }
        false
    });
    match error {
        Some(error) => Err(error),
        None => Ok(found),
    }
}

/// `#[instrumented]`, `#[flowmeter::instrumented]`, `#[::flowmeter::instrumented]`.
pub(crate) fn is_instrumented(attr: &Attribute) -> bool {
    attr.path().segments.last().is_some_and(|segment| segment.ident == "instrumented")
}

/// The name methods are prefixed with: the last path segment of the self type, behind any
/// references (`impl Trait for &Foo` → `Foo`, `impl<T> Wrapper<T>` → `Wrapper`), or the trait
/// of a trait object (`impl dyn Store` → `Store`). Other types (tuples, slices) have none.
fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        Type::Reference(reference) => type_name(&reference.elem),
        Type::Paren(paren) => type_name(&paren.elem),
        Type::Group(group) => type_name(&group.elem),
        Type::TraitObject(object) => object.bounds.iter().find_map(|bound| match bound {
            syn::TypeParamBound::Trait(t) => t.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        }),
        _ => None,
    }
}
