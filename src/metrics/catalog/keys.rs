//! Attribute keys, shared by the catalog and the code that records them.

/// The instrumented function's or primitive's name.
pub const PRIMITIVE_NAME: &str = "primitive_name";
/// The kind of primitive (`function`, `sequential`, `cached`, ...).
pub const PRIMITIVE_TYPE: &str = "primitive_type";
/// `success`, `error`, `panic` or `cancelled`.
pub const STATUS: &str = "status";
/// The workflow's user-given name.
pub const WORKFLOW_NAME: &str = "workflow_name";
/// The cache's name.
pub const CACHE_NAME: &str = "cache_name";
/// Why a cache entry left: `size`, `expired`, `explicit`, `replaced`.
pub const CAUSE: &str = "cause";
/// The model an LLM call priced against.
pub const MODEL: &str = "model";
/// The LLM provider.
pub const PROVIDER: &str = "provider";
/// The user-given name of an LLM spend budget.
pub const BUDGET_NAME: &str = "budget_name";
/// GenAI semantic convention: operation name (`chat`, `embeddings`, ...).
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
/// GenAI semantic convention: provider name.
pub const GEN_AI_PROVIDER_NAME: &str = "gen_ai.provider.name";
/// GenAI semantic convention: requested model.
pub const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
/// GenAI semantic convention: `input` or `output`.
pub const GEN_AI_TOKEN_TYPE: &str = "gen_ai.token.type";
/// Semantic convention: the class of error, only on failed operations.
pub const ERROR_TYPE: &str = "error.type";
/// The declared name of a metric a measurement was meant for.
pub const METRIC_NAME: &str = "metric_name";
/// The OpenTelemetry signal of an export: `traces` or `metrics`.
pub const SIGNAL: &str = "signal";
/// Why a measurement was refused: `not_finite`, `negative`, `out_of_range`,
/// `label_value`, `label_count`, `cardinality_limit`; why an OTLP export failed: `timeout`, `shutdown`,
/// `export_error`; why a scrape was refused: `missing`, `scheme`, `invalid`.
pub const REASON: &str = "reason";
