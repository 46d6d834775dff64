//! Layer 1, the installed pipeline: one per process, published once. The meter provider
//! (reading into the Prometheus bridge), the tracer provider and its sampling policy, the
//! registry, the namespace and the on/off switch that every layer above reads. Imports
//! nothing of flowmeter but the error type and the sampling policy.

pub(crate) mod cardinality;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::error::Error;
use crate::sampling::SpanPolicy;

/// The instrumentation scope of flowmeter's own instruments.
pub(crate) const SCOPE_NAME: &str = "flowmeter";

/// The meter provider (reading into the Prometheus bridge), the tracer provider, the
/// registry, and whether and under which namespace flowmeter records.
#[derive(Debug)]
pub struct Pipeline {
    enabled: bool,
    namespace: String,
    meter_provider: SdkMeterProvider,
    meter: Meter,
    registry: prometheus::Registry,
    tracer_provider: SdkTracerProvider,
    spans: SpanPolicy,
    /// Whether sampled executions keep exemplars (on unless switched off).
    exemplars: bool,
    shut_down: AtomicBool,
    /// Set once the host gauges are registered: their callbacks would otherwise be added
    /// (and run) once per registration.
    #[cfg(feature = "system")]
    host_gauges: AtomicBool,
}

static GLOBAL: OnceLock<Pipeline> = OnceLock::new();

/// The installed pipeline, if any.
#[inline]
pub(crate) fn get() -> Option<&'static Pipeline> {
    GLOBAL.get()
}

impl Pipeline {
    pub(crate) fn new(
        enabled: bool,
        namespace: String,
        meter_provider: SdkMeterProvider,
        registry: prometheus::Registry,
        tracer_provider: SdkTracerProvider,
        spans: SpanPolicy,
    ) -> Self {
        let meter = meter_provider.meter_with_scope(scope().build());
        Pipeline {
            enabled,
            namespace,
            meter_provider,
            meter,
            registry,
            tracer_provider,
            spans,
            exemplars: true,
            shut_down: AtomicBool::new(false),
            #[cfg(feature = "system")]
            host_gauges: AtomicBool::new(false),
        }
    }

    /// The installed pipeline, if any (`None` before `install()`).
    pub fn installed() -> Option<&'static Pipeline> {
        get()
    }

    /// Publishes the pipeline for the process. A second call is [`Error::AlreadyInstalled`]:
    /// call sites bind to the first pipeline for the life of the process, so a second one
    /// could only ever be half used.
    pub(crate) fn publish(self) -> Result<&'static Pipeline, Error> {
        let mut candidate = Some(self);
        let published = GLOBAL.get_or_init(|| candidate.take().expect("taken once"));
        match candidate {
            None => Ok(published),
            Some(rejected) => {
                // Never served: release its resources quietly.
                rejected.shutdown();
                Err(Error::AlreadyInstalled)
            }
        }
    }

    /// Whether anything is recorded.
    #[inline]
    pub fn is_enabled(&self) -> bool {
        self.enabled && !self.shut_down.load(Ordering::Relaxed)
    }

    /// The namespace of flowmeter's metric names.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The meter of flowmeter's own instruments.
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    /// A meter for a call site whose duration histogram has its own boundaries.
    ///
    /// The SDK keeps one aggregation per instrument name per meter, so a second boundary set
    /// on the same meter would be silently ignored. Each boundary set gets its own scope
    /// (distinguished by an attribute; scope labels are off, so the exposition is unchanged)
    /// and the provider returns the same meter for the same set.
    pub(crate) fn meter_for_buckets(&self, buckets: &[f64]) -> Meter {
        let key: Vec<String> = buckets.iter().map(f64::to_string).collect();
        let scope =
            scope().with_attributes([KeyValue::new("flowmeter.buckets", key.join(","))]).build();
        self.meter_provider.meter_with_scope(scope)
    }

    /// The Prometheus registry the bridge writes into (its own, not the process default).
    pub fn registry(&self) -> &prometheus::Registry {
        &self.registry
    }

    /// The meter provider, for application-defined instruments.
    pub fn meter_provider(&self) -> &SdkMeterProvider {
        &self.meter_provider
    }

    /// The tracer provider.
    pub fn tracer_provider(&self) -> &SdkTracerProvider {
        &self.tracer_provider
    }

    /// The sampler of every span and whether unsampled calls skip their span.
    #[inline]
    pub(crate) fn spans(&self) -> &SpanPolicy {
        &self.spans
    }

    /// Switches the exemplars of sampled executions on or off (on by default).
    pub(crate) fn with_exemplars(mut self, on: bool) -> Self {
        self.exemplars = on;
        self
    }

    /// Whether sampled executions keep their trace and span ids as exemplars of their
    /// duration buckets.
    pub(crate) fn exemplars(&self) -> bool {
        self.exemplars
    }

    /// `true` for the first caller only: that one registers the host gauges.
    #[cfg(feature = "system")]
    pub(crate) fn claim_host_gauges(&self) -> bool {
        !self.host_gauges.swap(true, Ordering::AcqRel)
    }

    /// Flushes spans and metrics, then shuts both providers down. Later calls do nothing;
    /// instrumented code keeps running and records nothing.
    pub(crate) fn shutdown(&self) {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return;
        }
        let _ = self.tracer_provider.force_flush();
        let _ = self.tracer_provider.shutdown();
        let _ = self.meter_provider.force_flush();
        let _ = self.meter_provider.shutdown();
    }
}

fn scope() -> opentelemetry::InstrumentationScopeBuilder {
    InstrumentationScope::builder(SCOPE_NAME).with_version(env!("CARGO_PKG_VERSION"))
}
