//! The LLM call primitive: dollars and GenAI metrics from a simulated client, the GenAI span,
//! unpriced models, budgets that refuse or only record, and a cache hit that saves dollars.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use common::{Exposition, parse};
use flowmeter::Telemetry;
use flowmeter::llm::{Budget, BudgetPolicy, OpenAiUsage, Period, Usage};
use flowmeter::primitives::{
    Context, Error, LlmOutput, LlmResponse, Primitive as _, cached, llm_call,
};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};

static EXPORTER: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static TELEMETRY: LazyLock<Telemetry> =
    LazyLock::new(|| common::install_with_span_exporter(&EXPORTER));
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    LazyLock::force(&TELEMETRY);
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The sum of every sample of `name` with these labels among its own (0 when there is none).
fn total(scraped: &Exposition, name: &str, matchers: &[(&str, &str)]) -> f64 {
    scraped.find(name, matchers).iter().map(|s| s.value).sum()
}

fn scrape() -> Exposition {
    parse(&TELEMETRY.render())
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

/// A simulated OpenAI client: 10 000 prompt tokens of which 4 000 cached, 1 000 completion.
async fn complete(
    model: &'static str,
    prompt: String,
) -> Result<LlmResponse<String>, flowmeter::llm::UsageError> {
    let usage = Usage::openai(
        model,
        OpenAiUsage {
            prompt_tokens: 10_000,
            cached_tokens: 4_000,
            completion_tokens: 1_000,
            reasoning_tokens: 0,
        },
    )?;
    Ok(LlmResponse { output: format!("summary of {prompt}"), usage })
}

/// gpt-4o-mini at $0.15 in, $0.075 cached in, $0.60 out per million tokens:
/// 6 000 × 0.15 + 4 000 × 0.075 + 1 000 × 0.60 = 900 + 300 + 600 micro-dollars.
const MINI_CALL_USD: f64 = 0.0018;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn a_call_records_dollars_tokens_and_a_gen_ai_span() {
    let _serial = serial();
    // Other tests of this binary call gpt-4o-mini too (the budget test), in any order: this
    // one asserts on what its own call adds.
    let mini = [("model", "gpt-4o-mini"), ("provider", "openai")];
    let token_series = |ty: &'static str| {
        [
            ("gen_ai_request_model", "gpt-4o-mini"),
            ("gen_ai_token_type", ty),
            ("gen_ai_operation_name", "chat"),
            ("gen_ai_provider_name", "openai"),
        ]
    };
    let successes = |scraped: &Exposition| -> f64 {
        let durations = scraped.find(
            "gen_ai_client_operation_duration_seconds_count",
            &[("gen_ai_request_model", "gpt-4o-mini")],
        );
        durations.iter().filter(|s| s.label("error_type").is_none()).map(|s| s.value).sum()
    };
    let before = scrape();
    let summarize = llm_call("llm_summarize", "openai", "gpt-4o-mini", |text: String, _ctx| {
        complete("gpt-4o-mini", text)
    });
    let out = block_on(summarize.run("a report".into(), &Context::new("llm"))).unwrap();
    assert_eq!(out.output, "summary of a report");
    assert!(close(out.cost.total_usd(), MINI_CALL_USD), "{}", out.cost.total_usd());

    let scraped = scrape();
    let added = |name: &str, matchers: &[(&str, &str)]| {
        total(&scraped, name, matchers) - total(&before, name, matchers)
    };
    let cost = added("flowmeter_llm_cost_total", &mini);
    assert!(close(cost, MINI_CALL_USD), "{cost}");
    let tokens = |ty: &'static str, suffix: &str| {
        added(&format!("gen_ai_client_token_usage_{suffix}"), &token_series(ty))
    };
    assert_eq!((tokens("input", "count"), tokens("input", "sum")), (1.0, 10_000.0));
    assert_eq!((tokens("output", "count"), tokens("output", "sum")), (1.0, 1_000.0));
    // A success records its duration without error.type (that is only on failures).
    assert_eq!(successes(&scraped) - successes(&before), 1.0);
    let step = &scraped.find(
        "flowmeter_primitive_executions_total",
        &[("primitive_name", "llm_summarize"), ("status", "success")],
    )[0];
    assert_eq!((step.value, step.label("primitive_type")), (1.0, Some("llm")));

    // The budget test's calls make `chat gpt-4o-mini` spans too: this call's is the one of
    // its primitive.
    let attr = |span: &SpanData, key: &str| {
        span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
    };
    let spans: Vec<SpanData> = EXPORTER.get_finished_spans().unwrap();
    let span = spans
        .iter()
        .find(|s| attr(s, "primitive.name").as_deref() == Some("llm_summarize"))
        .expect("the call's span");
    assert_eq!(span.name, "chat gpt-4o-mini", "GenAI span name");
    let attr = |key: &str| attr(span, key);
    assert_eq!(attr("gen_ai.usage.input_tokens").as_deref(), Some("10000"));
    assert_eq!(attr("gen_ai.usage.output_tokens").as_deref(), Some("1000"));
    assert_eq!(attr("gen_ai.usage.cache_read.input_tokens").as_deref(), Some("4000"));
    assert_eq!(attr("gen_ai.provider.name").as_deref(), Some("openai"));
    assert_eq!(span.span_kind, opentelemetry::trace::SpanKind::Client);
}

#[test]
fn an_unknown_model_records_tokens_and_zero_dollars_and_still_succeeds() {
    let _serial = serial();
    let call = llm_call("llm_unknown", "openai", "gpt-unknown-9", |text: String, _ctx| {
        complete("gpt-unknown-9", text)
    });
    let out = block_on(call.run("x".into(), &Context::new("llm"))).unwrap();
    assert_eq!(out.cost.total_usd(), 0.0);
    assert_eq!(out.priced_model, None);
    let scraped = scrape();
    let labels = [("model", "gpt-unknown-9"), ("provider", "openai")];
    assert_eq!(scraped.value("flowmeter_llm_unpriced_calls_total", &labels), 1.0);
    assert_eq!(scraped.value("flowmeter_llm_cost_total", &labels), 0.0);
    let input = [("gen_ai_request_model", "gpt-unknown-9"), ("gen_ai_token_type", "input")];
    assert_eq!(scraped.value("gen_ai_client_token_usage_sum", &input), 10_000.0);
}

#[test]
fn an_enforced_budget_refuses_once_spent_and_a_recording_one_never_does() {
    let _serial = serial();
    // Half a call's cost: the first call is allowed (nothing spent yet) and spends past it.
    let enforced = Arc::new(
        Budget::builder("llm_test_enforced", MINI_CALL_USD / 2.0, Period::Day).build().unwrap(),
    );
    let recording = Arc::new(
        Budget::builder("llm_test_recording", MINI_CALL_USD / 2.0, Period::Day)
            .policy(BudgetPolicy::RecordOnly)
            .build()
            .unwrap(),
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let guarded = llm_call("llm_guarded", "openai", "gpt-4o-mini", move |text: String, _ctx| {
        counter.fetch_add(1, Ordering::SeqCst);
        complete("gpt-4o-mini", text)
    })
    .budget(enforced.clone());
    let relaxed = llm_call("llm_relaxed", "openai", "gpt-4o-mini", |text: String, _ctx| {
        complete("gpt-4o-mini", text)
    })
    .budget(recording.clone());
    let ctx = Context::new("llm");
    block_on(async {
        guarded.run("1".into(), &ctx).await.unwrap();
        let refused = guarded.run("2".into(), &ctx).await.unwrap_err();
        assert!(
            matches!(&refused, Error::Refused { step, .. } if step == "llm_guarded"),
            "{refused}"
        );
        assert!(refused.to_string().contains("llm_test_enforced"), "{refused}");
        for text in ["1", "2", "3"] {
            relaxed.run(text.into(), &ctx).await.unwrap();
        }
    });
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the refused call was never made");
    let scraped = scrape();
    let remaining =
        |name| scraped.value("flowmeter_llm_budget_remaining", &[("budget_name", name)]);
    assert!(close(remaining("llm_test_enforced"), -MINI_CALL_USD / 2.0));
    assert!(close(remaining("llm_test_recording"), MINI_CALL_USD / 2.0 - 3.0 * MINI_CALL_USD));
    let refused = [("primitive_name", "llm_guarded"), ("status", "error")];
    assert_eq!(scraped.sum("flowmeter_primitive_executions_total", &refused), 1.0);
}

#[test]
fn a_cache_hit_on_an_llm_step_saves_its_dollars_and_spends_none() {
    let _serial = serial();
    let llm = llm_call(
        "llm_cached_inner",
        "anthropic",
        "claude-3-5-haiku",
        |text: String, _ctx| async move {
            let usage = Usage::builder("anthropic", "claude-3-5-haiku")
                .input_tokens(1_000)
                .output_tokens(100)
                .build()?;
            Ok::<_, flowmeter::llm::UsageError>(LlmResponse { output: text.len(), usage })
        },
    );
    let cache = cached("llm_answers", llm).saved_cost(LlmOutput::saved_cost);
    let ctx = Context::new("llm");
    let (first, second) = block_on(async {
        (
            cache.run("same".to_owned(), &ctx).await.unwrap(),
            cache.run("same".to_owned(), &ctx).await.unwrap(),
        )
    });
    assert_eq!(first.output, second.output);
    let call_usd = first.cost.total_usd();
    assert!(call_usd > 0.0);
    let scraped = scrape();
    let labels = [("model", "claude-3-5-haiku"), ("provider", "anthropic")];
    assert!(close(scraped.value("flowmeter_llm_cost_total", &labels), call_usd), "one call paid");
    assert!(
        close(scraped.value("flowmeter_llm_cost_saved_total", &labels), call_usd),
        "one hit saved"
    );
    assert_eq!(scraped.value("flowmeter_cache_hits_total", &[("cache_name", "llm_answers")]), 1.0);
    let inner = [("primitive_name", "llm_cached_inner"), ("status", "success")];
    assert_eq!(scraped.value("flowmeter_primitive_executions_total", &inner), 1.0);
}
