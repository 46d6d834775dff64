//! The error of a primitive or workflow run.

use std::time::Duration;

/// Any error a user step returns, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a primitive or workflow run failed. Every variant names the primitive it comes from,
/// so the first error of a sequence says which step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A user step returned an error.
    #[error("step `{step}` failed: {source}")]
    Step {
        /// The step's name.
        step: String,
        /// The step's own error.
        #[source]
        source: BoxError,
    },
    /// A timeout expired; the inner primitive was cancelled (recorded `cancelled`).
    #[error("`{step}` timed out after {after:?}")]
    Timeout {
        /// The timeout primitive's name.
        step: String,
        /// The limit that expired.
        after: Duration,
    },
    /// Fewer parallel branches succeeded than the quorum needs.
    #[error("`{step}` needed {needed} successful branches, {succeeded} succeeded")]
    Quorum {
        /// The parallel primitive's name.
        step: String,
        /// Successes needed.
        needed: usize,
        /// Successes reached.
        succeeded: usize,
        /// The branch errors, in the order they happened.
        errors: Vec<Error>,
    },
    /// Every alternative of a fallback failed.
    #[error("every alternative of `{step}` failed (tried {})", tried_names(.tried))]
    AllFailed {
        /// The fallback primitive's name.
        step: String,
        /// Each alternative tried, in order, with its error.
        tried: Vec<(String, Error)>,
    },
    /// A router's function picked a route that does not exist and there is no default.
    #[error("router `{router}` has no route `{route}` and no default")]
    UnknownRoute {
        /// The router's name.
        router: String,
        /// The route asked for.
        route: String,
    },
    /// An LLM call would exceed an enforced spend budget.
    #[error("`{step}` refused: {reason}")]
    Refused {
        /// The refusing primitive's name.
        step: String,
        /// Why (for example the budget that would be exceeded).
        reason: String,
    },
}

fn tried_names(tried: &[(String, Error)]) -> String {
    tried.iter().map(|(name, _)| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

impl Error {
    /// Wraps a step's own error under the step's name.
    pub fn step(step: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Step { step: step.into(), source: source.into() }
    }

    /// A short, bounded name of the variant (the span's `error.type`).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Step { .. } => "step",
            Error::Timeout { .. } => "timeout",
            Error::Quorum { .. } => "quorum",
            Error::AllFailed { .. } => "all_failed",
            Error::UnknownRoute { .. } => "unknown_route",
            Error::Refused { .. } => "refused",
        }
    }

    /// The name of the primitive the error comes from.
    pub fn origin(&self) -> &str {
        match self {
            Error::Step { step, .. }
            | Error::Timeout { step, .. }
            | Error::Quorum { step, .. }
            | Error::AllFailed { step, .. }
            | Error::Refused { step, .. } => step,
            Error::UnknownRoute { router, .. } => router,
        }
    }
}

/// A primitive's error names its variant ([`Error::kind`]) as its `error_type`, so a function
/// instrumented with `#[instrumented]` that returns it is labelled the way primitives are.
impl crate::ErrorType for Error {
    fn error_type(&self) -> &'static str {
        self.kind()
    }
}
