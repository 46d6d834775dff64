//! [`Telemetry`]: the installed pipeline's handle; flushes and shuts down on drop.

use std::net::SocketAddr;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;

use super::builder::TelemetryBuilder;
use super::config::Config;
use super::layer::{Readers, TracingLayer};
use crate::exporter::{MetricMetadata, MetricsServer, Summary};
use crate::pipeline::Pipeline;

/// The installed telemetry pipeline. Keep it alive for the life of the program: dropping it
/// stops the endpoint, flushes spans and metrics and shuts the providers down (instrumented
/// code keeps working and records nothing).
///
/// There is one pipeline per process: a second [`TelemetryBuilder::install`] returns
/// [`Error::AlreadyInstalled`](crate::Error::AlreadyInstalled), even after this guard is
/// dropped, because every call site binds its instruments to the first pipeline.
#[derive(Debug)]
#[must_use = "dropping Telemetry shuts the pipeline down; keep it for the life of the program"]
pub struct Telemetry {
    config: Config,
    pipeline: &'static Pipeline,
    server: Option<MetricsServer>,
    #[cfg(feature = "otlp")]
    otlp: Option<crate::otlp::OtlpHandle>,
}

impl Telemetry {
    /// A builder with every default (see [`TelemetryBuilder`]).
    pub fn builder() -> TelemetryBuilder {
        TelemetryBuilder::default()
    }

    pub(crate) fn new(
        config: Config,
        pipeline: &'static Pipeline,
        server: Option<MetricsServer>,
        #[cfg(feature = "otlp")] otlp: Option<crate::otlp::OtlpHandle>,
    ) -> Self {
        Telemetry {
            config,
            pipeline,
            server,
            #[cfg(feature = "otlp")]
            otlp,
        }
    }

    /// The resolved configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The OTLP exporters' health, when OTLP is on (`otlp` cargo feature).
    #[cfg(feature = "otlp")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otlp")))]
    pub fn otlp(&self) -> Option<&crate::otlp::OtlpHandle> {
        self.otlp.as_ref()
    }

    /// The pipeline: meter and tracer providers and the Prometheus registry.
    pub fn pipeline(&self) -> &'static Pipeline {
        self.pipeline
    }

    /// The endpoint, when serving.
    pub fn server(&self) -> Option<&MetricsServer> {
        self.server.as_ref()
    }

    /// The address the endpoint listens on, when serving.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().map(MetricsServer::local_addr)
    }

    /// `http://ADDR/metrics` (or `https://` with TLS) when serving.
    pub fn metrics_url(&self) -> Option<String> {
        self.server.as_ref().map(MetricsServer::metrics_url)
    }

    /// The Prometheus text exposition, as `/metrics` serves it.
    pub fn render(&self) -> String {
        crate::exporter::render(self.pipeline)
    }

    /// The OpenMetrics 1.0 text exposition, with exemplars, as `/metrics` serves it to a
    /// scraper that asks for it (see
    /// [`exporter::render_openmetrics`](crate::exporter::render_openmetrics())).
    pub fn render_openmetrics(&self) -> String {
        crate::exporter::render_openmetrics(self.pipeline)
    }

    /// Name, type, HELP text and label names of every family declared or exported, as
    /// `/metadata` serves them (see [`exporter::metadata`](crate::exporter::metadata())).
    pub fn metadata(&self) -> Vec<MetricMetadata> {
        crate::exporter::metadata(self.pipeline)
    }

    /// The current values of every exported family, as `/summary` serves them (see
    /// [`exporter::summary`](crate::exporter::summary())).
    pub fn summary(&self) -> Summary {
        crate::exporter::summary(self.pipeline)
    }

    /// A `tracing` layer that sends spans to this pipeline's tracer provider, for programs
    /// that build their own subscriber (`install_subscriber(false)`). It leaves out the spans
    /// of the crates that carry telemetry out ([`EXPORT_PATH_CRATES`]): exported, they would
    /// make more of themselves at every export.
    ///
    /// With this layer, instrumented calls whose trace is not sampled keep building their
    /// spans, so the subscriber's other layers still see them, unless the builder's
    /// [`skip_unsampled_spans(true)`](crate::TelemetryBuilder::skip_unsampled_spans) trades
    /// them for the cost.
    ///
    /// [`EXPORT_PATH_CRATES`]: crate::telemetry::EXPORT_PATH_CRATES
    pub fn tracing_layer<S>(&self) -> TracingLayer<S>
    where
        S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    {
        super::layer::tracing_layer(self.pipeline.tracer_provider(), Readers::Shared)
    }

    /// Sets flowmeter's subscriber as the global default; `false` when another was set first.
    pub(crate) fn install_global_subscriber(&self) -> bool {
        let layer =
            super::layer::tracing_layer(self.pipeline.tracer_provider(), Readers::LayerAlone);
        let subscriber = tracing_subscriber::registry().with(layer);
        if tracing::subscriber::set_global_default(subscriber).is_err() {
            // Not fatal: metrics work; spans need the layer in the existing subscriber.
            tracing::warn!(
                "flowmeter: a global tracing subscriber is already set, so spans will not reach \
                 OpenTelemetry; build with install_subscriber(false) and add Telemetry::tracing_layer()"
            );
            return false;
        }
        true
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.shutdown();
        }
        self.pipeline.shutdown();
        // Last: the providers' final exports above may go through the gRPC runtime.
        #[cfg(feature = "otlp")]
        if let Some(otlp) = &self.otlp {
            otlp.shutdown();
        }
    }
}
