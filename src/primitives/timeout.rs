//! [`Timeout`]: a time limit on a primitive, with an optional fallback.

use std::borrow::Cow;
use std::time::Duration;

use super::observe::Observed;
use super::{Context, Error, Primitive};

/// A primitive with a time limit, measured as `primitive_type="timeout"`; created by
/// [`timeout`].
///
/// When the limit expires, the inner primitive's future is dropped (cancelled: its execution
/// is recorded `cancelled` and its span closed with that status) and the timeout returns
/// [`Error::Timeout`] naming itself and the limit, recorded as an `error`. With a
/// [`fallback`](Self::fallback), the fallback runs instead, on a clone of the input taken
/// before the inner primitive started, and its result is the timeout's result. Errors of the
/// inner primitive before the limit are returned as they are; the fallback is for timeouts
/// only.
///
/// The limit is measured with `tokio::time`: run it on a tokio runtime with the time driver.
///
/// | option | default |
/// |---|---|
/// | [`fallback`](Self::fallback) | none ([`NoFallback`]): a timeout is an error |
///
/// ```
/// use flowmeter::primitives::{Context, Error, Primitive, step, timeout};
/// use std::time::Duration;
///
/// let slow = step("slow", |x: u32, _ctx: Context| async move {
///     tokio::time::sleep(Duration::from_secs(60)).await;
///     Ok::<_, std::io::Error>(x)
/// });
/// let limited = timeout("slow_limit", Duration::from_millis(10), slow);
/// # let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// # runtime.block_on(async {
/// let error = limited.run(1, &Context::new("doc")).await.unwrap_err();
/// assert!(matches!(error, Error::Timeout { .. }));
/// # });
/// ```
#[derive(Debug)]
pub struct Timeout<P, F = NoFallback> {
    inner: P,
    after: Duration,
    fallback: F,
    observed: Observed,
}

/// The absence of a fallback on a [`Timeout`]: a timeout is an [`Error::Timeout`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFallback;

/// The fallback primitive of a [`Timeout`], run when the limit expires; set with
/// [`Timeout::fallback`]. (A wrapper, so the two `Primitive` impls of `Timeout` cannot
/// overlap.)
#[derive(Debug, Clone, Copy)]
pub struct OnTimeout<F>(F);

/// Limits `inner` to `after` under `name` (the `primitive_name` label); see [`Timeout`].
pub fn timeout<P>(name: impl Into<Cow<'static, str>>, after: Duration, inner: P) -> Timeout<P> {
    Timeout { inner, after, fallback: NoFallback, observed: Observed::new(name, "timeout") }
}

impl<P, F> Timeout<P, F> {
    /// Runs `fallback` when the limit expires (default: none). The input must then be
    /// `Clone`: each run keeps a clone for the fallback.
    pub fn fallback<F2>(self, fallback: F2) -> Timeout<P, OnTimeout<F2>> {
        let fallback = OnTimeout(fallback);
        Timeout { inner: self.inner, after: self.after, fallback, observed: self.observed }
    }

    /// The time limit.
    pub fn after(&self) -> Duration {
        self.after
    }

    /// The timeout's name.
    pub fn name(&self) -> &str {
        self.observed.name()
    }

    /// The primitive limited.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    fn expired(&self) -> Error {
        Error::Timeout { step: self.observed.name().to_owned(), after: self.after }
    }

    /// Runs `inner` within the limit; `Err(None)` when the limit expired, after the inner
    /// future was dropped.
    async fn limited<I>(&self, input: I, ctx: &Context) -> Result<P::Output, Option<Error>>
    where
        I: Send,
        P: Primitive<I>,
    {
        // Bound first, so the inner future is dropped (recorded `cancelled`) before anything
        // else runs.
        let outcome = tokio::time::timeout(self.after, self.inner.run(input, ctx)).await;
        match outcome {
            Ok(result) => result.map_err(Some),
            Err(_elapsed) => Err(None),
        }
    }
}

impl<I, P> Primitive<I> for Timeout<P, NoFallback>
where
    I: Send,
    P: Primitive<I>,
{
    type Output = P::Output;

    async fn run(&self, input: I, ctx: &Context) -> Result<P::Output, Error> {
        self.observed
            .run(async move {
                self.limited(input, ctx)
                    .await
                    .map_err(|error| error.unwrap_or_else(|| self.expired()))
            })
            .await
    }
}

impl<I, P, F> Primitive<I> for Timeout<P, OnTimeout<F>>
where
    I: Clone + Send,
    P: Primitive<I>,
    F: Primitive<I, Output = P::Output>,
{
    type Output = P::Output;

    async fn run(&self, input: I, ctx: &Context) -> Result<P::Output, Error> {
        self.observed
            .run(async move {
                let kept = input.clone();
                match self.limited(input, ctx).await {
                    Ok(output) => Ok(output),
                    Err(Some(error)) => Err(error),
                    Err(None) => {
                        tracing::debug!(after = ?self.after, "timed out; running the fallback");
                        self.fallback.0.run(kept, ctx).await
                    }
                }
            })
            .await
    }
}

crate::primitives::ops::leaf_primitives!(Timeout<P, F>);
crate::primitives::ops::operators!(Timeout<P, F>);
