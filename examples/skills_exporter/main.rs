//! Parity with the skills metrics exporter (reference system 000): the same five Prometheus
//! families, with the reference's names, types, labels, buckets and HELP text, declared with
//! flowmeter's application metrics ([`flowmeter::app`]) and served on `/metrics` by an exporter
//! object of the reference's shape: [`SkillsExporter::new`] takes the port, [`start`] is
//! idempotent, [`is_running`] says whether it serves, the reference's four methods record,
//! and a guard times an invocation. [`run_workload`] records from 8 threads at once; while
//! serving, [`run_round`] keeps a steady workload going. The reference's dashboard queries
//! are in `queries.yml` beside this file.
//!
//! | family | type | labels |
//! |---|---|---|
//! | `skill_invocations_total` | counter | `skill_name`, `workflow_phase`, `completed` |
//! | `skill_duration_seconds` | histogram, buckets 0.1 0.5 1 2 5 10 30 60 300 | `skill_name`, `workflow_phase` |
//! | `skill_completion_rate` | gauge, validated to 0..=1 | `skill_name` |
//! | `active_sessions_total` | gauge | none |
//! | `anomalies_detected_total` | counter | `anomaly_type`, `skill_name` |
//!
//! Where this differs from the reference, on purpose:
//! - Invalid input (a rate outside 0..=1 or NaN, a negative duration, a label value outside
//!   its declared set, port 0 or above 65535) is a typed error that records nothing.
//! - `active_sessions_total` is a gauge that ends in `_total` because the reference names it
//!   so, and parity wins. Prometheus reserves `_total` for counters: `promtool check metrics`
//!   (2.42, which cannot switch a lint off) reports exactly one problem on this exposition,
//!   `active_sessions_total non-counter metrics should not have "_total" suffix`, and exits
//!   with status 3. A new system would name it `active_sessions`.
//! - The endpoint listens on 127.0.0.1 only; `prometheus_client.start_http_server` binds every
//!   interface.
//! - Values print as `1` rather than `1.0`, and labels in alphabetical order; Prometheus
//!   parses both forms the same.
//!
//! ```text
//! cargo run --example skills_exporter -- --port 9091   # workload, then serves and records rounds
//! cargo run --example skills_exporter -- --interval-ms 0   # serves the fixed workload's values only
//! cargo run --example skills_exporter -- --per-thread 1000 --once  # prints the exposition
//! ```
//!
//! [`start`]: SkillsExporter::start
//! [`is_running`]: SkillsExporter::is_running
//!
//! `exporter.rs` is the reference's exporter object and its five families, `workload.rs` the
//! deterministic workload and the steady rounds; this file is the command line.

// The reference's whole exporter API, which tests/skills_exporter_example.rs drives; the
// command line uses part of it.
#[allow(dead_code)]
mod exporter;
mod workload;

use std::process::ExitCode;
use std::str::FromStr;

use exporter::{DEFAULT_PORT, SkillsExporter};
use workload::{SKILLS, THREADS, run_round, run_workload};

const USAGE: &str =
    "usage: skills_exporter [--port N] [--per-thread N] [--interval-ms N (0: no rounds)] [--once]";

/// The value after `--name` on the command line, parsed; `default` when the flag is absent.
fn flag<T: FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    let Some(at) = args.iter().position(|a| a == name) else { return Ok(default) };
    let value = args.get(at + 1).ok_or_else(|| format!("{name} needs a value; {USAGE}"))?;
    value.parse().map_err(|_| format!("{name} {value}: not a number in range; {USAGE}"))
}

/// A [`run_round`] every `interval_ms` until Ctrl-C; with 0, no rounds (the fixed workload's
/// values stay as they are: its test asserts them exactly).
async fn keep_recording(
    exporter: &SkillsExporter,
    interval_ms: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let interval = std::time::Duration::from_millis(interval_ms);
    for round in 0.. {
        tokio::select! {
            stopped = tokio::signal::ctrl_c() => return Ok(stopped?),
            () = tokio::time::sleep(interval), if interval_ms > 0 => run_round(exporter, round)?,
        }
    }
    Ok(())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let known = ["--port", "--per-thread", "--interval-ms", "--once"];
    if let Some(unknown) = args.iter().find(|a| a.starts_with("--") && !known.contains(&a.as_str()))
    {
        return Err(format!("unknown flag {unknown}; {USAGE}").into());
    }
    let (port, per_thread) =
        (flag(&args, "--port", DEFAULT_PORT)?, flag(&args, "--per-thread", 100_000)?);
    let interval_ms = flag(&args, "--interval-ms", 500_u64)?;
    let exporter = SkillsExporter::new(port)?;
    if args.iter().any(|a| a == "--once") {
        run_workload(&exporter, per_thread)?;
        print!("{}", exporter.render());
        return Ok(());
    }
    exporter.start()?;
    println!("serving {}", exporter.metrics_url());
    let recorded = run_workload(&exporter, per_thread)?;
    // One line, and nothing printed after it: a reader may close the pipe after this line.
    let rounds = match interval_ms {
        0 => "no more rounds".to_owned(),
        ms => format!("then a round of {} every {ms} ms", 2 * SKILLS.len()),
    };
    println!("recorded {recorded} skill invocations from {THREADS} threads; {rounds}");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(keep_recording(&exporter, interval_ms))?;
    exporter.stop();
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Display, not Debug: the typed errors name the field, the value and the reason.
            eprintln!("skills_exporter: {error}");
            ExitCode::FAILURE
        }
    }
}
