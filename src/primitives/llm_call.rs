//! [`LlmCall`]: a user's LLM client call as a primitive that accounts for tokens and dollars.

use std::borrow::Cow;
use std::future::Future;
use std::sync::{Arc, LazyLock};

use tracing::field::Empty;

use super::observe::Observed;
use super::{BoxError, Context, Error, Primitive, SavedCost};
use crate::llm::{self, Budget, Cost, PriceTable, ResolvedPrice, Usage};
use crate::metrics::clock;
use crate::metrics::outcome::short_type_name;

/// What the user's client call returns: its output and the provider's usage numbers.
#[derive(Debug, Clone)]
pub struct LlmResponse<T> {
    /// The call's output (text, a parsed structure, ...).
    pub output: T,
    /// The tokens it used.
    pub usage: Usage,
}

/// What an [`LlmCall`] produces: the output, its usage and what it cost.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LlmOutput<T> {
    /// The call's output.
    pub output: T,
    /// The tokens it used.
    pub usage: Usage,
    /// What it cost (zero for an unpriced model).
    pub cost: Cost,
    /// The price-table model it was priced as (`None` when unpriced).
    pub priced_model: Option<String>,
}

impl<T> LlmOutput<T> {
    /// For [`Cached::saved_cost`](super::Cached::saved_cost): a cache hit on an LLM step
    /// saved this call's cost, recorded under its priced model and provider.
    pub fn saved_cost(&self) -> Option<SavedCost<'_>> {
        let model = self.priced_model.as_deref().unwrap_or(self.usage.model());
        Some(SavedCost::new(model, self.usage.provider(), self.cost.total_usd()))
    }
}

static BUILTIN_PRICES: LazyLock<Arc<PriceTable>> =
    LazyLock::new(|| Arc::new(PriceTable::builtin()));

/// An LLM call: runs the user's client function `f(input, ctx)` returning
/// [`LlmResponse`], then records `ns_llm_cost_total{model,provider}`, the GenAI token and
/// duration histograms and the span's `gen_ai.usage.*` attributes, and charges budgets.
///
/// Measured as `primitive_type="llm"`; its span is named `{operation} {model}` (GenAI
/// semantic conventions) and carries `primitive.name` too. An unpriced model records its
/// tokens, zero dollars and `ns_llm_unpriced_calls_total`, and never fails the call. An
/// enforced [`Budget`] already spent refuses the call with [`Error::Refused`] before it is
/// made. Options, with defaults: [`prices`](Self::prices) (the built-in table),
/// [`budget`](Self::budget) (none), [`operation`](Self::operation) (`chat`).
pub struct LlmCall<F> {
    f: F,
    provider: Cow<'static, str>,
    model: Cow<'static, str>,
    operation: Cow<'static, str>,
    span_name: String,
    prices: Arc<PriceTable>,
    budgets: Vec<Arc<Budget>>,
    observed: Observed,
}

impl<F> std::fmt::Debug for LlmCall<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmCall")
            .field("name", &self.observed.name())
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("operation", &self.operation)
            .field("budgets", &self.budgets.len())
            .finish_non_exhaustive()
    }
}

/// An LLM step named `name` calling `model` at `provider` through `f`.
pub fn llm_call<F>(
    name: impl Into<Cow<'static, str>>,
    provider: impl Into<Cow<'static, str>>,
    model: impl Into<Cow<'static, str>>,
    f: F,
) -> LlmCall<F> {
    let model = model.into();
    LlmCall {
        f,
        provider: provider.into(),
        span_name: format!("chat {model}"),
        model,
        operation: Cow::Borrowed("chat"),
        prices: BUILTIN_PRICES.clone(),
        budgets: Vec::new(),
        observed: Observed::new(name, "llm"),
    }
}

impl<F> LlmCall<F> {
    /// The price table (default: [`PriceTable::builtin`]); load overrides with
    /// [`PriceTable::with_file`].
    pub fn prices(mut self, prices: Arc<PriceTable>) -> Self {
        self.prices = prices;
        self
    }

    /// Adds a spend budget (checked before, charged after each call). Default: none.
    pub fn budget(mut self, budget: Arc<Budget>) -> Self {
        self.budgets.push(budget);
        self
    }

    /// The GenAI operation name (default `chat`; e.g. `embeddings`, `text_completion`).
    pub fn operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        self.operation = operation.into();
        self.span_name = format!("{} {}", self.operation, self.model);
        self
    }

    /// The step's name.
    pub fn name(&self) -> &str {
        self.observed.name()
    }

    fn refuse_over_budget(&self, price: Option<&ResolvedPrice>) -> Result<(), Error> {
        let model = price.map_or(&*self.model, |p| p.model.as_str());
        for budget in &self.budgets {
            budget.check(&self.provider, model).map_err(|exceeded| Error::Refused {
                step: self.observed.name().to_owned(),
                reason: exceeded.to_string(),
            })?;
        }
        Ok(())
    }
}

impl<I, T, E, F, Fut> Primitive<I> for LlmCall<F>
where
    I: Send,
    T: Send,
    E: Into<BoxError>,
    F: Fn(I, Context) -> Fut + Send + Sync,
    Fut: Future<Output = Result<LlmResponse<T>, E>> + Send,
{
    type Output = LlmOutput<T>;

    async fn run(&self, input: I, ctx: &Context) -> Result<LlmOutput<T>, Error> {
        let span = || {
            tracing::info_span!(
                "flowmeter.llm",
                otel.name = %self.span_name,
                otel.kind = "client",
                primitive.name = %self.observed.name(),
                primitive.type = "llm",
                gen_ai.operation.name = %self.operation,
                gen_ai.provider.name = %self.provider,
                gen_ai.request.model = %self.model,
                gen_ai.usage.input_tokens = Empty,
                gen_ai.usage.output_tokens = Empty,
                gen_ai.usage.cache_read.input_tokens = Empty,
                gen_ai.usage.cache_creation.input_tokens = Empty,
                gen_ai.usage.reasoning.output_tokens = Empty,
                status = Empty,
                error.type = Empty,
                error = Empty,
                otel.status_code = Empty,
            )
        };
        // The usage goes on the call's own span, when it built one (a call whose trace is not
        // sampled builds none).
        let record_usage = |output: &LlmOutput<T>, span: &tracing::Span| {
            llm::record_span_usage(span, &output.usage);
        };
        self.observed.run_in(span, self.call(input, ctx), record_usage).await
    }
}

impl<F> LlmCall<F> {
    async fn call<I, T, E, Fut>(&self, input: I, ctx: &Context) -> Result<LlmOutput<T>, Error>
    where
        E: Into<BoxError>,
        F: Fn(I, Context) -> Fut,
        Fut: Future<Output = Result<LlmResponse<T>, E>>,
    {
        let requested = self.prices.resolve_today(&self.provider, &self.model);
        self.refuse_over_budget(requested.as_ref())?;
        let start = clock::now();
        let result = (self.f)(input, ctx.clone()).await;
        let seconds = start.elapsed().as_secs_f64();
        let LlmResponse { output, usage } = match result {
            Ok(response) => response,
            Err(error) => {
                let (op, provider, model) = (&*self.operation, &*self.provider, &*self.model);
                llm::record_failed_call(op, provider, model, seconds, short_type_name::<E>());
                return Err(Error::step(self.observed.name(), error));
            }
        };
        let usage = usage.with_operation(self.operation.clone());
        // The response may name a dated snapshot of the requested model: price what ran.
        let price = if usage.model() == self.model && usage.provider() == self.provider {
            requested
        } else {
            self.prices.resolve_today(usage.provider(), usage.model())
        };
        let cost = llm::record_call(&usage, price.as_ref(), seconds, None);
        let priced_model = price.map(|p| p.model);
        let charged_model = priced_model.as_deref().unwrap_or(usage.model());
        for budget in &self.budgets {
            budget.charge(usage.provider(), charged_model, &cost);
        }
        Ok(LlmOutput { output, usage, cost, priced_model })
    }
}

crate::primitives::ops::leaf_primitives!(LlmCall<F>);
crate::primitives::ops::operators!(LlmCall<F>);
