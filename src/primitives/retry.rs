//! [`Retry`]: runs a primitive again when it fails, with backoff.

use std::borrow::Cow;
use std::sync::OnceLock;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundHistogram, Histogram};

use super::backoff::Backoff;
use super::observe::Observed;
use super::{Context, Error, Primitive};
use crate::Status;
use crate::metrics::DomainInstruments;
use crate::metrics::catalog::{self, keys};

/// `ns.retry.attempts`, created when the first retry records.
static ATTEMPTS: DomainInstruments<Histogram<u64>> =
    DomainInstruments::new(|f| f.u64_histogram(&catalog::RETRY_ATTEMPTS));

/// The default [`max_attempts`](Retry::max_attempts): 3 (the first try and two retries).
const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// The default retry predicate: every error is retried.
fn every_error(_: &Error) -> bool {
    true
}

/// A primitive run again on failure, measured as `primitive_type="retry"`; created by
/// [`retry`].
///
/// Each attempt is one run of the inner primitive on a clone of the input (the last attempt
/// takes the input itself), so each attempt records its own execution and opens its own span,
/// a child of the retry's span: one child span per attempt. Between attempts the retry waits
/// a [`Backoff`] delay with `tokio::time::sleep` (a tokio runtime with the time driver is
/// needed unless the backoff is [`Backoff::none`]) and emits a `debug` event on its span with
/// the attempt number, the error and the delay. The result is the first success, or the last
/// error as the inner primitive returned it.
///
/// Records `ns.retry.attempts{primitive_name,status}` once per execution: the number of
/// attempts started, with the retry's final status (`cancelled` if dropped mid-way).
///
/// | option | default |
/// |---|---|
/// | [`max_attempts`](Self::max_attempts) | 3 (the first try and two retries) |
/// | [`backoff`](Self::backoff) | [`Backoff::default`]: full jitter from 100 ms, doubling, capped at 10 s |
/// | [`retry_if`](Self::retry_if) | every error is retried |
///
/// ```
/// use flowmeter::primitives::{Backoff, Context, Error, Primitive, retry, step};
///
/// let fetch = step("fetch", |url: String, _ctx: Context| async move {
///     Ok::<_, std::io::Error>(format!("<html>{url}</html>"))
/// });
/// let fetch = retry("fetch_retry", fetch)
///     .max_attempts(5)
///     .backoff(Backoff::none())
///     .retry_if(|error: &Error| !matches!(error, Error::Refused { .. }));
/// # let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// # runtime.block_on(async {
/// assert!(fetch.run("a".to_owned(), &Context::new("doc")).await.is_ok());
/// # });
/// ```
#[derive(Debug)]
pub struct Retry<P, R = fn(&Error) -> bool> {
    inner: P,
    observed: Observed,
    max_attempts: u32,
    backoff: Backoff,
    retry_if: R,
    attempts: OnceLock<[BoundHistogram<u64>; 4]>,
}

/// Retries `inner` under `name` (the `primitive_name` label); see [`Retry`] for the options.
pub fn retry<P>(name: impl Into<Cow<'static, str>>, inner: P) -> Retry<P> {
    Retry {
        inner,
        observed: Observed::new(name, "retry"),
        max_attempts: DEFAULT_MAX_ATTEMPTS,
        backoff: Backoff::default(),
        retry_if: every_error,
        attempts: OnceLock::new(),
    }
}

impl<P, R> Retry<P, R> {
    /// The most attempts, the first included (default 3; at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The delays between attempts (default [`Backoff::default`]).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Retries only errors for which `retry_if` returns `true` (default: every error); any
    /// other error ends the run at once.
    pub fn retry_if<R2>(self, retry_if: R2) -> Retry<P, R2>
    where
        R2: Fn(&Error) -> bool + Send + Sync,
    {
        Retry {
            inner: self.inner,
            observed: self.observed,
            max_attempts: self.max_attempts,
            backoff: self.backoff,
            retry_if,
            attempts: self.attempts,
        }
    }

    /// The retry's name.
    pub fn name(&self) -> &str {
        self.observed.name()
    }

    /// The primitive retried.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// The attempts histogram bound for each status; `None` when telemetry is off.
    fn histograms(&self) -> Option<&[BoundHistogram<u64>; 4]> {
        if let Some(bound) = self.attempts.get() {
            return Some(bound);
        }
        let attempts = ATTEMPTS.get()?;
        Some(self.attempts.get_or_init(|| {
            Status::ALL.map(|status| {
                let attrs = [
                    KeyValue::new(keys::PRIMITIVE_NAME, self.observed.name().to_owned()),
                    KeyValue::new(keys::STATUS, status.as_str()),
                ];
                attempts.bind(&attrs)
            })
        }))
    }

    async fn attempts<I>(&self, input: I, ctx: &Context) -> Result<P::Output, Error>
    where
        I: Clone + Send,
        P: Primitive<I>,
        R: Fn(&Error) -> bool + Send + Sync,
    {
        let mut record = Attempts { histograms: self.histograms(), count: 0, status: None };
        let mut input = Some(input);
        loop {
            record.count += 1;
            let attempt = record.count;
            let last = attempt >= self.max_attempts;
            let this_input = if last { input.take() } else { input.clone() };
            let this_input = this_input.expect("the input is kept until the last attempt");
            match self.inner.run(this_input, ctx).await {
                Ok(output) => {
                    record.status = Some(Status::Success);
                    return Ok(output);
                }
                Err(error) if !last && (self.retry_if)(&error) => {
                    let delay = self.backoff.delay(attempt - 1);
                    tracing::debug!(attempt, error = %error, delay = ?delay, "attempt failed; retrying");
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                }
                Err(error) => {
                    record.status = Some(Status::Error);
                    return Err(error);
                }
            }
        }
    }
}

/// Records one execution's attempt count when dropped, with the status set on it or, if
/// none was, `panic` while unwinding and `cancelled` otherwise.
struct Attempts<'a> {
    histograms: Option<&'a [BoundHistogram<u64>; 4]>,
    count: u32,
    status: Option<Status>,
}

impl Drop for Attempts<'_> {
    fn drop(&mut self) {
        if let Some(histograms) = self.histograms {
            let status = self.status.unwrap_or_else(|| {
                if std::thread::panicking() { Status::Panic } else { Status::Cancelled }
            });
            histograms[status.index()].record(u64::from(self.count));
        }
    }
}

impl<I, P, R> Primitive<I> for Retry<P, R>
where
    I: Clone + Send,
    P: Primitive<I>,
    R: Fn(&Error) -> bool + Send + Sync,
{
    type Output = P::Output;

    async fn run(&self, input: I, ctx: &Context) -> Result<P::Output, Error> {
        self.observed.run(self.attempts(input, ctx)).await
    }
}

crate::primitives::ops::leaf_primitives!(Retry<P, R>);
crate::primitives::ops::operators!(Retry<P, R>);
