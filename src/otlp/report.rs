//! Export failures, reported once per outage: exporters wrapped so that the first failed
//! export of a signal logs a warning naming the endpoint and the error, later failures are
//! only counted until an export succeeds again (which logs that it recovered).
//!
//! An unreachable collector fails every export, every few seconds, for as long as it is down:
//! logging each one would flood the host's logs with one message. Every failure is counted
//! in `ns_otlp_export_failures_total{signal, reason}` instead (DESIGN: logged once and
//! counted; the counter is the recording layer's, [`crate::metrics::failures`], and exists at
//! 0 from install), which the pull path still serves while the push path is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::config::SignalExport;
use crate::metrics::failures;

/// The `reason` of a failed export: the SDK's error kind (its message varies by transport
/// and is not a bounded label); one of [`failures::EXPORT_REASONS`].
fn reason(error: &OTelSdkError) -> &'static str {
    match error {
        OTelSdkError::Timeout(_) => "timeout",
        OTelSdkError::AlreadyShutdown => "shutdown",
        _ => "export_error",
    }
}

/// Export outcomes of one signal: failures so far and whether it is failing now.
#[derive(Debug)]
pub(crate) struct ExportHealth {
    signal: &'static str,
    endpoint: String,
    failing: AtomicBool,
    failed_exports: AtomicU64,
}

impl ExportHealth {
    pub(crate) fn new(export: &SignalExport) -> Arc<Self> {
        Arc::new(ExportHealth {
            signal: export.signal.as_str(),
            endpoint: export.endpoint.clone(),
            failing: AtomicBool::new(false),
            failed_exports: AtomicU64::new(0),
        })
    }

    /// Exports that failed since install.
    pub(crate) fn failed_exports(&self) -> u64 {
        self.failed_exports.load(Ordering::Relaxed)
    }

    fn observe(&self, result: &OTelSdkResult, items: usize) {
        if let Err(error) = result {
            failures::count_export_failure(self.signal, reason(error));
        }
        match result {
            Ok(()) => {
                if self.failing.swap(false, Ordering::AcqRel) {
                    tracing::info!(
                        signal = self.signal,
                        endpoint = %self.endpoint,
                        "flowmeter: OTLP export recovered"
                    );
                }
            }
            Err(error) => {
                let failures = self.failed_exports.fetch_add(1, Ordering::Relaxed) + 1;
                if !self.failing.swap(true, Ordering::AcqRel) {
                    tracing::warn!(
                        signal = self.signal,
                        endpoint = %self.endpoint,
                        items,
                        failures,
                        %error,
                        "flowmeter: OTLP export failed; the data of failed exports is dropped, \
                         and further failures are not logged until an export succeeds"
                    );
                }
            }
        }
    }
}

/// A span exporter that reports its failures through an [`ExportHealth`].
#[derive(Debug)]
pub(crate) struct ReportingSpanExporter<E> {
    pub(crate) inner: E,
    pub(crate) health: Arc<ExportHealth>,
}

impl<E: SpanExporter> SpanExporter for ReportingSpanExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len();
        let result = self.inner.export(batch).await;
        self.health.observe(&result, spans);
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// A metric exporter that reports its failures through an [`ExportHealth`].
#[derive(Debug)]
pub(crate) struct ReportingMetricExporter<E> {
    pub(crate) inner: E,
    pub(crate) health: Arc<ExportHealth>,
}

impl<E: PushMetricExporter> PushMetricExporter for ReportingMetricExporter<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let points = metrics.scope_metrics().map(|scope| scope.metrics().count()).sum();
        let result = self.inner.export(metrics).await;
        self.health.observe(&result, points);
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}
