//! A `tracing` layer that keeps every event, so tests can assert what flowmeter logged (a
//! warning logged once, with which fields).

use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};

/// One `tracing` event: its message and its other fields, formatted.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    pub message: String,
    pub fields: Vec<(String, String)>,
}

impl Captured {
    /// The value of field `name`, if the event has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl Visit for Captured {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.fields.push((field.name().to_owned(), text));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields.push((field.name().to_owned(), value.to_owned()));
    }
}

/// A layer keeping every event.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<Captured>>>);

impl Capture {
    /// Installs a registry with only this layer as the process's global subscriber (once per
    /// test binary) and returns the layer's handle.
    pub fn install_global() -> Capture {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry().with(capture.clone());
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        capture
    }

    /// The events so far whose field `key` equals `value`.
    pub fn with_field(&self, key: &str, value: &str) -> Vec<Captured> {
        let events = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        events.iter().filter(|e| e.field(key) == Some(value)).cloned().collect()
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut captured = Captured::default();
        event.record(&mut captured);
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(captured);
    }
}
