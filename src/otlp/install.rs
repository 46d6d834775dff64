//! Building the OTLP exporters: a batch span processor and a periodic metric reader, each in
//! front of an exporter that reports its failures once, and the thread that drives gRPC.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use opentelemetry_otlp::tonic_types::metadata::MetadataMap;
use opentelemetry_otlp::{
    MetricExporter, SpanExporter, WithExportConfig, WithHttpConfig, WithTonicConfig,
};
use opentelemetry_sdk::metrics::{MeterProviderBuilder, PeriodicReader, Temporality};
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, TracerProviderBuilder};

use super::config::{Protocol, ResolvedOtlp, SignalExport};
use super::report::{ExportHealth, ReportingMetricExporter, ReportingSpanExporter};
use crate::error::Error;

/// The OTLP half of an installed pipeline.
#[derive(Debug)]
pub(crate) struct OtlpParts {
    /// For the tracer provider, when spans are exported.
    pub(crate) span_processor: Option<BatchSpanProcessor>,
    /// For the meter provider, when metrics are exported.
    pub(crate) metric_reader: Option<PeriodicReader<ReportingMetricExporter<MetricExporter>>>,
    /// What outlives the install: the gRPC runtime and the export health of each signal.
    pub(crate) handle: OtlpHandle,
}

/// Kept by the `Telemetry` guard (see `Telemetry::otlp`): stops the gRPC runtime after the
/// providers' final flush.
#[derive(Debug)]
pub struct OtlpHandle {
    runtime: Mutex<Option<GrpcRuntime>>,
    health: Vec<Arc<ExportHealth>>,
}

impl OtlpHandle {
    /// Exports that failed since install, over both signals.
    pub fn failed_exports(&self) -> u64 {
        self.health.iter().map(|h| h.failed_exports()).sum()
    }

    /// Stops the gRPC runtime. Call after the providers have shut down (their final exports
    /// go through it).
    pub(crate) fn shutdown(&self) {
        let runtime = self.runtime.lock().map(|mut r| r.take()).unwrap_or(None);
        drop(runtime);
    }
}

/// Adds the span processor and metric reader to the providers' builders; returns the handle
/// the pipeline keeps.
pub(crate) fn attach(
    parts: Option<OtlpParts>,
    mut tracer: TracerProviderBuilder,
    mut meter_provider: MeterProviderBuilder,
) -> (TracerProviderBuilder, MeterProviderBuilder, Option<OtlpHandle>) {
    let Some(parts) = parts else { return (tracer, meter_provider, None) };
    if let Some(processor) = parts.span_processor {
        tracer = tracer.with_span_processor(processor);
    }
    if let Some(reader) = parts.metric_reader {
        meter_provider = meter_provider.with_reader(reader);
    }
    (tracer, meter_provider, Some(parts.handle))
}

/// The OTLP processor, reader and runtime, if the builder's configuration or the environment
/// (read only when `read_env`) asks for them.
pub(crate) fn parts(
    config: Option<&super::OtlpConfig>,
    read_env: bool,
) -> Result<Option<OtlpParts>, Error> {
    let env = |name: &str| if read_env { std::env::var(name).ok() } else { None };
    match super::resolve(config, &env)? {
        Some(resolved) => build(&resolved).map(Some),
        None => Ok(None),
    }
}

/// Builds the processor, reader and runtime the resolved configuration asks for.
pub(crate) fn build(config: &ResolvedOtlp) -> Result<OtlpParts, Error> {
    let uses_grpc = [&config.traces, &config.metrics]
        .into_iter()
        .flatten()
        .any(|export| export.protocol == Protocol::Grpc);
    let runtime = if uses_grpc { Some(GrpcRuntime::start()?) } else { None };
    // tonic's lazily connecting channel spawns its connection task on the runtime it is
    // created in: enter ours, so gRPC works from plain `main` and from any user runtime.
    let _entered = runtime.as_ref().map(|r| r.handle.enter());
    let mut health = Vec::new();

    let span_processor = match &config.traces {
        Some(export) => {
            let exporter = span_exporter(export)?;
            let reporting =
                ReportingSpanExporter { inner: exporter, health: ExportHealth::new(export) };
            health.push(Arc::clone(&reporting.health));
            // BatchConfigBuilder::default() reads the OTEL_BSP_* variables.
            let mut batch = BatchConfigBuilder::default();
            if let Some(size) = config.max_queue_size {
                batch = batch.with_max_queue_size(size);
            }
            Some(BatchSpanProcessor::builder(reporting).with_batch_config(batch.build()).build())
        }
        None => None,
    };
    let metric_reader = match &config.metrics {
        Some(export) => {
            let exporter = metric_exporter(export)?;
            let reporting =
                ReportingMetricExporter { inner: exporter, health: ExportHealth::new(export) };
            health.push(Arc::clone(&reporting.health));
            Some(
                PeriodicReader::builder(reporting)
                    .with_interval(config.metric_export_interval)
                    .build(),
            )
        }
        None => None,
    };
    drop(_entered);
    Ok(OtlpParts {
        span_processor,
        metric_reader,
        handle: OtlpHandle { runtime: Mutex::new(runtime), health },
    })
}

fn span_exporter(export: &SignalExport) -> Result<SpanExporter, Error> {
    let built = match export.protocol {
        Protocol::Grpc => grpc(SpanExporter::builder().with_tonic(), export)?.build(),
        Protocol::HttpProtobuf => http(SpanExporter::builder().with_http(), export).build(),
    };
    built.map_err(|e| build_error(export, e))
}

fn metric_exporter(export: &SignalExport) -> Result<MetricExporter, Error> {
    // Cumulative: what Prometheus stores, so OTLP and /metrics carry the same values.
    let builder = MetricExporter::builder();
    let built = match export.protocol {
        Protocol::Grpc => {
            grpc(builder.with_tonic().with_temporality(Temporality::Cumulative), export)?.build()
        }
        Protocol::HttpProtobuf => {
            http(builder.with_http().with_temporality(Temporality::Cumulative), export).build()
        }
    };
    built.map_err(|e| build_error(export, e))
}

/// The gRPC settings, the same for either signal's exporter builder.
fn grpc<B: WithExportConfig + WithTonicConfig>(
    builder: B,
    export: &SignalExport,
) -> Result<B, Error> {
    Ok(builder
        .with_endpoint(&export.endpoint)
        .with_timeout(export.timeout)
        .with_metadata(metadata(export)?))
}

/// The HTTP/protobuf settings, the same for either signal's exporter builder.
fn http<B: WithExportConfig + WithHttpConfig>(builder: B, export: &SignalExport) -> B {
    builder
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(&export.endpoint)
        .with_timeout(export.timeout)
        .with_headers(headers(export))
}

fn headers(export: &SignalExport) -> HashMap<String, String> {
    export.headers.iter().cloned().collect()
}

fn metadata(export: &SignalExport) -> Result<MetadataMap, Error> {
    let mut map = hyper::HeaderMap::new();
    for (name, value) in &export.headers {
        let name = hyper::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid_header(export, name))?;
        let value = value.parse().map_err(|_| invalid_header(export, name.as_str()))?;
        map.insert(name, value);
    }
    Ok(MetadataMap::from_headers(map))
}

fn invalid_header(export: &SignalExport, name: &str) -> Error {
    Error::OpenTelemetry(format!(
        "OTLP {} header {name:?}: not a valid header value",
        export.signal.as_str()
    ))
}

fn build_error(export: &SignalExport, error: impl std::fmt::Display) -> Error {
    Error::OpenTelemetry(format!(
        "OTLP {} exporter for {}: {error}",
        export.signal.as_str(),
        export.endpoint
    ))
}

/// A current-thread tokio runtime on its own thread, driving gRPC connections until stopped.
#[derive(Debug)]
struct GrpcRuntime {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl GrpcRuntime {
    fn start() -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::OpenTelemetry(format!("OTLP gRPC runtime: {e}")))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("flowmeter-otlp".into())
            .spawn(move || {
                let _ = runtime.block_on(stopped);
            })
            .map_err(|e| Error::OpenTelemetry(format!("OTLP gRPC thread: {e}")))?;
        Ok(GrpcRuntime { handle, stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for GrpcRuntime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
