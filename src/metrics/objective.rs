//! Service-level objectives declared for a primitive or a workflow: on
//! `#[instrumented(objective(...))]` call sites (checked at compile time) and with
//! [`Workflow::objective`](crate::primitives::Workflow::objective) (checked when declared).
//!
//! The runtime only keeps them: `/catalog` lists them, and `flowmeter-cli` turns them into
//! SLO recording rules and multi-window multi-burn-rate alerts.

use serde::{Deserialize, Serialize};

use super::catalog;

/// What an objective is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A primitive or `#[instrumented]` call site, by its `primitive_name`.
    Primitive(String),
    /// A workflow, by its `workflow_name`.
    Workflow(String),
}

/// The objective itself. `Copy` and `const`-constructible, so a call site's objectives are
/// part of its static metadata.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// At least `ratio` of executions succeed (status `success`).
    SuccessRate {
        /// The objective, e.g. 0.999.
        ratio: f64,
    },
    /// At least `ratio` of executions finish within `threshold_seconds`, which must be one
    /// of the histogram's bucket boundaries (a threshold between boundaries cannot be
    /// measured from a histogram without interpolation error).
    Latency {
        /// The threshold, a bucket boundary in seconds.
        threshold_seconds: f64,
        /// The objective, e.g. 0.99.
        ratio: f64,
    },
}

/// A declared objective: target, goal, and the SLO window (default 30 days). Built with
/// [`Objective::success_rate`] or [`Objective::latency`], which check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Objective {
    /// What it is about.
    pub target: Target,
    /// The goal.
    pub goal: Goal,
    /// The compliance window in days. Default 30.
    pub window_days: u32,
}

/// The compliance window of an objective that sets none.
pub const DEFAULT_WINDOW_DAYS: u32 = 30;

/// Why an objective was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ObjectiveError {
    /// The ratio is not strictly between 0 and 1.
    #[error("objective ratio for {target} must be between 0 and 1 (exclusive), got {ratio}")]
    Ratio {
        /// The target's description.
        target: String,
        /// The rejected ratio.
        ratio: f64,
    },
    /// The latency threshold is not a bucket boundary.
    #[error(
        "latency threshold {threshold}s for {target} is not a bucket boundary of its histogram (boundaries: {boundaries:?})"
    )]
    NotABoundary {
        /// The target's description.
        target: String,
        /// The rejected threshold.
        threshold: f64,
        /// The histogram's boundaries.
        boundaries: Vec<f64>,
    },
    /// An empty name.
    #[error("an objective needs a non-empty primitive or workflow name")]
    EmptyName,
}

impl Target {
    /// `primitive "name"` or `workflow "name"`.
    pub fn describe(&self) -> String {
        match self {
            Target::Primitive(name) => format!("primitive {name:?}"),
            Target::Workflow(name) => format!("workflow {name:?}"),
        }
    }

    /// The target's name.
    pub fn name(&self) -> &str {
        match self {
            Target::Primitive(name) | Target::Workflow(name) => name,
        }
    }
}

impl Objective {
    /// A success-rate objective.
    pub fn success_rate(target: Target, ratio: f64) -> Result<Self, ObjectiveError> {
        check_target(&target)?;
        check_ratio(&target, ratio)?;
        Ok(Objective {
            target,
            goal: Goal::SuccessRate { ratio },
            window_days: DEFAULT_WINDOW_DAYS,
        })
    }

    /// A latency objective against the catalog's default duration boundaries.
    pub fn latency(
        target: Target,
        threshold_seconds: f64,
        ratio: f64,
    ) -> Result<Self, ObjectiveError> {
        Self::latency_with_buckets(target, threshold_seconds, ratio, catalog::DURATION_BUCKETS)
    }

    /// A latency objective for a histogram with `boundaries` (a call site's `buckets = [...]`).
    pub fn latency_with_buckets(
        target: Target,
        threshold_seconds: f64,
        ratio: f64,
        boundaries: &[f64],
    ) -> Result<Self, ObjectiveError> {
        check_target(&target)?;
        check_ratio(&target, ratio)?;
        if !boundaries.contains(&threshold_seconds) {
            return Err(ObjectiveError::NotABoundary {
                target: target.describe(),
                threshold: threshold_seconds,
                boundaries: boundaries.to_vec(),
            });
        }
        Ok(Objective {
            target,
            goal: Goal::Latency { threshold_seconds, ratio },
            window_days: DEFAULT_WINDOW_DAYS,
        })
    }

    /// Sets the compliance window (default 30 days).
    pub fn window_days(mut self, days: u32) -> Self {
        self.window_days = days.max(1);
        self
    }

    /// The goal's ratio.
    pub fn ratio(&self) -> f64 {
        match self.goal {
            Goal::SuccessRate { ratio } | Goal::Latency { ratio, .. } => ratio,
        }
    }

    /// Checks an objective that was not built by the constructors (read from a `/catalog`
    /// document, say): a named target and a ratio inside (0, 1). A latency threshold is not
    /// checked against boundaries here, since the histogram's are not known.
    pub fn check(&self) -> Result<(), ObjectiveError> {
        check_target(&self.target)?;
        check_ratio(&self.target, self.ratio())
    }
}

fn check_target(target: &Target) -> Result<(), ObjectiveError> {
    if target.name().is_empty() { Err(ObjectiveError::EmptyName) } else { Ok(()) }
}

fn check_ratio(target: &Target, ratio: f64) -> Result<(), ObjectiveError> {
    if ratio > 0.0 && ratio < 1.0 {
        Ok(())
    } else {
        Err(ObjectiveError::Ratio { target: target.describe(), ratio })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_latency_threshold_must_be_a_bucket_boundary() {
        let target = Target::Workflow("checkout".into());
        assert!(Objective::latency(target.clone(), 0.5, 0.99).is_ok());
        let error = Objective::latency(target, 0.3, 0.99).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("0.3") && message.contains("checkout"), "{message}");
        assert!(
            message.contains("0.25") && message.contains("0.5"),
            "names the boundaries: {message}"
        );
    }

    #[test]
    fn ratios_must_be_inside_zero_one() {
        for ratio in [0.0, 1.0, 1.5, -0.1, f64::NAN] {
            assert!(Objective::success_rate(Target::Primitive("p".into()), ratio).is_err());
        }
    }
}
