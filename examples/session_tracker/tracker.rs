//! The session tracker: handles session start and end events, emits an MCP event for each
//! to a peer (which may fail with a typed error), and records the reference's metrics.
//!
//! The reference's `track_operation_duration` decorator becomes `#[instrumented]` on the
//! handlers (each call counted by status in `flowmeter_primitive_executions_total`, timed in
//! `flowmeter_execution_duration_seconds`, traced as a span whose `error.type` names the
//! error), and a `start_timer` guard times every emission into
//! `mcp_event_emit_duration_seconds`. A rejected event (a label value outside its declared
//! set, a quality score outside 0..=100 or NaN, an unknown session) is a typed
//! [`TrackerError`] and records nothing: every label and value is checked before the first
//! metric is touched.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use flowmeter::app::{AppMetricError, BoundAppCounter, BoundAppHistogram};
use flowmeter::instrumented;

use crate::metrics::{
    ACTIVE_SESSIONS, EMIT_DURATION, EMIT_FAILURE, EMIT_SUCCESS, QUALITY_SCORE, SESSION_DURATION,
    SESSION_END, SESSION_START,
};

/// A session started (the reference's `SessionStartEvent`, without the fields no metric
/// uses). Timestamps are seconds since the Unix epoch, as the event carries them.
#[derive(Debug, Clone)]
pub struct SessionStartEvent {
    /// Unique per session; never a label (unbounded), only the tracker's key.
    pub session_id: String,
    /// `component_name`.
    pub component_name: String,
    /// `shell_type`.
    pub shell_type: String,
    /// When the session started.
    pub timestamp: f64,
}

/// A session ended.
#[derive(Debug, Clone)]
pub struct SessionEndEvent {
    /// The id given at start.
    pub session_id: String,
    /// `status`: `success` or `error`.
    pub status: String,
    /// When the session ended; the duration is `timestamp` minus the start's.
    pub timestamp: f64,
    /// The session's quality score (0..=100), if the event carries one.
    pub quality_score: Option<f64>,
}

/// Why an MCP event could not be emitted. [`error_type`](Self::error_type) is the
/// `error_type` label: one name per variant, so the label stays bounded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmitError {
    /// The peer rejected the event.
    #[error("the peer rejected the event: {0}")]
    Validation(String),
    /// The peer could not be reached.
    #[error("the peer is unreachable: {0}")]
    Connection(String),
}

impl EmitError {
    /// The `error_type` label, spelled like the reference's exception classes.
    pub fn error_type(&self) -> &'static str {
        match self {
            EmitError::Validation(_) => "ValidationError",
            EmitError::Connection(_) => "ConnectionError",
        }
    }
}

/// An event the tracker emits to its MCP peer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McpEvent<'a> {
    /// `session_start` or `session_end`.
    pub event_type: &'static str,
    /// The session it is about.
    pub session_id: &'a str,
    /// The session's component.
    pub component_name: &'a str,
}

/// Where MCP events go (a real peer, or a scripted one in the workload).
pub trait EventSink: Send + Sync {
    /// Sends one event.
    fn emit(&self, event: &McpEvent<'_>) -> Result<(), EmitError>;
}

/// Why the tracker rejected an event. A rejected event records nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackerError {
    /// A label value is outside its declared set, or a value is out of range / not finite.
    #[error(transparent)]
    Metric(#[from] AppMetricError),
    /// A start event for a session that is already active.
    #[error("session `{0}` is already active")]
    DuplicateSession(String),
    /// An end event for a session that is not active.
    #[error("session `{0}` is not active")]
    UnknownSession(String),
    /// An end event timestamped before its session started (or not a finite time).
    #[error("session `{session_id}` cannot last {seconds} s")]
    InvalidDuration {
        /// The session.
        session_id: String,
        /// End minus start.
        seconds: f64,
    },
}

struct OpenSession {
    component_name: String,
    started_at: f64,
}

/// Tracks sessions and records the session metrics.
pub struct SessionTracker {
    sink: Box<dyn EventSink>,
    open: Mutex<HashMap<String, OpenSession>>,
}

impl std::fmt::Debug for SessionTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionTracker").field("active", &self.active()).finish_non_exhaustive()
    }
}

/// The series one emission records into, bound (and so validated) before anything is
/// recorded.
struct Emission {
    duration: BoundAppHistogram,
    success: BoundAppCounter,
}

impl Emission {
    fn bind(component: &str, event_type: &str) -> Result<Self, AppMetricError> {
        let labels = [component, event_type];
        Ok(Emission {
            duration: EMIT_DURATION.bind(&labels)?,
            success: EMIT_SUCCESS.bind(&labels)?,
        })
    }
}

#[instrumented(kind = "session", skip(self), err)]
impl SessionTracker {
    /// A tracker that emits its MCP events to `sink`.
    #[instrumented(exclude)]
    pub fn new(sink: impl EventSink + 'static) -> Self {
        SessionTracker { sink: Box::new(sink), open: Mutex::new(HashMap::new()) }
    }

    /// Sessions started and not yet ended.
    #[instrumented(exclude)]
    pub fn active(&self) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Tracks a session start: `session_start_total`, `active_sessions` + 1, then emits a
    /// `session_start` event (its outcome is counted; a failed emission does not fail the
    /// session).
    pub fn handle_session_start(&self, event: &SessionStartEvent) -> Result<(), TrackerError> {
        let component = event.component_name.as_str();
        // Bind every series first: binding checks the label values, so a rejected event
        // leaves no partial trace.
        let started = SESSION_START.bind(&[component, &event.shell_type])?;
        let active = ACTIVE_SESSIONS.bind(&[component])?;
        let emission = Emission::bind(component, "session_start")?;
        {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            if open.contains_key(&event.session_id) {
                return Err(TrackerError::DuplicateSession(event.session_id.clone()));
            }
            let session =
                OpenSession { component_name: component.to_owned(), started_at: event.timestamp };
            open.insert(event.session_id.clone(), session);
        }
        started.inc();
        active.inc();
        self.emit(
            &emission,
            McpEvent {
                event_type: "session_start",
                session_id: &event.session_id,
                component_name: component,
            },
        );
        Ok(())
    }

    /// Tracks a session end: `session_end_total{status}`, the duration, `active_sessions` - 1,
    /// the quality score if given, then emits a `session_end` event. Returns the duration.
    pub fn handle_session_end(&self, event: &SessionEndEvent) -> Result<f64, TrackerError> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(session) = open.get(&event.session_id) else {
            return Err(TrackerError::UnknownSession(event.session_id.clone()));
        };
        let component = session.component_name.clone();
        let seconds = event.timestamp - session.started_at;
        let ended = SESSION_END.bind(&[&component, &event.status])?;
        let duration = SESSION_DURATION.bind(&[&component])?;
        let active = ACTIVE_SESSIONS.bind(&[&component])?;
        let emission = Emission::bind(&component, "session_end")?;
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(TrackerError::InvalidDuration {
                session_id: event.session_id.clone(),
                seconds,
            });
        }
        // The last fallible step: the gauge checks the score before recording it.
        if let Some(score) = event.quality_score {
            QUALITY_SCORE.set(score, &[&component])?;
        }
        open.remove(&event.session_id);
        drop(open);
        duration.record(seconds)?; // cannot fail: checked above
        ended.inc();
        active.dec();
        self.emit(
            &emission,
            McpEvent {
                event_type: "session_end",
                session_id: &event.session_id,
                component_name: &component,
            },
        );
        Ok(seconds)
    }

    /// Sets `session_quality_score{component_name}` (the reference's
    /// `set_session_quality_score`). -1, 101 and NaN are rejected and record nothing.
    pub fn set_quality_score(&self, component_name: &str, score: f64) -> Result<(), TrackerError> {
        QUALITY_SCORE.set(score, &[component_name])?;
        Ok(())
    }
}

impl SessionTracker {
    /// Sends one event, timing it and counting its outcome. Emission failures are the
    /// peer's problem, not the session's: they are counted by `error_type` and logged
    /// through `tracing` (into the handler's span), never returned.
    fn emit(&self, series: &Emission, event: McpEvent<'_>) {
        // The reference's `track_operation_duration`, as a guard: observes on drop.
        let timer = series.duration.start_timer();
        let outcome = self.sink.emit(&event);
        timer.observe_duration();
        match outcome {
            Ok(()) => series.success.inc(),
            Err(error) => {
                let error_type = error.error_type();
                tracing::warn!(error_type, %error, "MCP event emission failed");
                let labels = [event.component_name, event.event_type, error.error_type()];
                if let Err(rejected) = EMIT_FAILURE.inc(&labels) {
                    // Only if ERROR_TYPES and EmitError::error_type disagree.
                    tracing::error!(%rejected, "emission failure not counted");
                }
            }
        }
    }
}
