//! The generated rule files: recording rules, alerts, SLO rules and seed-compatible names.
//!
//! [`rule_files`] writes, for namespace `ns`:
//!
//! | file | what | module |
//! |---|---|---|
//! | `rules/{ns}.rules.yml` | recording rules (below) | this one |
//! | `rules/{ns}.alerts.yml` | alerts on the recording rules and on the target | `alerts` |
//! | `rules/{ns}.slo.yml` | SLIs, SLO metadata, multi-window multi-burn-rate alerts (only when objectives are declared) | `slo` |
//! | `rules/{ns}.compat.yml` | the names of the system flowmeter replaces (`tta:workflow_rate_5m` …) | `compat` |
//!
//! # Naming: `level:metric:operations`
//!
//! The Prometheus convention: `level` names the labels the result keeps, `metric` is the
//! source metric's name without `_total`, and `operations` lists what was applied, newest
//! first. With `ns = flowmeter`:
//!
//! | level | labels kept |
//! |---|---|
//! | `primitive` | `primitive_name`, `primitive_type` |
//! | `primitive_error_type` | `primitive_name`, `primitive_type`, `error_type` |
//! | `workflow` | `workflow_name` |
//! | `cache` | `cache_name` |
//! | `model_provider` | `model`, `provider` |
//! | `model_provider_token_type` | `gen_ai_provider_name`, `gen_ai_request_model`, `gen_ai_token_type` |
//!
//! | rule | value |
//! |---|---|
//! | `primitive:flowmeter_primitive_executions:rate5m` | executions per second, every status |
//! | `primitive:flowmeter_primitive_errors:rate5m` | executions per second with `status=~"error\|panic"` |
//! | `primitive:flowmeter_primitive_completions:rate5m` | executions per second with `status!="cancelled"` |
//! | `primitive:flowmeter_primitive_errors:ratio_rate5m` | errors / completions (0..1) |
//! | `primitive:flowmeter_execution_duration_seconds:p50_5m` (`p95_5m`, `p99_5m`) | latency quantiles in seconds, every status |
//! | `primitive:flowmeter_primitive_active:sum` | executions in progress |
//! | `primitive_error_type:flowmeter_primitive_errors:rate5m` | errored executions per second by `error_type` (the error's variant or type name) |
//! | `workflow:flowmeter_workflow_executions:rate5m`, `…_errors:rate5m`, `…_completions:rate5m`, `…_errors:ratio_rate5m` | the same per workflow |
//! | `workflow:flowmeter_workflow_duration_seconds:p50_5m` (`p95_5m`, `p99_5m`) | workflow latency quantiles |
//! | `cache:flowmeter_cache_hits:rate5m`, `cache:flowmeter_cache_misses:rate5m` | lookups per second |
//! | `cache:flowmeter_cache_lookups:rate5m` | hits + misses per second |
//! | `cache:flowmeter_cache_hits:ratio_rate5m` | hits / lookups (0..1) |
//! | `cache:flowmeter_cache_hits:ratio_rate1d` | the same over a day: the baseline the "hit ratio falling" alert compares with |
//! | `model_provider:flowmeter_llm_cost:dollars_per_hour_rate5m` | LLM spend, `rate(…[5m]) * 3600` |
//! | `model_provider_token_type:gen_ai_client_token_usage_sum:rate5m` | tokens per second by type (`input`, `output`) |
//!
//! `errors` and `completions` are the `executions` counter filtered by status; `lookups` is
//! `hits + misses`. The GenAI metric is not namespaced (semantic conventions), so its rule
//! is not either: two namespaces loaded into one Prometheus record it twice.
//!
//! # Decisions
//!
//! - **Errors** are `status=~"error|panic"`. **Cancelled** executions (a future dropped before
//!   it finished: a timeout fired, a fail-fast sibling failed, the caller went away) are
//!   neither errors nor successes: the outcome is unknown, and whatever cancelled them (the
//!   `Timeout`, the failing branch) records its own error. So error ratios and SLIs divide by
//!   *completions* (`status!="cancelled"`), while the execution rate counts every status and
//!   the latency quantiles cover every recorded duration.
//! - **Numerator and denominator are aggregated separately** (`sum by` the level's labels,
//!   recorded as their own rules), then divided: never a ratio of per-instance ratios, and
//!   never `sum` of ratios.
//! - **Low traffic** is guarded the Sloth way: a ratio divides by `(denominator > 0)` and a
//!   quantile is kept only `and on (…)` the histogram's `_count` rate `> 0`. A quiet period
//!   yields no series at all, never `NaN`, and never a `vector(0)` / `or on() vector(0)`
//!   fallback that would hide a missing metric. Rates themselves are kept at 0 when quiet.
//!   flowmeter binds all four statuses of a call site up front, so the `errors` series exist
//!   (at 0) wherever the execution counter does.
//! - **Aggregation** is always `sum by (semantic labels)`: rules work unchanged across any
//!   number of instances and never depend on `job` or `instance` (only the target-down alert
//!   mentions them). Quantiles aggregate buckets `sum by (…, le)` before `histogram_quantile`.
//! - Evaluation interval: unset, so groups follow Prometheus's global `evaluation_interval`.
//!   Within a group, rules run in order, so a ratio reads the rates recorded just above it.

use flowmeter::Status;
use flowmeter::metrics::catalog::keys;

use super::rule_names::{ERROR_TYPE_LABEL, RuleNames, SECONDS_PER_HOUR, WINDOW};
use super::{GenerateConfig, GeneratedFile, Rule, RuleFile, RuleGroup};
use super::{alerts, compat, promql, slo};
use promql::{Matcher, guarded_ratio, num, rate, selector, sum_by};

/// The rule files for `config`: rules, alerts, SLOs (only with objectives) and compat names.
pub(crate) fn rule_files(config: &GenerateConfig) -> Vec<GeneratedFile> {
    let names = RuleNames::new(&config.namespace);
    let ns = &config.namespace;
    let mut files = vec![
        file(format!("rules/{ns}.rules.yml"), recording_rules(&names)),
        file(format!("rules/{ns}.alerts.yml"), alerts::alerts(&names, &config.alerts)),
    ];
    if let Some(slo) = slo::slo_rules(&names, &config.objectives) {
        files.push(file(format!("rules/{ns}.slo.yml"), slo));
    }
    files.push(file(format!("rules/{ns}.compat.yml"), compat::compat_rules(&names)));
    files
}

fn file(path: String, rules: RuleFile) -> GeneratedFile {
    let contents = format!(
        "# Generated by `flowmeter rules`; do not edit. See the flowmeter-cli docs.\n{}",
        rules.to_yaml()
    );
    GeneratedFile { path: path.into(), contents }
}

/// `rules/{ns}.rules.yml`: one group per level.
fn recording_rules(names: &RuleNames) -> RuleFile {
    let ns = names.namespace();
    let m = &names.metrics;
    let group = |level: &str, rules: Vec<Rule>| RuleGroup {
        name: format!("{ns}-{level}"),
        interval: None,
        rules,
    };

    let mut primitive = names.primitive.rules();
    primitive
        .push(Rule::record(&names.primitive_active, sum_by(&names.primitive.labels, &m.active)));
    // Only the series that carry a type: the `status="error"` series without one (bound at
    // startup, at 0 unless an error had no type) would add an `error_type=""` row.
    let typed_errors = selector(
        &m.executions,
        &[Matcher::eq(keys::STATUS, Status::Error.as_str()), Matcher::ne(ERROR_TYPE_LABEL, "")],
    );
    primitive.push(Rule::record(
        &names.primitive_errors_by_type_rate,
        sum_by(&names.error_type_labels, &rate(&typed_errors, WINDOW)),
    ));

    let cache = &names.cache_labels;
    let hits_1d = sum_by(cache, &rate(&m.cache_hits, "1d"));
    let misses_1d = sum_by(cache, &rate(&m.cache_misses, "1d"));
    let cache_rules = vec![
        Rule::record(&names.cache_hits_rate, sum_by(cache, &rate(&m.cache_hits, WINDOW))),
        Rule::record(&names.cache_misses_rate, sum_by(cache, &rate(&m.cache_misses, WINDOW))),
        Rule::record(
            &names.cache_lookups_rate,
            format!("{} + {}", names.cache_hits_rate, names.cache_misses_rate),
        ),
        Rule::record(
            &names.cache_hit_ratio,
            guarded_ratio(&names.cache_hits_rate, &names.cache_lookups_rate),
        ),
        Rule::record(
            &names.cache_hit_ratio_1d,
            guarded_ratio(&hits_1d, &format!("({hits_1d} + {misses_1d})")),
        ),
    ];

    let token_labels: Vec<&str> = names.token_labels.iter().map(String::as_str).collect();
    let llm_rules = vec![
        Rule::record(
            &names.llm_spend,
            format!(
                "{} * {}",
                sum_by(&names.llm_labels, &rate(&m.llm_cost, WINDOW)),
                num(SECONDS_PER_HOUR)
            ),
        ),
        Rule::record(
            &names.token_rate,
            sum_by(&token_labels, &rate(&format!("{}_sum", m.gen_ai_token_usage), WINDOW)),
        ),
    ];

    RuleFile {
        groups: vec![
            group("primitive", primitive),
            group("workflow", names.workflow.rules()),
            group("cache", cache_rules),
            group("llm", llm_rules),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_names(file: &RuleFile) -> Vec<String> {
        file.rules().map(|r| r.name().to_owned()).collect()
    }

    #[test]
    fn rule_names_follow_level_metric_operations() {
        let names = record_names(&recording_rules(&RuleNames::new("flowmeter")));
        for expected in [
            "primitive:flowmeter_primitive_executions:rate5m",
            "primitive:flowmeter_primitive_errors:rate5m",
            "primitive:flowmeter_primitive_completions:rate5m",
            "primitive:flowmeter_primitive_errors:ratio_rate5m",
            "primitive:flowmeter_execution_duration_seconds:p95_5m",
            "primitive:flowmeter_primitive_active:sum",
            "workflow:flowmeter_workflow_errors:ratio_rate5m",
            "workflow:flowmeter_workflow_duration_seconds:p99_5m",
            "cache:flowmeter_cache_hits:ratio_rate5m",
            "cache:flowmeter_cache_lookups:rate5m",
            "model_provider:flowmeter_llm_cost:dollars_per_hour_rate5m",
            "model_provider_token_type:gen_ai_client_token_usage_sum:rate5m",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:#?}");
        }
        for name in &names {
            assert_eq!(name.split(':').count(), 3, "{name}");
        }
        let tta = record_names(&recording_rules(&RuleNames::new("tta")));
        assert!(tta.iter().any(|n| n == "workflow:tta_workflow_executions:rate5m"));
    }

    #[test]
    fn ratios_divide_recorded_sums_and_are_guarded() {
        let file = recording_rules(&RuleNames::new("flowmeter"));
        let ratio = file
            .rules()
            .find(|r| r.name() == "primitive:flowmeter_primitive_errors:ratio_rate5m")
            .unwrap();
        assert_eq!(
            ratio.expr(),
            "primitive:flowmeter_primitive_errors:rate5m\n/\n(primitive:flowmeter_primitive_completions:rate5m > 0)"
        );
        let errors = file
            .rules()
            .find(|r| r.name() == "primitive:flowmeter_primitive_errors:rate5m")
            .unwrap();
        assert_eq!(
            errors.expr(),
            r#"sum by (primitive_name, primitive_type) (rate(flowmeter_primitive_executions_total{status=~"error|panic"}[5m]))"#
        );
    }

    #[test]
    fn files_are_deterministic_and_slo_only_with_objectives() {
        let config = GenerateConfig::default();
        let paths: Vec<String> =
            rule_files(&config).iter().map(|f| f.path.display().to_string()).collect();
        assert_eq!(
            paths,
            [
                "rules/flowmeter.rules.yml",
                "rules/flowmeter.alerts.yml",
                "rules/flowmeter.compat.yml"
            ]
        );
        assert_eq!(rule_files(&config), rule_files(&config));
        let with = GenerateConfig {
            objectives: vec![
                flowmeter::metrics::Objective::success_rate(
                    flowmeter::metrics::Target::Workflow("w".into()),
                    0.99,
                )
                .unwrap(),
            ],
            ..GenerateConfig::default()
        };
        assert!(rule_files(&with).iter().any(|f| f.path.ends_with("flowmeter.slo.yml")));
    }
}
