//! The audit agent's collector: the reference's `AuditAgentCollector` (an agent that audits
//! the repository on a schedule or on demand: finds completion markers, detects new git
//! commits, measures coverage).
//!
//! Names are the reference's, with an `audit_agent_` prefix. The reference's `runs_total` is
//! declared as the counter `audit_agent.runs`: the exporter appends `_total`, so the exported
//! name is the reference's `audit_agent_runs_total`.

use std::time::{SystemTime, UNIX_EPOCH};

use flowmeter::app::{
    self, AppGauge, AppMetricError, BoundAppCounter, BoundAppGauge, BoundAppHistogram,
    BoundAppUpDownCounter, HistogramTimer,
};

/// `audit_agent_run_duration_seconds` buckets (not given by the reference): a whole audit
/// takes seconds to minutes.
pub const RUN_BUCKETS: [f64; 7] = [1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];
/// `audit_agent_analysis_duration_seconds` buckets (not given by the reference): one
/// analysis pass takes a fraction of a run.
pub const ANALYSIS_BUCKETS: [f64; 6] = [0.1, 0.5, 1.0, 5.0, 10.0, 30.0];

/// What started an audit run: the `trigger` label of `audit_agent_runs_total` (the
/// reference's `record_run('scheduled')` names neither the label nor the other values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The periodic schedule.
    Scheduled,
    /// A person asked for it.
    Manual,
    /// A new git commit.
    Commit,
}

impl Trigger {
    const ALL: [Trigger; 3] = [Trigger::Scheduled, Trigger::Manual, Trigger::Commit];

    fn as_str(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::Manual => "manual",
            Trigger::Commit => "commit",
        }
    }
}

/// What went wrong during an audit: the `error_type` label of `audit_agent_errors_total`
/// (not given by the reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditError {
    /// A git command failed.
    Git,
    /// A file could not be parsed for completion markers.
    Parse,
}

impl AuditError {
    const ALL: [AuditError; 2] = [AuditError::Git, AuditError::Parse];

    fn as_str(self) -> &'static str {
        match self {
            AuditError::Git => "git",
            AuditError::Parse => "parse",
        }
    }
}

/// The audit agent's metrics, one handle per series it can record.
#[derive(Debug)]
pub struct AuditAgentCollector {
    /// One per [`Trigger`], in `Trigger::ALL` order.
    runs: Vec<BoundAppCounter>,
    completion_markers_found: BoundAppCounter,
    git_commits_detected: BoundAppCounter,
    /// One per [`AuditError`], in `AuditError::ALL` order.
    errors: Vec<BoundAppCounter>,
    /// Unbound: [`update_coverage`](Self::update_coverage) takes any `f64` and its range
    /// check is the point.
    coverage: AppGauge,
    last_run_timestamp: BoundAppGauge,
    active_tasks: BoundAppUpDownCounter,
    run_duration: BoundAppHistogram,
    analysis_duration: BoundAppHistogram,
}

impl AuditAgentCollector {
    /// Declares the metrics and binds every series known up front.
    pub fn new() -> Result<Self, AppMetricError> {
        let runs = app::counter("audit_agent.runs")
            .help("Total number of audit runs")
            .labels(["trigger"])
            .label_values("trigger", Trigger::ALL.map(Trigger::as_str))
            .build()?;
        let errors = app::counter("audit_agent.errors")
            .help("Total errors in AuditAgent")
            .labels(["error_type"])
            .label_values("error_type", AuditError::ALL.map(AuditError::as_str))
            .build()?;
        let count = |name: &str, help: &str| app::counter(name).help(help).build()?.bind(&[]);
        let seconds = |name: &str, help: &str, buckets: &[f64]| {
            app::histogram(name).help(help).unit("s").buckets(buckets.iter().copied()).build()
        };
        Ok(AuditAgentCollector {
            runs: Trigger::ALL
                .iter()
                .map(|trigger| runs.bind(&[trigger.as_str()]))
                .collect::<Result<_, _>>()?,
            completion_markers_found: count(
                "audit_agent.completion_markers_found",
                "Total completion markers found in audited files",
            )?,
            git_commits_detected: count(
                "audit_agent.git_commits_detected",
                "Total new git commits detected",
            )?,
            errors: AuditError::ALL
                .iter()
                .map(|kind| errors.bind(&[kind.as_str()]))
                .collect::<Result<_, _>>()?,
            coverage: app::gauge("audit_agent.coverage")
                .help("Test coverage measured by the last audit")
                .unit("%")
                .range(0.0..=100.0)
                .build()?,
            last_run_timestamp: app::gauge("audit_agent.last_run_timestamp")
                .help("Unix time the last audit run finished")
                .unit("s")
                .range(0.0..=f64::INFINITY)
                .build()?
                .bind(&[])?,
            active_tasks: app::up_down_counter("audit_agent.active_tasks")
                .help("Number of audit tasks in progress")
                .build()?
                .bind(&[])?,
            run_duration: seconds(
                "audit_agent.run_duration",
                "Duration of a whole audit run",
                &RUN_BUCKETS,
            )?
            .bind(&[])?,
            analysis_duration: seconds(
                "audit_agent.analysis_duration",
                "Duration of the analysis pass of an audit run",
                &ANALYSIS_BUCKETS,
            )?
            .bind(&[])?,
        })
    }

    /// Counts one audit run and sets `audit_agent_last_run_timestamp_seconds` to now.
    pub fn record_run(&self, trigger: Trigger) {
        self.runs[trigger as usize].inc();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        // Non-negative and finite, inside the declared range.
        let _ = self.last_run_timestamp.set(now.as_secs_f64());
    }

    /// Sets the coverage percentage.
    ///
    /// # Errors
    /// [`AppMetricError::OutOfRange`] outside 0..=100 and [`AppMetricError::NotFinite`] for
    /// NaN; the previous value stays.
    pub fn update_coverage(&self, percent: f64) -> Result<(), AppMetricError> {
        self.coverage.set(percent, &[])
    }

    /// Counts completion markers found in one run.
    pub fn record_completion_markers_found(&self, count: u64) {
        self.completion_markers_found.add(count);
    }

    /// Counts new git commits detected in one run.
    pub fn record_git_commits_detected(&self, count: u64) {
        self.git_commits_detected.add(count);
    }

    /// Counts one error.
    pub fn record_error(&self, kind: AuditError) {
        self.errors[kind as usize].inc();
    }

    /// Counts a task as active until the returned guard is dropped, so an early return or a
    /// panic cannot leave `audit_agent_active_tasks` too high.
    pub fn track_task(&self) -> ActiveTask<'_> {
        self.active_tasks.inc();
        ActiveTask { active_tasks: &self.active_tasks }
    }

    /// Times a whole run until the guard is dropped (the reference's `with
    /// collector.time_run():`).
    pub fn time_run(&self) -> HistogramTimer<'_> {
        self.run_duration.start_timer()
    }

    /// Times an analysis pass until the guard is dropped.
    pub fn time_analysis(&self) -> HistogramTimer<'_> {
        self.analysis_duration.start_timer()
    }
}

/// One active audit task; see [`AuditAgentCollector::track_task`].
#[derive(Debug)]
#[must_use = "the task stops counting as active when the guard is dropped"]
pub struct ActiveTask<'a> {
    active_tasks: &'a BoundAppUpDownCounter,
}

impl Drop for ActiveTask<'_> {
    fn drop(&mut self) {
        self.active_tasks.dec();
    }
}
