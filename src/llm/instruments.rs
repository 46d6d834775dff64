//! The LLM domain's instruments: dollars spent and saved, unpriced calls, budgets, and the
//! GenAI semantic-convention histograms.

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram};

use crate::metrics::DomainInstruments;
use crate::metrics::catalog::{self, keys};

/// Created when the first LLM call, budget or saved cost is recorded.
#[derive(Debug)]
pub(crate) struct LlmInstruments {
    /// `ns.llm.cost`
    pub(crate) cost: Counter<f64>,
    /// `ns.llm.cost.saved`
    pub(crate) cost_saved: Counter<f64>,
    /// `ns.llm.unpriced_calls`
    pub(crate) unpriced_calls: Counter<u64>,
    /// `ns.llm.budget.remaining`
    pub(crate) budget_remaining: Gauge<f64>,
    /// `ns.llm.budget.limit`
    pub(crate) budget_limit: Gauge<f64>,
    /// `ns.llm.budget.period_end.timestamp`
    pub(crate) budget_period_end: Gauge<f64>,
    /// `gen_ai.client.token.usage`
    pub(crate) token_usage: Histogram<u64>,
    /// `gen_ai.client.operation.duration`
    pub(crate) operation_duration: Histogram<f64>,
}

pub(crate) static LLM: DomainInstruments<LlmInstruments> =
    DomainInstruments::new(|f| LlmInstruments {
        cost: f.f64_counter(&catalog::LLM_COST),
        cost_saved: f.f64_counter(&catalog::LLM_COST_SAVED),
        unpriced_calls: f.u64_counter(&catalog::LLM_UNPRICED_CALLS),
        budget_remaining: f.f64_gauge(&catalog::LLM_BUDGET_REMAINING),
        budget_limit: f.f64_gauge(&catalog::LLM_BUDGET_LIMIT),
        budget_period_end: f.f64_gauge(&catalog::LLM_BUDGET_PERIOD_END),
        token_usage: f.u64_histogram(&catalog::GEN_AI_TOKEN_USAGE),
        operation_duration: f.f64_histogram(&catalog::GEN_AI_OPERATION_DURATION, None),
    });

/// Adds what a cached answer saved to `ns.llm.cost.saved{model, provider}` (the `Cached`
/// primitive's hits). Model and provider are dynamic labels: the ordinary attribute path.
pub(crate) fn record_saved_cost(model: &str, provider: &str, usd: f64) {
    if let Some(instruments) = LLM.get() {
        let attrs = [
            KeyValue::new(keys::MODEL, model.to_owned()),
            KeyValue::new(keys::PROVIDER, provider.to_owned()),
        ];
        instruments.cost_saved.add(usd.max(0.0), &attrs);
    }
}
