//! Workflow primitives that measure themselves.
//!
//! A [`Primitive`] turns an input into an output, asynchronously, given the run's
//! [`Context`]. Steps ([`step`], [`from_fn`]) wrap user code; [`Sequential`] and [`Parallel`]
//! compose primitives (with `>>` and `|`, or [`Compose::then`] and [`Compose::and`]);
//! [`Workflow`] names a run. Every primitive records its own executions (by status), its
//! duration and in-flight count, and opens a span: composition needs no extra code, and a
//! workflow run is one trace (workflow > sequential > steps, parallel branches as siblings).
//!
//! Composition is static: `a >> b | c` is a concrete type, run without boxing. Only a
//! heterogeneous collection needs [`BoxPrimitive`].
//!
//! ```
//! use flowmeter::primitives::{Compose as _, Context, Workflow, step};
//!
//! let fetch = step("fetch", |url: String, _ctx: Context| async move {
//!     Ok::<_, std::io::Error>(format!("text of {url}"))
//! });
//! let words = step("words", |text: String, _ctx: Context| async move { Ok::<_, std::io::Error>(text.split(' ').count()) });
//! let chars = step("chars", |text: String, _ctx: Context| async move { Ok::<_, std::io::Error>(text.len()) });
//! let pipeline = Workflow::new("document_stats", fetch >> (words | chars));
//! # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let counts = runtime.block_on(pipeline.run("a.txt".to_owned())).unwrap();
//! assert_eq!(counts, vec![3, 13]);
//! ```

mod backoff;
mod cached;
mod conditional;
mod context;
mod error;
mod fallback;
mod llm_call;
pub(crate) mod observe;
pub(crate) mod ops;
mod parallel;
mod retry;
mod router;
mod sequential;
mod step;
mod timeout;
mod workflow;

use std::future::Future;
use std::pin::Pin;

pub use backoff::Backoff;
pub use cached::{
    Cached, DEFAULT_MAX_CAPACITY, KeyFn, SameKey, SavedCost, SharedLoadError, cached,
};
pub use conditional::{Conditional, when};
pub use context::{Checkpoint, Context};
pub use error::{BoxError, Error};
pub use fallback::{Alternatives, Fallback, Or, fallback};
pub use llm_call::{LlmCall, LlmOutput, LlmResponse, llm_call};
pub use ops::Compose;
pub use parallel::{Branch, Branches, Fork, Mode, Parallel, Settled};
pub use retry::{Retry, retry};
pub use router::{Router, router};
pub use sequential::{Chain, Sequential};
pub use step::{FromFn, Step, from_fn, step};
pub use timeout::{NoFallback, OnTimeout, Timeout, timeout};
pub use workflow::Workflow;

/// An asynchronous operation from `I` to [`Output`](Primitive::Output) that records its own
/// metrics and span.
///
/// Implement it with an `async fn run`; the future must be `Send` so workflows can run on
/// multi-threaded runtimes.
pub trait Primitive<I>: Send + Sync {
    /// What a successful run produces.
    type Output: Send;

    /// Runs once with `input` in the run's `ctx`.
    fn run(
        &self,
        input: I,
        ctx: &Context,
    ) -> impl Future<Output = Result<Self::Output, Error>> + Send;
}

/// A boxed future of a primitive's result.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A primitive behind a pointer, for heterogeneous collections (router routes, fallback
/// alternatives). Costs one allocation per run for the future; static composition costs none.
pub type BoxPrimitive<I, O> = Box<dyn DynPrimitive<I, Output = O>>;

/// The object-safe form of [`Primitive`], implemented for every primitive.
pub trait DynPrimitive<I>: Send + Sync {
    /// What a successful run produces.
    type Output;

    /// Runs once, boxing the future.
    fn run_boxed<'a>(
        &'a self,
        input: I,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Self::Output, Error>>
    where
        I: 'a;
}

impl<I: Send, P: Primitive<I>> DynPrimitive<I> for P {
    type Output = P::Output;

    fn run_boxed<'a>(
        &'a self,
        input: I,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Self::Output, Error>>
    where
        I: 'a,
    {
        Box::pin(self.run(input, ctx))
    }
}

/// A boxed primitive's input must be `'static` (owned): the boxed future holds it.
impl<I: Send + 'static, O: Send> Primitive<I> for BoxPrimitive<I, O> {
    type Output = O;

    async fn run(&self, input: I, ctx: &Context) -> Result<O, Error> {
        self.as_ref().run_boxed(input, ctx).await
    }
}

/// Boxes a primitive for a heterogeneous collection.
pub fn boxed<I: Send, P: Primitive<I> + 'static>(primitive: P) -> BoxPrimitive<I, P::Output> {
    Box::new(primitive)
}
