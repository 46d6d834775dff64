//! The `tracing` layer that turns spans into OpenTelemetry spans, and which spans it leaves out.
//!
//! Every span reaches the layer, whatever its level, except those of the crates that carry
//! telemetry out of the process ([`EXPORT_PATH_CRATES`]). Their spans are made while
//! exporting: h2 opens a dozen for each gRPC export. Turned into OpenTelemetry spans they
//! would be exported by the next export, which makes more of them, for as long as the program
//! runs, and they would bury the program's own spans. They are internals of the transport,
//! not of the instrumented program.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::Metadata;
use tracing::subscriber::Interest;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::Filtered;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::LookupSpan;

use super::pipeline::SCOPE_NAME;

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

/// The layer [`Telemetry::tracing_layer`](super::Telemetry::tracing_layer) returns.
pub type TracingLayer<S> = Filtered<OpenTelemetryLayer<S, SdkTracer>, ExportPathFilter, S>;

/// Leaves out the spans and events of [`EXPORT_PATH_CRATES`]. Decided once per call site
/// (its interest is cached by `tracing`), so it costs an instrumented call nothing.
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

/// The OpenTelemetry layer for `provider`, without the spans of [`EXPORT_PATH_CRATES`].
pub(crate) fn tracing_layer<S>(provider: &SdkTracerProvider) -> TracingLayer<S>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    let tracer = provider.tracer(SCOPE_NAME);
    tracing_opentelemetry::layer().with_tracer(tracer).with_filter(ExportPathFilter)
}

/// Whether a target (`h2::proto::connection`) belongs to one of [`EXPORT_PATH_CRATES`]: the
/// crate is the first segment, so `h2o_service` is not `h2`.
fn is_export_path_target(target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or_default();
    EXPORT_PATH_CRATES.contains(&krate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_crates_are_matched_by_crate_not_by_prefix() {
        assert!(is_export_path_target("h2::proto::connection"));
        assert!(is_export_path_target("h2"));
        assert!(is_export_path_target("tonic::transport::channel"));
        assert!(!is_export_path_target("h2o_service::handler"), "a crate that starts like one");
        assert!(!is_export_path_target("towering::app"));
        assert!(!is_export_path_target("checkout"));
    }
}
