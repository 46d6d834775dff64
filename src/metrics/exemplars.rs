//! Exemplars: the trace and span of a sampled call, kept with the duration bucket its
//! observation fell in, so a latency panel can link a bucket to a trace that made it.
//!
//! The OpenTelemetry SDK keeps no exemplars (its exemplar reservoir is not implemented in
//! 0.33) and the Prometheus bridge's model has nowhere to put one, so flowmeter keeps them
//! itself, next to the bound handles it records through: one [`SeriesExemplars`] per duration
//! series that a sampled call ended in, holding the latest exemplar of each bucket. The
//! OpenMetrics encoder reads them through an [`ExemplarIndex`] and writes each on its
//! bucket's line.
//!
//! Cost: nothing for a call without a sampled span (`span = false`, or a trace that is not
//! sampled): it never gets here. A sampled call pays a bucket search over the boundaries, a
//! wall-clock read and an uncontended `try_lock` of its bucket's slot; a writer that finds the
//! slot taken (another thread writing the same bucket that instant) leaves it to that one,
//! so recording never waits. The series is created (and listed for the encoder, under a global
//! lock) at its first sampled call.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::SystemTime;

use opentelemetry::KeyValue;
use opentelemetry::trace::{SpanId, TraceId};

use flowmeter_naming as names;

use super::catalog::{self, MetricDef};
use super::weak_list::push_pruned;
use crate::pipeline::Pipeline;

/// The trace and span of a call, as an exemplar's labels carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpanIds {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
}

/// One exemplar: a sampled call's ids, its duration and when it ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Exemplar {
    pub(crate) ids: SpanIds,
    /// The observed duration, in seconds (the histogram's unit).
    pub(crate) value: f64,
    pub(crate) timestamp: SystemTime,
}

/// Which histogram a bound set's duration series belong to: the family name as the bridge
/// exports it and the bucket boundaries the series have.
#[derive(Debug, Clone)]
pub(crate) struct HistogramTarget {
    family: Arc<str>,
    bounds: Arc<[f64]>,
}

impl HistogramTarget {
    /// The histogram exported as `family` (e.g. `flowmeter_execution_duration_seconds`) with
    /// these boundaries.
    pub(crate) fn new(family: impl Into<Arc<str>>, bounds: &[f64]) -> Self {
        HistogramTarget { family: family.into(), bounds: bounds.into() }
    }

    /// The catalog histogram `def` of `pipeline`, with `buckets` when a call site declares its
    /// own; `None` when the pipeline keeps no exemplars.
    pub(crate) fn of(
        pipeline: &Pipeline,
        def: &MetricDef,
        buckets: Option<&[f64]>,
    ) -> Option<Self> {
        pipeline.exemplars().then(|| {
            let bounds = buckets.or(def.buckets).unwrap_or(catalog::DURATION_BUCKETS);
            HistogramTarget::new(def.prometheus_name(pipeline.namespace()), bounds)
        })
    }

    /// The exemplars of the series with these attributes (OpenTelemetry keys), created and
    /// listed for the encoder.
    #[cold]
    pub(crate) fn series(&self, attrs: &[KeyValue]) -> Arc<SeriesExemplars> {
        let mut labels: Vec<(String, String)> = attrs
            .iter()
            .map(|kv| (names::prometheus_label(kv.key.as_str()), kv.value.as_str().into_owned()))
            .collect();
        labels.sort();
        let slots = (0..=self.bounds.len()).map(|_| Mutex::new(None)).collect();
        let key = key(&self.family, labels.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let series = Arc::new(SeriesExemplars {
            family: Arc::clone(&self.family),
            labels: labels.into(),
            key,
            bounds: Arc::clone(&self.bounds),
            slots,
        });
        push_pruned(&mut LIVE.lock().unwrap_or_else(PoisonError::into_inner), &series);
        series
    }
}

/// The exemplars of one duration series: the latest per bucket.
#[derive(Debug)]
pub(crate) struct SeriesExemplars {
    family: Arc<str>,
    /// Prometheus label names and values, sorted by name.
    labels: Box<[(String, String)]>,
    /// [`key`] of the family and labels, what the index files the series under.
    key: u64,
    bounds: Arc<[f64]>,
    /// One slot per boundary, then `+Inf`.
    slots: Box<[Mutex<Option<Exemplar>>]>,
}

impl SeriesExemplars {
    /// Keeps `ids` as the exemplar of the bucket `seconds` falls in (the first whose upper
    /// bound is at least `seconds`, as the histogram counts it), unless another thread is
    /// writing that bucket right now.
    #[inline]
    pub(crate) fn offer(&self, seconds: f64, ids: SpanIds) {
        let bucket = self.bounds.partition_point(|bound| *bound < seconds);
        if let Ok(mut slot) = self.slots[bucket].try_lock() {
            *slot = Some(Exemplar { ids, value: seconds, timestamp: SystemTime::now() });
        }
    }

    /// A copy of every bucket's exemplar now.
    fn snapshot(self: Arc<Self>) -> SeriesSnapshot {
        let exemplars = self
            .slots
            .iter()
            .map(|slot| *slot.lock().unwrap_or_else(PoisonError::into_inner))
            .collect();
        SeriesSnapshot { series: self, exemplars }
    }

    fn is(&self, family: &str, labels: &[(&str, &str)]) -> bool {
        *self.family == *family
            && self.labels.len() == labels.len()
            && self.labels.iter().zip(labels).all(|((n, v), (m, w))| n == m && v == w)
    }
}

/// The exemplars of one series as they were when the index was taken.
#[derive(Debug)]
pub(crate) struct SeriesSnapshot {
    series: Arc<SeriesExemplars>,
    /// One per boundary, then `+Inf`.
    exemplars: Box<[Option<Exemplar>]>,
}

impl SeriesSnapshot {
    /// The exemplar of the bucket whose upper bound is `le` (`f64::INFINITY` for `+Inf`), if
    /// a sampled call had fallen in it when the index was taken.
    pub(crate) fn at(&self, le: f64) -> Option<Exemplar> {
        let bucket = if le == f64::INFINITY {
            self.series.bounds.len()
        } else {
            self.series.bounds.iter().position(|bound| *bound == le)?
        };
        self.exemplars[bucket]
    }
}

/// Every series with exemplars, for [`ExemplarIndex`]. A series goes away with the bound set
/// that owns it (a renamed or dropped primitive).
static LIVE: Mutex<Vec<Weak<SeriesExemplars>>> = Mutex::new(Vec::new());

/// A copy of the exemplars every series has now, by family and labels: what the OpenMetrics
/// encoder looks each histogram series up in.
///
/// Take it before gathering the metrics: an exemplar is kept after its observation is
/// recorded, and gathering hands every recorded observation to the SDK, so each exemplar in
/// the copy has its observation counted in the exposition that follows (one kept later is
/// left for the next scrape).
#[derive(Debug, Default)]
pub(crate) struct ExemplarIndex {
    by_key: HashMap<u64, Vec<SeriesSnapshot>>,
}

impl ExemplarIndex {
    /// The exemplars of every series now.
    pub(crate) fn take() -> Self {
        let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
        live.retain(|entry| entry.strong_count() > 0);
        let mut by_key: HashMap<u64, Vec<SeriesSnapshot>> = HashMap::new();
        for series in live.iter().filter_map(Weak::upgrade) {
            by_key.entry(series.key).or_default().push(series.snapshot());
        }
        ExemplarIndex { by_key }
    }

    /// Whether no series has exemplars (so the encoder need not look anything up).
    pub(crate) fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The exemplars of the series of `family` with exactly `labels` (Prometheus names and
    /// values, sorted by name; without `le`).
    pub(crate) fn find(&self, family: &str, labels: &[(&str, &str)]) -> Option<&SeriesSnapshot> {
        let candidates = self.by_key.get(&key(family, labels.iter().copied()))?;
        candidates.iter().find(|snapshot| snapshot.series.is(family, labels))
    }
}

/// A hash of a family name and its sorted label pairs.
fn key<'a>(family: &str, labels: impl Iterator<Item = (&'a str, &'a str)>) -> u64 {
    let mut hasher = DefaultHasher::new();
    family.hash(&mut hasher);
    for (name, value) in labels {
        name.hash(&mut hasher);
        value.hash(&mut hasher);
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u8) -> SpanIds {
        SpanIds { trace_id: TraceId::from_bytes([n; 16]), span_id: SpanId::from_bytes([n; 8]) }
    }

    #[test]
    fn each_bucket_keeps_its_latest_exemplar() {
        let target = HistogramTarget::new("exemplars_test_a_seconds", &[0.1, 1.0]);
        let series = target
            .series(&[KeyValue::new("primitive.name", "a"), KeyValue::new("status", "success")]);
        series.offer(0.05, ids(1));
        series.offer(0.1, ids(2)); // on the boundary: counted in le="0.1"
        series.offer(0.5, ids(3));
        series.offer(7.0, ids(4));

        let index = ExemplarIndex::take();
        let labels = [("primitive_name", "a"), ("status", "success")];
        let found = index.find("exemplars_test_a_seconds", &labels).expect("listed");
        assert_eq!(found.at(0.1).map(|e| (e.ids, e.value)), Some((ids(2), 0.1)));
        assert_eq!(found.at(1.0).map(|e| e.ids), Some(ids(3)));
        assert_eq!(found.at(f64::INFINITY).map(|e| e.ids), Some(ids(4)));
        assert_eq!(found.at(0.5), None, "not a boundary");
        series.offer(0.5, ids(5));
        assert_eq!(found.at(1.0).map(|e| e.ids), Some(ids(3)), "a copy: later ones wait");
        assert!(index.find("exemplars_test_a_seconds", &labels[..1]).is_none());
        assert!(index.find("exemplars_test_b_seconds", &labels).is_none());
    }

    #[test]
    fn a_dropped_series_leaves_the_index() {
        let target = HistogramTarget::new("exemplars_test_dropped_seconds", &[1.0]);
        let series = target.series(&[KeyValue::new("status", "success")]);
        series.offer(0.5, ids(9));
        let labels = [("status", "success")];
        assert!(ExemplarIndex::take().find("exemplars_test_dropped_seconds", &labels).is_some());
        drop(series);
        assert!(ExemplarIndex::take().find("exemplars_test_dropped_seconds", &labels).is_none());
    }
}
