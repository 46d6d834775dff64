//! A `tracing` layer that keeps span fields and warning events, for assertions.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// What the layer saw.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// Field name → debug-formatted value, over every span.
    pub(super) span_fields: BTreeMap<String, String>,
    /// The `message` of every WARN event.
    pub(super) warnings: Vec<String>,
}

struct Capture(Arc<Mutex<Seen>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        attrs.record(&mut Fields(&mut self.0.lock().unwrap().span_fields));
    }

    fn on_record(&self, _: &Id, values: &Record<'_>, _: Context<'_, S>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap().span_fields));
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() == Level::WARN {
            let mut fields = BTreeMap::new();
            event.record(&mut Fields(&mut fields));
            self.0.lock().unwrap().warnings.push(fields.remove("message").unwrap_or_default());
        }
    }
}

/// Runs `f` with a thread-local subscriber that captures, and returns what it saw.
pub(super) fn capture(f: impl FnOnce()) -> Seen {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let subscriber = tracing_subscriber::registry().with(Capture(seen.clone()));
    tracing::subscriber::with_default(subscriber, f);
    Arc::try_unwrap(seen).unwrap().into_inner().unwrap()
}
