//! The `tracing` layer that turns spans into OpenTelemetry spans, and which spans it leaves out.
//!
//! Every span reaches the layer, whatever its level, except those of the crates that carry
//! telemetry out of the process ([`EXPORT_PATH_CRATES`]). Their spans are made while
//! exporting: h2 opens a dozen for each gRPC export. Turned into OpenTelemetry spans they
//! would be exported by the next export, which makes more of them, for as long as the program
//! runs, and they would bury the program's own spans. They are internals of the transport,
//! not of the instrumented program.
//!
//! # Why a wrapper and not a per-layer filter
//!
//! `tracing-subscriber`'s per-layer filter (`Layer::with_filter`) would leave them out too,
//! but it asks the registry, at every enter, exit, record and close of *every* span, whether
//! the span was enabled for the layer: one more span lookup per callback, about 50 ns of a
//! 1.1 µs sampled span (BENCHMARKS.md, "The span path"). [`TracingLayer`] decides once, when a
//! span or event is made, from its target: a left-out span never gets OpenTelemetry data, and
//! every later callback of tracing-opentelemetry finds none and does nothing.
//!
//! The one difference from a per-layer filter: an event made while a left-out span is the
//! current span is not attached to an enclosing span (it has none to attach to in
//! tracing-opentelemetry's view). Program code rarely runs inside a transport crate's span.
//!
//! When flowmeter installs the subscriber itself, nothing else reads it, so the layer also
//! turns the export-path call sites off outright (`Interest::never`): they cost nothing at
//! all. (Done by the layer rather than by a global filter layer in front, because every layer
//! of a subscriber is one more stop for every span callback: 30 to 40 ns a span here.)

use std::any::TypeId;
use std::fmt;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::LookupSpan;

use crate::pipeline::SCOPE_NAME;

/// Crates whose spans are not exported: HTTP/2 and HTTP clients and servers, gRPC, tower's
/// middleware and OpenTelemetry itself, matched on the first segment of the span's target.
pub const EXPORT_PATH_CRATES: &[&str] = &[
    "h2",
    "hyper",
    "hyper_util",
    "opentelemetry",
    "opentelemetry_http",
    "opentelemetry_otlp",
    "opentelemetry_sdk",
    "reqwest",
    "tonic",
    "tower",
];

/// The layer [`Telemetry::tracing_layer`](crate::Telemetry::tracing_layer) returns:
/// tracing-opentelemetry's layer for the pipeline's tracer, without the spans and events of
/// [`EXPORT_PATH_CRATES`].
///
/// Everything else is tracing-opentelemetry's: span attributes, events, status,
/// `OpenTelemetrySpanExt` (`Span::current().context()` and friends reach it through this
/// layer).
pub struct TracingLayer<S> {
    inner: OpenTelemetryLayer<S, SdkTracer>,
    /// Whether the layer is alone in its subscriber, so it may disable the export-path call
    /// sites for the whole subscriber (flowmeter's own subscriber).
    sole_reader: bool,
}

impl<S> fmt::Debug for TracingLayer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracingLayer").field("left_out", &EXPORT_PATH_CRATES).finish()
    }
}

impl<S> TracingLayer<S> {
    /// Whether the call site is disabled for the whole subscriber: an export-path one, when
    /// this layer is the subscriber's only reader.
    fn disables(&self, metadata: &Metadata<'_>) -> bool {
        self.sole_reader && is_export_path_target(metadata.target())
    }
}

impl<S> Layer<S> for TracingLayer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        self.inner.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.inner.on_layer(subscriber);
    }

    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.disables(metadata) {
            return Interest::never();
        }
        self.inner.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        !self.disables(metadata) && self.inner.enabled(metadata, ctx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.inner.max_level_hint()
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !is_export_path_target(attrs.metadata().target()) {
            self.inner.on_new_span(attrs, id, ctx);
        }
    }

    fn on_record(&self, span: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        self.inner.on_record(span, values, ctx);
    }

    fn on_follows_from(&self, span: &Id, follows: &Id, ctx: Context<'_, S>) {
        self.inner.on_follows_from(span, follows, ctx);
    }

    fn event_enabled(&self, event: &Event<'_>, ctx: Context<'_, S>) -> bool {
        self.inner.event_enabled(event, ctx)
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if !is_export_path_target(event.metadata().target()) {
            self.inner.on_event(event, ctx);
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_enter(id, ctx);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_exit(id, ctx);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        self.inner.on_close(id, ctx);
    }

    fn on_id_change(&self, old: &Id, new: &Id, ctx: Context<'_, S>) {
        self.inner.on_id_change(old, new, ctx);
    }

    // SAFETY: returns a pointer to `self` only for `Self`'s own type id, and otherwise what
    // the inner layer returns for the id, which upholds the same contract.
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            Some(self as *const Self as *const ())
        } else {
            // SAFETY: forwarded unchanged; the inner layer answers for its own types.
            unsafe { self.inner.downcast_raw(id) }
        }
    }
}

/// A per-layer [`Filter`] that leaves out the spans and events of [`EXPORT_PATH_CRATES`],
/// decided once per call site (its interest is cached by `tracing`), for a program that wants
/// the same crates kept out of another layer of its own. ([`TracingLayer`] does not need it.)
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportPathFilter;

impl<S> Filter<S> for ExportPathFilter {
    fn enabled(&self, metadata: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        !is_export_path_target(metadata.target())
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_export_path_target(metadata.target()) {
            Interest::never()
        } else {
            Interest::always()
        }
    }
}

/// Who else reads the subscriber a [`TracingLayer`] goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Readers {
    /// Only this layer (flowmeter's own subscriber): export-path call sites are disabled.
    LayerAlone,
    /// Other layers too (a program's subscriber): export-path call sites stay enabled for
    /// them, and only this layer leaves them out.
    Shared,
}

/// The OpenTelemetry layer for `provider`, without the spans of [`EXPORT_PATH_CRATES`].
pub(crate) fn tracing_layer<S>(provider: &SdkTracerProvider, readers: Readers) -> TracingLayer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let tracer = provider.tracer(SCOPE_NAME);
    TracingLayer {
        inner: tracing_opentelemetry::layer().with_tracer(tracer),
        sole_reader: readers == Readers::LayerAlone,
    }
}

/// Whether a target (`h2::proto::connection`) belongs to one of [`EXPORT_PATH_CRATES`]: the
/// crate is the first segment, so `h2o_service` is not `h2`.
///
/// Asked at every span and event made, so it cuts at the first `:` byte (a crate name has
/// none) rather than splitting on `"::"`, whose substring searcher costs more to set up than
/// the whole comparison (about 25 ns a span, measured).
fn is_export_path_target(target: &str) -> bool {
    let end = target.bytes().position(|b| b == b':').unwrap_or(target.len());
    EXPORT_PATH_CRATES.contains(&&target[..end])
}

#[cfg(test)]
mod tests;
