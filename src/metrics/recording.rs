//! One execution being recorded: a guard that records on drop, so every exit path is counted.

use super::callsite::Bound;
use super::clock::{self, Instant};
use super::status::Status;

/// Records one execution of a call site when dropped.
///
/// `finish` sets the status from the returned value. A guard dropped without it was
/// unwound by a panic (status `panic`) or, for a future, dropped before completion
/// (`cancelled`). Either way `ns_primitive_active` goes back down.
#[derive(Debug)]
#[must_use = "a Recording records when dropped; bind it to a variable"]
pub struct Recording {
    bound: &'static Bound,
    start: Instant,
    status: Option<Status>,
}

impl Recording {
    #[inline]
    pub(crate) fn start(bound: &'static Bound) -> Self {
        bound.active.add(1);
        Recording { bound, start: clock::now(), status: None }
    }

    /// Ends the execution with `status`.
    #[inline]
    pub fn finish(mut self, status: Status) {
        self.status = Some(status);
    }
}

impl Drop for Recording {
    #[inline]
    fn drop(&mut self) {
        let seconds = self.start.elapsed().as_secs_f64();
        let status = self.status.unwrap_or_else(|| {
            if std::thread::panicking() { Status::Panic } else { Status::Cancelled }
        });
        self.bound.record(status, seconds);
        self.bound.active.add(-1);
    }
}
