//! `flowmeter demo`: a document pipeline in miniature (see examples/workflow.rs for the
//! full one) that exercises every metric of the catalog, so the generated rules and
//! dashboards have data to show.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use flowmeter::Telemetry;
use flowmeter::app;
use flowmeter::llm::{Budget, BudgetPolicy, OpenAiUsage, Period, Usage, UsageError};
use flowmeter::primitives::{
    Backoff, Compose as _, Context, LlmOutput, LlmResponse, Primitive, Workflow, cached, llm_call,
    retry, step, timeout,
};

use super::DemoArgs;

/// Time between batches when serving.
const INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
enum ChatError {
    #[error("rate limited")]
    RateLimited,
    #[error(transparent)]
    Usage(#[from] UsageError),
}

#[derive(Debug, thiserror::Error)]
#[error("document store unavailable")]
struct StoreUnavailable;

static ATTEMPTS: AtomicU32 = AtomicU32::new(0);

/// A simulated chat call: `ms` of latency, token counts from `id`.
async fn chat(model: &str, id: u32, ms: u64) -> Result<LlmResponse<String>, ChatError> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    let prompt = 600 + 50 * i64::from(id);
    let usage = Usage::openai(
        model,
        OpenAiUsage {
            prompt_tokens: prompt,
            cached_tokens: prompt / 4,
            completion_tokens: 90,
            reasoning_tokens: 0,
        },
    )?;
    Ok(LlmResponse { output: format!("answer {id}"), usage })
}

pub(super) fn run(args: DemoArgs) -> Result<std::process::ExitCode, String> {
    let builder = Telemetry::builder()
        .service_name("flowmeter-demo")
        .service_version(env!("CARGO_PKG_VERSION"))
        .namespace(args.namespace)
        .serve(!args.once);
    let builder = match args.listen.strip_suffix(":0") {
        Some(_) => builder.ephemeral_port(),
        None => builder.listen(args.listen),
    };
    let telemetry = builder.install().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let budget = Budget::builder("demo_daily", 5.0, Period::Day)
        .policy(BudgetPolicy::RecordOnly)
        .build()
        .map(Arc::new)
        .map_err(|e| e.to_string())?;

    // fetch (retried) >> (summarize: priced, with a timeout | classify: unpriced, sometimes
    // rate limited) >> enrich; plus answers from a small cache in front of an LLM call.
    let fetch = retry(
        "fetch_retry",
        step("fetch", |id: u32, _ctx: Context| async move {
            tokio::time::sleep(Duration::from_millis(2)).await;
            let attempt = ATTEMPTS.fetch_add(1, Ordering::Relaxed);
            if id.is_multiple_of(3) && attempt.is_multiple_of(2) {
                Err(StoreUnavailable)
            } else {
                Ok(id)
            }
        })
        .kind("retrieval"),
    )
    .backoff(Backoff::exponential(Duration::from_millis(5)));
    let summarize = timeout(
        "summarize_timeout",
        Duration::from_millis(150),
        llm_call("summarize", "openai", "gpt-4o-mini", |id: u32, _ctx| {
            chat("gpt-4o-mini", id, if id % 5 == 4 { 400 } else { 10 + u64::from(id) })
        })
        .budget(budget.clone()),
    );
    let classify = llm_call("classify", "openai", "demo-classifier", |id: u32, _ctx| async move {
        if id % 6 == 5 { Err(ChatError::RateLimited) } else { chat("demo-classifier", id, 5).await }
    });
    // The share of a document's notes that were priced, 0 to 1. The demo also records one
    // NaN per document, as a buggy scorer would: the histogram refuses it, the error is
    // ignored as callers often do, and the refusal shows in
    // `ns_measurements_rejected_total{metric_name="demo.notes.priced_share"}`.
    let quality = app::histogram("demo.notes.priced_share")
        .help("Share of the notes of one document made by a priced model.")
        .buckets([0.25, 0.5, 0.75, 1.0])
        .build()
        .map_err(|e| e.to_string())?;
    let enrich = step("enrich", move |notes: Vec<LlmOutput<String>>, _ctx: Context| {
        let quality = quality.clone();
        async move {
            let priced = notes.iter().filter(|n| n.priced_model.is_some()).count();
            let score = priced as f64 / notes.len() as f64;
            let _ = quality.record(score, &[]);
            let _ = quality.record(f64::NAN, &[]);
            Ok::<_, std::io::Error>(notes.len())
        }
    });
    let workflow = Workflow::new(
        "demo_pipeline",
        fetch.then((summarize | classify).named("annotate")).then(enrich).named("pipeline"),
    );
    let answers = cached(
        "answers",
        llm_call("answer", "openai", "gpt-4o-mini", |q: u32, _ctx| chat("gpt-4o-mini", q, 5))
            .budget(budget),
    )
    .saved_cost(LlmOutput::saved_cost)
    .max_capacity(2);

    runtime.block_on(async {
        let batch = || async {
            let mut failed = 0;
            for id in 1..=6 {
                failed += u32::from(workflow.run(id).await.is_err());
            }
            let ctx = Context::new("answers");
            for question in [1, 2, 1, 3, 1, 4] {
                let _ = answers.run(question, &ctx).await;
            }
            answers.invalidate(&1).await;
            answers.run_pending_tasks().await;
            eprintln!("batch: 6 workflow runs, {failed} failed");
        };
        batch().await;
        if args.once {
            print!("{}", telemetry.render());
            return;
        }
        let url = telemetry.metrics_url().unwrap_or_default();
        println!("serving {url}; a batch every {} s; Ctrl-C stops", INTERVAL.as_secs());
        let _ = std::io::Write::flush(&mut std::io::stdout());
        loop {
            tokio::time::sleep(INTERVAL).await;
            batch().await;
        }
    });
    Ok(std::process::ExitCode::SUCCESS)
}
