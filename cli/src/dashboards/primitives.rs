//! `primitive-explorer`: one or more primitives, picked with `$primitive` and
//! `$primitive_type`, in detail.

use super::model::{Builder, Variable};
use super::panel::{Panel, Unit};
use super::query::{
    RATE, Selector, failed_statuses, increase, label, percentile, quantile, rate, ratio, sum_by,
};
use crate::MetricNames;

/// The primitive name variable.
const PRIMITIVE: &str = "primitive";
/// The primitive type variable.
const PRIMITIVE_TYPE: &str = "primitive_type";

/// The dashboard.
pub(super) fn dashboard(names: &MetricNames) -> Builder {
    let mut d = super::builder(
        names,
        "primitive-explorer",
        "Primitive explorer",
        "Rate, errors, latency, concurrency and retries of the selected instrumented functions \
         and primitives.",
    );
    let selected = |family: Selector| {
        family.var(label::PRIMITIVE_NAME, PRIMITIVE).var(label::PRIMITIVE_TYPE, PRIMITIVE_TYPE)
    };
    d.variable(Variable::label_values(
        PRIMITIVE,
        "Primitive",
        "The instrumented functions and primitives shown (primitive_name).",
        &names.executions,
        label::PRIMITIVE_NAME,
    ));
    d.variable(Variable::label_values(
        PRIMITIVE_TYPE,
        "Type",
        "The primitive types shown (primitive_type), among the selected primitives'.",
        &Selector::new(&names.executions).var(label::PRIMITIVE_NAME, PRIMITIVE).to_string(),
        label::PRIMITIVE_TYPE,
    ));
    let executions = selected(Selector::new(&names.executions));
    let failed = executions.clone().re(label::STATUS, &failed_statuses());
    let buckets = selected(Selector::bucket(&names.duration));
    let by = [label::PRIMITIVE_NAME, label::PRIMITIVE_TYPE];
    let by_status = [label::PRIMITIVE_NAME, label::PRIMITIVE_TYPE, label::STATUS];

    d.row("Executions", "Executions of the selected primitives, by primitive name and type.");
    d.panel(
        Panel::timeseries(
            "Executions by status",
            "Executions per second by primitive and status (success, error, panic, cancelled).",
            Unit::PerSecond,
        )
        .query(
            sum_by(&by_status, &rate(&executions, RATE)),
            "{{primitive_name}} ({{primitive_type}}) {{status}}",
        ),
        12,
        8,
    );
    d.panel(
        Panel::timeseries(
            "Error ratio",
            "Share of executions that ended in error or panic. A primitive without executions \
             in the interval has no value.",
            Unit::Ratio,
        )
        .query(
            ratio(&sum_by(&by, &rate(&failed, RATE)), &sum_by(&by, &rate(&executions, RATE))),
            "{{primitive_name}} ({{primitive_type}})",
        )
        .bounds(0.0, 1.0),
        12,
        8,
    );
    let typed_errors = executions.clone().eq(label::STATUS, "error").ne(label::ERROR_TYPE, "");
    d.panel(
        Panel::timeseries(
            "Errors by error type",
            "Errored executions per second by primitive and error type (the error enum's \
             variant, or the error type's name).",
            Unit::PerSecond,
        )
        .query(
            sum_by(
                &[label::PRIMITIVE_NAME, label::PRIMITIVE_TYPE, label::ERROR_TYPE],
                &rate(&typed_errors, RATE),
            ),
            "{{primitive_name}} ({{primitive_type}}) {{error_type}}",
        ),
        24,
        8,
    );
    let mut latency = Panel::timeseries(
        "Latency p50 / p95 / p99",
        "Execution duration quantiles, interpolated from the duration histogram's buckets. \
         Exemplars (when Prometheus stores them) link a sampled execution in a bucket to its \
         trace.",
        Unit::Seconds,
    );
    for q in [0.5, 0.95, 0.99] {
        let legend = format!("{} {{{{primitive_name}}}} ({{{{primitive_type}}}})", percentile(q));
        latency = latency.query(quantile(q, &by, &buckets, RATE), &legend);
    }
    d.panel(latency.exemplars(), 12, 8);
    d.panel(
        Panel::heatmap(
            "Latency distribution",
            "Executions of all selected primitives per duration bucket and interval. Exemplars \
             (when Prometheus stores them) link a sampled execution in a bucket to its trace.",
            Unit::Seconds,
        )
        .query(sum_by(&[label::LE], &increase(&buckets, RATE)), "{{le}}")
        .exemplars(),
        12,
        8,
    );
    d.panel(
        Panel::timeseries(
            "Active executions",
            "Executions in progress, by primitive name and type.",
            Unit::Count,
        )
        .query(
            sum_by(&by, &selected(Selector::new(&names.active)).to_string()),
            "{{primitive_name}} ({{primitive_type}})",
        ),
        24,
        8,
    );

    retries(&mut d, names);
    d
}

/// The retries row, from the retry attempts histogram (labelled by primitive name and status
/// only, so `$primitive_type` does not apply).
fn retries(d: &mut Builder, names: &MetricNames) {
    let attempts = |family: Selector| family.var(label::PRIMITIVE_NAME, PRIMITIVE);
    let by = [label::PRIMITIVE_NAME];
    d.row(
        "Retries",
        "Attempts per execution of the selected retry primitives (primitive_type `retry`).",
    );
    let mut panel = Panel::timeseries(
        "Attempts per execution",
        "Mean and 95th percentile attempts a retried execution took (1 means no retry).",
        Unit::Count,
    )
    .query(
        ratio(
            &sum_by(&by, &rate(&attempts(Selector::sum(&names.retry_attempts)), RATE)),
            &sum_by(&by, &rate(&attempts(Selector::count(&names.retry_attempts)), RATE)),
        ),
        "mean {{primitive_name}}",
    );
    panel = panel.query(
        quantile(0.95, &by, &attempts(Selector::bucket(&names.retry_attempts)), RATE),
        "p95 {{primitive_name}}",
    );
    d.panel(panel, 12, 8);
    d.panel(
        Panel::timeseries(
            "Retried executions by outcome",
            "Executions of retry primitives per second, by their final status after all \
             attempts.",
            Unit::PerSecond,
        )
        .query(
            sum_by(
                &[label::PRIMITIVE_NAME, label::STATUS],
                &rate(&attempts(Selector::count(&names.retry_attempts)), RATE),
            ),
            "{{primitive_name}} {{status}}",
        ),
        12,
        8,
    );
}
