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
//! | SafeAsyncBridge | every API call above runs through `run` (timeout 0.25 s; the rate-limited one returns an error, the timed-out one never answers); each test run's result is published through `spawn` and waited for: 10 calls, 1 error, 1 timeout, the background loop left running |
//! | rejected | coverage 120 % and a call to an undeclared API (`openai`): typed errors, nothing recorded |
//!
//! [`steady`](crate::steady) keeps a varied workload going after this one while serving.

use std::error::Error;
use std::time::Duration;

use flowmeter::app::AppMetricError;

use crate::api_client::{ApiCall, ApiClientCollector, CallOutcome};
use crate::audit_agent::{AuditAgentCollector, AuditError, Trigger};
use crate::file_watcher::{FileWatcherCollector, TestOutcome};
use crate::safe_async_bridge::{BridgeError, SafeAsyncBridge};

/// The platform's four components' collectors.
#[derive(Debug)]
pub struct Collectors {
    /// The file watcher's.
    pub watcher: FileWatcherCollector,
    /// The audit agent's.
    pub audit: AuditAgentCollector,
    /// The API client's.
    pub api: ApiClientCollector,
    /// The bridge the sync components call the async API client and publisher through.
    pub bridge: SafeAsyncBridge,
}

impl Collectors {
    /// Declares every collector's metrics.
    pub fn new() -> Result<Self, AppMetricError> {
        Ok(Collectors {
            watcher: FileWatcherCollector::new()?,
            audit: AuditAgentCollector::new()?,
            api: ApiClientCollector::new()?,
            bridge: SafeAsyncBridge::new()?,
        })
    }
}

/// How long the bridge waits for an API call: the client's real budget would be seconds;
/// short here so the demo's timed-out call does not hold it up.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(250);
/// How long the bridge lets a result publication take.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);

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
pub struct AuditRun(pub Trigger, pub f64, pub u64, pub u64, pub Option<AuditError>);

const AUDIT_RUNS: [AuditRun; 3] = [
    AuditRun(Trigger::Scheduled, 75.0, 2, 4, None),
    AuditRun(Trigger::Scheduled, 80.5, 1, 0, None),
    AuditRun(Trigger::Manual, 85.5, 0, 1, Some(AuditError::Git)),
];

pub const fn ok(seconds: f64, input_tokens: u64, output_tokens: u64) -> ApiCall {
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

fn watch_files(collectors: &Collectors) -> Result<(), Box<dyn Error>> {
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
            // Awaited here so the exposition left behind is exact; `steady` does not wait.
            publish_result(&collectors.bridge, Duration::ZERO)?.wait()?;
            eprintln!("watcher: processed {file}, tests {outcome:?} in {seconds} s");
            ask_about(collectors, outcome, 0.0)?;
        }
    }
    watcher.update_changed_files_count(PENDING_CHANGES);
    if let Some(bytes) = watcher.update_memory_usage() {
        eprintln!("watcher: resident memory {:.1} MB", bytes as f64 / 1e6);
    }
    Ok(())
}

/// The API calls the watcher makes about a test run: for a failure, an explanation from
/// DeepSeek, then the docs it cites from Perplexity; for a runner error, Perplexity is
/// rate-limited and DeepSeek times out once, then answers. Each simulated call answers after
/// its reported seconds times `pace` (0: at once).
pub fn ask_about(
    collectors: &Collectors,
    outcome: TestOutcome,
    pace: f64,
) -> Result<(), Box<dyn Error>> {
    let calls: &[(&str, ApiCall)] = match outcome {
        TestOutcome::Pass => &[],
        TestOutcome::Fail => &[("deepseek", ok(1.5, 1200, 350)), ("perplexity", ok(2.0, 400, 900))],
        TestOutcome::Error => &[
            ("perplexity", failed(CallOutcome::RateLimited, 0.25)),
            ("deepseek", failed(CallOutcome::Timeout, 10.0)),
            ("deepseek", ok(0.75, 800, 200)),
        ],
    };
    for (api, call) in calls {
        call_api(collectors, api, *call, Duration::from_secs_f64(call.seconds * pace))?;
    }
    Ok(())
}

const fn failed(outcome: CallOutcome, seconds: f64) -> ApiCall {
    ApiCall { outcome, seconds, input_tokens: 0, output_tokens: 0 }
}

/// One call made by the watcher through the async API client, run by the bridge: the call
/// answers after `latency` as `call.outcome` says (a timed-out one never answers), and what
/// the bridge saw of it is what the API and watcher collectors count, with the call's
/// reported duration and tokens.
pub fn call_api(
    collectors: &Collectors,
    api: &str,
    call: ApiCall,
    latency: Duration,
) -> Result<(), Box<dyn Error>> {
    let planned = call.outcome;
    let answer = async move {
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        match planned {
            CallOutcome::Success => Ok(()),
            CallOutcome::RateLimited => Err(CallOutcome::RateLimited),
            CallOutcome::Timeout => std::future::pending().await,
        }
    };
    let outcome = match collectors.bridge.run(CALL_TIMEOUT, answer) {
        Ok(()) => CallOutcome::Success,
        Err(BridgeError::Task(outcome)) => outcome,
        Err(BridgeError::TimedOut(_)) => CallOutcome::Timeout,
        Err(other) => return Err(format!("{api} call: {other:?}").into()),
    };
    let call = ApiCall { outcome, ..call };
    collectors.api.record_call(api, &call)?;
    collectors.watcher.record_api_call(api, call.outcome.status())?;
    Ok(())
}

/// Publishes a test run's result to the platform's dashboard, in the background through the
/// bridge; the post takes `latency`.
pub fn publish_result(
    bridge: &SafeAsyncBridge,
    latency: Duration,
) -> Result<crate::safe_async_bridge::Spawned<(), std::io::Error>, Box<dyn Error>> {
    let post = async move {
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        Ok::<(), std::io::Error>(())
    };
    bridge.spawn(PUBLISH_TIMEOUT, post).map_err(|e| e.to_string().into())
}

fn audit(audit: &AuditAgentCollector) -> Result<(), AppMetricError> {
    for (n, run) in AUDIT_RUNS.iter().enumerate() {
        audit_run(audit, run, Duration::ZERO)?;
        let AuditRun(trigger, coverage, ..) = run;
        eprintln!("audit: run {}/{} ({trigger:?}), coverage {coverage} %", n + 1, AUDIT_RUNS.len());
    }
    Ok(())
}

/// One audit run, its analysis pass taking `analysis` (zero: as long as the recording).
pub fn audit_run(
    audit: &AuditAgentCollector,
    AuditRun(trigger, coverage, markers, commits, error): &AuditRun,
    analysis: Duration,
) -> Result<(), AppMetricError> {
    let _task = audit.track_task();
    let _run = audit.time_run();
    {
        let _analysis = audit.time_analysis();
        if !analysis.is_zero() {
            std::thread::sleep(analysis);
        }
        audit.record_completion_markers_found(*markers);
        audit.record_git_commits_detected(*commits);
        if let Some(error) = error {
            audit.record_error(*error);
        }
    }
    audit.update_coverage(*coverage)?;
    audit.record_run(*trigger);
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
