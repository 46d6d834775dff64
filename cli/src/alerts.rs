//! `rules/{ns}.alerts.yml`: alerts on the recording rules and on the scrape target.
//!
//! Alert names are the namespace in CamelCase followed by what is wrong (`flowmeter` →
//! `FlowmeterPrimitiveErrorRatioHigh`, `tta` → `TtaPrimitiveErrorRatioHigh`). Every alert has
//! a `severity` label (`page`: wake someone; `ticket`: fix during working hours; `warning`:
//! look at a dashboard), `summary` and `description` annotations templated with
//! `{{ $labels.… }}` and `{{ $value }}`, and a `for:` duration.
//!
//! | alert | condition | for | severity |
//! |---|---|---|---|
//! | `…PrimitiveErrorRatioHigh` | a primitive's error ratio (5m) > [`ERROR_RATIO_THRESHOLD`] | 10m | ticket |
//! | `…WorkflowErrorRatioHigh` | a workflow's error ratio (5m) > [`ERROR_RATIO_THRESHOLD`] | 10m | ticket |
//! | `…PrimitiveLatencyHigh` | a primitive's p95 (5m) > [`LATENCY_P95_THRESHOLD_SECONDS`] | 15m | warning |
//! | `…WorkflowLatencyHigh` | a workflow's p95 (5m) > [`LATENCY_P95_THRESHOLD_SECONDS`] | 15m | warning |
//! | `…CacheHitRatioFalling` | a cache's hit ratio (5m) < [`CACHE_HIT_RATIO_DROP`] × its hit ratio over a day | 30m | warning |
//! | `…LlmSpendHigh` | total LLM spend > [`LLM_SPEND_BUDGET_DOLLARS_PER_HOUR`] $/h | 15m | ticket |
//! | `…TargetDown` | `up{job="flowmeter"} == 0` | 5m | page |
//! | `…MetricsAbsent` | `absent({ns}_primitive_executions_total)` | 15m | ticket |
//!
//! The thresholds are defaults for services nobody has tuned yet; objectives declared for a
//! primitive or workflow give precise, budget-based alerts (see the SLO rules). The ratio and
//! latency alerts cannot fire in a quiet period: their recording rules have no series then.
//!
//! `TargetDown` assumes the scrape job is called [`SCRAPE_JOB`] (`flowmeter`), as in the
//! generated `prometheus.yml`; with another job name, edit the selector. It pages because
//! while the target is down every other flowmeter alert, SLO burn alerts included, is blind.
//! `up == 0` rather than `absent(up{job=…})`, which depends on how the environment discovers
//! targets; `MetricsAbsent` covers a target that is scraped but exports no flowmeter metrics
//! (wrong namespace, telemetry disabled), and also fires for a process that has not run an
//! instrumented call for 15 minutes since it started.

use std::collections::BTreeMap;

use super::promql::{Matcher, camel, num, selector, sum_by};
use super::rule_names::RuleNames;
use crate::{Alert, Rule, RuleFile, RuleGroup};

/// Error ratio above which `…ErrorRatioHigh` fires: 5% of completed executions.
pub(crate) const ERROR_RATIO_THRESHOLD: f64 = 0.05;

/// p95 latency above which `…LatencyHigh` fires: 10 seconds.
pub(crate) const LATENCY_P95_THRESHOLD_SECONDS: f64 = 10.0;

/// `…CacheHitRatioFalling` fires when the 5-minute hit ratio drops below this fraction of the
/// hit ratio over the last day: 0.5, i.e. it halved.
pub(crate) const CACHE_HIT_RATIO_DROP: f64 = 0.5;

/// Total LLM spend, in dollars per hour, above which `…LlmSpendHigh` fires: $10/h.
pub(crate) const LLM_SPEND_BUDGET_DOLLARS_PER_HOUR: f64 = 10.0;

/// The scrape job of the generated `prometheus.yml`, which `…TargetDown` selects.
pub(crate) const SCRAPE_JOB: &str = "flowmeter";

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

/// `rules/{ns}.alerts.yml`.
pub(crate) fn alerts(names: &RuleNames) -> RuleFile {
    let prefix = camel(names.namespace());
    let error_threshold = num(ERROR_RATIO_THRESHOLD);
    let error_percent = num(ERROR_RATIO_THRESHOLD * 100.0);
    let latency = num(LATENCY_P95_THRESHOLD_SECONDS);
    let budget = num(LLM_SPEND_BUDGET_DOLLARS_PER_HOUR);
    let p = &names.primitive;
    let w = &names.workflow;
    let primitive = "{{ $labels.primitive_type }} primitive {{ $labels.primitive_name }}";
    let workflow = "workflow {{ $labels.workflow_name }}";

    let rules = vec![
        alert(
            format!("{prefix}PrimitiveErrorRatioHigh"),
            format!("{} > {error_threshold}", p.error_ratio),
            "10m",
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
            "10m",
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
            "15m",
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
            "15m",
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
            format!(
                "{}\n< {} * {}",
                names.cache_hit_ratio,
                num(CACHE_HIT_RATIO_DROP),
                names.cache_hit_ratio_1d
            ),
            "30m",
            Severity::Warning,
            &[],
            "Cache {{ $labels.cache_name }} hit ratio fell to {{ $value | humanizePercentage }}"
                .to_owned(),
            format!(
                "The hit ratio of cache {{{{ $labels.cache_name }}}} over the last 5 minutes is \
                 {{{{ $value | humanizePercentage }}}}, less than {} of its ratio over the last \
                 day: more work reaches the inner primitive (and the LLM bill).",
                num(CACHE_HIT_RATIO_DROP)
            ),
        ),
        alert(
            format!("{prefix}LlmSpendHigh"),
            format!("{} > {budget}", sum_by(&[], &names.llm_spend)),
            "15m",
            Severity::Ticket,
            &[],
            "LLM spend is ${{ $value | printf \"%.2f\" }} per hour".to_owned(),
            format!(
                "LLM calls cost ${{{{ $value | printf \"%.2f\" }}}} per hour over the last 5 \
                 minutes, above the budget of ${budget} per hour. See \
                 {} by model and provider.",
                names.llm_spend
            ),
        ),
        alert(
            format!("{prefix}TargetDown"),
            format!("{} == 0", selector(UP, &[Matcher::eq("job", SCRAPE_JOB)])),
            "5m",
            Severity::Page,
            &[],
            "flowmeter target {{ $labels.instance }} is down".to_owned(),
            format!(
                "Prometheus cannot scrape {{{{ $labels.instance }}}} (job {SCRAPE_JOB}): its \
                 workflows are either down or unobserved, and every other alert on them is blind."
            ),
        ),
        alert(
            format!("{prefix}MetricsAbsent"),
            format!("absent({})", p.executions_metric),
            "15m",
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
    ];
    RuleFile {
        groups: vec![RuleGroup {
            name: format!("{}-alerts", names.namespace()),
            interval: None,
            rules,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GenerateConfig;

    #[test]
    fn every_alert_has_severity_summary_description_and_for() {
        let file = alerts(&RuleNames::new("flowmeter"));
        assert_eq!(file.rules().count(), 8);
        for rule in file.rules() {
            let Rule::Alert(a) = rule else { panic!("only alerts: {rule:?}") };
            assert!(a.alert.starts_with("Flowmeter"), "{}", a.alert);
            assert!(["page", "ticket", "warning"].contains(&a.labels["severity"].as_str()));
            assert!(
                a.annotations.contains_key("summary") && a.annotations.contains_key("description")
            );
            assert!(a.for_.is_some());
        }
    }

    #[test]
    fn target_down_selects_the_generated_scrape_job() {
        let config = GenerateConfig::default();
        let prometheus = crate::generate(&config)
            .into_iter()
            .find(|f| f.path.ends_with("prometheus.yml"))
            .unwrap();
        assert!(
            prometheus.contents.contains(&format!("job_name: {SCRAPE_JOB}")),
            "{}",
            prometheus.contents
        );
    }
}
