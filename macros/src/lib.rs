//! The `#[instrumented]` attribute of [flowmeter](https://docs.rs/flowmeter). Use it through
//! `flowmeter::instrumented`; this crate holds no runtime code (what the expansion calls lives
//! in `flowmeter::__private`), and its examples are not compiled here: the runnable ones are in
//! flowmeter's documentation.
//!
//! Layout, after tracing-attributes: `args` parses and checks the options, `expand` generates
//! a function's instrumentation, `impl_block` applies it to every function of an impl block,
//! `async_like` finds the future inside `#[async_trait]` methods; `error_type` derives
//! `flowmeter::ErrorType`.
#![warn(missing_docs, rust_2018_idioms, unreachable_pub)]

mod args;
mod async_like;
mod error_type;
mod expand;
mod fields;
mod impl_block;
mod objective;
mod params;
mod types;
mod validate;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens as _;
use syn::{ImplItem, Item};

/// Measures every call of a function, or of every function of an impl block.
///
/// ```ignore
/// use flowmeter::instrumented;
///
/// #[instrumented(kind = "retrieval", labels(index = "docs"), err)]
/// async fn search(query: &str) -> Result<Vec<Doc>, SearchError> { /* ... */ }
/// ```
///
/// # What a call records
///
/// With namespace `ns` (default `flowmeter`), each call of the function (its *call site*):
///
/// - counts one execution in `ns_primitive_executions_total{primitive_name, primitive_type,
///   status}` and records its duration in seconds in `ns_execution_duration_seconds` (same
///   labels), plus the static `labels(...)`;
/// - is counted in `ns_primitive_active{primitive_name, primitive_type}` while it runs;
/// - opens a `tracing` span (unless `span = false`) named after the call site, at level
///   `INFO`, that becomes an OpenTelemetry span through `tracing-opentelemetry`. Its fields:
///   `primitive.name`, `primitive.type`, `status` (only when the call did not succeed: a
///   success keeps the OpenTelemetry status `Unset`), `error.type` (for errors: the error
///   type's name, or `panic` / `cancelled`), `error` (the error's `Display`, with `err`),
///   `otel.status_code` (`ERROR` for every status but `success`), every argument not
///   skipped, and `fields(...)`. The body runs inside the span, so `tracing` events and
///   instrumented calls in it nest under it; an `async fn`'s span is entered on every poll.
///   When the call's trace will not be recorded (its parent is not sampled, or the sampler
///   drops it as a root) and only flowmeter reads the spans, no span is built and the
///   field expressions are not evaluated; the body runs in the unsampled trace's context
///   instead (see `TelemetryBuilder::skip_unsampled_spans`).
///
/// Every call site is a `static` registered at link time: its series exist (at 0) from the
/// moment telemetry is installed, and `/catalog` lists it with its file and line. A call
/// records through instruments bound once per call site and status: two clock reads, a few
/// atomic operations and a `try_lock` of the calling thread's own stripe, which never waits
/// (a stripe that is busy sends the call straight to the SDK's bound handles instead); no
/// allocation. An errored call whose error type is new to the call site binds that type's
/// series once (`error_type`). With telemetry off or not installed the
/// body runs unchanged and the span (and its field expressions) is never built.
///
/// # Status
///
/// - `success`: the function returned a value that is not an error: anything but an `Err`
///   (`Result`s are recognised by their type, whatever its path; other types are successes,
///   including generic `T` that happen to be `Result`s), unless `ok_if`/`error_if` decide.
/// - `error`: it returned an `Err` (or `error_if` returned true).
/// - `panic`: the body panicked. The panic propagates unchanged.
/// - `cancelled`: the future of an `async fn` was dropped after its first poll and before it
///   finished (a timeout, a `select!` that picked another branch, an aborted task). A future
///   never polled never started, and is never counted.
///
/// # Options
///
/// All are optional, separated by commas, each at most once.
///
/// | option | default | effect |
/// |---|---|---|
/// | `name = "..."` | the function's name; `Type::method` in an instrumented impl block | the `primitive_name` label and the span's name. Any non-empty string without control characters. |
/// | `kind = "..."` | `"function"` | the `primitive_type` label: `[a-z_][a-z0-9_]*`. |
/// | `labels(key = "value", ...)` | none | static extra labels on the three metrics. Keys are Prometheus label names (`[A-Za-z_][A-Za-z0-9_]*`), not starting with `__`, not `job`, `instance`, `le`, `quantile`, nor the built-in `primitive_name`, `primitive_type`, `status`. Values are non-empty. |
/// | `buckets = [0.01, 0.1, 1, ...]` | the catalog's (1 ms to 60 s) | the duration histogram's boundaries in seconds: number literals, non-empty, finite, not negative, strictly increasing. |
/// | `span = false` | `true` | metrics only: no span code is generated at all. |
/// | `skip(arg, ...)` | none | arguments (or `self`) not recorded on the span. |
/// | `skip_all` | off | records no argument. |
/// | `fields(key = expr, ...)` | none | extra span fields, as in `tracing::instrument`: `a = expr` (a `tracing::Value`), `a = ?expr` (`Debug`), `a = %expr` (`Display`), `?local`, `%local`, dotted names (`http.method = ..`), and a bare `a` for an empty field the body fills with `Span::current().record(..)`. Evaluated only when the span is built. |
/// | `err` | off | records the error's `Display` in the span's `error` field. Needs a `Result` return type and `E: Display`. |
/// | `ok_if = path` | none | a `fn(&E) -> bool`: an `Err(e)` for which it returns true is a `success` (a cache miss, a 404 that is expected). Needs a `Result` return type. |
/// | `error_if = path` | none | a `fn(&R) -> bool` on the whole returned value: true makes the call an `error` (e.g. `Option::is_none`). For any return type. Not with `ok_if`. |
/// | `objective(success_rate = r)`, `objective(latency = s, ratio = r)` | none | service-level objectives for the rules generator (listed by `flowmeter::metrics::declared_objectives` and `/catalog`): both goals may be given at once. Ratios must be in (0, 1); the latency threshold must be one of the call site's duration bucket boundaries (the catalog's unless `buckets` is given), checked at compile time. |
/// | `exclude` | - | only on a method inside an instrumented impl block: leaves it uninstrumented. |
///
/// `ok_if` and `error_if` also accept a closure. `skip`, `skip_all`, `fields` and `err` are
/// errors with `span = false`, which has no span for them to configure.
///
/// ## Arguments on the span
///
/// As in `tracing::instrument`: every argument is recorded, `self` included, unless skipped.
/// Numbers, booleans, `str` and `String` (and references to them) are recorded as values,
/// everything else with its `Debug` implementation, which it must therefore have (skip the
/// arguments that have none, or use `skip_all`). Destructured arguments are recorded by the
/// names their pattern binds. An argument named like a `fields(...)` entry is left to that
/// entry; arguments named `status` or `error` are not recorded, because flowmeter sets span
/// fields of those names (record them under another name with `fields(...)`).
///
/// # Functions
///
/// Sync and `async fn`s, free or in impl blocks (trait impls too), with any receiver
/// (`&self`, `&mut self`, `self`, none), generics, lifetimes, where clauses, `impl Trait`
/// arguments and return types, and `unsafe fn`. A `const fn` is an error: it can run at
/// compile time, where nothing can be recorded. A function that is not `async` but returns
/// an async block (`async move { .. }` or `Box::pin(async move { .. })`) is instrumented
/// inside that block, so its measurement covers the future's execution, not its creation.
///
/// `return` and `?` in the body work as usual: a sync body runs in a closure, an async body
/// in an inner `async` block, and the returned value is classified when it leaves them.
///
/// # Impl blocks
///
/// ```ignore
/// #[instrumented(kind = "store", skip(self))]
/// impl Store {
///     fn get(&self, key: &str) -> Option<Value> { .. }        // "Store::get"
///
///     #[instrumented(name = "store_put", err)]                  // replaces name and err
///     fn put(&mut self, key: &str, value: Value) -> Result<(), Full> { .. }
///
///     #[instrumented(exclude)]                                  // not instrumented
///     fn len(&self) -> usize { .. }
/// }
/// ```
///
/// On an impl block (inherent or trait impl) the attribute instruments every method and
/// associated function, named `Type::method` after the last path segment of the self type
/// (`impl<T> Trait for Wrapper<T>` gives `Wrapper::method`). The block's options are the
/// defaults of its methods; a method's own `#[instrumented(...)]` replaces them option by
/// option (a method's `labels(...)` replaces the block's whole list, its `skip(...)` the
/// block's `skip` or `skip_all`, its `ok_if`/`error_if` the block's). Block-level `err` and
/// `ok_if` apply to the methods that return a `Result` and are ignored for the others, and a
/// block-level `skip(x)` skips `x` in the methods that have it; block-level `fields(...)`
/// apply to every method, so they can only use what every method has (constants, `self`).
/// `name` cannot be given on the block; `#[instrumented(exclude)]` on a method opts it out
/// (and is an error anywhere else).
///
/// **`Type::method` needs the impl-level attribute.** An attribute on a single method cannot
/// see the impl block around it, so `#[instrumented]` on a method of an uninstrumented impl
/// names it after the method alone (`get`, not `Store::get`). Either put `#[instrumented]` on
/// the impl block (opting methods out with `exclude`), or give the method
/// `name = "Store::get"`.
///
/// # `#[async_trait]`
///
/// Both orders work, on an impl block or on one method:
///
/// ```ignore
/// #[instrumented]          // or below #[async_trait]: either order
/// #[async_trait]
/// impl Fetch for Http {
///     async fn fetch(&self, url: &str) -> Result<Body, Error> { .. } // "Http::fetch"
/// }
///
/// #[async_trait]
/// impl Fetch for Cache {
///     #[instrumented(err)]  // named "fetch": see the Type::method note above
///     async fn fetch(&self, url: &str) -> Result<Body, Error> { .. }
/// }
/// ```
///
/// When `#[async_trait]` expands first, the attribute recognises the boxed future it leaves
/// (`Box::pin(async move { .. })`) and measures inside it, like `tracing::instrument`.
///
/// # Limits
///
/// - Labels are static: `labels(...)` takes string literals, known at compile time, which is
///   what lets each call site bind its instruments once. The attribute has no dynamic labels;
///   record per-call values as span `fields(...)` instead (labels must stay bounded anyway).
/// - `err` and `ok_if` recognise a `Result` by its written type (a path ending in `Result`);
///   behind another alias name, use `error_if`.
/// - The expansion refers to the `flowmeter` crate as `::flowmeter`: depend on it under that
///   name.
#[proc_macro_attribute]
pub fn instrumented(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    let item = TokenStream::from(item);
    match expand(args.into(), item.clone()) {
        Ok(tokens) => tokens.into(),
        Err(error) => {
            // The error, and the item unchanged: no cascade of "cannot find function" errors.
            let mut tokens = error.to_compile_error();
            tokens.extend(uninstrumented(item));
            tokens.into()
        }
    }
}

/// Names each variant of an error enum as its `error_type` label value: implements
/// `flowmeter::ErrorType` (documented there) with the variant's name, or the name given with
/// `#[error_type(name = "...")]` on the variant.
#[proc_macro_derive(ErrorType, attributes(error_type))]
pub fn derive_error_type(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    error_type::derive(input).unwrap_or_else(syn::Error::into_compile_error).into()
}

fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: args::Args = syn::parse2(args)?;
    match syn::parse2::<Item>(item)? {
        Item::Fn(function) => {
            let name = syn::LitStr::new(&function.sig.ident.to_string(), function.sig.ident.span());
            let name = args.name.clone().unwrap_or(name);
            expand::function(function.into(), &args, &name)
        }
        Item::Impl(block) => impl_block::expand(args, block),
        _ => Err(syn::Error::new(
            Span::call_site(),
            "`#[instrumented]` applies to functions and impl blocks",
        )),
    }
}

/// The item as written, minus the `#[instrumented]` attributes of an impl block's methods
/// (whose errors would only repeat the block's).
fn uninstrumented(item: TokenStream) -> TokenStream {
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Impl(mut block)) => {
            for impl_item in &mut block.items {
                if let ImplItem::Fn(method) = impl_item {
                    method.attrs.retain(|attr| !impl_block::is_instrumented(attr));
                }
            }
            block.into_token_stream()
        }
        _ => item,
    }
}
