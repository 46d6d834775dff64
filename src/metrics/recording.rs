//! One execution being recorded: a guard that records on drop, so every exit path is counted.

use super::bound::Bound;
use super::clock::{self, Instant};
use super::exemplars::SpanIds;
use super::status::Status;

/// Records one execution when dropped.
///
/// `finish` sets the status from the returned value. A guard dropped without it was
/// unwound by a panic (status `panic`) or, for a future, dropped before completion
/// (`cancelled`). Either way the in-flight gauge goes back down.
#[derive(Debug)]
#[must_use = "a Recording records when dropped; bind it to a variable"]
pub struct Recording<'a> {
    bound: &'a Bound,
    start: Instant,
    status: Option<Status>,
}

impl<'a> Recording<'a> {
    #[inline]
    pub(crate) fn start(bound: &'a Bound) -> Self {
        bound.enter();
        Recording { bound, start: clock::now(), status: None }
    }

    /// Ends the execution with `status`, and for an error the name of its type (the
    /// `error_type` label; bounded: a `&'static str` per type or variant).
    ///
    /// An error with a type is recorded here, on the rare path, so the guard the common path
    /// drops stays as small as it was (a field for the name cost every call a few percent).
    #[inline]
    pub fn finish(mut self, status: Status, error_type: Option<&'static str>) {
        if let (Status::Error, Some(error_type)) = (status, error_type) {
            return self.finish_typed_error(error_type);
        }
        self.status = Some(status);
    }

    /// Whether [`finish_traced`](Self::finish_traced) would keep an exemplar (exemplars are
    /// on for this execution's series), so a caller asks its span for ids only then.
    #[inline]
    pub(crate) fn keeps_exemplars(&self) -> bool {
        self.bound.keeps_exemplars()
    }

    /// Ends the execution as [`finish`](Self::finish) does, keeping `ids` (its sampled span's)
    /// as the exemplar of the duration bucket it fell in.
    pub(crate) fn finish_traced(
        self,
        status: Status,
        error_type: Option<&'static str>,
        ids: SpanIds,
    ) {
        let (bound, seconds) = self.stop();
        bound.exit_traced(status, error_type, seconds, ids);
    }

    #[cold]
    #[inline(never)]
    fn finish_typed_error(self, error_type: &'static str) {
        let (bound, seconds) = self.stop();
        bound.exit_error(error_type, seconds, None);
    }

    /// The execution's duration and where to record it, taken out of the guard so that its
    /// drop does not record it again (it owns nothing to free).
    #[inline]
    fn stop(self) -> (&'a Bound, f64) {
        let (bound, seconds) = (self.bound, self.start.elapsed().as_secs_f64());
        std::mem::forget(self);
        (bound, seconds)
    }
}

impl Drop for Recording<'_> {
    #[inline]
    fn drop(&mut self) {
        let seconds = self.start.elapsed().as_secs_f64();
        let status = self.status.unwrap_or_else(Status::unfinished);
        self.bound.exit(status, seconds);
    }
}
