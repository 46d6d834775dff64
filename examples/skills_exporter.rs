//! Parity with the skills metrics exporter (reference system 000): the same five Prometheus
//! families, with the reference's names, types, labels, buckets and HELP text, declared with
//! flowmeter's application metrics ([`flowmeter::app`]) and served on `/metrics` by an exporter
//! object of the reference's shape: [`SkillsExporter::new`] takes the port, [`start`] is
//! idempotent, [`is_running`] says whether it serves, the reference's four methods record,
//! and a guard times an invocation. [`run_workload`] records from 8 threads at once; while
//! serving, [`run_round`] keeps a steady workload going. The reference's dashboard queries
//! are in `skills_exporter.queries.yml`.
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

use std::net::SocketAddr;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::thread;

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

/// Threads of the workload, recording at once (the reference is used from several agents).
pub const THREADS: usize = 8;
/// Skills of the workload.
pub const SKILLS: [&str; 4] = ["pytest-run", "ruff-check", "mypy-check", "code-review"];
/// Simulated durations, one per bucket of [`DURATION_BUCKETS`] and one above them: 0.5 and 10
/// sit on a boundary (which `le` includes). All are multiples of 1/16, so their sums are
/// exact in `f64` whatever order the threads add them in.
pub const DURATIONS: [f64; 10] = [0.0625, 0.5, 0.75, 1.5, 4.0, 10.0, 20.0, 45.0, 150.0, 600.0];
/// An invocation slower than this (the top bucket) is recorded as a `spike` anomaly.
pub const SPIKE_ABOVE_SECONDS: f64 = 300.0;
/// A session whose completion rate of a skill is below this records a `drop` anomaly.
pub const DROP_BELOW_RATE: f64 = 0.8;

/// Runs the deterministic workload and returns how many invocations it recorded.
///
/// [`THREADS`] sessions run at once, in phase `execution` (even threads) or `setup` (odd),
/// each recording `per_thread` invocations: invocation `i` is of skill
/// `SKILLS[(i / 10) % 4]`, lasts `DURATIONS[i % 10]` and is not completed when
/// `(i / 40) % 4 == 0`. When `per_thread` is a multiple of 160 every skill, duration and
/// outcome comes out evenly, every session sees a completion rate of 0.75 for every skill
/// (so the gauge's last writer does not matter) and records one `drop` per skill. The active
/// sessions gauge reads [`THREADS`] while they run and 0 after.
///
/// # Errors
/// The first recording error of any thread (none with the constants above).
pub fn run_workload(exporter: &SkillsExporter, per_thread: usize) -> Result<usize, AppMetricError> {
    exporter.update_active_sessions(THREADS as u64)?;
    let sessions = thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| scope.spawn(move || run_session(exporter, thread, per_thread)))
            .collect();
        // A panicking thread is a bug of this example: let it propagate.
        threads.into_iter().try_for_each(|t| t.join().expect("session thread"))
    });
    exporter.update_active_sessions(0)?;
    sessions?;
    Ok(THREADS * per_thread)
}

fn run_session(
    exporter: &SkillsExporter,
    thread: usize,
    per_thread: usize,
) -> Result<(), AppMetricError> {
    let phase = if thread.is_multiple_of(2) { "execution" } else { "setup" };
    let mut outcomes = [(0_u64, 0_u64); SKILLS.len()]; // (invocations, completed) per skill
    for i in 0..per_thread {
        let skill = (i / 10) % SKILLS.len();
        let seconds = DURATIONS[i % DURATIONS.len()];
        let completed = (i / 40) % 4 != 0;
        exporter.record_invocation(SKILLS[skill], Some(phase), completed, Some(seconds))?;
        if seconds > SPIKE_ABOVE_SECONDS {
            exporter.record_anomaly("spike", SKILLS[skill])?;
        }
        outcomes[skill].0 += 1;
        outcomes[skill].1 += u64::from(completed);
    }
    let ran = SKILLS.into_iter().zip(outcomes).filter(|(_, (invocations, _))| *invocations > 0);
    for (skill, (invocations, completed)) in ran {
        let rate = completed as f64 / invocations as f64;
        exporter.update_completion_rate(skill, rate)?;
        if rate < DROP_BELOW_RATE {
            exporter.record_anomaly("drop", skill)?;
        }
    }
    Ok(())
}

/// One round of the steady workload that runs while serving, so that the reference's
/// `rate(...[5m])` and p95 queries have recent data (frozen counters show 0 and no p95).
/// Round `round` is a session in phase `setup`, `execution`, `verification` in turn, with 1
/// to 3 open: two invocations per skill, each with the skill's next of [`DURATIONS`] (one in
/// ten a spike), one in four not completed; the completion rate is the skill's in the round,
/// and under [`DROP_BELOW_RATE`] it records a `drop`.
///
/// # Errors
/// The first recording error (none with the constants above).
pub fn run_round(exporter: &SkillsExporter, round: usize) -> Result<(), AppMetricError> {
    exporter.update_active_sessions(1 + (round % 3) as u64)?;
    let phase = WORKFLOW_PHASES[round % 3];
    for (k, skill) in SKILLS.into_iter().enumerate() {
        let mut completed_here = 0_u32;
        for j in 0..2 {
            let seconds = DURATIONS[(round * 2 + j + 3 * k) % DURATIONS.len()];
            let completed = !(round * 2 + j + k).is_multiple_of(4);
            exporter.record_invocation(skill, Some(phase), completed, Some(seconds))?;
            if seconds > SPIKE_ABOVE_SECONDS {
                exporter.record_anomaly("spike", skill)?;
            }
            completed_here += u32::from(completed);
        }
        let rate = f64::from(completed_here) / 2.0;
        exporter.update_completion_rate(skill, rate)?;
        if rate < DROP_BELOW_RATE {
            exporter.record_anomaly("drop", skill)?;
        }
    }
    Ok(())
}

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
