//! A document pipeline built from flowmeter's primitives:
//!
//! ```text
//! fetch (retried) >> ( summarize: LLM with a timeout | classify: LLM ) >> enrich (cached by category)
//! ```
//!
//! Every primitive measures itself; each document is one workflow run and one trace, printed
//! as an indented tree (span, duration, status), with the dollars spent so far.
//!
//! ```text
//! cargo run --example workflow            # a batch every 5 s, /metrics on 127.0.0.1:9464, Ctrl-C stops
//! cargo run --example workflow -- --once  # one batch, the traces and the exposition, then exit
//! cargo run --example workflow -- --interval-ms 500   # batches every 500 ms
//! cargo run --example workflow -- --documents 3       # documents 1 to 3 per batch (default 6)
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use flowmeter::Telemetry;
use flowmeter::llm::{Budget, BudgetPolicy, OpenAiUsage, Period, Usage, UsageError};
use flowmeter::metrics::Goal;
use flowmeter::primitives::{
    Backoff, Compose as _, Context, LlmOutput, LlmResponse, Workflow, cached, llm_call, retry,
    step, timeout,
};
use opentelemetry::trace::SpanId;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};

/// A fetched document.
#[derive(Debug, Clone)]
struct Document {
    id: u32,
    text: String,
}

/// The pipeline's result for one document: reading suggestions for its category (cached per
/// category, so documents of a category already seen are answered from the cache).
#[derive(Debug, Clone)]
struct Enriched {
    category: String,
    related: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("document store unavailable (attempt {0})")]
struct StoreUnavailable(u32);

static FETCH_ATTEMPTS: AtomicU32 = AtomicU32::new(0);

/// A document store that fails the first attempt for every third document.
async fn fetch_document(id: u32) -> Result<Document, StoreUnavailable> {
    let attempt = FETCH_ATTEMPTS.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(2)).await;
    if id.is_multiple_of(3) && attempt.is_multiple_of(2) {
        return Err(StoreUnavailable(attempt));
    }
    Ok(Document { id, text: format!("Quarterly report {id}: revenue grew while costs fell.") })
}

/// A simulated chat-completion client: latency and token counts from the document; document 4
/// is slow enough to hit the summarizer's timeout. `local` models report usage without a price
/// (a self-hosted model: tokens are counted, dollars are zero, the call is counted unpriced).
async fn chat(
    provider: &'static str,
    model: &'static str,
    doc: &Document,
    task: &str,
) -> Result<LlmResponse<String>, UsageError> {
    let slow = doc.id % 5 == 4 && task == "summarize";
    let latency = if slow { 500 } else { 10 + u64::from(doc.id % 4) * 5 };
    tokio::time::sleep(Duration::from_millis(latency)).await;
    let prompt = 800 + 40 * i64::from(doc.id);
    let usage = match provider {
        "openai" => Usage::openai(
            model,
            OpenAiUsage {
                prompt_tokens: prompt,
                cached_tokens: prompt / 2,
                completion_tokens: 120,
                reasoning_tokens: 0,
            },
        )?,
        _ => Usage::builder(provider, model).input_tokens(prompt).output_tokens(3).build()?,
    };
    let output = match task {
        "classify" => ["finance", "operations"][doc.id as usize % 2].to_owned(),
        _ => format!("{} (summarized)", doc.text.split(':').next().unwrap_or_default()),
    };
    Ok(LlmResponse { output, usage })
}

fn pipeline() -> Workflow<impl flowmeter::primitives::Primitive<u32, Output = Enriched>> {
    let fetch = retry(
        "fetch_retry",
        step("fetch", |id: u32, _ctx: Context| fetch_document(id)).kind("retrieval"),
    )
    .max_attempts(3)
    .backoff(Backoff::exponential(Duration::from_millis(5)));
    // A daily budget that only records (exported as flowmeter_llm_budget_remaining).
    let budget = Budget::builder("summaries_daily", 5.0, Period::Day)
        .policy(BudgetPolicy::RecordOnly)
        .build()
        .expect("a valid budget");
    let summarize = cached(
        "summaries",
        timeout(
            "summarize_timeout",
            Duration::from_millis(200),
            llm_call("summarize", "openai", "gpt-4o-mini", |doc: Document, _ctx| async move {
                chat("openai", "gpt-4o-mini", &doc, "summarize").await
            })
            .budget(Arc::new(budget)),
        ),
    )
    .key(|doc: &Document| doc.id)
    .saved_cost(LlmOutput::saved_cost);
    // The classifier's confidence, declared 0..=1. The classifier is miscalibrated and says
    // 1.05 for every fourth document: the gauge refuses it, the example ignores the error as
    // instrumentation code often does, and `flowmeter_measurements_rejected_total` counts it.
    let confidence = flowmeter::app::gauge("classifier.confidence")
        .help("Confidence of the document classifier's last answer, 0 to 1.")
        .labels(["category"])
        .range(0.0..=1.0)
        .build()
        .expect("a valid gauge");
    let classify =
        llm_call("classify", "local", "house-classifier-v2", move |doc: Document, _ctx| {
            let confidence = confidence.clone();
            async move {
                let answer = chat("local", "house-classifier-v2", &doc, "classify").await?;
                let score = 0.6 + 0.15 * f64::from(doc.id % 4);
                let _ = confidence.set(score, &[answer.output.as_str()]);
                Ok::<_, UsageError>(answer)
            }
        });
    let enrich = cached(
        "enrich",
        step("enrich", |notes: Vec<LlmOutput<String>>, _ctx: Context| async move {
            tokio::time::sleep(Duration::from_millis(15)).await;
            let category = notes[1].output.clone();
            let related = vec![format!("{category}-handbook"), format!("{category}-faq")];
            Ok::<_, std::io::Error>(Enriched { category, related })
        }),
    )
    .key(|notes: &Vec<LlmOutput<String>>| notes[1].output.clone())
    .time_to_live(Duration::from_secs(60));
    let annotate = (summarize | classify).named("annotate");
    // Its objectives, declared in code: `/catalog` lists them, and
    // `flowmeter rules --catalog http://HOST:PORT/catalog` writes their SLO rules and alerts.
    Workflow::new("document_pipeline", fetch.then(annotate).then(enrich).named("pipeline"))
        .objective(Goal::SuccessRate { ratio: 0.99 })
        .and_then(|w| w.objective(Goal::Latency { threshold_seconds: 0.5, ratio: 0.95 }))
        .expect("0.5 s is a boundary of the duration histogram")
}

/// Prints the spans of one trace as an indented tree.
fn print_trace(spans: &[SpanData], root: &SpanData) {
    let mut children: HashMap<SpanId, Vec<&SpanData>> = HashMap::new();
    for span in spans.iter().filter(|s| s.span_context.trace_id() == root.span_context.trace_id()) {
        children.entry(span.parent_span_id).or_default().push(span);
    }
    fn walk(span: &SpanData, depth: usize, children: &HashMap<SpanId, Vec<&SpanData>>) {
        let ms =
            span.end_time.duration_since(span.start_time).unwrap_or_default().as_secs_f64() * 1e3;
        let status = span
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == "status")
            // A success records no `status`; its OpenTelemetry status stays Unset.
            .map_or_else(|| "success".to_owned(), |kv| kv.value.to_string());
        println!(
            "{:indent$}{:<width$} {ms:>8.2} ms  {status}",
            "",
            span.name,
            indent = depth * 2,
            width = 34 - depth * 2
        );
        let mut kids = children.get(&span.span_context.span_id()).cloned().unwrap_or_default();
        kids.sort_by_key(|s| s.start_time);
        for kid in kids {
            walk(kid, depth + 1, children);
        }
    }
    walk(root, 0, &children);
}

/// Dollars spent so far, read back from the exposition.
fn dollars_spent(telemetry: &Telemetry) -> f64 {
    telemetry
        .render()
        .lines()
        .filter(|l| l.starts_with("flowmeter_llm_cost_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn run_batch(
    workflow: &Workflow<impl flowmeter::primitives::Primitive<u32, Output = Enriched>>,
    exporter: &InMemorySpanExporter,
    telemetry: &Telemetry,
    documents: u32,
) {
    for id in 1..=documents {
        let result = workflow.run(id).await;
        let spans = exporter.get_finished_spans().unwrap_or_default();
        exporter.reset();
        match &result {
            Ok(doc) => {
                println!("document {id}: {} -> {:?}", doc.category, doc.related)
            }
            Err(error) => println!("document {id}: failed: {error}"),
        }
        if let Some(root) = spans.iter().find(|s| s.parent_span_id == SpanId::INVALID) {
            print_trace(&spans, root);
        }
        println!("  spent so far: ${:.6}\n", dollars_spent(telemetry));
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let once = args.iter().any(|a| a == "--once");
    let interval = args
        .iter()
        .position(|a| a == "--interval-ms")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .map_or(Duration::from_secs(5), Duration::from_millis);
    // Documents 1..=N per batch; document 4 (and every fifth after it) times out.
    let documents: u32 = args
        .iter()
        .position(|a| a == "--documents")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(6);
    let exporter = InMemorySpanExporter::default();
    let telemetry = Telemetry::builder()
        .service_name("workflow-example")
        .service_version(env!("CARGO_PKG_VERSION"))
        .serve(!once)
        .with_span_exporter(exporter.clone())
        .install()?;
    let workflow = pipeline();

    if once {
        run_batch(&workflow, &exporter, &telemetry, documents).await;
        println!("{}", telemetry.render());
        return Ok(());
    }
    if let Some(url) = telemetry.metrics_url() {
        println!(
            "serving {url}; a batch of {documents} documents every {interval:?}; Ctrl-C stops\n"
        );
    }
    loop {
        run_batch(&workflow, &exporter, &telemetry, documents).await;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tokio::time::sleep(interval) => {}
        }
    }
    Ok(())
}
