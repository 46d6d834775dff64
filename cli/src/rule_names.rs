//! The names of every recording rule under one namespace, derived from the catalog's
//! Prometheus names: what the recording rules define and the alerts, SLO rules, compatibility
//! rules and dashboards query.

use flowmeter::metrics::catalog::keys;
use flowmeter_naming::prometheus_label;

use crate::MetricNames;
use crate::model::Rule;
use crate::promql::{Matcher, guarded_quantile, guarded_ratio, rate, selector, sum_by};

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

    pub(crate) fn rules(&self) -> Vec<Rule> {
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
    /// The labels of errors by type: the primitive level's and `error_type`.
    pub(crate) error_type_labels: Vec<&'static str>,
    /// `primitive_error_type:{ns}_primitive_errors:rate5m`: errored executions per second by
    /// `error_type`.
    pub(crate) primitive_errors_by_type_rate: String,
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
            error_type_labels: vec![keys::PRIMITIVE_NAME, keys::PRIMITIVE_TYPE, ERROR_TYPE_LABEL],
            primitive_errors_by_type_rate: format!(
                "primitive_error_type:{}_errors:rate5m",
                base(&m.executions).strip_suffix("_executions").unwrap_or(&base(&m.executions))
            ),
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

/// `error_type` (the Prometheus name of [`keys::ERROR_TYPE`]): on errored executions only.
pub(crate) const ERROR_TYPE_LABEL: &str = "error_type";

/// Seconds per hour: dollars per second × this = dollars per hour.
pub(crate) const SECONDS_PER_HOUR: f64 = 3600.0;
