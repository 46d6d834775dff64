//! The steady workload: while the example serves, a round of session events every interval,
//! so `rate(...)`, `histogram_quantile(...)` and the error-rate and average-duration ratios of
//! the reference's dashboard and queries have data in a real Prometheus.
//!
//! Each round, for each component, one session starts and the oldest open ones end until the
//! component is back at its target of open sessions (2 to 5, varying by round), so
//! `active_sessions` moves. Sessions last 45 s to 2.5 h of *simulated* time: each starts
//! [`ROUND_SECONDS`] after the previous round's on a simulated clock and its end event is
//! stamped with its start plus a scheduled duration, so the recorded durations fill the
//! reference's buckets (60 s .. 8 h) without the program waiting hours; the events themselves
//! happen in real time, so the rates are real. One end in 7 has status `error`, every end
//! carries a quality score, and the peer fails about 8% of emissions (`ValidationError` or
//! `ConnectionError`) after a 1 to 15 ms latency.
//!
//! Everything cycles through fixed tables, so a run is reproducible: no randomness.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::metrics::{COMPONENTS, SHELL_TYPES};
use crate::tracker::{
    EmitError, EventSink, McpEvent, SessionEndEvent, SessionStartEvent, SessionTracker,
    TrackerError,
};
use crate::workload::T0;

/// Simulated seconds between two rounds' session starts.
pub const ROUND_SECONDS: f64 = 90.0;
/// Where the simulated clock starts: after the fixed workload's last event (T0 + 7205 s).
const ORIGIN: f64 = T0 + 10_000.0;
/// Session durations in simulated seconds, cycled: one under a minute, most between 5 min
/// and 1 h, two over 1 h, so every bucket up to 4 h fills and the p95 (interpolated in the
/// 2 h .. 4 h bucket) is about 2.8 h.
const DURATIONS: [f64; 12] =
    [45.0, 240.0, 420.0, 600.0, 780.0, 1200.0, 1500.0, 2100.0, 2700.0, 3300.0, 5400.0, 9000.0];
/// Open sessions a component keeps after each round, cycled.
const OPEN_TARGETS: [usize; 6] = [2, 3, 4, 5, 4, 3];
/// Quality scores of ending sessions, cycled.
const QUALITY: [f64; 7] = [62.0, 71.5, 78.0, 84.0, 88.5, 91.0, 96.0];
/// Every `ERROR_EVERY`-th session end has status `error` (odd, so both components get some).
const ERROR_EVERY: u64 = 7;
/// Emission latencies in milliseconds, cycled (the reference's buckets start at 1 ms).
const LATENCY_MS: [u64; 8] = [1, 2, 2, 3, 4, 6, 9, 15];

/// The MCP peer of the steady workload: answers after a short latency and fails one
/// emission in 20 with `ValidationError` and one in 29 with `ConnectionError`.
#[derive(Debug, Default)]
pub struct SteadyPeer {
    emitted: AtomicU64,
}

impl EventSink for SteadyPeer {
    fn emit(&self, event: &McpEvent<'_>) -> Result<(), EmitError> {
        let n = self.emitted.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(LATENCY_MS[n as usize % LATENCY_MS.len()]));
        if n % 20 == 7 {
            return Err(EmitError::Validation(format!("{} has no user info", event.session_id)));
        }
        if n % 29 == 13 {
            return Err(EmitError::Connection("connection reset by peer".into()));
        }
        Ok(())
    }
}

/// A session the workload opened and has not ended yet.
#[derive(Debug)]
struct Open {
    id: String,
    started_at: f64,
    lasts: f64,
}

/// The workload's state between rounds.
#[derive(Debug)]
pub struct SteadyWorkload {
    tracker: SessionTracker,
    round: u64,
    ended: u64,
    /// Per component (index into [`COMPONENTS`]), oldest first.
    open: [VecDeque<Open>; 2],
}

impl Default for SteadyWorkload {
    fn default() -> Self {
        SteadyWorkload {
            tracker: SessionTracker::new(SteadyPeer::default()),
            round: 0,
            ended: 0,
            open: Default::default(),
        }
    }
}

impl SteadyWorkload {
    /// One round: a start per component, then the ends that bring each component back to its
    /// target. Returns how many events were handled.
    pub fn round(&mut self) -> Result<usize, TrackerError> {
        let n = self.round;
        let now = ORIGIN + n as f64 * ROUND_SECONDS;
        let mut events = 0;
        for (c, component) in COMPONENTS.iter().enumerate() {
            let id = format!("{component}-steady-{n}");
            self.tracker.handle_session_start(&SessionStartEvent {
                session_id: id.clone(),
                component_name: (*component).to_owned(),
                shell_type: SHELL_TYPES[c].to_owned(),
                timestamp: now,
            })?;
            let lasts = DURATIONS[(n as usize * 5 + c * 7) % DURATIONS.len()];
            self.open[c].push_back(Open { id, started_at: now, lasts });
            events += 1;

            let target = OPEN_TARGETS[(n as usize + 3 * c) % OPEN_TARGETS.len()];
            while self.open[c].len() > target {
                let session = self.open[c].pop_front().expect("more than target open");
                let status = if self.ended % ERROR_EVERY == 3 { "error" } else { "success" };
                self.tracker.handle_session_end(&SessionEndEvent {
                    session_id: session.id,
                    status: status.into(),
                    timestamp: session.started_at + session.lasts,
                    quality_score: Some(QUALITY[self.ended as usize % QUALITY.len()]),
                })?;
                self.ended += 1;
                events += 1;
            }
        }
        self.round += 1;
        Ok(events)
    }
}

/// Runs a round every `interval` on a thread of its own (the tracker and its peer are
/// synchronous) for the life of the process.
pub fn spawn(interval: Duration) -> std::io::Result<()> {
    let mut workload = SteadyWorkload::default();
    std::thread::Builder::new().name("steady-workload".into()).spawn(move || {
        loop {
            if let Err(error) = workload.round() {
                // Every event is built from the declared label values; this is a bug.
                eprintln!("session_tracker: the steady workload stopped: {error}");
                return;
            }
            std::thread::sleep(interval);
        }
    })?;
    Ok(())
}
