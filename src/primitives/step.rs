//! Steps: user code as primitives.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;

use super::observe::Observed;
use super::{BoxError, Context, Error, Primitive};

/// A named step around an async closure `|input, ctx| async move { ... }`. Created by
/// [`step`]; measured as `primitive_type="step"` unless [`kind`](Step::kind) says otherwise.
#[derive(Debug)]
pub struct Step<F> {
    f: F,
    observed: Observed,
}

/// A step named `name` that runs `f(input, context)`.
///
/// `f` returns a future of `Result<O, E>`; an `Err` is recorded as an error and returned as
/// [`Error::Step`] naming the step.
///
/// ```
/// use flowmeter::primitives::{Context, Primitive, step};
///
/// let double = step("double", |x: u64, _ctx: Context| async move { Ok::<_, std::io::Error>(x * 2) });
/// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// assert_eq!(runtime.block_on(double.run(21, &Context::new("doc"))).unwrap(), 42);
/// ```
pub fn step<F>(name: impl Into<Cow<'static, str>>, f: F) -> Step<F> {
    Step { f, observed: Observed::new(name, "step") }
}

impl<F> Step<F> {
    /// Sets the `primitive_type` label (default `step`), e.g. `"llm"` or `"retrieval"`.
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.observed.set_kind(kind);
        self
    }

    /// The step's name.
    pub fn name(&self) -> &str {
        self.observed.name()
    }
}

impl<I, O, E, F, Fut> Primitive<I> for Step<F>
where
    I: Send,
    O: Send,
    E: Into<BoxError>,
    F: Fn(I, Context) -> Fut + Send + Sync,
    Fut: Future<Output = Result<O, E>> + Send,
{
    type Output = O;

    async fn run(&self, input: I, ctx: &Context) -> Result<O, Error> {
        let name = self.observed.name();
        let future = (self.f)(input, ctx.clone());
        self.observed.run(async move { future.await.map_err(|e| Error::step(name, e)) }).await
    }
}

/// An `#[instrumented]` async fn of one argument as a primitive, keeping the fn's own name
/// and kind: the fn already records its executions and span, so this adapter records
/// nothing itself (wrapping it in [`step`] would count every call twice). Errors are named
/// after the fn (its path's last segment).
///
/// ```
/// use flowmeter::instrumented;
/// use flowmeter::primitives::{Context, Primitive, from_fn};
///
/// #[instrumented(kind = "retrieval")]
/// async fn fetch(url: String) -> Result<String, std::io::Error> {
///     Ok(format!("<html>{url}</html>"))
/// }
///
/// let fetch = from_fn(fetch);
/// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # runtime.block_on(async { fetch.run("a".to_owned(), &Context::new("doc")).await.unwrap(); });
/// ```
pub fn from_fn<F>(f: F) -> FromFn<F> {
    FromFn { f, _name: PhantomData }
}

/// An async fn as a primitive that records nothing itself; see [`from_fn`].
#[derive(Debug, Clone, Copy)]
pub struct FromFn<F> {
    f: F,
    _name: PhantomData<fn()>,
}

impl<F> FromFn<F> {
    /// The fn's name: the last segment of its path.
    pub fn name(&self) -> &'static str {
        let full = std::any::type_name::<F>();
        full.rsplit("::").next().unwrap_or(full)
    }
}

impl<I, O, E, F, Fut> Primitive<I> for FromFn<F>
where
    I: Send,
    O: Send,
    E: Into<BoxError>,
    F: Fn(I) -> Fut + Send + Sync,
    Fut: Future<Output = Result<O, E>> + Send,
{
    type Output = O;

    async fn run(&self, input: I, _ctx: &Context) -> Result<O, Error> {
        (self.f)(input).await.map_err(|e| Error::step(self.name(), e))
    }
}
