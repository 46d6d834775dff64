//! `workflow-overview`: how the workflows run, and which primitives are busy or slow.

use super::model::{Builder, Variable};
use super::panel::{Panel, Unit};
use super::query::{
    RANGE, RATE, Selector, failed_statuses, label, percentile, quantile, rate, ratio, sum_by,
};
use crate::MetricNames;

/// The workflow variable.
const WORKFLOW: &str = "workflow";

/// How many primitives the "slowest" table lists.
const TOP: u32 = 10;

/// The dashboard.
pub(super) fn dashboard(names: &MetricNames) -> Builder {
    let mut d = super::builder(
        names,
        "workflow-overview",
        "Workflow overview",
        "Workflow runs, errors and latency, and the busiest and slowest primitives.",
    );
    let runs = Selector::new(&names.workflow_executions).var(label::WORKFLOW_NAME, WORKFLOW);
    let failed = runs.clone().re(label::STATUS, &failed_statuses());
    let durations = Selector::bucket(&names.workflow_duration).var(label::WORKFLOW_NAME, WORKFLOW);
    d.variable(Variable::label_values(
        WORKFLOW,
        "Workflow",
        "The workflows shown (workflow_name).",
        &names.workflow_executions,
        label::WORKFLOW_NAME,
    ));

    d.row("Workflows", "Runs of the selected workflows, by workflow_name.");
    d.panel(
        Panel::stat(
            "Run rate",
            "Workflow runs per second over the last rate interval, all statuses.",
            Unit::PerSecond,
        )
        .query(sum_by(&[], &rate(&runs, RATE)), "runs/s"),
        6,
        4,
    );
    d.panel(
        Panel::stat(
            "Error ratio over the range",
            "Share of runs in the dashboard's time range that ended in error or panic.",
            Unit::Ratio,
        )
        .query(
            ratio(&sum_by(&[], &rate(&failed, RANGE)), &sum_by(&[], &rate(&runs, RANGE))),
            "error ratio",
        )
        .thresholds("green", &[(0.01, "orange"), (0.05, "red")])
        .decimals(2),
        6,
        4,
    );
    d.panel(
        Panel::stat(
            "p95 latency over the range",
            "95th percentile duration of all selected workflows' runs in the time range.",
            Unit::Seconds,
        )
        .query(quantile(0.95, &[], &durations, RANGE), "p95"),
        6,
        4,
    );
    d.panel(
        Panel::stat(
            "Active executions",
            "Executions of instrumented functions and primitives in progress now, all primitives.",
            Unit::Count,
        )
        .query(sum_by(&[], &names.active), "active"),
        6,
        4,
    );
    d.panel(
        Panel::timeseries(
            "Runs by status",
            "Workflow runs per second, by workflow and status (success, error, panic, cancelled).",
            Unit::PerSecond,
        )
        .query(
            sum_by(&[label::WORKFLOW_NAME, label::STATUS], &rate(&runs, RATE)),
            "{{workflow_name}} {{status}}",
        )
        .stacked(),
        12,
        8,
    );
    d.panel(
        Panel::timeseries(
            "Error ratio",
            "Share of each workflow's runs that ended in error or panic. A workflow without \
             runs in the interval has no value.",
            Unit::Ratio,
        )
        .query(
            ratio(
                &sum_by(&[label::WORKFLOW_NAME], &rate(&failed, RATE)),
                &sum_by(&[label::WORKFLOW_NAME], &rate(&runs, RATE)),
            ),
            "{{workflow_name}}",
        )
        .bounds(0.0, 1.0),
        12,
        8,
    );
    let mut latency = Panel::timeseries(
        "Latency p50 / p95 / p99",
        "Workflow run duration quantiles, interpolated from the duration histogram's buckets. \
         Exemplars (when Prometheus stores them) link a sampled run in a bucket to its trace.",
        Unit::Seconds,
    );
    for q in [0.5, 0.95, 0.99] {
        let legend = format!("{} {{{{workflow_name}}}}", percentile(q));
        latency = latency.query(quantile(q, &[label::WORKFLOW_NAME], &durations, RATE), &legend);
    }
    d.panel(latency.exemplars(), 24, 8);

    primitives(&mut d, names);
    instrumentation(&mut d, names);
    d
}

/// The instrumentation row: measurements flowmeter refused, so data the application meant to
/// record and lost is visible even when the application ignored the error, and flowmeter's
/// own failures: OTLP exports and refused scrapes.
fn instrumentation(d: &mut Builder, names: &MetricNames) {
    let rejected = Selector::new(&names.measurements_rejected);
    d.row(
        "Instrumentation",
        "Measurements flowmeter refused (NaN, negative or out-of-range values, undeclared label \
         values): values the application meant to record and did not; OTLP exports that failed \
         and scrapes refused for credentials.",
    );
    d.panel(
        Panel::timeseries(
            "Rejected measurements",
            "Measurements refused per second, by metric and reason. Anything here is a bug in \
             the instrumented code; the application log has one warning per metric and reason.",
            Unit::PerSecond,
        )
        .query(
            sum_by(&[label::METRIC_NAME, label::REASON], &rate(&rejected, RATE)),
            "{{metric_name}} {{reason}}",
        ),
        24,
        6,
    );
    d.panel(
        Panel::timeseries(
            "Failed OTLP exports",
            "OTLP exports that failed per second, by signal and reason: their data is dropped, \
             so the trace or metrics backend misses it. The application log names the endpoint \
             and the error once per outage.",
            Unit::PerSecond,
        )
        .query(
            sum_by(
                &[label::SIGNAL, label::REASON],
                &rate(&Selector::new(&names.otlp_export_failures), RATE),
            ),
            "{{signal}} {{reason}}",
        ),
        12,
        6,
    );
    d.panel(
        Panel::timeseries(
            "Refused scrapes",
            "Requests to the metrics endpoint refused per second for missing, unsupported or \
             wrong credentials: a scraper with stale credentials, or someone probing.",
            Unit::PerSecond,
        )
        .query(
            sum_by(&[label::REASON], &rate(&Selector::new(&names.scrape_auth_refused), RATE)),
            "{{reason}}",
        ),
        12,
        6,
    );
}

/// The primitives row: active executions, execution rate, the slowest primitives.
fn primitives(d: &mut Builder, names: &MetricNames) {
    let executions = Selector::new(&names.executions);
    let by_primitive = [label::PRIMITIVE_NAME, label::PRIMITIVE_TYPE];
    d.row("Primitives", "Every instrumented function and primitive (not filtered by workflow).");
    d.panel(
        Panel::timeseries(
            "Executions by status",
            "Executions of all instrumented functions and primitives per second, by status.",
            Unit::PerSecond,
        )
        .query(sum_by(&[label::STATUS], &rate(&executions, RATE)), "{{status}}")
        .stacked(),
        8,
        8,
    );
    d.panel(
        Panel::timeseries(
            "Active executions by primitive",
            "Executions in progress, by primitive name and type.",
            Unit::Count,
        )
        .query(sum_by(&by_primitive, &names.active), "{{primitive_name}} ({{primitive_type}})"),
        8,
        8,
    );
    let p95 = quantile(0.95, &by_primitive, &Selector::bucket(&names.duration), RANGE);
    d.panel(
        Panel::table(
            "Slowest primitives (p95 over the range)",
            &format!(
                "The {TOP} primitives with the highest 95th percentile duration over the \
                 dashboard's time range."
            ),
            Unit::Seconds,
        )
        .query(format!("topk({TOP}, {p95})"), "{{primitive_name}}"),
        8,
        8,
    );
}
