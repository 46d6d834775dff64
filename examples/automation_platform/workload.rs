//! The demo workload: drives every collector with fixed activity, so the exposition it
//! leaves behind is known exactly (the reference's `demo_prometheus_metrics.py`). Only the
//! durations measured by timers, the memory usage and the last-run timestamp depend on the
//! machine.
//!
//! | collector | activity |
//! |---|---|
//! | file watcher | 2 debounced batches (0.25 s, 0.5 s) of 3 + 2 files; one test run per file: pass 4.25 s, fail 6.5 s, pass 3.75 s, error 0.5 s, pass 12 s; 2 changes left pending |
//! | API client | for the failing run: DeepSeek ok (1.5 s, 1200/350 tokens), Perplexity ok (2 s, 400/900); for the runner error: Perplexity rate-limited (0.25 s), DeepSeek timed out (10 s), DeepSeek ok (0.75 s, 800/200) |
//! | audit agent | 3 runs: scheduled (75 %, 2 markers, 4 commits), scheduled (80.5 %, 1, 0), manual (85.5 %, 0, 1, one git error) |
//! | rejected | coverage 120 % and a call to an undeclared API (`openai`): typed errors, nothing recorded |

use std::error::Error;

use flowmeter::app::AppMetricError;

use crate::api_client::{ApiCall, ApiClientCollector, CallOutcome};
use crate::audit_agent::{AuditAgentCollector, AuditError, Trigger};
use crate::file_watcher::{FileWatcherCollector, TestOutcome};

/// The platform's three components' collectors.
#[derive(Debug)]
pub struct Collectors {
    /// The file watcher's.
    pub watcher: FileWatcherCollector,
    /// The audit agent's.
    pub audit: AuditAgentCollector,
    /// The API client's.
    pub api: ApiClientCollector,
}

impl Collectors {
    /// Declares every collector's metrics.
    pub fn new() -> Result<Self, AppMetricError> {
        Ok(Collectors {
            watcher: FileWatcherCollector::new()?,
            audit: AuditAgentCollector::new()?,
            api: ApiClientCollector::new()?,
        })
    }
}

/// Changed files, in debounced batches, with the time each batch waited in the window.
const BATCHES: [(&[&str], f64); 2] = [
    (&["src/lib.rs", "src/parser.rs", "tests/parser.rs"], 0.25),
    (&["README.md", "src/main.rs"], 0.5),
];
/// Changes that arrive while the last test run finishes; they wait for the next window.
const PENDING_CHANGES: usize = 2;
/// What the test runner reports for the run after each processed file, in order.
const TEST_RUNS: [(TestOutcome, f64); 5] = [
    (TestOutcome::Pass, 4.25),
    (TestOutcome::Fail, 6.5),
    (TestOutcome::Pass, 3.75),
    (TestOutcome::Error, 0.5),
    (TestOutcome::Pass, 12.0),
];

/// One audit run: trigger, coverage found, completion markers, new commits, error met.
struct AuditRun(Trigger, f64, u64, u64, Option<AuditError>);

const AUDIT_RUNS: [AuditRun; 3] = [
    AuditRun(Trigger::Scheduled, 75.0, 2, 4, None),
    AuditRun(Trigger::Scheduled, 80.5, 1, 0, None),
    AuditRun(Trigger::Manual, 85.5, 0, 1, Some(AuditError::Git)),
];

const fn ok(seconds: f64, input_tokens: u64, output_tokens: u64) -> ApiCall {
    ApiCall { outcome: CallOutcome::Success, seconds, input_tokens, output_tokens }
}

/// Runs the whole workload once. Progress goes to stderr, so `--once` keeps stdout for the
/// exposition.
pub fn run(collectors: &Collectors) -> Result<(), Box<dyn Error>> {
    watch_files(collectors)?;
    audit(&collectors.audit)?;
    reject_bad_input(collectors)?;
    Ok(())
}

fn watch_files(collectors: &Collectors) -> Result<(), AppMetricError> {
    let watcher = &collectors.watcher;
    watcher.set_running_status(true);
    let mut runs = TEST_RUNS.iter();
    for (files, debounce) in BATCHES {
        watcher.update_changed_files_count(files.len());
        watcher.record_debounce(debounce)?;
        for (done, file) in files.iter().enumerate() {
            let _processing = watcher.time_processing();
            watcher.record_file_processed();
            watcher.update_changed_files_count(files.len() - done - 1);
            let &(outcome, seconds) = runs.next().expect("one test run per file");
            watcher.record_test_run(outcome, seconds)?;
            eprintln!("watcher: processed {file}, tests {outcome:?} in {seconds} s");
            match outcome {
                TestOutcome::Pass => {}
                TestOutcome::Fail => {
                    // Ask for an explanation of the failure, then for the docs it cites.
                    call_api(collectors, "deepseek", ok(1.5, 1200, 350))?;
                    call_api(collectors, "perplexity", ok(2.0, 400, 900))?;
                }
                TestOutcome::Error => {
                    // Perplexity is rate-limited; DeepSeek times out once, then answers.
                    let failed = |outcome, seconds| ApiCall { outcome, ..ok(seconds, 0, 0) };
                    call_api(collectors, "perplexity", failed(CallOutcome::RateLimited, 0.25))?;
                    call_api(collectors, "deepseek", failed(CallOutcome::Timeout, 10.0))?;
                    call_api(collectors, "deepseek", ok(0.75, 800, 200))?;
                }
            }
        }
    }
    watcher.update_changed_files_count(PENDING_CHANGES);
    if let Some(bytes) = watcher.update_memory_usage() {
        eprintln!("watcher: resident memory {:.1} MB", bytes as f64 / 1e6);
    }
    Ok(())
}

/// One call made by the watcher through the API client: both collectors count it.
fn call_api(collectors: &Collectors, api: &str, call: ApiCall) -> Result<(), AppMetricError> {
    collectors.api.record_call(api, &call)?;
    collectors.watcher.record_api_call(api, call.outcome.status())
}

fn audit(audit: &AuditAgentCollector) -> Result<(), AppMetricError> {
    for (n, AuditRun(trigger, coverage, markers, commits, error)) in AUDIT_RUNS.iter().enumerate() {
        let _task = audit.track_task();
        let _run = audit.time_run();
        {
            let _analysis = audit.time_analysis();
            audit.record_completion_markers_found(*markers);
            audit.record_git_commits_detected(*commits);
            if let Some(error) = error {
                audit.record_error(*error);
            }
        }
        audit.update_coverage(*coverage)?;
        audit.record_run(*trigger);
        eprintln!("audit: run {}/{} ({trigger:?}), coverage {coverage} %", n + 1, AUDIT_RUNS.len());
    }
    Ok(())
}

/// Bad input is a typed error that records nothing; the exposition shows it did not.
fn reject_bad_input(collectors: &Collectors) -> Result<(), Box<dyn Error>> {
    let attempts = [
        ("coverage 120 %", collectors.audit.update_coverage(120.0)),
        ("a call to openai", collectors.api.record_call("openai", &ok(1.0, 10, 10))),
    ];
    for (what, result) in attempts {
        match result {
            Err(error) => eprintln!("rejected {what}: {error}"),
            Ok(()) => return Err(format!("{what} was accepted").into()),
        }
    }
    Ok(())
}
