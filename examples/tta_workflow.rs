//! Parity with the TTA.dev workflow-primitives system (reference file 004): namespace `tta`,
//! a sequential and a parallel workflow, a cached step and an LLM step, exporting
//! `tta_workflow_executions_total`, `tta_primitive_executions_total`,
//! `tta_execution_duration_seconds`, `tta_llm_cost_total`, `tta_cache_hits_total` and
//! `tta_cache_misses_total` under the workflows' real names, on 127.0.0.1:9464
//! (`FLOWMETER_LISTEN` moves it; `FLOWMETER_NAMESPACE` replaces `tta`).
//!
//! What the original lacked and this has by construction: every primitive records itself (no
//! emitter to call), workflow names are the names given (never a class name), statuses are
//! `success`/`error`/`panic`/`cancelled`, and the shipped rules (`flowmeter rules --namespace
//! tta`) define `tta:workflow_rate_5m` and friends on top of these series.
//!
//! The original served counters that stopped moving once its demo had run, so every rate was
//! 0 and every ratio and quantile empty. Here, once serving, a round of the same activity runs
//! every `--interval-ms` (new documents, one failing validation every other round, a new
//! question and a repeated one), so those rules always have recent data.
//!
//! ```text
//! cargo run --example tta_workflow            # the activity once, then serves with a round every 500 ms
//! cargo run --example tta_workflow -- --interval-ms 0  # serves the activity's values only
//! cargo run --example tta_workflow -- --once  # prints the exposition and exits
//! ```

use std::time::Duration;

use flowmeter::Telemetry;
use flowmeter::llm::{OpenAiUsage, Usage};
use flowmeter::primitives::{Context, LlmOutput, LlmResponse, Workflow, cached, llm_call, step};

type Failure = std::io::Error;

/// How many answers the cache keeps: the rounds ask a new question each time, so it would
/// otherwise grow for as long as the example serves.
const CACHED_ANSWERS: u64 = 256;

/// Builds the three workflows, runs the fixed activity once, then (unless `once`) a round
/// every `interval` (`None`: no rounds) until Ctrl-C.
///
/// The activity: three ingests (one of a document that fails validation), two enrichments,
/// and three questions of which two are the same (one cache hit). Its values are exact, and
/// the example's test asserts them. A round: three ingests (an empty document, which fails
/// validation, every other round), one enrichment, a new question (a miss: one LLM call)
/// and the popular one (a hit).
async fn run(telemetry: &Telemetry, once: bool, interval: Option<Duration>) -> std::io::Result<()> {
    let ingest = Workflow::new(
        "tta_ingest",
        (step("load", |doc: String, _ctx: Context| async move { Ok::<_, Failure>(doc) })
            >> step("validate", |doc: String, _ctx: Context| async move {
                if doc.is_empty() { Err(Failure::other("empty document")) } else { Ok(doc) }
            })
            >> step(
                "index",
                |doc: String, _ctx: Context| async move { Ok::<_, Failure>(doc.len()) },
            ))
        .named("ingest_steps"),
    );
    let enrich = Workflow::new(
        "tta_enrich",
        (step("keywords", |doc: String, _ctx: Context| async move {
            Ok::<_, Failure>(doc.split(' ').count())
        }) | step(
            "length",
            |doc: String, _ctx: Context| async move { Ok::<_, Failure>(doc.len()) },
        ))
        .named("enrich_branches"),
    );
    let answer = Workflow::new(
        "tta_answer",
        cached(
            "answers",
            llm_call("answer", "openai", "gpt-4o-mini", |question: String, _ctx| async move {
                let usage = Usage::openai(
                    "gpt-4o-mini",
                    OpenAiUsage {
                        prompt_tokens: 1_000,
                        cached_tokens: 0,
                        completion_tokens: 500,
                        reasoning_tokens: 0,
                    },
                )?;
                Ok::<_, flowmeter::llm::UsageError>(LlmResponse {
                    output: format!("answer to {question}"),
                    usage,
                })
            }),
        )
        .max_capacity(CACHED_ANSWERS)
        .saved_cost(LlmOutput::saved_cost),
    );

    // Outcomes are in the metrics; the results themselves are not needed.
    for doc in ["alpha", "", "gamma"] {
        let _ = ingest.run(doc.to_owned()).await;
    }
    for doc in ["a short text", "another text"] {
        let _ = enrich.run(doc.to_owned()).await;
    }
    for question in ["what is tta?", "what is tta?", "why rust?"] {
        let _ = answer.run(question.to_owned()).await;
    }
    if once {
        print!("{}", telemetry.render());
        return Ok(());
    }
    println!("serving {}", telemetry.metrics_url().unwrap_or_default());

    for round in 1_u64.. {
        tokio::select! {
            stopped = tokio::signal::ctrl_c() => return stopped,
            () = tokio::time::sleep(interval.unwrap_or_default()), if interval.is_some() => {}
        }
        let empty = if round.is_multiple_of(2) { "" } else { "appendix" };
        for doc in [format!("report {round}"), empty.to_owned(), format!("memo {round}")] {
            let _ = ingest.run(doc).await;
        }
        let _ = enrich.run(format!("notes of round {round}")).await;
        for question in [format!("what changed in round {round}?"), "what is tta?".to_owned()] {
            let _ = answer.run(question).await;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let once = args.iter().any(|a| a == "--once");
    let interval_ms: u64 = match args.iter().position(|a| a == "--interval-ms") {
        Some(at) => args
            .get(at + 1)
            .and_then(|v| v.parse().ok())
            .ok_or("usage: tta_workflow [--once] [--interval-ms N (default 500; 0: no rounds)]")?,
        None => 500,
    };
    // A namespace given in code beats `FLOWMETER_NAMESPACE`; this example lets it choose, so
    // that the same workload can feed the rules of another namespace (the reference e2e test
    // runs it under the default one too).
    let namespace = std::env::var("FLOWMETER_NAMESPACE").unwrap_or_else(|_| "tta".to_owned());
    let telemetry = Telemetry::builder()
        .namespace(namespace)
        .service_name("tta-workflows")
        .serve(!once)
        .install_subscriber(false)
        .install()?;
    let interval = (interval_ms > 0).then(|| Duration::from_millis(interval_ms));
    run(&telemetry, once, interval).await?;
    Ok(())
}
