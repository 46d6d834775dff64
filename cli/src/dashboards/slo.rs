//! `slo`: one row per declared objective: its SLI and remaining error budget over the
//! objective's window, and its burn rates over the multi-window alerting windows.
//!
//! Computed from the raw catalog metrics: the SLI is the share of good executions (status
//! `success`, or finished within the latency threshold, a bucket boundary) among all of them;
//! the burn rate over a window is the bad share over that window divided by the error budget
//! `1 - objective`, so 1 spends the budget exactly over the SLO window.

use super::model::Builder;
use super::panel::{Panel, Unit};
use super::query::{Selector, label, rate, ratio, sum_by};
use crate::MetricNames;
use flowmeter::Status;
use flowmeter::metrics::{Goal, Objective, Target};

/// The burn-rate windows shown, those of the multi-window multi-burn-rate alerts.
const BURN_WINDOWS: &[&str] = &["5m", "1h", "6h", "3d"];

/// How to declare objectives, shown when there are none.
const HOW_TO_DECLARE: &str = "\
No service-level objectives were declared when these dashboards were generated.

Declare them, then generate again with `flowmeter rules`:

- on an instrumented function: `#[instrumented(objective(success_rate = 0.99))]` or \
`#[instrumented(objective(latency = 0.5, ratio = 0.95))]`;
- on a workflow: `Workflow::new(\"checkout\", steps).objective(Goal::SuccessRate { ratio: 0.99 })?`;
- or in an objectives file given to the generator:

```toml
[[objective]]
workflow = \"document_pipeline\"   # or: primitive = \"fetch\"
success_rate = 0.99

[[objective]]
workflow = \"document_pipeline\"
latency_seconds = 0.5            # a bucket boundary of the duration histogram
ratio = 0.95
window_days = 28                 # default 30
```

Each objective gets a row here: its SLI and remaining error budget over its window, and its \
burn rates over 5m, 1h, 6h and 3d.";

/// The dashboard.
pub(super) fn dashboard(names: &MetricNames, objectives: &[Objective]) -> Builder {
    let mut d = super::builder(
        names,
        "slo",
        "Service-level objectives",
        "SLI, error budget and burn rates of each declared objective.",
    );
    if objectives.is_empty() {
        d.panel(
            Panel::text(
                "No objectives declared",
                "How to declare service-level objectives for this dashboard.",
                HOW_TO_DECLARE,
            ),
            24,
            14,
        );
    }
    for objective in objectives {
        row(&mut d, names, objective);
    }
    d
}

/// The row of one objective.
fn row(d: &mut Builder, names: &MetricNames, objective: &Objective) {
    let sli = Sli::new(names, objective);
    let window = format!("{}d", objective.window_days);
    let budget = format!("(1 - {})", objective.ratio());
    let goal = match objective.goal {
        Goal::SuccessRate { ratio } => format!("{} succeed", percent(ratio)),
        Goal::Latency { threshold_seconds, ratio } => {
            format!("{} within {threshold_seconds}s", percent(ratio))
        }
    };
    let title = format!("{}: {goal} over {window}", objective.target.describe());
    d.row(&title, &format!("Objective: {goal}, over a rolling {window} window."));
    d.panel(
        Panel::stat(
            "SLI",
            &format!("Share of good executions over the last {window}; the objective is {goal}."),
            Unit::Ratio,
        )
        .query(sli.good_ratio(&window), "SLI")
        .thresholds("red", &[(objective.ratio(), "green")])
        .decimals(3),
        4,
        8,
    );
    d.panel(
        Panel::stat(
            "Error budget remaining",
            &format!(
                "Share of the {window} error budget (1 - objective) not yet spent; negative \
                 when the objective is missed."
            ),
            Unit::Ratio,
        )
        .query(format!("1 - ({}) / {budget}", sli.bad_ratio(&window)), "remaining")
        .thresholds("red", &[(0.0, "orange"), (0.25, "green")])
        .decimals(1),
        4,
        8,
    );
    let mut burn = Panel::timeseries(
        "Burn rates",
        "Bad share over each window divided by the error budget: 1 spends the budget exactly \
         over the SLO window. The alerts page at 14.4 (5m and 1h) or 6 (30m and 6h), and open \
         a ticket at 3 (2h and 1d) or 1 (6h and 3d).",
        Unit::Count,
    )
    .thresholds("green", &[(1.0, "yellow"), (6.0, "orange"), (14.4, "red")]);
    for window in BURN_WINDOWS {
        burn = burn.query(format!("({}) / {budget}", sli.bad_ratio(window)), window);
    }
    d.panel(burn, 16, 8);
}

/// `99.9%` for 0.999.
fn percent(ratio: f64) -> String {
    let text = format!("{:.4}", ratio * 100.0);
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

/// The series of one objective's target.
struct Sli {
    /// Every execution: the executions counter or the duration histogram's `_count`.
    total: Selector,
    /// The good ones.
    good: Selector,
    /// For a success objective, the bad ones (status not `success`); `None` for latency,
    /// whose bad share is `1 - good share`.
    bad: Option<Selector>,
}

impl Sli {
    fn new(names: &MetricNames, objective: &Objective) -> Self {
        let (executions, duration, name_label) = match &objective.target {
            Target::Primitive(_) => (&names.executions, &names.duration, label::PRIMITIVE_NAME),
            Target::Workflow(_) => {
                (&names.workflow_executions, &names.workflow_duration, label::WORKFLOW_NAME)
            }
        };
        let name = objective.target.name();
        let success = Status::Success.as_str();
        match objective.goal {
            Goal::SuccessRate { .. } => {
                let total = Selector::new(executions).eq(name_label, name);
                Sli {
                    good: total.clone().eq(label::STATUS, success),
                    bad: Some(total.clone().ne(label::STATUS, success)),
                    total,
                }
            }
            Goal::Latency { threshold_seconds, .. } => Sli {
                total: Selector::count(duration).eq(name_label, name),
                // The bridge writes bucket bounds in their shortest form (`0.5`, `1`, `2.5`),
                // as Rust's `Display` for `f64` does.
                good: Selector::bucket(duration)
                    .eq(name_label, name)
                    .eq(label::LE, &threshold_seconds.to_string()),
                bad: None,
            },
        }
    }

    fn total(&self, window: &str) -> String {
        sum_by(&[], &rate(&self.total, window))
    }

    /// Good executions over all of them, over `window`.
    fn good_ratio(&self, window: &str) -> String {
        ratio(&sum_by(&[], &rate(&self.good, window)), &self.total(window))
    }

    /// Bad executions over all of them, over `window`.
    fn bad_ratio(&self, window: &str) -> String {
        match &self.bad {
            Some(bad) => ratio(&sum_by(&[], &rate(bad, window)), &self.total(window)),
            None => format!("1 - {}", self.good_ratio(window)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_short() {
        assert_eq!(percent(0.999), "99.9%");
        assert_eq!(percent(0.95), "95%");
        assert_eq!(percent(0.9995), "99.95%");
    }

    #[test]
    fn latency_burn_rate_compares_the_threshold_bucket_with_the_count() {
        let names = MetricNames::new("ns");
        let objective =
            Objective::latency(Target::Workflow("w".into()), 0.5, 0.99).unwrap().window_days(7);
        let sli = Sli::new(&names, &objective);
        assert_eq!(
            sli.bad_ratio("1h"),
            "1 - sum(rate(ns_workflow_duration_seconds_bucket{workflow_name=\"w\",le=\"0.5\"}[1h])) \
             / (sum(rate(ns_workflow_duration_seconds_count{workflow_name=\"w\"}[1h])) > 0)"
        );
    }
}
