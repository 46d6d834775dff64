//! `llm-cost`: what LLM calls cost and saved, budgets, tokens and GenAI operation latency.

use super::model::{Builder, Variable};
use super::panel::{Panel, Unit};
use super::query::{RANGE, RATE, Selector, aggregate, increase, label, quantile, rate, sum_by};
use crate::MetricNames;

/// The model variable: matched against `model` on flowmeter's cost metrics and against
/// `gen_ai_request_model` on the GenAI semantic-convention metrics (same values).
const MODEL: &str = "model";

/// The dashboard.
pub(super) fn dashboard(names: &MetricNames) -> Builder {
    let mut d = super::builder(
        names,
        "llm-cost",
        "LLM cost and tokens",
        "Dollars spent and saved on LLM calls, budgets, token rates and GenAI operation latency \
         of the selected models.",
    );
    d.variable(Variable::label_values(
        MODEL,
        "Model",
        "The models shown (model, and gen_ai_request_model on the GenAI metrics).",
        &names.llm_cost,
        label::MODEL,
    ));
    let priced = |metric: &str| Selector::new(metric).var(label::MODEL, MODEL);
    let (cost, saved) = (priced(&names.llm_cost), priced(&names.llm_cost_saved));
    let unpriced = priced(&names.llm_unpriced_calls);
    let by = [label::MODEL, label::PROVIDER];
    let per_hour = |selector: &Selector| format!("{} * 3600", sum_by(&by, &rate(selector, RATE)));

    d.row("Spend", "Dollars per model and provider, priced from the price table.");
    d.panel(
        Panel::stat(
            "Spend over the range",
            "Dollars spent on LLM calls of the selected models in the dashboard's time range.",
            Unit::Dollars,
        )
        .query(sum_by(&[], &increase(&cost, RANGE)), "spent")
        .decimals(2),
        6,
        4,
    );
    d.panel(
        Panel::stat(
            "Saved by caching over the range",
            "Dollars not spent in the time range because a cache answered an LLM call.",
            Unit::Dollars,
        )
        .query(sum_by(&[], &increase(&saved, RANGE)), "saved")
        .decimals(2),
        6,
        4,
    );
    d.panel(
        Panel::stat(
            "Unpriced calls over the range",
            "LLM calls whose model has no price in the price table (recorded at $0): add the \
             model's price so spend is not under-reported.",
            Unit::Count,
        )
        .query(sum_by(&[], &increase(&unpriced, RANGE)), "unpriced")
        .thresholds("green", &[(1.0, "orange")])
        .decimals(0),
        6,
        4,
    );
    d.panel(
        Panel::stat(
            "Budget remaining",
            "Dollars left in each spend budget's current period (the lowest over the scraped \
             instances).",
            Unit::Dollars,
        )
        .query(
            aggregate("min", &[label::BUDGET_NAME], &names.llm_budget_remaining),
            "{{budget_name}}",
        )
        .thresholds("red", &[(1.0, "orange"), (10.0, "green")])
        .decimals(2),
        6,
        4,
    );
    let limit = format!("({} > 0)", names.llm_budget_limit);
    d.panel(
        Panel::stat(
            "Budget used",
            "Share of each spend budget's limit spent in its current period (the most over the \
             scraped instances); above 1 when overspent under the record policy.",
            Unit::Ratio,
        )
        .query(
            format!(
                "1 - {} / {}",
                aggregate("min", &[label::BUDGET_NAME], &names.llm_budget_remaining),
                aggregate("max", &[label::BUDGET_NAME], &limit)
            ),
            "{{budget_name}}",
        )
        .thresholds("green", &[(0.8, "orange"), (1.0, "red")])
        .decimals(2),
        6,
        4,
    );
    d.panel(
        Panel::stat(
            "Budget period left",
            "Time until each spend budget's current period ends and its spend starts over.",
            Unit::Seconds,
        )
        .query(
            format!(
                "{} - time()",
                aggregate("max", &[label::BUDGET_NAME], &names.llm_budget_period_end)
            ),
            "{{budget_name}}",
        )
        .decimals(0),
        6,
        4,
    );
    d.panel(
        Panel::timeseries(
            "Spend per hour",
            "Spend rate in dollars per hour, by model and provider.",
            Unit::Dollars,
        )
        .query(per_hour(&cost), "{{model}} ({{provider}})")
        .stacked(),
        12,
        8,
    );
    d.panel(
        Panel::table(
            "Spend by model over the range",
            "Dollars spent per model and provider in the dashboard's time range.",
            Unit::Dollars,
        )
        .query(sum_by(&by, &increase(&cost, RANGE)), "{{model}}")
        .decimals(4),
        12,
        8,
    );
    d.panel(
        Panel::timeseries(
            "Saved by caching per hour",
            "Dollars per hour not spent because a cache answered, by model and provider.",
            Unit::Dollars,
        )
        .query(per_hour(&saved), "{{model}} ({{provider}})"),
        12,
        8,
    );
    d.panel(
        Panel::timeseries(
            "Unpriced calls",
            "LLM calls per second whose model has no price, by model and provider.",
            Unit::PerSecond,
        )
        .query(sum_by(&by, &rate(&unpriced, RATE)), "{{model}} ({{provider}})"),
        12,
        8,
    );

    gen_ai(&mut d, names);
    d
}

/// Tokens and latency from the GenAI semantic-convention histograms.
fn gen_ai(d: &mut Builder, names: &MetricNames) {
    let model = |family: Selector| family.var(label::GEN_AI_REQUEST_MODEL, MODEL);
    d.row(
        "Tokens and latency",
        "From the OpenTelemetry GenAI metrics (gen_ai_client_token_usage, \
         gen_ai_client_operation_duration_seconds).",
    );
    d.panel(
        Panel::timeseries(
            "Tokens per second",
            "Tokens per second by model and token type (input, output).",
            Unit::Count,
        )
        .query(
            sum_by(
                &[label::GEN_AI_REQUEST_MODEL, label::GEN_AI_TOKEN_TYPE],
                &rate(&model(Selector::sum(&names.gen_ai_token_usage)), RATE),
            ),
            "{{gen_ai_request_model}} {{gen_ai_token_type}}",
        )
        .stacked(),
        12,
        8,
    );
    let by = [label::GEN_AI_OPERATION_NAME, label::GEN_AI_REQUEST_MODEL];
    d.panel(
        Panel::timeseries(
            "Operation duration p95",
            "95th percentile duration of GenAI operations, by operation and model.",
            Unit::Seconds,
        )
        .query(
            quantile(0.95, &by, &model(Selector::bucket(&names.gen_ai_operation_duration)), RATE),
            "{{gen_ai_operation_name}} {{gen_ai_request_model}}",
        ),
        12,
        8,
    );
    d.panel(
        Panel::timeseries(
            "Operations per second",
            "GenAI operations per second, by operation and model.",
            Unit::PerSecond,
        )
        .query(
            sum_by(&by, &rate(&model(Selector::count(&names.gen_ai_operation_duration)), RATE)),
            "{{gen_ai_operation_name}} {{gen_ai_request_model}}",
        ),
        24,
        8,
    );
}
