//! The steady workload: once the fixed workload has run and the platform serves, one round
//! of activity every interval (the `workflow` example's batches, here the platform's day),
//! so a real Prometheus sees every counter's rate above zero, every histogram's quantiles
//! defined and the gauges changing.
//!
//! Each round is the same for the same round number (the values come from fixed cycles, no
//! randomness): a debounced batch of 1 to 3 changed files, each processed (a few real
//! milliseconds), its test run counted and its result published in the background (20 to
//! 450 ms, not waited for, so `safe_async_bridge_pending_tasks` is often above 0), failures
//! and runner errors asked about through the API client (a fiftieth of the reported seconds
//! in real time; the timed-out call waits the bridge's 0.25 s), a file that cannot be read
//! every ninth round, then one audit run with changing coverage, markers, commits and errors.

use std::error::Error;
use std::time::Duration;

use crate::audit_agent::{AuditError, Trigger};
use crate::file_watcher::{TestOutcome, WatcherError};
use crate::workload::{self, AuditRun, Collectors};

/// Test run outcomes, cycled over the runs (mostly passing, as a watched repository's are).
const OUTCOMES: [TestOutcome; 7] = [
    TestOutcome::Pass,
    TestOutcome::Pass,
    TestOutcome::Fail,
    TestOutcome::Pass,
    TestOutcome::Pass,
    TestOutcome::Error,
    TestOutcome::Pass,
];
/// Reported test run seconds, cycled over the runs (a length prime to `OUTCOMES`'s).
const TEST_SECONDS: [f64; 6] = [2.5, 4.0, 7.5, 12.0, 25.0, 48.0];
/// Debounce windows in seconds, cycled over the rounds.
const DEBOUNCE: [f64; 5] = [0.08, 0.2, 0.35, 0.6, 1.4];
/// Real milliseconds processing a file takes, cycled over the runs.
const PROCESSING_MS: [u64; 4] = [2, 5, 12, 30];
/// Real milliseconds a result publication takes, cycled over the runs.
const PUBLISH_MS: [u64; 5] = [20, 60, 150, 300, 450];
/// Audit triggers, cycled over the rounds.
const TRIGGERS: [Trigger; 4] =
    [Trigger::Scheduled, Trigger::Commit, Trigger::Scheduled, Trigger::Manual];
/// Real time the simulated API calls take, as a share of their reported seconds.
const API_PACE: f64 = 0.02;

/// Runs a round every `interval`, forever (the process ends it). A round that fails is
/// reported on stderr and the next one runs anyway.
pub fn run(collectors: &Collectors, interval: Duration) {
    for round in 0_u64.. {
        if let Err(error) = round_of(collectors, round) {
            eprintln!("steady workload, round {round}: {error}");
        }
        std::thread::sleep(interval);
    }
}

/// Round number `round`.
pub fn round_of(collectors: &Collectors, round: u64) -> Result<(), Box<dyn Error>> {
    let watcher = &collectors.watcher;
    let files = 1 + (round % 3) as usize;
    watcher.update_changed_files_count(files);
    watcher.record_debounce(DEBOUNCE[cycle(round, DEBOUNCE.len())])?;
    if round % 9 == 4 {
        // A file deleted between the change event and the read.
        watcher.record_error(WatcherError::FileRead);
    }
    for file in 0..files {
        let run = round * 3 + file as u64;
        let outcome = OUTCOMES[cycle(run, OUTCOMES.len())];
        {
            let _processing = watcher.time_processing();
            std::thread::sleep(Duration::from_millis(
                PROCESSING_MS[cycle(run, PROCESSING_MS.len())],
            ));
            watcher.record_file_processed();
        }
        watcher.update_changed_files_count(files - file - 1);
        watcher.record_test_run(outcome, TEST_SECONDS[cycle(run, TEST_SECONDS.len())])?;
        let publishing = Duration::from_millis(PUBLISH_MS[cycle(run, PUBLISH_MS.len())]);
        // Not waited for: the watcher goes on while the result is posted.
        drop(workload::publish_result(&collectors.bridge, publishing)?);
        workload::ask_about(collectors, outcome, API_PACE)?;
    }
    watcher.update_changed_files_count((round % 4) as usize);
    watcher.update_memory_usage();

    let trigger = TRIGGERS[cycle(round, TRIGGERS.len())];
    let commits = if trigger == Trigger::Commit { 1 + round % 3 } else { 0 };
    let error = match round % 10 {
        2 => Some(AuditError::Git),
        7 => Some(AuditError::Parse),
        _ => None,
    };
    // Coverage wanders between 72 and 88.5 %.
    let coverage = 72.0 + (round % 16) as f64 * 1.1;
    let run = AuditRun(trigger, coverage, round % 3, commits, error);
    let analysis = Duration::from_millis(3 + 4 * (round % 5));
    workload::audit_run(&collectors.audit, &run, analysis)?;
    Ok(())
}

/// The index into a cycle of `len` values for step `n`.
fn cycle(n: u64, len: usize) -> usize {
    (n % len as u64) as usize
}
