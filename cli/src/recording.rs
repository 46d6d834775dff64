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

use super::{GenerateConfig, GeneratedFile, MetricNames, Rule, RuleFile, RuleGroup};
use super::{alerts, compat, promql, slo};
use flowmeter::metrics::catalog::keys;
use flowmeter_naming::prometheus_label;
use promql::{Matcher, guarded_quantile, guarded_ratio, num, rate, selector, sum_by};

/// The rule files for `config`: rules, alerts, SLOs (only with objectives) and compat names.
pub(crate) fn rule_files(config: &GenerateConfig) -> Vec<GeneratedFile> {
    let names = RuleNames::new(&config.namespace);
    let ns = &config.namespace;
    let mut files = vec![
        file(format!("rules/{ns}.rules.yml"), recording_rules(&names)),
        file(format!("rules/{ns}.alerts.yml"), alerts::alerts(&names)),
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

/// The quantiles recorded per primitive and per workflow, with their name suffixes.
pub(crate) const QUANTILES: [(f64, &str); 3] =
    [(0.5, "p50_5m"), (0.95, "p95_5m"), (0.99, "p99_5m")];

/// The rate window of the recording rules.
pub(crate) const WINDOW: &str = "5m";

/// The recording rules of one execution level: primitive or workflow.
#[derive(Debug, Clone)]
pub(crate) struct ExecutionRules {
    /// The labels the level keeps.
    pub(crate) labels: Vec<&'static str>,
    /// The raw executions counter (`…_total`).
    pub(crate) executions_metric: String,
    /// The raw duration histogram family.
    pub(crate) duration_family: String,
    /// Executions per second, every status.
    pub(crate) executions_rate: String,
    /// Errors (`error|panic`) per second.
    pub(crate) errors_rate: String,
    /// Completions (not cancelled) per second.
    pub(crate) completions_rate: String,
    /// Errors / completions.
    pub(crate) error_ratio: String,
    /// `(quantile, rule name)` for p50, p95, p99.
    pub(crate) latency: Vec<(f64, String)>,
}

impl ExecutionRules {
    fn new(level: &'static str, labels: Vec<&'static str>, counter: &str, family: &str) -> Self {
        let base = counter.strip_suffix("_total").unwrap_or(counter);
        let stem = base.strip_suffix("_executions").unwrap_or(base);
        let rule = |metric: &str, ops: &str| format!("{level}:{metric}:{ops}");
        ExecutionRules {
            labels,
            executions_metric: counter.to_owned(),
            duration_family: family.to_owned(),
            executions_rate: rule(base, "rate5m"),
            errors_rate: rule(&format!("{stem}_errors"), "rate5m"),
            completions_rate: rule(&format!("{stem}_completions"), "rate5m"),
            error_ratio: rule(&format!("{stem}_errors"), "ratio_rate5m"),
            latency: QUANTILES.iter().map(|(q, ops)| (*q, rule(family, ops))).collect(),
        }
    }

    /// The p95 rule's name.
    pub(crate) fn p95(&self) -> &str {
        &self.latency.iter().find(|(q, _)| *q == 0.95).expect("p95 is recorded").1
    }

    fn rules(&self) -> Vec<Rule> {
        let counter = |matchers: &[Matcher]| {
            sum_by(&self.labels, &rate(&selector(&self.executions_metric, matchers), WINDOW))
        };
        let mut rules = vec![
            Rule::record(&self.executions_rate, counter(&[])),
            Rule::record(&self.errors_rate, counter(&[Matcher::errors()])),
            Rule::record(&self.completions_rate, counter(&[Matcher::finished()])),
            Rule::record(
                &self.error_ratio,
                guarded_ratio(&self.errors_rate, &self.completions_rate),
            ),
        ];
        for (quantile, name) in &self.latency {
            let expr = guarded_quantile(*quantile, &self.duration_family, &self.labels, WINDOW);
            rules.push(Rule::record(name, expr));
        }
        rules
    }
}

/// Every recording rule name, derived from the catalog names under one namespace.
#[derive(Debug, Clone)]
pub(crate) struct RuleNames {
    /// The catalog's Prometheus names.
    pub(crate) metrics: MetricNames,
    /// Per primitive.
    pub(crate) primitive: ExecutionRules,
    /// `primitive:{ns}_primitive_active:sum`.
    pub(crate) primitive_active: String,
    /// Per workflow.
    pub(crate) workflow: ExecutionRules,
    /// The cache level's labels.
    pub(crate) cache_labels: Vec<&'static str>,
    /// `cache:{ns}_cache_hits:rate5m`.
    pub(crate) cache_hits_rate: String,
    /// `cache:{ns}_cache_misses:rate5m`.
    pub(crate) cache_misses_rate: String,
    /// `cache:{ns}_cache_lookups:rate5m`.
    pub(crate) cache_lookups_rate: String,
    /// `cache:{ns}_cache_hits:ratio_rate5m`.
    pub(crate) cache_hit_ratio: String,
    /// `cache:{ns}_cache_hits:ratio_rate1d`.
    pub(crate) cache_hit_ratio_1d: String,
    /// The LLM level's labels.
    pub(crate) llm_labels: Vec<&'static str>,
    /// `model_provider:{ns}_llm_cost:dollars_per_hour_rate5m`.
    pub(crate) llm_spend: String,
    /// The token level's labels (Prometheus label names).
    pub(crate) token_labels: Vec<String>,
    /// `model_provider_token_type:gen_ai_client_token_usage_sum:rate5m`.
    pub(crate) token_rate: String,
}

impl RuleNames {
    /// The names under `namespace`.
    pub(crate) fn new(namespace: &str) -> Self {
        let m = MetricNames::new(namespace);
        let base = |counter: &str| counter.strip_suffix("_total").unwrap_or(counter).to_owned();
        let hits = base(&m.cache_hits);
        let cache_stem = hits.strip_suffix("_hits").unwrap_or(&hits).to_owned();
        RuleNames {
            primitive: ExecutionRules::new(
                "primitive",
                vec![keys::PRIMITIVE_NAME, keys::PRIMITIVE_TYPE],
                &m.executions,
                &m.duration,
            ),
            primitive_active: format!("primitive:{}:sum", m.active),
            workflow: ExecutionRules::new(
                "workflow",
                vec![keys::WORKFLOW_NAME],
                &m.workflow_executions,
                &m.workflow_duration,
            ),
            cache_labels: vec![keys::CACHE_NAME],
            cache_hits_rate: format!("cache:{hits}:rate5m"),
            cache_misses_rate: format!("cache:{}:rate5m", base(&m.cache_misses)),
            cache_lookups_rate: format!("cache:{cache_stem}_lookups:rate5m"),
            cache_hit_ratio: format!("cache:{hits}:ratio_rate5m"),
            cache_hit_ratio_1d: format!("cache:{hits}:ratio_rate1d"),
            llm_labels: vec![keys::MODEL, keys::PROVIDER],
            llm_spend: format!("model_provider:{}:dollars_per_hour_rate5m", base(&m.llm_cost)),
            token_labels: [
                keys::GEN_AI_PROVIDER_NAME,
                keys::GEN_AI_REQUEST_MODEL,
                keys::GEN_AI_TOKEN_TYPE,
            ]
            .iter()
            .map(|k| prometheus_label(k))
            .collect(),
            token_rate: format!("model_provider_token_type:{}_sum:rate5m", m.gen_ai_token_usage),
            metrics: m,
        }
    }

    /// The namespace.
    pub(crate) fn namespace(&self) -> &str {
        &self.metrics.namespace
    }
}

/// Seconds per hour: dollars per second × this = dollars per hour.
pub(crate) const SECONDS_PER_HOUR: f64 = 3600.0;

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
