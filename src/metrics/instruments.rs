//! OpenTelemetry instruments created from the catalog.

use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter, ObservableGauge, UpDownCounter};

use super::catalog::{self, InstrumentKind, MetricDef};

/// Every catalog instrument, created once per pipeline from one meter.
#[derive(Debug, Clone)]
pub struct Instruments {
    /// `ns.primitive.executions`
    pub executions: Counter<u64>,
    /// `ns.execution.duration`
    pub duration: Histogram<f64>,
    /// `ns.primitive.active`
    pub active: UpDownCounter<i64>,
    /// `ns.workflow.executions`
    pub workflow_executions: Counter<u64>,
    /// `ns.workflow.duration`
    pub workflow_duration: Histogram<f64>,
    /// `ns.cache.hits`
    pub cache_hits: Counter<u64>,
    /// `ns.cache.misses`
    pub cache_misses: Counter<u64>,
    /// `ns.cache.evictions`
    pub cache_evictions: Counter<u64>,
    /// `ns.cache.entries`
    pub cache_entries: Gauge<u64>,
    /// `ns.llm.cost`
    pub llm_cost: Counter<f64>,
    /// `ns.llm.cost.saved`
    pub llm_cost_saved: Counter<f64>,
    /// `ns.llm.unpriced_calls`
    pub llm_unpriced_calls: Counter<u64>,
    /// `ns.llm.budget.remaining`
    pub llm_budget_remaining: Gauge<f64>,
    /// `ns.retry.attempts`
    pub retry_attempts: Histogram<u64>,
    /// `gen_ai.client.token.usage`
    pub gen_ai_token_usage: Histogram<u64>,
    /// `gen_ai.client.operation.duration`
    pub gen_ai_operation_duration: Histogram<f64>,
    /// `ns.measurements.rejected`
    pub measurements_rejected: Counter<u64>,
    /// Hands the executions waiting in per-thread stripes to the instruments above at the
    /// start of every collection. It observes nothing, so it is never exported.
    _flush_stripes: ObservableGauge<u64>,
}

impl Instruments {
    /// Creates every catalog instrument on `meter` under `namespace`.
    pub fn new(meter: &Meter, namespace: &str) -> Self {
        let f = InstrumentFactory { meter, namespace };
        Instruments {
            executions: f.u64_counter(&catalog::PRIMITIVE_EXECUTIONS),
            duration: f.f64_histogram(&catalog::EXECUTION_DURATION, None),
            active: f.i64_up_down_counter(&catalog::PRIMITIVE_ACTIVE),
            workflow_executions: f.u64_counter(&catalog::WORKFLOW_EXECUTIONS),
            workflow_duration: f.f64_histogram(&catalog::WORKFLOW_DURATION, None),
            cache_hits: f.u64_counter(&catalog::CACHE_HITS),
            cache_misses: f.u64_counter(&catalog::CACHE_MISSES),
            cache_evictions: f.u64_counter(&catalog::CACHE_EVICTIONS),
            cache_entries: f.u64_gauge(&catalog::CACHE_ENTRIES),
            llm_cost: f.f64_counter(&catalog::LLM_COST),
            llm_cost_saved: f.f64_counter(&catalog::LLM_COST_SAVED),
            llm_unpriced_calls: f.u64_counter(&catalog::LLM_UNPRICED_CALLS),
            llm_budget_remaining: f.f64_gauge(&catalog::LLM_BUDGET_REMAINING),
            retry_attempts: f.u64_histogram(&catalog::RETRY_ATTEMPTS),
            gen_ai_token_usage: f.u64_histogram(&catalog::GEN_AI_TOKEN_USAGE),
            gen_ai_operation_duration: f.f64_histogram(&catalog::GEN_AI_OPERATION_DURATION, None),
            measurements_rejected: f.u64_counter(&catalog::MEASUREMENTS_REJECTED),
            _flush_stripes: meter
                .u64_observable_gauge(FLUSH_STRIPES)
                .with_callback(|_| super::bound::flush_all())
                .build(),
        }
    }
}

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
