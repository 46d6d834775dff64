//! The outcome of one execution.

use serde::Serialize;

/// How an execution ended: the `status` label of every execution metric.
///
/// The set is closed so the label stays bounded; there is no `failure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Returned normally (an `Ok`, or any value not classified as an error).
    Success,
    /// Returned a value classified as an error (an `Err`, or `error_if` said so).
    Error,
    /// The body unwound with a panic; the panic still propagates.
    Panic,
    /// The future was dropped after it started and before it finished.
    Cancelled,
}

impl Status {
    /// Every status, in the order of their bound handles.
    pub const ALL: [Status; 4] = [Status::Success, Status::Error, Status::Panic, Status::Cancelled];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Error => "error",
            Status::Panic => "panic",
            Status::Cancelled => "cancelled",
        }
    }

    /// The status of an execution that ends without a result: `panic` while its thread
    /// unwinds, else `cancelled` (a future dropped before it finished). Decided here only, for
    /// the metrics and the span alike.
    #[inline]
    pub(crate) fn unfinished() -> Status {
        if std::thread::panicking() { Status::Panic } else { Status::Cancelled }
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
