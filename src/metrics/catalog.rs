//! The metric catalog: every metric flowmeter itself records, declared once, as data.
//!
//! Instrument creation (each domain builds its instruments from these entries), the `/catalog`
//! endpoint, the generated rules and dashboards and the README's metric table all read
//! [`CATALOG`]. A test compares the exposition of a real run against it, so a metric cannot be
//! renamed in one place and left behind in another.

use serde::{Deserialize, Serialize};

use flowmeter_naming as names;

/// What kind of OpenTelemetry instrument a catalog entry is, and so which Prometheus type it
/// becomes through the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentKind {
    /// A monotonic counter; exported as a Prometheus `counter` with a `_total` suffix.
    Counter,
    /// A counter that goes up and down; exported as a Prometheus `gauge`.
    UpDownCounter,
    /// A last-value gauge; exported as a Prometheus `gauge`.
    Gauge,
    /// An explicit-bucket histogram; exported as a Prometheus `histogram`.
    Histogram,
}

impl InstrumentKind {
    /// The Prometheus metric type this kind is exported as.
    pub const fn prometheus_type(self) -> &'static str {
        match self {
            InstrumentKind::Counter => "counter",
            InstrumentKind::UpDownCounter | InstrumentKind::Gauge => "gauge",
            InstrumentKind::Histogram => "histogram",
        }
    }
}

/// Whether an instrument name is prefixed with the configured namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `{namespace}.{name}`, e.g. `flowmeter.primitive.executions`.
    Namespaced,
    /// The name as given: OpenTelemetry semantic-convention names such as
    /// `gen_ai.client.token.usage` must not be prefixed.
    SemanticConvention,
}

/// One metric of the catalog.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct MetricDef {
    /// The name after the namespace (for [`Naming::Namespaced`]) or the whole name.
    pub name: &'static str,
    /// Whether the namespace is prepended.
    pub naming: Naming,
    /// The instrument kind.
    pub kind: InstrumentKind,
    /// The UCUM unit (`s`, `{USD}`, `{token}`), empty for dimensionless counts.
    pub unit: &'static str,
    /// The description, exported as the Prometheus `# HELP` text.
    pub description: &'static str,
    /// Attribute keys, as recorded (dotted keys become underscored labels).
    pub labels: &'static [&'static str],
    /// Histogram bucket boundaries; `None` for other kinds.
    pub buckets: Option<&'static [f64]>,
}

impl MetricDef {
    /// The OpenTelemetry instrument name under `namespace`.
    pub fn otel_name(&self, namespace: &str) -> String {
        match self.naming {
            Naming::Namespaced => format!("{namespace}.{}", self.name),
            Naming::SemanticConvention => self.name.to_owned(),
        }
    }

    /// The Prometheus metric family name the bridge exports for this metric under `namespace`.
    pub fn prometheus_name(&self, namespace: &str) -> String {
        names::prometheus_name(
            &self.otel_name(namespace),
            self.unit,
            self.kind == InstrumentKind::Counter,
        )
    }

    /// The Prometheus label names of this metric, in catalog order.
    pub fn prometheus_labels(&self) -> Vec<String> {
        self.labels.iter().map(|l| names::prometheus_label(l)).collect()
    }
}

/// Default duration boundaries in seconds, 1 ms to 60 s. The SDK's defaults (0..10 000)
/// suit milliseconds and would put every call in the first bucket. One constant, shared with
/// the attribute (which checks objectives' thresholds against it at compile time).
pub const DURATION_BUCKETS: &[f64] = flowmeter_naming::DURATION_BUCKETS;

/// `gen_ai.client.token.usage` boundaries from the OpenTelemetry GenAI semantic conventions
/// v1.41: powers of 4 from 1 to 4^13.
pub const GEN_AI_TOKEN_BUCKETS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];

/// `gen_ai.client.operation.duration` boundaries from the GenAI semantic conventions v1.41:
/// doubling from 0.01 s.
pub const GEN_AI_DURATION_BUCKETS: &[f64] =
    &[0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

pub mod keys;

use InstrumentKind::*;
use Naming::*;
use keys::*;

/// `error.type` (`error_type`) is only on errored executions whose error has a type name.
const PRIMITIVE_LABELS: &[&str] = &[PRIMITIVE_NAME, PRIMITIVE_TYPE, STATUS, ERROR_TYPE];
const WORKFLOW_LABELS: &[&str] = &[WORKFLOW_NAME, STATUS];
const LLM_LABELS: &[&str] = &[MODEL, PROVIDER];

/// `ns.primitive.executions`: executions of every instrumented call site, by status, and
/// errored ones by `error_type` too.
pub const PRIMITIVE_EXECUTIONS: MetricDef = MetricDef {
    name: "primitive.executions",
    naming: Namespaced,
    kind: Counter,
    unit: "",
    description: "Executions of instrumented functions and workflow primitives, by status (errors also by error type).",
    labels: PRIMITIVE_LABELS,
    buckets: None,
};

/// `ns.execution.duration`: wall-clock duration of every execution, in seconds.
pub const EXECUTION_DURATION: MetricDef = MetricDef {
    name: "execution.duration",
    naming: Namespaced,
    kind: Histogram,
    unit: "s",
    description: "Duration of instrumented functions and workflow primitives, in seconds.",
    labels: PRIMITIVE_LABELS,
    buckets: Some(DURATION_BUCKETS),
};

/// `ns.primitive.active`: executions in progress.
pub const PRIMITIVE_ACTIVE: MetricDef = MetricDef {
    name: "primitive.active",
    naming: Namespaced,
    kind: UpDownCounter,
    unit: "",
    description: "Executions of instrumented functions and workflow primitives in progress.",
    labels: &[PRIMITIVE_NAME, PRIMITIVE_TYPE],
    buckets: None,
};

/// `ns.workflow.executions`: workflow runs by status.
pub const WORKFLOW_EXECUTIONS: MetricDef = MetricDef {
    name: "workflow.executions",
    naming: Namespaced,
    kind: Counter,
    unit: "",
    description: "Workflow runs, by workflow name and status.",
    labels: WORKFLOW_LABELS,
    buckets: None,
};

/// `ns.workflow.duration`: workflow run duration in seconds.
pub const WORKFLOW_DURATION: MetricDef = MetricDef {
    name: "workflow.duration",
    naming: Namespaced,
    kind: Histogram,
    unit: "s",
    description: "Duration of workflow runs, in seconds.",
    labels: WORKFLOW_LABELS,
    buckets: Some(DURATION_BUCKETS),
};

/// `ns.cache.hits`.
pub const CACHE_HITS: MetricDef = MetricDef {
    name: "cache.hits",
    naming: Namespaced,
    kind: Counter,
    unit: "",
    description: "Cache lookups answered from the cache.",
    labels: &[CACHE_NAME],
    buckets: None,
};

/// `ns.cache.misses`.
pub const CACHE_MISSES: MetricDef = MetricDef {
    name: "cache.misses",
    naming: Namespaced,
    kind: Counter,
    unit: "",
    description: "Cache lookups that ran the inner primitive.",
    labels: &[CACHE_NAME],
    buckets: None,
};

/// `ns.cache.evictions`.
pub const CACHE_EVICTIONS: MetricDef = MetricDef {
    name: "cache.evictions",
    naming: Namespaced,
    kind: Counter,
    unit: "",
    description: "Cache entries removed, by cause.",
    labels: &[CACHE_NAME, CAUSE],
    buckets: None,
};

/// `ns.cache.entries`.
pub const CACHE_ENTRIES: MetricDef = MetricDef {
    name: "cache.entries",
    naming: Namespaced,
    kind: Gauge,
    unit: "",
    description: "Entries currently held by the cache.",
    labels: &[CACHE_NAME],
    buckets: None,
};

/// `ns.llm.cost`: dollars spent on LLM calls.
pub const LLM_COST: MetricDef = MetricDef {
    name: "llm.cost",
    naming: Namespaced,
    kind: Counter,
    unit: "{USD}",
    description: "Dollars spent on LLM calls, by model and provider.",
    labels: LLM_LABELS,
    buckets: None,
};

/// `ns.llm.cost.saved`: dollars not spent because a cache answered.
pub const LLM_COST_SAVED: MetricDef = MetricDef {
    name: "llm.cost.saved",
    naming: Namespaced,
    kind: Counter,
    unit: "{USD}",
    description: "Dollars saved by cache hits on LLM calls, by model and provider.",
    labels: LLM_LABELS,
    buckets: None,
};

/// `ns.llm.unpriced_calls`: LLM calls whose model has no price (recorded at zero cost).
pub const LLM_UNPRICED_CALLS: MetricDef = MetricDef {
    name: "llm.unpriced_calls",
    naming: Namespaced,
    kind: Counter,
    unit: "",
    description: "LLM calls whose model has no price in the price table, recorded at zero cost.",
    labels: LLM_LABELS,
    buckets: None,
};

/// `ns.llm.budget.remaining`: dollars left in a budget's current period.
pub const LLM_BUDGET_REMAINING: MetricDef = MetricDef {
    name: "llm.budget.remaining",
    naming: Namespaced,
    kind: Gauge,
    unit: "{USD}",
    description: "Dollars left in an LLM spend budget's current period.",
    labels: &[BUDGET_NAME],
    buckets: None,
};

/// `ns.llm.budget.limit`: a budget's limit per period, so alerts can compare what is left with
/// it without knowing any budget in advance.
pub const LLM_BUDGET_LIMIT: MetricDef = MetricDef {
    name: "llm.budget.limit",
    naming: Namespaced,
    kind: Gauge,
    unit: "{USD}",
    description: "Dollars an LLM spend budget allows per period.",
    labels: &[BUDGET_NAME],
    buckets: None,
};

/// `ns.llm.budget.period_end.timestamp`: when a budget's current period ends (and its spend
/// resets), in seconds since the Unix epoch by the budget's clock. A timestamp rather than
/// the seconds left, so the value only changes when a period starts (alerts compute the time
/// left with `time()`), and a value in the past says `remaining` belongs to a period that
/// has ended.
pub const LLM_BUDGET_PERIOD_END: MetricDef = MetricDef {
    name: "llm.budget.period_end.timestamp",
    naming: Namespaced,
    kind: Gauge,
    unit: "s",
    description: "End of an LLM spend budget's current period, in seconds since the Unix epoch.",
    labels: &[BUDGET_NAME],
    buckets: None,
};

/// Attempt-count boundaries for retries: exact up to 6, then coarser.
pub const RETRY_ATTEMPT_BUCKETS: &[f64] = &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 16.0];

/// `ns.retry.attempts`: attempts a retried primitive took, per execution.
pub const RETRY_ATTEMPTS: MetricDef = MetricDef {
    name: "retry.attempts",
    naming: Namespaced,
    kind: Histogram,
    unit: "{attempt}",
    description: "Attempts made per execution of a retried primitive.",
    labels: &[PRIMITIVE_NAME, STATUS],
    buckets: Some(RETRY_ATTEMPT_BUCKETS),
};

/// `gen_ai.client.token.usage` (GenAI semantic conventions v1.41).
pub const GEN_AI_TOKEN_USAGE: MetricDef = MetricDef {
    name: "gen_ai.client.token.usage",
    naming: SemanticConvention,
    kind: Histogram,
    unit: "{token}",
    description: "Number of input and output tokens used.",
    labels: &[GEN_AI_OPERATION_NAME, GEN_AI_PROVIDER_NAME, GEN_AI_REQUEST_MODEL, GEN_AI_TOKEN_TYPE],
    buckets: Some(GEN_AI_TOKEN_BUCKETS),
};

/// `gen_ai.client.operation.duration` (GenAI semantic conventions v1.41).
pub const GEN_AI_OPERATION_DURATION: MetricDef = MetricDef {
    name: "gen_ai.client.operation.duration",
    naming: SemanticConvention,
    kind: Histogram,
    unit: "s",
    description: "GenAI operation duration.",
    labels: &[GEN_AI_OPERATION_NAME, GEN_AI_PROVIDER_NAME, GEN_AI_REQUEST_MODEL, ERROR_TYPE],
    buckets: Some(GEN_AI_DURATION_BUCKETS),
};

/// `ns.measurements.rejected`: measurements refused by validation, so that values dropped
/// because the caller ignored the returned error still show up (DESIGN: "a failure inside
/// flowmeter is logged once through `tracing` and counted").
pub const MEASUREMENTS_REJECTED: MetricDef = MetricDef {
    name: "measurements.rejected",
    naming: Namespaced,
    kind: Counter,
    unit: "",
    description: "Measurements refused by validation and not recorded, by metric and reason.",
    labels: &[METRIC_NAME, REASON],
    buckets: None,
};

/// `ns.otlp.export.failures`: OTLP exports that failed (their data is dropped), by signal and
/// reason: a collector that is down shows here, on the pull path that still works, and in
/// the alert on it, rather than only in a log line written once per outage.
pub const OTLP_EXPORT_FAILURES: MetricDef = MetricDef {
    name: "otlp.export.failures",
    naming: Namespaced,
    kind: Counter,
    unit: "",
    description: "OTLP exports that failed and whose data was dropped, by signal and reason.",
    labels: &[SIGNAL, REASON],
    buckets: None,
};

/// `ns.scrape.auth.refused`: requests to the metrics endpoint refused for missing or wrong
/// credentials: a scraper left with an old token shows here before its target goes stale.
pub const SCRAPE_AUTH_REFUSED: MetricDef = MetricDef {
    name: "scrape.auth.refused",
    naming: Namespaced,
    kind: Counter,
    unit: "",
    description: "Requests to the metrics endpoint refused for missing or wrong credentials, by reason.",
    labels: &[REASON],
    buckets: None,
};

/// Every metric flowmeter records, in the order of DESIGN.md's table (then flowmeter's own).
pub const CATALOG: &[MetricDef] = &[
    PRIMITIVE_EXECUTIONS,
    EXECUTION_DURATION,
    PRIMITIVE_ACTIVE,
    WORKFLOW_EXECUTIONS,
    WORKFLOW_DURATION,
    CACHE_HITS,
    CACHE_MISSES,
    CACHE_EVICTIONS,
    CACHE_ENTRIES,
    LLM_COST,
    LLM_COST_SAVED,
    LLM_UNPRICED_CALLS,
    LLM_BUDGET_REMAINING,
    LLM_BUDGET_LIMIT,
    LLM_BUDGET_PERIOD_END,
    RETRY_ATTEMPTS,
    GEN_AI_TOKEN_USAGE,
    GEN_AI_OPERATION_DURATION,
    MEASUREMENTS_REJECTED,
    OTLP_EXPORT_FAILURES,
    SCRAPE_AUTH_REFUSED,
];

/// One declared metric as `/catalog` lists it (flowmeter's own, from [`CATALOG`], and the
/// application's, from [`flowmeter::app`](crate::app)) and the rules generator reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MetricInfo {
    /// OpenTelemetry instrument name.
    pub name: String,
    /// Prometheus metric family name as exported by the bridge.
    pub prometheus_name: String,
    /// Instrument kind.
    pub kind: InstrumentKind,
    /// Prometheus type (`counter`, `gauge`, `histogram`).
    #[serde(rename = "type")]
    pub prometheus_type: String,
    /// UCUM unit.
    pub unit: String,
    /// Description (Prometheus HELP).
    pub description: String,
    /// Prometheus label names.
    pub labels: Vec<String>,
    /// Histogram boundaries, if a histogram.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buckets: Option<Vec<f64>>,
}

/// Lists the catalog under `namespace`: names, Prometheus names, types, units,
/// descriptions and labels.
pub fn list(namespace: &str) -> Vec<MetricInfo> {
    CATALOG
        .iter()
        .map(|def| MetricInfo {
            name: def.otel_name(namespace),
            prometheus_name: def.prometheus_name(namespace),
            kind: def.kind,
            prometheus_type: def.kind.prometheus_type().to_owned(),
            unit: def.unit.to_owned(),
            description: def.description.to_owned(),
            labels: def.prometheus_labels(),
            buckets: def.buckets.map(<[f64]>::to_vec),
        })
        .collect()
}

#[cfg(test)]
mod tests;
