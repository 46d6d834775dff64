//! Recording an LLM call: dollars, GenAI token and duration histograms, unpriced calls, span
//! usage attributes. The LLM and cached primitives call these; nothing here fails or panics.
//!
//! | what | instrument | attributes |
//! |---|---|---|
//! | dollars spent | `ns.llm.cost` (+= total, also 0 so the series exists) | `model`, `provider` |
//! | calls without a price | `ns.llm.unpriced_calls` (+1) | `model`, `provider` |
//! | dollars a cache hit saved | `ns.llm.cost.saved` | `model`, `provider` |
//! | input and output tokens | `gen_ai.client.token.usage` (two records) | `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.token.type` |
//! | call duration | `gen_ai.client.operation.duration` | the three `gen_ai.*` above, `error.type` only on failure |
//! | a duration NaN, infinite or negative (skipped) | `ns.measurements.rejected` (+1) | `metric_name`, `reason` |
//!
//! The `model` label of the `ns.llm.*` series is the *priced* model ([`ResolvedPrice::model`],
//! bounded by the price table), or the requested model when unpriced; `gen_ai.request.model` is
//! the requested model, as the semantic conventions say. Token counts follow the GenAI
//! conventions v1.41: `input` is all input tokens including cached ones, `output` all output
//! tokens including reasoning.
//!
//! Metrics are recorded only while telemetry is installed and enabled; the cost is computed
//! and returned regardless, and an unpriced model is logged (once per provider and model)
//! regardless.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};

use opentelemetry::KeyValue;
use tracing::Span;

use super::cost::{Cost, cost};
use super::instruments::{LLM, LlmInstruments};
use super::price::ResolvedPrice;
use super::usage::Usage;
use crate::metrics::catalog::{self, keys};
use crate::metrics::rejected::{self, Rejection};

/// `gen_ai.usage.input_tokens`: all input tokens, including cached ones.
pub const SPAN_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// `gen_ai.usage.output_tokens`: all output tokens, including reasoning.
pub const SPAN_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// `gen_ai.usage.cache_read.input_tokens`: input tokens served from the provider's cache.
pub const SPAN_CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
/// `gen_ai.usage.cache_creation.input_tokens`: input tokens written to the provider's cache.
pub const SPAN_CACHE_CREATION_INPUT_TOKENS: &str = "gen_ai.usage.cache_creation.input_tokens";
/// `gen_ai.usage.reasoning.output_tokens`: output tokens spent on reasoning.
pub const SPAN_REASONING_OUTPUT_TOKENS: &str = "gen_ai.usage.reasoning.output_tokens";

/// The usage fields an LLM span must declare (as `tracing::field::Empty`) for
/// [`record_span_usage`] to fill them: `tracing` only records fields a span was created with.
/// Names from the OpenTelemetry GenAI semantic conventions (development status; the cache and
/// reasoning attributes are the registry's `gen_ai.usage.cache_read.input_tokens`,
/// `gen_ai.usage.cache_creation.input_tokens` and `gen_ai.usage.reasoning.output_tokens`, each
/// included in the input or output total).
///
/// ```
/// use tracing::field::Empty;
/// let span = tracing::info_span!(
///     "chat gpt-4o",
///     gen_ai.usage.input_tokens = Empty,
///     gen_ai.usage.output_tokens = Empty,
///     gen_ai.usage.cache_read.input_tokens = Empty,
///     gen_ai.usage.cache_creation.input_tokens = Empty,
///     gen_ai.usage.reasoning.output_tokens = Empty,
/// );
/// # let _ = span;
/// ```
pub const USAGE_SPAN_FIELDS: [&str; 5] = [
    SPAN_INPUT_TOKENS,
    SPAN_OUTPUT_TOKENS,
    SPAN_CACHE_READ_INPUT_TOKENS,
    SPAN_CACHE_CREATION_INPUT_TOKENS,
    SPAN_REASONING_OUTPUT_TOKENS,
];

/// Token type values of `gen_ai.token.type`.
const INPUT: &str = "input";
const OUTPUT: &str = "output";

/// Records a finished LLM call and returns its cost (zero when `price` is `None`).
///
/// `usage` carries the provider, requested model and operation; `price` is what
/// [`PriceTable::resolve`](super::PriceTable::resolve) found for them; `duration_secs` is the
/// call's wall-clock duration (skipped unless finite and ≥ 0); `error_type` is set when the
/// call failed but still reported usage (it labels the duration only). Unpriced calls record a
/// zero cost, count in `ns.llm.unpriced_calls` and log a warning once per provider and model.
pub fn record_call(
    usage: &Usage,
    price: Option<&ResolvedPrice>,
    duration_secs: f64,
    error_type: Option<&str>,
) -> Cost {
    let spent = price.map_or(Cost::ZERO, |p| cost(usage, &p.price));
    if price.is_none() {
        warn_unpriced_once(usage.provider(), usage.model());
    }
    let Some(instruments) = LLM.get() else {
        return spent;
    };
    let llm = llm_attrs(usage, price);
    instruments.cost.add(spent.total_usd(), &llm);
    if price.is_none() {
        instruments.unpriced_calls.add(1, &llm);
    }
    let mut attrs = gen_ai_attrs(usage.operation(), usage.provider(), usage.model());
    for (kind, tokens) in [(INPUT, usage.input_tokens()), (OUTPUT, usage.output_tokens())] {
        attrs.push(KeyValue::new(keys::GEN_AI_TOKEN_TYPE, kind));
        instruments.token_usage.record(tokens, &attrs);
        attrs.pop();
    }
    record_duration(instruments, &mut attrs, duration_secs, error_type);
    spent
}

/// Records a failed LLM call that reported no usage: only `gen_ai.client.operation.duration`,
/// with `error.type` = `error_type` (a bounded name, e.g. the error type's or variant's name).
pub fn record_failed_call(
    operation: &str,
    provider: &str,
    model: &str,
    duration_secs: f64,
    error_type: &str,
) {
    if let Some(instruments) = LLM.get() {
        let mut attrs = gen_ai_attrs(operation, provider, model);
        record_duration(instruments, &mut attrs, duration_secs, Some(error_type));
    }
}

/// Records a cache hit that answered an LLM call without making it: adds what the call would
/// have cost (`usage` of the cached answer at `price`) to `ns.llm.cost.saved`, and zero to
/// `ns.llm.cost` (a hit spends nothing). Returns the amount saved (zero when unpriced).
pub fn record_cache_hit(usage: &Usage, price: Option<&ResolvedPrice>) -> Cost {
    let saved = price.map_or(Cost::ZERO, |p| cost(usage, &p.price));
    if let Some(instruments) = LLM.get() {
        let llm = llm_attrs(usage, price);
        instruments.cost_saved.add(saved.total_usd(), &llm);
        instruments.cost.add(0.0, &llm);
    }
    saved
}

/// Records `usage` on `span` as the `gen_ai.usage.*` attributes of [`USAGE_SPAN_FIELDS`]
/// (fields the span did not declare are silently not recorded, as `tracing` does). The cache
/// and reasoning attributes are recorded even when 0.
pub fn record_span_usage(span: &Span, usage: &Usage) {
    span.record(SPAN_INPUT_TOKENS, usage.input_tokens());
    span.record(SPAN_OUTPUT_TOKENS, usage.output_tokens());
    span.record(SPAN_CACHE_READ_INPUT_TOKENS, usage.cache_read_input_tokens());
    span.record(SPAN_CACHE_CREATION_INPUT_TOKENS, usage.cache_write_input_tokens());
    span.record(SPAN_REASONING_OUTPUT_TOKENS, usage.reasoning_tokens());
}

fn llm_attrs(usage: &Usage, price: Option<&ResolvedPrice>) -> [KeyValue; 2] {
    let model = price.map_or(usage.model(), |p| p.model.as_str());
    [
        KeyValue::new(keys::MODEL, model.to_owned()),
        KeyValue::new(keys::PROVIDER, usage.provider().to_owned()),
    ]
}

fn gen_ai_attrs(operation: &str, provider: &str, model: &str) -> Vec<KeyValue> {
    let mut attrs = Vec::with_capacity(4);
    attrs.push(KeyValue::new(keys::GEN_AI_OPERATION_NAME, operation.to_owned()));
    attrs.push(KeyValue::new(keys::GEN_AI_PROVIDER_NAME, provider.to_owned()));
    attrs.push(KeyValue::new(keys::GEN_AI_REQUEST_MODEL, model.to_owned()));
    attrs
}

fn record_duration(
    instruments: &LlmInstruments,
    attrs: &mut Vec<KeyValue>,
    duration_secs: f64,
    error_type: Option<&str>,
) {
    if !(duration_secs.is_finite() && duration_secs >= 0.0) {
        let reason =
            if duration_secs.is_finite() { Rejection::Negative } else { Rejection::NotFinite };
        let detail = format!("LLM call duration {duration_secs} s skipped");
        rejected::count(catalog::GEN_AI_OPERATION_DURATION.name, reason, &detail);
        return;
    }
    if let Some(error_type) = error_type {
        attrs.push(KeyValue::new(keys::ERROR_TYPE, error_type.to_owned()));
    }
    instruments.operation_duration.record(duration_secs, attrs);
}

static WARNED_UNPRICED: LazyLock<Mutex<HashSet<(String, String)>>> =
    LazyLock::new(Default::default);

/// Logs a warning the first time `(provider, model)` is seen without a price; returns whether
/// it logged.
pub(crate) fn warn_unpriced_once(provider: &str, model: &str) -> bool {
    let mut warned = WARNED_UNPRICED.lock().unwrap_or_else(PoisonError::into_inner);
    if warned.contains(&(provider.to_owned(), model.to_owned())) {
        return false;
    }
    warned.insert((provider.to_owned(), model.to_owned()));
    drop(warned);
    tracing::warn!(
        provider,
        model,
        "flowmeter: no price for this LLM model; its calls are recorded at zero cost and counted \
         in llm.unpriced_calls (add it to a price file)"
    );
    true
}
