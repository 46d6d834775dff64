//! The file watcher's collector: the reference's `TestWatcherCollector` (a watcher that
//! debounces file changes, processes them, runs the tests and asks an API about failures).
//!
//! Names are the reference's, with its `test_watcher_` prefix. Label values that come from
//! enums are bound once at construction, so recording them cannot fail and costs an atomic
//! add; the API name is a string, as in the reference's `record_api_call('deepseek', ...)`,
//! and is checked against a declared set.

use flowmeter::app::{
    self, AppCounter, AppMetricError, BoundAppCounter, BoundAppGauge, BoundAppHistogram,
    HistogramTimer,
};

use crate::api_client::{APIS, CALL_STATUSES};

/// `test_watcher_processing_duration_seconds` buckets: the reference shows 0.1, 0.5, 1.0
/// and elides the rest; 2.5, 5 and 10 continue it.
pub const PROCESSING_BUCKETS: [f64; 6] = [0.1, 0.5, 1.0, 2.5, 5.0, 10.0];
/// `test_watcher_debounce_duration_seconds` buckets (not given by the reference): debounce
/// windows are fractions of a second.
pub const DEBOUNCE_BUCKETS: [f64; 6] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0];
/// `test_watcher_test_execution_duration_seconds` buckets (not given by the reference): a
/// test suite takes seconds to minutes.
pub const TEST_EXECUTION_BUCKETS: [f64; 7] = [1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];

/// How a test run ended: the `status` label of `test_watcher_tests_run_total`, with the
/// reference's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestOutcome {
    /// Every test passed.
    Pass,
    /// A test failed.
    Fail,
    /// The runner itself failed (collection error, crash).
    Error,
}

impl TestOutcome {
    const ALL: [TestOutcome; 3] = [TestOutcome::Pass, TestOutcome::Fail, TestOutcome::Error];

    fn as_str(self) -> &'static str {
        match self {
            TestOutcome::Pass => "pass",
            TestOutcome::Fail => "fail",
            TestOutcome::Error => "error",
        }
    }
}

/// What went wrong inside the watcher: the `error_type` label of `test_watcher_errors_total`
/// (not given by the reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatcherError {
    /// A changed file could not be read.
    FileRead,
    /// The test runner could not run the tests.
    TestRunner,
    /// An API call made on the watcher's behalf failed.
    Api,
}

impl WatcherError {
    const ALL: [WatcherError; 3] =
        [WatcherError::FileRead, WatcherError::TestRunner, WatcherError::Api];

    fn as_str(self) -> &'static str {
        match self {
            WatcherError::FileRead => "file_read",
            WatcherError::TestRunner => "test_runner",
            WatcherError::Api => "api",
        }
    }
}

/// The file watcher's metrics, one handle per series it can record.
#[derive(Debug)]
pub struct FileWatcherCollector {
    files_processed: BoundAppCounter,
    /// One per [`TestOutcome`], in `TestOutcome::ALL` order.
    tests_run: Vec<BoundAppCounter>,
    api_calls: AppCounter,
    /// One per [`WatcherError`], in `WatcherError::ALL` order.
    errors: Vec<BoundAppCounter>,
    changed_files: BoundAppGauge,
    memory_usage: BoundAppGauge,
    is_running: BoundAppGauge,
    processing_duration: BoundAppHistogram,
    debounce_duration: BoundAppHistogram,
    test_execution_duration: BoundAppHistogram,
}

impl FileWatcherCollector {
    /// Declares the metrics and binds every series known up front.
    pub fn new() -> Result<Self, AppMetricError> {
        let tests_run = app::counter("test_watcher.tests_run")
            .help("Total number of test runs executed")
            .labels(["status"])
            .label_values("status", TestOutcome::ALL.map(TestOutcome::as_str))
            .build()?;
        let errors = app::counter("test_watcher.errors")
            .help("Total errors in TestWatcher")
            .labels(["error_type"])
            .label_values("error_type", WatcherError::ALL.map(WatcherError::as_str))
            .build()?;
        let seconds = |name: &str, help: &str, buckets: &[f64]| {
            app::histogram(name).help(help).unit("s").buckets(buckets.iter().copied()).build()
        };
        Ok(FileWatcherCollector {
            files_processed: app::counter("test_watcher.files_processed")
                .help("Total number of files processed by TestWatcher")
                .build()?
                .bind(&[])?,
            tests_run: TestOutcome::ALL
                .iter()
                .map(|outcome| tests_run.bind(&[outcome.as_str()]))
                .collect::<Result<_, _>>()?,
            api_calls: app::counter("test_watcher.api_calls")
                .help("Total API calls made by TestWatcher")
                .labels(["api", "status"])
                .label_values("api", APIS)
                .label_values("status", CALL_STATUSES)
                .build()?,
            errors: WatcherError::ALL
                .iter()
                .map(|kind| errors.bind(&[kind.as_str()]))
                .collect::<Result<_, _>>()?,
            changed_files: app::gauge("test_watcher.changed_files_current")
                .help("Number of changed files waiting to be processed")
                .range(0.0..=f64::INFINITY)
                .build()?
                .bind(&[])?,
            memory_usage: app::gauge("test_watcher.memory_usage")
                .help("Current memory usage in bytes")
                .unit("By")
                .range(0.0..=f64::INFINITY)
                .build()?
                .bind(&[])?,
            is_running: app::gauge("test_watcher.is_running")
                .help("Whether TestWatcher is running (1) or stopped (0)")
                .range(0.0..=1.0)
                .build()?
                .bind(&[])?,
            processing_duration: seconds(
                "test_watcher.processing_duration",
                "Time spent processing file changes",
                &PROCESSING_BUCKETS,
            )?
            .bind(&[])?,
            debounce_duration: seconds(
                "test_watcher.debounce_duration",
                "Time changes waited in the debounce window before processing",
                &DEBOUNCE_BUCKETS,
            )?
            .bind(&[])?,
            test_execution_duration: seconds(
                "test_watcher.test_execution_duration",
                "Duration of a test run as reported by the test runner",
                &TEST_EXECUTION_BUCKETS,
            )?
            .bind(&[])?,
        })
    }

    /// Counts one processed file.
    pub fn record_file_processed(&self) {
        self.files_processed.inc();
    }

    /// Counts one test run and observes the duration its runner reported.
    ///
    /// # Errors
    /// [`AppMetricError::Negative`] / [`AppMetricError::NotFinite`] for a bad duration, in
    /// which case the run is not counted either.
    pub fn record_test_run(
        &self,
        outcome: TestOutcome,
        seconds: f64,
    ) -> Result<(), AppMetricError> {
        self.test_execution_duration.record(seconds)?;
        self.tests_run[outcome as usize].inc();
        if outcome == TestOutcome::Error {
            self.record_error(WatcherError::TestRunner);
        }
        Ok(())
    }

    /// Counts one API call made by the watcher. The call's duration and tokens belong to the
    /// API client's collector, which records them once (the reference's
    /// `record_api_call('deepseek', 'success', 1.5)` passed the duration here too).
    ///
    /// # Errors
    /// [`AppMetricError::LabelValue`] for an API outside [`APIS`] or a status outside
    /// [`CALL_STATUSES`]; nothing is recorded.
    pub fn record_api_call(&self, api: &str, status: &str) -> Result<(), AppMetricError> {
        self.api_calls.inc(&[api, status])?;
        if status == "error" {
            self.record_error(WatcherError::Api);
        }
        Ok(())
    }

    /// Counts one error.
    pub fn record_error(&self, kind: WatcherError) {
        self.errors[kind as usize].inc();
    }

    /// Sets the number of changed files waiting to be processed.
    pub fn update_changed_files_count(&self, count: usize) {
        // A count is finite and non-negative, inside the declared range.
        let _ = self.changed_files.set(count as f64);
    }

    /// Sets whether the watcher is running.
    pub fn set_running_status(&self, running: bool) {
        let _ = self.is_running.set(if running { 1.0 } else { 0.0 });
    }

    /// Observes how long a batch of changes waited in the debounce window.
    ///
    /// # Errors
    /// [`AppMetricError::Negative`] / [`AppMetricError::NotFinite`] for a bad duration.
    pub fn record_debounce(&self, seconds: f64) -> Result<(), AppMetricError> {
        self.debounce_duration.record(seconds)
    }

    /// Sets `test_watcher_memory_usage_bytes` to this process's resident set size, as the
    /// reference's `update_memory_usage()` does. Returns the bytes, or `None` (recording
    /// nothing) where the platform does not report it.
    pub fn update_memory_usage(&self) -> Option<u64> {
        use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System};

        let pid = sysinfo::get_current_pid().ok()?;
        // A fresh `System` per update: it refreshes only this process's memory, and holds no
        // `/proc` file open between updates.
        let mut system = System::new();
        let refresh = ProcessRefreshKind::nothing().with_memory();
        system.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, refresh);
        let bytes = system.process(pid)?.memory();
        self.memory_usage.set(bytes as f64).ok()?;
        Some(bytes)
    }

    /// Times processing until the guard is dropped (the reference's
    /// `with collector.time_processing():`).
    pub fn time_processing(&self) -> HistogramTimer<'_> {
        self.processing_duration.start_timer()
    }
}
