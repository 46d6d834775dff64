//! The reference's exporter object (`SkillsExporter`) and the five families it records.

use std::net::SocketAddr;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use flowmeter::app::{
    self, AppCounter, AppGauge, AppHistogram, AppMetricError, BoundAppCounter, HistogramTimer,
};
use flowmeter::exporter::MetricsServer;
use flowmeter::{Error, Telemetry};

/// The reference's default port (`PrometheusExporter(port: int = 9090)`). Prometheus itself
/// listens on 9090 too; pass another port when both run on one host.
pub const DEFAULT_PORT: u32 = 9090;
/// Bucket upper bounds of `skill_duration_seconds`, in seconds, as the reference has them.
pub const DURATION_BUCKETS: [f64; 9] = [0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0];
/// The `workflow_phase` recorded when the caller gives none (the reference accepts `None`
/// without saying how it is exported).
pub const UNKNOWN_PHASE: &str = "unknown";
/// Allowed values of `workflow_phase`. The reference takes any string; a declared set keeps
/// the label's cardinality bounded and turns a typo into an error instead of a new series.
pub const WORKFLOW_PHASES: [&str; 4] = ["setup", "execution", "verification", UNKNOWN_PHASE];
/// Allowed values of `anomaly_type`: the three the reference lists, and `performance_drop`,
/// which its own usage example and sample output record.
pub const ANOMALY_TYPES: [&str; 4] = ["drop", "spike", "pattern_shift", "performance_drop"];

// Statics, the flowmeter way: a metric is declared once per process, as prometheus_client's
// default registry has it. The declarations are constants, so `expect` fails on every run or
// never, and the example's test scrapes all five. `skill_name` has no declared set: skills
// are a small, known list in practice, but the reference leaves it open.
static INVOCATIONS: LazyLock<AppCounter> = LazyLock::new(|| {
    app::counter("skill.invocations")
        .help("Total number of skill invocations")
        .labels(["skill_name", "workflow_phase", "completed"])
        .label_values("workflow_phase", WORKFLOW_PHASES)
        .label_values("completed", ["true", "false"])
        .build()
        .expect("valid declaration")
});
static DURATION: LazyLock<AppHistogram> = LazyLock::new(|| {
    app::histogram("skill.duration")
        .help("Skill execution duration in seconds")
        .unit("s")
        .labels(["skill_name", "workflow_phase"])
        .label_values("workflow_phase", WORKFLOW_PHASES)
        .buckets(DURATION_BUCKETS)
        .build()
        .expect("valid declaration")
});
static COMPLETION_RATE: LazyLock<AppGauge> = LazyLock::new(|| {
    app::gauge("skill.completion.rate")
        .help("Current skill completion rate")
        .labels(["skill_name"])
        .range(0.0..=1.0)
        .build()
        .expect("valid declaration")
});
static ACTIVE_SESSIONS: LazyLock<AppGauge> = LazyLock::new(|| {
    app::gauge("active.sessions.total")
        .help("Number of currently active sessions")
        .build()
        .expect("valid declaration")
});
static ANOMALIES: LazyLock<AppCounter> = LazyLock::new(|| {
    app::counter("anomalies.detected")
        .help("Total number of anomalies detected")
        .labels(["anomaly_type", "skill_name"])
        .label_values("anomaly_type", ANOMALY_TYPES)
        .build()
        .expect("valid declaration")
});

/// The Rust form of the reference's `PrometheusExporter`: records the skills metrics from any
/// number of threads (`&self` everywhere; it is `Sync`) and serves them on `/metrics`.
///
/// It installs the process's telemetry pipeline, so there is one per process (a second
/// [`new`](Self::new) is [`Error::AlreadyInstalled`]), as the reference's metrics live in
/// prometheus_client's global registry, where a second instance fails too.
#[derive(Debug)]
pub struct SkillsExporter {
    // Before `telemetry`: fields drop in order, so the endpoint stops before the pipeline.
    server: Mutex<Option<MetricsServer>>,
    telemetry: Telemetry,
}

impl SkillsExporter {
    /// Validates `port` and installs the pipeline, without serving yet (like the reference's
    /// constructor); recordings count from here and show once [`start`](Self::start)ed.
    ///
    /// The port is an integer wider than `u16`, as the reference's `port: int` is, so that
    /// a bad port is a value to reject rather than a compile error. It goes through
    /// flowmeter's own `listen` validation (`FLOWMETER_*` variables other than `listen` are
    /// honoured, e.g. `FLOWMETER_ENABLED=false`).
    ///
    /// # Errors
    /// [`Error::Config`] with field `listen` and the value `127.0.0.1:{port}` for port 0 or
    /// a port above 65535 (nothing is installed then), [`Error::AlreadyInstalled`] when the
    /// process already has a pipeline.
    pub fn new(port: u32) -> Result<Self, Error> {
        let telemetry = Telemetry::builder()
            .service_name("skills-exporter")
            .listen(format!("127.0.0.1:{port}"))
            // `start` serves, not `install`: the reference's constructor does not listen.
            .serve(false)
            .install_subscriber(false)
            .install()?;
        Ok(SkillsExporter { server: Mutex::new(None), telemetry })
    }

    /// Starts serving `/metrics` on the port and returns the address. Idempotent: while it
    /// runs, later calls return the same address and bind nothing. After
    /// [`stop`](Self::stop) it binds the port again.
    ///
    /// # Errors
    /// [`Error::Bind`] naming the address when the port is taken, [`Error::Serve`] when the
    /// server thread cannot start.
    pub fn start(&self) -> Result<SocketAddr, Error> {
        let mut server = self.server();
        if let Some(running) = server.as_ref().filter(|s| s.is_running()) {
            return Ok(running.local_addr());
        }
        let config = self.telemetry.config();
        let fresh = MetricsServer::bind(config.listen, &config.metrics_path)?;
        let addr = fresh.start()?;
        *server = Some(fresh);
        Ok(addr)
    }

    /// Whether `/metrics` is being served: started and not stopped.
    pub fn is_running(&self) -> bool {
        self.server().as_ref().is_some_and(MetricsServer::is_running)
    }

    /// Stops serving; the port is closed when this returns. Recordings go on and show again
    /// after the next [`start`](Self::start). Idempotent; dropping the exporter also stops.
    pub fn stop(&self) {
        if let Some(server) = self.server().take() {
            server.shutdown();
        }
    }

    /// The port, as validated.
    pub fn port(&self) -> u16 {
        self.telemetry.config().listen.port()
    }

    /// `http://127.0.0.1:{port}/metrics`.
    pub fn metrics_url(&self) -> String {
        let config = self.telemetry.config();
        format!("http://{}{}", config.listen, config.metrics_path)
    }

    /// The text exposition, as `/metrics` serves it.
    pub fn render(&self) -> String {
        self.telemetry.render()
    }

    /// Counts one invocation and, when given, observes its duration. A `workflow_phase` of
    /// `None` is recorded as [`UNKNOWN_PHASE`].
    ///
    /// # Errors
    /// [`AppMetricError::LabelValue`] for a phase outside [`WORKFLOW_PHASES`],
    /// [`AppMetricError::Negative`] / [`AppMetricError::NotFinite`] for a negative or
    /// non-finite duration. Nothing is recorded then.
    pub fn record_invocation(
        &self,
        skill_name: &str,
        workflow_phase: Option<&str>,
        completed: bool,
        duration_seconds: Option<f64>,
    ) -> Result<(), AppMetricError> {
        let phase = workflow_phase.unwrap_or(UNKNOWN_PHASE);
        // The histogram goes first: it checks the duration and the labels both families
        // share, so once it has recorded, the counter cannot reject the call (same phase
        // set; `completed` comes from a bool) and a rejected call records nothing at all.
        if let Some(seconds) = duration_seconds {
            DURATION.record(seconds, &[skill_name, phase])?;
        }
        INVOCATIONS.inc(&[skill_name, phase, if completed { "true" } else { "false" }])
    }

    /// Starts timing an invocation; it is counted and its duration observed when the guard
    /// is [finished](SkillInvocation::finish) or dropped. This is the flowmeter way to do what
    /// the reference's callers do by hand (take the time, compute `duration_seconds`, call
    /// `record_invocation`), and what a Python `with` block would do: the guard cannot forget
    /// to record, even on an early return or a panic.
    ///
    /// # Errors
    /// [`AppMetricError::LabelValue`] for a phase outside [`WORKFLOW_PHASES`]; nothing is
    /// recorded then.
    pub fn start_invocation(
        &self,
        skill_name: &str,
        workflow_phase: Option<&str>,
    ) -> Result<SkillInvocation, AppMetricError> {
        let phase = workflow_phase.unwrap_or(UNKNOWN_PHASE);
        // Bind both outcomes first: a timer that started and then got dropped by `?` would
        // observe a duration for a rejected call.
        let completed = INVOCATIONS.bind(&[skill_name, phase, "true"])?;
        let not_completed = INVOCATIONS.bind(&[skill_name, phase, "false"])?;
        let timer = DURATION.start_timer(&[skill_name, phase])?;
        Ok(SkillInvocation { timer: Some(timer), completed, not_completed })
    }

    /// Sets a skill's completion rate.
    ///
    /// # Errors
    /// [`AppMetricError::OutOfRange`] outside 0..=1, [`AppMetricError::NotFinite`] for NaN;
    /// the gauge keeps its value then.
    pub fn update_completion_rate(
        &self,
        skill_name: &str,
        rate: f64,
    ) -> Result<(), AppMetricError> {
        COMPLETION_RATE.set(rate, &[skill_name])
    }

    /// Counts one anomaly of `anomaly_type` for a skill.
    ///
    /// # Errors
    /// [`AppMetricError::LabelValue`] for a type outside [`ANOMALY_TYPES`]; nothing is
    /// recorded then.
    pub fn record_anomaly(
        &self,
        anomaly_type: &str,
        skill_name: &str,
    ) -> Result<(), AppMetricError> {
        ANOMALIES.inc(&[anomaly_type, skill_name])
    }

    /// Sets the number of active sessions (a `u64`: a negative count cannot be passed). Never
    /// fails in practice; the `Result` keeps the recording methods alike.
    pub fn update_active_sessions(&self, count: u64) -> Result<(), AppMetricError> {
        ACTIVE_SESSIONS.set(count as f64, &[])
    }

    fn server(&self) -> MutexGuard<'_, Option<MetricsServer>> {
        // The slot is replaced whole under the lock, so it is consistent even after a panic.
        self.server.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A timed skill invocation, from [`SkillsExporter::start_invocation`]. Dropped without
/// [`finish`](Self::finish), it is counted as not completed.
#[derive(Debug)]
#[must_use = "the invocation is recorded when finished or dropped; `let _ = …` ends it at once"]
pub struct SkillInvocation {
    timer: Option<HistogramTimer<'static>>,
    completed: BoundAppCounter,
    not_completed: BoundAppCounter,
}

impl SkillInvocation {
    /// Counts the invocation with `completed`, observes the elapsed seconds and returns them.
    pub fn finish(mut self, completed: bool) -> f64 {
        self.end(completed)
    }

    fn end(&mut self, completed: bool) -> f64 {
        let Some(timer) = self.timer.take() else { return 0.0 };
        let outcome = if completed { &self.completed } else { &self.not_completed };
        outcome.inc();
        timer.observe_duration()
    }
}

impl Drop for SkillInvocation {
    fn drop(&mut self) {
        self.end(false);
    }
}
