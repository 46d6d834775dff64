//! Instruments created from the catalog: the factory every domain builds its instruments
//! with (so name, unit, description and boundaries can only come from the catalog), the
//! per-pipeline holder each domain keeps its own in, and this layer's own: executions,
//! duration, in-flight and refused measurements.

use std::sync::OnceLock;

use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter, ObservableGauge, UpDownCounter};

use super::catalog::{self, InstrumentKind, MetricDef};
use crate::pipeline::{self, Pipeline};

/// One domain's instruments, created once, from the installed pipeline's meter, the first time
/// that domain records. Each domain (executions here; workflows, caches and retries in
/// `primitives`; cost and GenAI in `llm`) owns a `static` of its own.
pub(crate) struct DomainInstruments<T> {
    cell: OnceLock<T>,
    make: fn(&InstrumentFactory<'_>) -> T,
}

impl<T> DomainInstruments<T> {
    /// Instruments that `make` creates on first use.
    pub(crate) const fn new(make: fn(&InstrumentFactory<'_>) -> T) -> Self {
        DomainInstruments { cell: OnceLock::new(), make }
    }

    /// The instruments, if an enabled pipeline is installed.
    #[inline]
    pub(crate) fn get(&self) -> Option<&T> {
        let pipeline = pipeline::get()?;
        pipeline.is_enabled().then(|| self.of(pipeline))
    }

    /// The instruments of `pipeline` (there is at most one per process).
    pub(crate) fn of(&self, pipeline: &Pipeline) -> &T {
        self.cell.get_or_init(|| {
            (self.make)(&InstrumentFactory {
                meter: pipeline.meter(),
                namespace: pipeline.namespace(),
            })
        })
    }
}

impl<T> std::fmt::Debug for DomainInstruments<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainInstruments").field("created", &self.cell.get().is_some()).finish()
    }
}

/// The recording layer's own instruments: what every execution of a call site or primitive
/// records, and the count of measurements refused by validation.
#[derive(Debug)]
pub(crate) struct ExecutionInstruments {
    /// `ns.primitive.executions`
    pub(crate) executions: Counter<u64>,
    /// `ns.execution.duration`
    pub(crate) duration: Histogram<f64>,
    /// `ns.primitive.active`
    pub(crate) active: UpDownCounter<i64>,
    /// `ns.measurements.rejected`
    pub(crate) measurements_rejected: Counter<u64>,
    /// Hands the executions waiting in per-thread stripes to the instruments above at the
    /// start of every collection. It observes nothing, so it is never exported.
    _flush_stripes: ObservableGauge<u64>,
}

/// The executions' instruments of the installed pipeline.
pub(crate) static EXECUTIONS: DomainInstruments<ExecutionInstruments> =
    DomainInstruments::new(|f| ExecutionInstruments {
        executions: f.u64_counter(&catalog::PRIMITIVE_EXECUTIONS),
        duration: f.f64_histogram(&catalog::EXECUTION_DURATION, None),
        active: f.i64_up_down_counter(&catalog::PRIMITIVE_ACTIVE),
        measurements_rejected: f.u64_counter(&catalog::MEASUREMENTS_REJECTED),
        _flush_stripes: f
            .meter
            .u64_observable_gauge(FLUSH_STRIPES)
            .with_callback(|_| super::bound::flush_all())
            .build(),
    });

/// The name of the collection hook that flushes the stripes: never exported (it observes
/// nothing), but a name the SDK accepts, outside every namespace a catalog metric can use.
const FLUSH_STRIPES: &str = "flowmeter.internal.flush_stripes";

/// Builds instruments from catalog entries, so name, unit, description and boundaries can only
/// come from the catalog.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InstrumentFactory<'a> {
    pub(crate) meter: &'a Meter,
    pub(crate) namespace: &'a str,
}

impl InstrumentFactory<'_> {
    fn expect(def: &MetricDef, kind: InstrumentKind) {
        debug_assert_eq!(def.kind, kind, "catalog entry {} used as {kind:?}", def.name);
    }

    pub(crate) fn u64_counter(&self, def: &MetricDef) -> Counter<u64> {
        Self::expect(def, InstrumentKind::Counter);
        self.meter
            .u64_counter(def.otel_name(self.namespace))
            .with_description(def.description)
            .with_unit(def.unit)
            .build()
    }

    pub(crate) fn f64_counter(&self, def: &MetricDef) -> Counter<f64> {
        Self::expect(def, InstrumentKind::Counter);
        self.meter
            .f64_counter(def.otel_name(self.namespace))
            .with_description(def.description)
            .with_unit(def.unit)
            .build()
    }

    pub(crate) fn i64_up_down_counter(&self, def: &MetricDef) -> UpDownCounter<i64> {
        Self::expect(def, InstrumentKind::UpDownCounter);
        self.meter
            .i64_up_down_counter(def.otel_name(self.namespace))
            .with_description(def.description)
            .with_unit(def.unit)
            .build()
    }

    pub(crate) fn u64_gauge(&self, def: &MetricDef) -> Gauge<u64> {
        Self::expect(def, InstrumentKind::Gauge);
        self.meter
            .u64_gauge(def.otel_name(self.namespace))
            .with_description(def.description)
            .with_unit(def.unit)
            .build()
    }

    pub(crate) fn f64_gauge(&self, def: &MetricDef) -> Gauge<f64> {
        Self::expect(def, InstrumentKind::Gauge);
        self.meter
            .f64_gauge(def.otel_name(self.namespace))
            .with_description(def.description)
            .with_unit(def.unit)
            .build()
    }

    /// A histogram with the catalog's boundaries, or `buckets` when a call site overrides
    /// them (validated by the macro at compile time).
    pub(crate) fn f64_histogram(&self, def: &MetricDef, buckets: Option<&[f64]>) -> Histogram<f64> {
        Self::expect(def, InstrumentKind::Histogram);
        let boundaries = buckets.or(def.buckets).unwrap_or(catalog::DURATION_BUCKETS);
        self.meter
            .f64_histogram(def.otel_name(self.namespace))
            .with_description(def.description)
            .with_unit(def.unit)
            .with_boundaries(boundaries.to_vec())
            .build()
    }

    pub(crate) fn u64_histogram(&self, def: &MetricDef) -> Histogram<u64> {
        Self::expect(def, InstrumentKind::Histogram);
        let boundaries = def.buckets.unwrap_or(catalog::DURATION_BUCKETS);
        self.meter
            .u64_histogram(def.otel_name(self.namespace))
            .with_description(def.description)
            .with_unit(def.unit)
            .with_boundaries(boundaries.to_vec())
            .build()
    }
}
