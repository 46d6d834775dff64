//! Timers as guards: the Rust form of Python's `with histogram.time():`.

use opentelemetry::KeyValue;

use super::histogram::{AppHistogram, BoundAppHistogram};
use crate::metrics::clock::{self, Instant};

enum Target<'a> {
    Unbound(&'a AppHistogram, Vec<KeyValue>),
    Bound(&'a BoundAppHistogram),
}

/// Observes the seconds elapsed since it was started into a histogram series when dropped,
/// measured on flowmeter's monotonic clock.
///
/// End it early with [`observe_duration`](Self::observe_duration) (or its alias
/// [`stop`](Self::stop)); discard it without recording with [`cancel`](Self::cancel).
#[must_use = "the timer records when dropped; `let _ = …` drops it immediately"]
pub struct HistogramTimer<'a> {
    target: Target<'a>,
    start: Instant,
    armed: bool,
}

impl std::fmt::Debug for HistogramTimer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let metric = match &self.target {
            Target::Unbound(h, _) => h.name(),
            Target::Bound(_) => "<bound>",
        };
        f.debug_struct("HistogramTimer")
            .field("metric", &metric)
            .field("elapsed", &self.elapsed_seconds())
            .field("armed", &self.armed)
            .finish()
    }
}

impl<'a> HistogramTimer<'a> {
    pub(crate) fn unbound(histogram: &'a AppHistogram, attrs: Vec<KeyValue>) -> Self {
        Self::new(Target::Unbound(histogram, attrs))
    }

    pub(crate) fn bound(histogram: &'a BoundAppHistogram) -> Self {
        Self::new(Target::Bound(histogram))
    }

    fn new(target: Target<'a>) -> Self {
        HistogramTimer { target, start: clock::now(), armed: true }
    }

    /// Seconds elapsed since the timer started.
    pub fn elapsed_seconds(&self) -> f64 {
        clock::now().duration_since(self.start).as_secs_f64()
    }

    /// Records the elapsed seconds now and returns them.
    pub fn observe_duration(mut self) -> f64 {
        self.record()
    }

    /// Same as [`observe_duration`](Self::observe_duration).
    pub fn stop(self) -> f64 {
        self.observe_duration()
    }

    /// Drops the timer without recording anything.
    pub fn cancel(mut self) {
        self.armed = false;
    }

    fn record(&mut self) -> f64 {
        let seconds = self.elapsed_seconds();
        if std::mem::replace(&mut self.armed, false) {
            match &self.target {
                Target::Unbound(histogram, attrs) => histogram.record_attrs(seconds, attrs),
                Target::Bound(bound) => bound.record_unchecked(seconds),
            }
        }
        seconds
    }
}

impl Drop for HistogramTimer<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.record();
        }
    }
}
