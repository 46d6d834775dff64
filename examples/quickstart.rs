//! Quickstart: instrument a few functions, serve `/metrics`, look at what they record.
//!
//! ```text
//! cargo run --example quickstart            # serves http://127.0.0.1:9464/metrics until Ctrl-C
//! cargo run --example quickstart -- --once  # prints the exposition once and exits
//! ```

use std::time::Duration;

use flowmeter::{Telemetry, instrumented};

/// A sync step that always succeeds.
#[instrumented]
fn tokenize(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// A sync step that fails on bad input: an `Err` is counted with `status="error"`.
#[instrumented(err)]
fn parse_score(raw: &str) -> Result<u32, std::num::ParseIntError> {
    raw.parse()
}

/// A sync step that panics: counted with `status="panic"`, and the panic still propagates.
#[instrumented]
fn divide(a: u32, b: u32) -> u32 {
    a / b
}

/// An async step with its own kind and a static label.
#[instrumented(kind = "retrieval", labels(index = "docs"))]
async fn fetch_documents(query: String) -> Vec<String> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    vec![format!("doc about {query}")]
}

/// An async step that is too slow: its future is dropped by a timeout, `status="cancelled"`.
#[instrumented(kind = "llm")]
async fn slow_completion(prompt: String) -> String {
    tokio::time::sleep(Duration::from_secs(10)).await;
    prompt
}

async fn workload() {
    let words = tokenize("flowmeter measures every call");
    let _ = parse_score("42");
    let _ = parse_score("forty-two");
    // The panic message is expected; keep the default hook from printing it.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let _ = std::panic::catch_unwind(|| divide(1, 0));
    std::panic::set_hook(hook);
    let _ = fetch_documents(words.join(" ")).await;
    let _ = tokio::time::timeout(Duration::from_millis(20), slow_completion("hello".into())).await;
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let once = std::env::args().any(|a| a == "--once");
    let telemetry = Telemetry::builder()
        .service_name("quickstart")
        .service_version(env!("CARGO_PKG_VERSION"))
        // With --once nothing needs serving: print and exit, even if 9464 is taken.
        .serve(!once)
        .install()?;

    workload().await;

    if once {
        print!("{}", telemetry.render());
        return Ok(());
    }

    let url = telemetry.metrics_url().unwrap_or_else(|| "(not serving)".into());
    println!("flowmeter quickstart");
    println!("  metrics: {url}");
    if let Some(addr) = telemetry.local_addr() {
        println!("  catalog: http://{addr}/catalog");
    }
    println!("  ran: tokenize (ok), parse_score (ok + error), divide (panic),");
    println!("       fetch_documents (ok), slow_completion (cancelled by a timeout)");
    println!("  the workload repeats every 5 s; Ctrl-C to stop");
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tokio::time::sleep(Duration::from_secs(5)) => workload().await,
        }
    }
    Ok(())
}
