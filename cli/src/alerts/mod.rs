//! `rules/{ns}.alerts.yml`: alerts on the recording rules, on LLM budgets and on the scrape
//! target.
//!
//! Alert names are the namespace in CamelCase followed by what is wrong (`flowmeter` →
//! `FlowmeterPrimitiveErrorRatioHigh`, `tta` → `TtaPrimitiveErrorRatioHigh`). Every alert has
//! a `severity` label (`page`: wake someone; `ticket`: fix during working hours; `warning`:
//! look at a dashboard), `summary` and `description` annotations templated with
//! `{{ $labels.… }}` and `{{ $value }}`, and a `for:` duration. Thresholds, windows, `for`
//! durations and the scrape job are [`AlertSettings`] (defaults below).
//!
//! | alert | condition | for | severity |
//! |---|---|---|---|
//! | `…PrimitiveErrorRatioHigh` | a primitive's error ratio (5m) > 0.05 | 10m | ticket |
//! | `…WorkflowErrorRatioHigh` | a workflow's error ratio (5m) > 0.05 | 10m | ticket |
//! | `…PrimitiveLatencyHigh` | a primitive's p95 (5m) > 10 s | 15m | warning |
//! | `…WorkflowLatencyHigh` | a workflow's p95 (5m) > 10 s | 15m | warning |
//! | `…CacheHitRatioFalling` | a cache's hit ratio (5m) < 0.5 × its hit ratio over a day | 30m | warning |
//! | `…LlmSpendHigh` | total LLM spend > $10/h | 15m | ticket |
//! | `…LlmBudgetLow` | a budget's remaining amount < 0.2 × its limit, in its current period | 5m | warning |
//! | `…LlmBudgetBurnRateHigh` | at a budget's spend rate over 1h, what is left runs out before its period ends | 15m | ticket |
//! | `…OtlpExportFailing` | OTLP exports of a signal fail (5m rate > 0), by signal and reason | 10m | ticket |
//! | `…ScrapeAuthRefused` | the endpoint refuses requests for credentials (5m rate > 0), by reason | 10m | warning |
//! | `…TargetDown` | `up{job="flowmeter"} == 0` | 5m | page |
//! | `…MetricsAbsent` | `absent({ns}_primitive_executions_total)` | 15m | ticket |
//!
//! The thresholds are defaults for services nobody has tuned yet; objectives declared for a
//! primitive or workflow give precise, budget-based alerts (see the SLO rules). The ratio and
//! latency alerts cannot fire in a quiet period: their recording rules have no series then.
//! The budget alerts work for every budget a program declares, by its `budget_name`, from the
//! gauges the runtime exports per budget (remaining, limit, end of the current period; see
//! `budget` for how).
//!
//! `TargetDown` selects the scrape job of the generated `prometheus.yml`
//! ([`AlertSettings::scrape_job`], default `flowmeter`). It pages because while the target is
//! down every other flowmeter alert, SLO burn alerts included, is blind. `up == 0` rather than
//! `absent(up{job=…})`, which depends on how the environment discovers targets;
//! `MetricsAbsent` covers a target that is scraped but exports no flowmeter metrics (wrong
//! namespace, telemetry disabled), and also fires for a process that has not run an
//! instrumented call for 15 minutes since it started.

mod budget;
mod self_metrics;
mod settings;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use settings::{AlertSettings, AlertSettingsBuilder, AlertSettingsError};

use super::promql::{Matcher, camel, num, selector, sum_by};
use super::rule_names::RuleNames;
use crate::{Alert, Rule, RuleFile, RuleGroup};
use settings::Prometheus;

/// Prometheus's own per-target health series (not a catalog metric).
const UP: &str = "up";

/// `page`, `ticket` or `warning`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Severity {
    /// Wake someone up.
    Page,
    /// Fix during working hours.
    Ticket,
    /// Worth a look.
    Warning,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
            Severity::Warning => "warning",
        }
    }
}

/// An alerting rule with a `severity` label and `summary` / `description` annotations.
pub(crate) fn alert(
    name: String,
    expr: String,
    for_: &str,
    severity: Severity,
    extra_labels: &[(&str, &str)],
    summary: String,
    description: String,
) -> Rule {
    let mut labels = BTreeMap::from([("severity".to_owned(), severity.as_str().to_owned())]);
    for (k, v) in extra_labels {
        labels.insert((*k).to_owned(), (*v).to_owned());
    }
    Rule::Alert(Alert {
        alert: name,
        expr,
        for_: Some(for_.to_owned()),
        labels,
        annotations: BTreeMap::from([
            ("summary".to_owned(), summary),
            ("description".to_owned(), description),
        ]),
    })
}

/// `rules/{ns}.alerts.yml` with `settings`.
pub(crate) fn alerts(names: &RuleNames, settings: &AlertSettings) -> RuleFile {
    let prefix = camel(names.namespace());
    let error_threshold = num(settings.error_ratio_threshold());
    let error_percent = num(settings.error_ratio_threshold() * 100.0);
    let latency = num(settings.latency_p95_threshold_seconds());
    let drop = num(settings.cache_hit_ratio_drop());
    let spend = num(settings.llm_spend_dollars_per_hour());
    let job = settings.scrape_job();
    let for_ = |d| Prometheus(d).to_string();
    let p = &names.primitive;
    let w = &names.workflow;
    let primitive = "{{ $labels.primitive_type }} primitive {{ $labels.primitive_name }}";
    let workflow = "workflow {{ $labels.workflow_name }}";

    let mut rules = vec![
        alert(
            format!("{prefix}PrimitiveErrorRatioHigh"),
            format!("{} > {error_threshold}", p.error_ratio),
            &for_(settings.error_ratio_for()),
            Severity::Ticket,
            &[],
            format!("{primitive} fails {{{{ $value | humanizePercentage }}}} of its executions"),
            format!(
                "{{{{ $value | humanizePercentage }}}} of the completed executions of {primitive} \
                 ended in an error or a panic over the last 5 minutes (threshold {error_percent}%)."
            ),
        ),
        alert(
            format!("{prefix}WorkflowErrorRatioHigh"),
            format!("{} > {error_threshold}", w.error_ratio),
            &for_(settings.error_ratio_for()),
            Severity::Ticket,
            &[],
            format!("{workflow} fails {{{{ $value | humanizePercentage }}}} of its runs"),
            format!(
                "{{{{ $value | humanizePercentage }}}} of the completed runs of {workflow} ended \
                 in an error or a panic over the last 5 minutes (threshold {error_percent}%)."
            ),
        ),
        alert(
            format!("{prefix}PrimitiveLatencyHigh"),
            format!("{} > {latency}", p.p95()),
            &for_(settings.latency_for()),
            Severity::Warning,
            &[],
            format!("{primitive} is slow: p95 {{{{ $value | humanizeDuration }}}}"),
            format!(
                "The 95th percentile duration of {primitive} over the last 5 minutes is \
                 {{{{ $value | humanizeDuration }}}} (threshold {latency}s)."
            ),
        ),
        alert(
            format!("{prefix}WorkflowLatencyHigh"),
            format!("{} > {latency}", w.p95()),
            &for_(settings.latency_for()),
            Severity::Warning,
            &[],
            format!("{workflow} is slow: p95 {{{{ $value | humanizeDuration }}}}"),
            format!(
                "The 95th percentile duration of {workflow} over the last 5 minutes is \
                 {{{{ $value | humanizeDuration }}}} (threshold {latency}s)."
            ),
        ),
        alert(
            format!("{prefix}CacheHitRatioFalling"),
            format!("{}\n< {drop} * {}", names.cache_hit_ratio, names.cache_hit_ratio_1d),
            &for_(settings.cache_hit_ratio_for()),
            Severity::Warning,
            &[],
            "Cache {{ $labels.cache_name }} hit ratio fell to {{ $value | humanizePercentage }}"
                .to_owned(),
            format!(
                "The hit ratio of cache {{{{ $labels.cache_name }}}} over the last 5 minutes is \
                 {{{{ $value | humanizePercentage }}}}, less than {drop} of its ratio over the \
                 last day: more work reaches the inner primitive (and the LLM bill)."
            ),
        ),
        alert(
            format!("{prefix}LlmSpendHigh"),
            format!("{} > {spend}", sum_by(&[], &names.llm_spend)),
            &for_(settings.llm_spend_for()),
            Severity::Ticket,
            &[],
            "LLM spend is ${{ $value | printf \"%.2f\" }} per hour".to_owned(),
            format!(
                "LLM calls cost ${{{{ $value | printf \"%.2f\" }}}} per hour over the last 5 \
                 minutes, above the budget of ${spend} per hour. See \
                 {} by model and provider.",
                names.llm_spend
            ),
        ),
    ];
    rules.extend(budget::alerts(&prefix, &names.metrics, settings));
    rules.extend(self_metrics::alerts(&prefix, &names.metrics));
    rules.extend([
        alert(
            format!("{prefix}TargetDown"),
            format!("{} == 0", selector(UP, &[Matcher::eq("job", job)])),
            &for_(settings.target_down_for()),
            Severity::Page,
            &[],
            "flowmeter target {{ $labels.instance }} is down".to_owned(),
            format!(
                "Prometheus cannot scrape {{{{ $labels.instance }}}} (job {job}): its \
                 workflows are either down or unobserved, and every other alert on them is blind."
            ),
        ),
        alert(
            format!("{prefix}MetricsAbsent"),
            format!("absent({})", p.executions_metric),
            &for_(settings.metrics_absent_for()),
            Severity::Ticket,
            &[],
            format!("No {} series in Prometheus", p.executions_metric),
            format!(
                "Prometheus has no {} series: no scraped target runs instrumented code under \
                 the namespace {} (wrong namespace, telemetry disabled, or nothing executed yet).",
                p.executions_metric,
                names.namespace()
            ),
        ),
    ]);
    RuleFile {
        groups: vec![RuleGroup {
            name: format!("{}-alerts", names.namespace()),
            interval: None,
            rules,
        }],
    }
}
