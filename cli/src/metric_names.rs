//! The Prometheus names of the catalog under one namespace: what every generated query uses,
//! so a renamed metric changes every rule and panel with it.

use flowmeter::metrics::catalog::{self, MetricDef};

/// Prometheus names of the catalog metrics under a namespace. Histogram names are the family
/// name (add `_bucket`, `_sum`, `_count`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricNames {
    /// The namespace (also the prefix of recording rule names: `{ns}:…`).
    pub namespace: String,
    /// `ns_primitive_executions_total`
    pub executions: String,
    /// `ns_execution_duration_seconds`
    pub duration: String,
    /// `ns_primitive_active`
    pub active: String,
    /// `ns_workflow_executions_total`
    pub workflow_executions: String,
    /// `ns_workflow_duration_seconds`
    pub workflow_duration: String,
    /// `ns_cache_hits_total`
    pub cache_hits: String,
    /// `ns_cache_misses_total`
    pub cache_misses: String,
    /// `ns_cache_evictions_total`
    pub cache_evictions: String,
    /// `ns_cache_entries`
    pub cache_entries: String,
    /// `ns_llm_cost_total`
    pub llm_cost: String,
    /// `ns_llm_cost_saved_total`
    pub llm_cost_saved: String,
    /// `ns_llm_unpriced_calls_total`
    pub llm_unpriced_calls: String,
    /// `ns_llm_budget_remaining`
    pub llm_budget_remaining: String,
    /// `ns_llm_budget_limit`
    pub llm_budget_limit: String,
    /// `ns_llm_budget_period_end_timestamp_seconds`
    pub llm_budget_period_end: String,
    /// `ns_retry_attempts`
    pub retry_attempts: String,
    /// `gen_ai_client_token_usage`
    pub gen_ai_token_usage: String,
    /// `gen_ai_client_operation_duration_seconds`
    pub gen_ai_operation_duration: String,
    /// `ns_measurements_rejected_total`
    pub measurements_rejected: String,
    /// `ns_otlp_export_failures_total`
    pub otlp_export_failures: String,
    /// `ns_scrape_auth_refused_total`
    pub scrape_auth_refused: String,
}

impl MetricNames {
    /// The names under `namespace`.
    pub fn new(namespace: &str) -> Self {
        let name = |def: &MetricDef| def.prometheus_name(namespace);
        MetricNames {
            namespace: namespace.to_owned(),
            executions: name(&catalog::PRIMITIVE_EXECUTIONS),
            duration: name(&catalog::EXECUTION_DURATION),
            active: name(&catalog::PRIMITIVE_ACTIVE),
            workflow_executions: name(&catalog::WORKFLOW_EXECUTIONS),
            workflow_duration: name(&catalog::WORKFLOW_DURATION),
            cache_hits: name(&catalog::CACHE_HITS),
            cache_misses: name(&catalog::CACHE_MISSES),
            cache_evictions: name(&catalog::CACHE_EVICTIONS),
            cache_entries: name(&catalog::CACHE_ENTRIES),
            llm_cost: name(&catalog::LLM_COST),
            llm_cost_saved: name(&catalog::LLM_COST_SAVED),
            llm_unpriced_calls: name(&catalog::LLM_UNPRICED_CALLS),
            llm_budget_remaining: name(&catalog::LLM_BUDGET_REMAINING),
            llm_budget_limit: name(&catalog::LLM_BUDGET_LIMIT),
            llm_budget_period_end: name(&catalog::LLM_BUDGET_PERIOD_END),
            retry_attempts: name(&catalog::RETRY_ATTEMPTS),
            gen_ai_token_usage: name(&catalog::GEN_AI_TOKEN_USAGE),
            gen_ai_operation_duration: name(&catalog::GEN_AI_OPERATION_DURATION),
            measurements_rejected: name(&catalog::MEASUREMENTS_REJECTED),
            otlp_export_failures: name(&catalog::OTLP_EXPORT_FAILURES),
            scrape_auth_refused: name(&catalog::SCRAPE_AUTH_REFUSED),
        }
    }

    /// A recording rule name by the Prometheus convention `level:metric:operations`, e.g.
    /// `rule("primitive", "flowmeter_primitive_executions", "rate5m")`.
    pub fn rule(&self, level: &str, metric: &str, operations: &str) -> String {
        format!("{level}:{metric}:{operations}")
    }
}
