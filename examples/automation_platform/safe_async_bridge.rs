//! The SafeAsyncBridge and its collector: the reference's fourth component, which lets the
//! platform's synchronous code (the file watcher's callbacks, the audit agent) run async work
//! (the API clients, result publishing) without caring whether an event loop is running.
//!
//! The bridge is two ways in, both measured by the bridge itself:
//! - [`SafeAsyncBridge::run`] blocks the caller until the future finishes or its timeout
//!   passes. It runs the future on a new single-threaded tokio runtime (the reference's
//!   `asyncio.run`): on the calling thread, or, when the caller is itself inside a runtime
//!   (where blocking on a second one would panic), on a helper thread while the caller waits.
//! - [`SafeAsyncBridge::spawn`] hands the future to the bridge's background runtime (created
//!   at the first spawn, kept until the bridge is dropped) and returns at once; the caller
//!   may [`wait`](Spawned::wait) for the result later.
//!
//! Names are the reference's, with a `safe_async_bridge_` prefix, chosen as the other
//! components' are (`test_watcher_`, `audit_agent_`):
//!
//! | metric | type | meaning |
//! |---|---|---|
//! | `safe_async_bridge_calls_total` | counter | futures handed to the bridge, both ways |
//! | `safe_async_bridge_errors_total{error_type}` | counter | `task`: the future returned an error; `panic`: it panicked; `runtime`: no runtime could be started for it |
//! | `safe_async_bridge_timeouts_total` | counter | futures cancelled at their timeout (not counted in errors) |
//! | `safe_async_bridge_pending_tasks` | gauge | futures handed over and not finished |
//! | `safe_async_bridge_active_loops` | gauge | runtimes the bridge has running: the background one, and one per `run` in progress |
//! | `safe_async_bridge_execution_duration_seconds` | histogram | from hand-over to result (timed-out futures included, at their timeout) |

use std::future::Future;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use flowmeter::app::{
    self, AppMetricError, BoundAppCounter, BoundAppHistogram, BoundAppUpDownCounter,
};
use tokio::runtime::{Builder, Handle, Runtime};

/// `safe_async_bridge_execution_duration_seconds` buckets (not given by the reference): the
/// Python client's defaults, which the reference's `Histogram` gets without `buckets=`.
pub const EXECUTION_BUCKETS: [f64; 11] =
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Why a bridged future failed: the `error_type` label of `safe_async_bridge_errors_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The future returned an error.
    Task,
    /// The future panicked.
    Panic,
    /// No runtime could be started to run it.
    Runtime,
}

impl FailureKind {
    const ALL: [FailureKind; 3] = [FailureKind::Task, FailureKind::Panic, FailureKind::Runtime];

    fn as_str(self) -> &'static str {
        match self {
            FailureKind::Task => "task",
            FailureKind::Panic => "panic",
            FailureKind::Runtime => "runtime",
        }
    }
}

/// How a bridged future failed.
#[derive(Debug)]
pub enum BridgeError<E> {
    /// It returned this error.
    Task(E),
    /// It panicked.
    Panicked,
    /// It did not finish within this timeout and was cancelled.
    TimedOut(Duration),
    /// No runtime could be started to run it.
    Runtime(std::io::Error),
    /// The bridge shut down before a spawned future finished (not counted).
    Cancelled,
}

impl<E: std::fmt::Display> std::fmt::Display for BridgeError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BridgeError::Task(error) => write!(f, "the task failed: {error}"),
            BridgeError::Panicked => f.write_str("the task panicked"),
            BridgeError::TimedOut(timeout) => write!(f, "the task timed out after {timeout:?}"),
            BridgeError::Runtime(error) => write!(f, "no runtime for the task: {error}"),
            BridgeError::Cancelled => f.write_str("the bridge shut down before the task ended"),
        }
    }
}

impl<E: std::fmt::Debug + std::fmt::Display> std::error::Error for BridgeError<E> {}

/// The bridge's metrics, shared with the tasks it spawns.
#[derive(Debug)]
struct BridgeMetrics {
    calls: BoundAppCounter,
    /// One per [`FailureKind`], in `FailureKind::ALL` order.
    errors: Vec<BoundAppCounter>,
    timeouts: BoundAppCounter,
    pending_tasks: BoundAppUpDownCounter,
    active_loops: BoundAppUpDownCounter,
    execution_duration: BoundAppHistogram,
}

impl BridgeMetrics {
    fn new() -> Result<Self, AppMetricError> {
        let errors = app::counter("safe_async_bridge.errors")
            .help("Total futures run by SafeAsyncBridge that failed")
            .labels(["error_type"])
            .label_values("error_type", FailureKind::ALL.map(FailureKind::as_str))
            .build()?;
        let count = |name: &str, help: &str| app::counter(name).help(help).build()?.bind(&[]);
        let up_down =
            |name: &str, help: &str| app::up_down_counter(name).help(help).build()?.bind(&[]);
        Ok(BridgeMetrics {
            calls: count("safe_async_bridge.calls", "Total futures handed to SafeAsyncBridge")?,
            errors: FailureKind::ALL
                .iter()
                .map(|kind| errors.bind(&[kind.as_str()]))
                .collect::<Result<_, _>>()?,
            timeouts: count(
                "safe_async_bridge.timeouts",
                "Total futures SafeAsyncBridge cancelled at their timeout",
            )?,
            pending_tasks: up_down(
                "safe_async_bridge.pending_tasks",
                "Number of futures handed to SafeAsyncBridge and not finished",
            )?,
            active_loops: up_down(
                "safe_async_bridge.active_loops",
                "Number of event loops (tokio runtimes) SafeAsyncBridge has running",
            )?,
            execution_duration: app::histogram("safe_async_bridge.execution_duration")
                .help("Time from handing a future to SafeAsyncBridge to its result")
                .unit("s")
                .buckets(EXECUTION_BUCKETS)
                .build()?
                .bind(&[])?,
        })
    }

    fn record_error(&self, kind: FailureKind) {
        self.errors[kind as usize].inc();
    }
}

/// Counts a future as pending until dropped (finished, failed or cancelled).
struct Pending(Arc<BridgeMetrics>);

impl Pending {
    fn start(metrics: &Arc<BridgeMetrics>) -> Pending {
        metrics.calls.inc();
        metrics.pending_tasks.inc();
        Pending(Arc::clone(metrics))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.pending_tasks.dec();
    }
}

/// Runs `future` as a task of the current runtime, so a panic is caught, within `timeout`;
/// times it and counts how it ended.
async fn execute<T, E, F>(
    metrics: &BridgeMetrics,
    timeout: Duration,
    future: F,
) -> Result<T, BridgeError<E>>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let timer = metrics.execution_duration.start_timer();
    let mut task = tokio::spawn(future);
    let outcome = match tokio::time::timeout(timeout, &mut task).await {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(Ok(Err(error))) => Err(BridgeError::Task(error)),
        // Never aborted before this point, so the task panicked.
        Ok(Err(_)) => Err(BridgeError::Panicked),
        Err(_) => {
            task.abort();
            Err(BridgeError::TimedOut(timeout))
        }
    };
    timer.observe_duration();
    match &outcome {
        Ok(_) | Err(BridgeError::Cancelled) => {}
        Err(BridgeError::Task(_)) => metrics.record_error(FailureKind::Task),
        Err(BridgeError::Panicked) => metrics.record_error(FailureKind::Panic),
        Err(BridgeError::Runtime(_)) => metrics.record_error(FailureKind::Runtime),
        Err(BridgeError::TimedOut(_)) => metrics.timeouts.inc(),
    }
    outcome
}

/// A future handed to the background runtime by [`SafeAsyncBridge::spawn`].
#[derive(Debug)]
#[must_use = "dropping it does not cancel the task; call wait() for its result"]
pub struct Spawned<T, E>(Receiver<Result<T, BridgeError<E>>>);

impl<T, E> Spawned<T, E> {
    /// Blocks until the future's result (safe from any thread: the background runtime does
    /// the work, not the caller's).
    pub fn wait(self) -> Result<T, BridgeError<E>> {
        self.0.recv().unwrap_or(Err(BridgeError::Cancelled))
    }
}

/// Runs async work from sync code, measuring itself; see the module doc.
#[derive(Debug)]
pub struct SafeAsyncBridge {
    metrics: Arc<BridgeMetrics>,
    background: OnceLock<Runtime>,
}

impl SafeAsyncBridge {
    /// Declares the metrics. Starts no runtime yet.
    pub fn new() -> Result<Self, AppMetricError> {
        Ok(SafeAsyncBridge {
            metrics: Arc::new(BridgeMetrics::new()?),
            background: OnceLock::new(),
        })
    }

    /// Runs `future` to its end from sync code, waiting at most `timeout`; see the module
    /// doc. Safe to call from inside a runtime too.
    pub fn run<T, E, F>(&self, timeout: Duration, future: F) -> Result<T, BridgeError<E>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        let _pending = Pending::start(&self.metrics);
        if Handle::try_current().is_err() {
            return self.run_on_new_loop(timeout, future);
        }
        // Inside a runtime, `block_on` would panic: a helper thread runs the new loop.
        std::thread::scope(|scope| {
            let helper = scope.spawn(|| self.run_on_new_loop(timeout, future));
            // `run_on_new_loop` catches the future's panics; only the bridge's own could
            // land here.
            helper.join().unwrap_or(Err(BridgeError::Panicked))
        })
    }

    fn run_on_new_loop<T, E, F>(&self, timeout: Duration, future: F) -> Result<T, BridgeError<E>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        let runtime = match Builder::new_current_thread().enable_time().build() {
            Ok(runtime) => runtime,
            Err(error) => {
                self.metrics.record_error(FailureKind::Runtime);
                return Err(BridgeError::Runtime(error));
            }
        };
        self.metrics.active_loops.inc();
        let outcome = runtime.block_on(execute(&self.metrics, timeout, future));
        // The loop counts as active until it is gone, its cancelled tasks with it.
        drop(runtime);
        self.metrics.active_loops.dec();
        outcome
    }

    /// Starts `future` on the background runtime, with `timeout`, and returns at once.
    ///
    /// # Errors
    /// [`BridgeError::Runtime`] when the background runtime could not be started (counted).
    pub fn spawn<T, E, F>(
        &self,
        timeout: Duration,
        future: F,
    ) -> Result<Spawned<T, E>, BridgeError<E>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        let pending = Pending::start(&self.metrics);
        let runtime = match self.background() {
            Ok(runtime) => runtime,
            Err(error) => {
                self.metrics.record_error(FailureKind::Runtime);
                return Err(BridgeError::Runtime(error));
            }
        };
        // Room for the one result, so the task never waits for a caller that may not come.
        let (result, receiver) = mpsc::sync_channel(1);
        let metrics = Arc::clone(&self.metrics);
        runtime.spawn(async move {
            let outcome = execute(&metrics, timeout, future).await;
            // No longer pending once its result can be read, so a caller that waited for it
            // reads the gauge without it.
            drop(pending);
            let _ = result.send(outcome);
        });
        Ok(Spawned(receiver))
    }

    /// The background runtime, started on first use.
    fn background(&self) -> std::io::Result<&Runtime> {
        if let Some(runtime) = self.background.get() {
            return Ok(runtime);
        }
        // One worker: it runs the spawned futures while the callers go on.
        let runtime = Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("safe-async-bridge")
            .enable_time()
            .build()?;
        match self.background.set(runtime) {
            Ok(()) => self.metrics.active_loops.inc(),
            // Another thread started one first; this one never ran anything.
            Err(extra) => extra.shutdown_background(),
        }
        Ok(self.background.get().expect("set above"))
    }
}

impl Drop for SafeAsyncBridge {
    fn drop(&mut self) {
        if let Some(runtime) = self.background.take() {
            // Without waiting: a bridge may be dropped inside a runtime, where a blocking
            // shutdown would panic. Unfinished tasks are cancelled.
            runtime.shutdown_background();
            self.metrics.active_loops.dec();
        }
    }
}
