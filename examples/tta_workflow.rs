//! Parity with the TTA.dev workflow-primitives system (reference file 004): namespace `tta`,
//! a sequential and a parallel workflow, a cached step and an LLM step, exporting
//! `tta_workflow_executions_total`, `tta_primitive_executions_total`,
//! `tta_execution_duration_seconds`, `tta_llm_cost_total`, `tta_cache_hits_total` and
//! `tta_cache_misses_total` under the workflows' real names, on 127.0.0.1:9464.
//!
//! What the original lacked and this has by construction: every primitive records itself (no
//! emitter to call), workflow names are the names given (never a class name), statuses are
//! `success`/`error`/`panic`/`cancelled`, and the shipped rules (`flowmeter rules --namespace
//! tta`) define `tta:workflow_rate_5m` and friends on top of these series.
//!
//! ```text
//! cargo run --example tta_workflow            # runs the activity once, then serves until Ctrl-C
//! cargo run --example tta_workflow -- --once  # prints the exposition and exits
//! ```

use flowmeter::Telemetry;
use flowmeter::llm::{OpenAiUsage, Usage};
use flowmeter::primitives::{Context, LlmOutput, LlmResponse, Workflow, cached, llm_call, step};

type Failure = std::io::Error;

/// The activity: three ingests (one of a document that fails validation), two enrichments,
/// and three questions of which two are the same (one cache hit).
async fn activity() {
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
    for doc in ["alpha", "", "gamma"] {
        let _ = ingest.run(doc.to_owned()).await;
    }

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
    for doc in ["a short text", "another text"] {
        let _ = enrich.run(doc.to_owned()).await;
    }

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
        .saved_cost(LlmOutput::saved_cost),
    );
    for question in ["what is tta?", "what is tta?", "why rust?"] {
        let _ = answer.run(question.to_owned()).await;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let once = std::env::args().any(|a| a == "--once");
    let telemetry = Telemetry::builder()
        .namespace("tta")
        .service_name("tta-workflows")
        .serve(!once)
        .install_subscriber(false)
        .install()?;
    activity().await;
    if once {
        print!("{}", telemetry.render());
        return Ok(());
    }
    println!("serving {}", telemetry.metrics_url().unwrap_or_default());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
