//! A deterministic workload: ten events on a simulated clock, two of whose MCP emissions
//! fail, so every metric has an exact expected value.
//!
//! | component | starts | ends (status, duration) | active after | last quality |
//! |---|---|---|---|---|
//! | mahavishnu | 4 | success 45 s, error 900 s, success 3600.5 s | 1 | 85.5 |
//! | session-buddy | 2 | success 7200 s | 1 | 92 |
//!
//! Emissions: 10, of which the `session_start` of `m-2` fails with `ValidationError` and the
//! `session_end` of `m-3` with `ConnectionError`: 8 successes, 2 failures.

use crate::tracker::{
    EmitError, EventSink, McpEvent, SessionEndEvent, SessionStartEvent, SessionTracker,
    TrackerError,
};

/// The simulated clock's origin (seconds since the Unix epoch).
pub const T0: f64 = 1_770_000_000.0;

/// A peer that accepts every event except the scripted failures.
#[derive(Debug, Default)]
pub struct ScriptedPeer {
    failures: Vec<(&'static str, &'static str, EmitError)>,
}

impl ScriptedPeer {
    /// The workload's peer: two failures.
    pub fn workload() -> Self {
        ScriptedPeer {
            failures: vec![
                ("m-2", "session_start", EmitError::Validation("missing user info".into())),
                ("m-3", "session_end", EmitError::Connection("connection reset".into())),
            ],
        }
    }
}

impl EventSink for ScriptedPeer {
    fn emit(&self, event: &McpEvent<'_>) -> Result<(), EmitError> {
        match self
            .failures
            .iter()
            .find(|(id, ty, _)| *id == event.session_id && *ty == event.event_type)
        {
            Some((_, _, error)) => Err(error.clone()),
            None => Ok(()),
        }
    }
}

fn start(id: &str, component: &str, shell: &str, at: f64) -> SessionStartEvent {
    SessionStartEvent {
        session_id: id.into(),
        component_name: component.into(),
        shell_type: shell.into(),
        timestamp: T0 + at,
    }
}

fn end(id: &str, status: &str, at: f64, quality: f64) -> SessionEndEvent {
    SessionEndEvent {
        session_id: id.into(),
        status: status.into(),
        timestamp: T0 + at,
        quality_score: Some(quality),
    }
}

/// Feeds the events to `tracker` in time order. Returns how many events were handled.
pub fn run(tracker: &SessionTracker) -> Result<usize, TrackerError> {
    let (m, mshell, s, sshell) =
        ("mahavishnu", "MahavishnuShell", "session-buddy", "SessionBuddyShell");
    tracker.handle_session_start(&start("m-1", m, mshell, 0.0))?;
    tracker.handle_session_start(&start("s-1", s, sshell, 5.0))?;
    tracker.handle_session_start(&start("m-2", m, mshell, 10.0))?; // emission: ValidationError
    tracker.handle_session_start(&start("m-3", m, mshell, 20.0))?;
    tracker.handle_session_end(&end("m-1", "success", 45.0, 70.0))?;
    tracker.handle_session_end(&end("m-3", "error", 920.0, 40.0))?; // emission: ConnectionError
    tracker.handle_session_start(&start("m-4", m, mshell, 1000.0))?;
    tracker.handle_session_start(&start("s-2", s, sshell, 1005.0))?;
    tracker.handle_session_end(&end("m-2", "success", 3610.5, 85.5))?;
    tracker.handle_session_end(&end("s-1", "success", 7205.0, 92.0))?;
    Ok(10)
}
