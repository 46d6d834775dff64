//! Call sites: one static per `#[instrumented]` function, registered at link time, holding
//! the bound instruments its calls record through.
//!
//! The attribute set of a call site is known at compile time, so each status gets its own
//! pre-bound counter and histogram (`experimental_metrics_bound_instruments`): a call does no
//! attribute lookup, hashing, allocation or locking. Binding happens once, when the pipeline
//! is installed (so every series exists at 0 before the first call) or, for a call site that
//! runs before that, on its first call after it.

use std::sync::OnceLock;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundCounter, BoundHistogram, BoundUpDownCounter};
use serde::Serialize;

use super::catalog::{self, keys};
use super::instruments::InstrumentFactory;
use super::recording::Recording;
use super::status::Status;
use crate::telemetry::pipeline::{self, Pipeline};

/// What the macro knows about a call site at compile time.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CallsiteMeta {
    /// The `primitive_name` label: `name = "..."`, else the fn name (`Type::method` in an
    /// instrumented impl block).
    pub name: &'static str,
    /// The `primitive_type` label: `kind = "..."`, default `function`.
    pub kind: &'static str,
    /// Static extra labels from `labels(key = "value", ...)`.
    pub labels: &'static [(&'static str, &'static str)],
    /// Duration boundaries from `buckets = [...]`, else the catalog's.
    pub buckets: Option<&'static [f64]>,
    /// Whether the call site opens a span.
    pub span: bool,
    /// The module the function is defined in.
    pub module_path: &'static str,
    /// The source file.
    pub file: &'static str,
    /// The source line.
    pub line: u32,
}

/// One instrumented call site. Created by `#[instrumented]` as a `static`.
#[derive(Debug)]
pub struct Callsite {
    meta: CallsiteMeta,
    bound: OnceLock<Bound>,
}

/// Every call site of the program, collected by the linker.
#[linkme::distributed_slice]
pub static CALLSITES: [&'static Callsite];

impl Callsite {
    /// A call site with its compile-time metadata; not yet bound.
    pub const fn new(meta: CallsiteMeta) -> Self {
        Callsite { meta, bound: OnceLock::new() }
    }

    /// The call site's metadata.
    pub fn meta(&self) -> &CallsiteMeta {
        &self.meta
    }

    /// Starts recording one execution, or `None` when telemetry is disabled or not installed
    /// (the call then runs uninstrumented).
    #[inline]
    pub fn start(&'static self) -> Option<Recording> {
        let bound = match self.bound.get() {
            Some(bound) => bound,
            None => self.bind()?,
        };
        Some(Recording::start(bound))
    }

    #[cold]
    #[inline(never)]
    fn bind(&'static self) -> Option<&'static Bound> {
        let pipeline = pipeline::get()?;
        if !pipeline.is_enabled() {
            return None;
        }
        Some(self.bound.get_or_init(|| Bound::new(&self.meta, pipeline)))
    }
}

/// Binds every registered call site so their series exist (at 0) from startup.
pub(crate) fn bind_all() {
    for callsite in CALLSITES {
        callsite.bind();
    }
}

/// The registered call sites, for `/catalog`. Sorted by name, one entry per call site.
pub fn list() -> Vec<CallsiteMeta> {
    let mut sites: Vec<CallsiteMeta> = CALLSITES.iter().map(|c| c.meta).collect();
    sites.sort_by(|a, b| (a.name, a.file, a.line).cmp(&(b.name, b.file, b.line)));
    sites
}

/// The instruments of one call site, bound to its attribute sets.
#[derive(Debug)]
pub(crate) struct Bound {
    by_status: [StatusHandles; 4],
    pub(crate) active: BoundUpDownCounter<i64>,
}

#[derive(Debug)]
struct StatusHandles {
    count: BoundCounter<u64>,
    duration: BoundHistogram<f64>,
}

impl Bound {
    fn new(meta: &CallsiteMeta, pipeline: &Pipeline) -> Self {
        let instruments = super::instruments_of(pipeline);
        let duration = match meta.buckets {
            None => instruments.duration.clone(),
            // A different boundary set needs its own instrument; the SDK caches instruments
            // per meter by name, so it gets a meter of its own (see Pipeline::meter_for_buckets).
            Some(buckets) => InstrumentFactory {
                meter: &pipeline.meter_for_buckets(buckets),
                namespace: pipeline.namespace(),
            }
            .f64_histogram(&catalog::EXECUTION_DURATION, Some(buckets)),
        };
        let mut attrs = vec![
            KeyValue::new(keys::PRIMITIVE_NAME, meta.name),
            KeyValue::new(keys::PRIMITIVE_TYPE, meta.kind),
        ];
        attrs.extend(meta.labels.iter().map(|(k, v)| KeyValue::new(*k, *v)));
        let active = instruments.active.bind(&attrs);
        let by_status = Status::ALL.map(|status| {
            let mut with_status = attrs.clone();
            with_status.push(KeyValue::new(keys::STATUS, status.as_str()));
            StatusHandles {
                count: instruments.executions.bind(&with_status),
                duration: duration.bind(&with_status),
            }
        });
        Bound { by_status, active }
    }

    #[inline]
    pub(crate) fn record(&self, status: Status, seconds: f64) {
        let handles = &self.by_status[status.index()];
        handles.count.add(1);
        handles.duration.record(seconds);
    }
}
