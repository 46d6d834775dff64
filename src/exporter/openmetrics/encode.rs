//! One gathered family as OpenMetrics text: metadata lines, then each series' samples, with
//! the exemplars of histogram buckets.
//!
//! Writing into a `String` cannot fail, but a family can still be one OpenMetrics does not
//! allow (a `NaN` counter, buckets out of order, a label named `le` on a histogram), and one
//! invalid family makes a strict parser refuse the whole body. So every family is checked as
//! it is written, and [`Encoder::family`] reports a [`Rejected`] family for the caller to cut
//! out of the body; the text format 0.0.4 keeps it, as before.

use std::cmp::Ordering;

use prometheus::proto::{Metric, MetricFamily, MetricType};

use super::escape;
use super::names::{OmType, is_label_name, is_metric_name};
use super::units::{Units, unit_line};
use crate::metrics::exemplars::{Exemplar, ExemplarIndex, SeriesSnapshot};

/// Why a family was left out of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rejected {
    /// Its name is not an OpenMetrics metric name.
    Name,
    /// A series has a label name the grammar does not allow, twice the same label name, or the
    /// label its type adds (`le` on a histogram, `quantile` on a summary).
    LabelName,
    /// A counter value is `NaN` or negative.
    CounterValue,
    /// A histogram's buckets are out of order, have a `NaN` bound, or disagree with its count.
    Buckets,
    /// A summary's quantile is not within 0..=1, or a quantile's value is negative.
    Quantile,
    /// Its sample names are taken by a family written before it.
    Collision,
}

impl Rejected {
    /// What the warning says.
    pub(super) fn reason(self) -> &'static str {
        match self {
            Rejected::Name => "its name is not a valid metric name",
            Rejected::LabelName => "a series has an invalid, repeated or reserved label name",
            Rejected::CounterValue => "a counter value is NaN or negative",
            Rejected::Buckets => "its buckets are out of order or disagree with its count",
            Rejected::Quantile => "a quantile is outside 0..=1 or has a negative value",
            Rejected::Collision => "its sample names are those of another family",
        }
    }
}

/// Writes families one at a time, keeping its buffers from one series to the next.
pub(super) struct Encoder<'f, 'i> {
    units: &'i Units,
    exemplars: &'i ExemplarIndex,
    /// The current series' labels, escaped, without braces: written once per series and
    /// copied onto each of its lines (a histogram has one line per bucket).
    labels: String,
    /// The current series' labels sorted by name, to look its exemplars up in the index.
    lookup: Vec<(&'f str, &'f str)>,
}

impl<'f, 'i> Encoder<'f, 'i> {
    pub(super) fn new(units: &'i Units, exemplars: &'i ExemplarIndex) -> Self {
        Encoder { units, exemplars, labels: String::new(), lookup: Vec::new() }
    }

    /// Appends `family`, written as `name` of type `kind` (see [`shape`](super::names::shape)),
    /// to `out`. On `Err`, `out` holds part of the family: the caller truncates it.
    pub(super) fn family(
        &mut self,
        family: &'f MetricFamily,
        name: &str,
        kind: OmType,
        out: &mut String,
    ) -> Result<(), Rejected> {
        if !is_metric_name(name) {
            return Err(Rejected::Name);
        }
        // The order the specification recommends: TYPE, UNIT, HELP.
        push_all(out, &["# TYPE ", name, " ", kind.as_str(), "\n"]);
        if let Some(unit) = unit_line(self.units, family.name(), name) {
            push_all(out, &["# UNIT ", name, " ", unit, "\n"]);
        }
        if !family.help().is_empty() {
            push_all(out, &["# HELP ", name, " "]);
            escape::escaped(out, family.help());
            out.push('\n');
        }
        for metric in family.get_metric() {
            match family.get_field_type() {
                MetricType::COUNTER => self.counter(metric, name, kind, out)?,
                MetricType::GAUGE => {
                    self.series_labels(metric, None)?;
                    self.float_line(out, metric, name, "", metric.get_gauge().get_value());
                }
                MetricType::UNTYPED => {
                    self.series_labels(metric, None)?;
                    // `gather` leaves untyped families out (the 0.0.4 encoder panics on them),
                    // so this only serves a caller of the encoder with its own families. Their
                    // value is only readable through the deprecated protobuf-era accessors.
                    #[allow(deprecated)]
                    let value = metric.get_untyped().get_value();
                    self.float_line(out, metric, name, "", value);
                }
                MetricType::HISTOGRAM => self.histogram(metric, family.name(), name, out)?,
                MetricType::SUMMARY => self.summary(metric, name, out)?,
            }
        }
        Ok(())
    }

    fn counter(
        &mut self,
        metric: &Metric,
        name: &str,
        kind: OmType,
        out: &mut String,
    ) -> Result<(), Rejected> {
        self.series_labels(metric, None)?;
        let value = metric.get_counter().get_value();
        if kind == OmType::Counter {
            // A counter's total is a counter semantically: never NaN, never below zero.
            if value.is_nan() || value < 0.0 {
                return Err(Rejected::CounterValue);
            }
            self.float_line(out, metric, name, "_total", value);
        } else {
            self.float_line(out, metric, name, "", value);
        }
        Ok(())
    }

    fn histogram(
        &mut self,
        metric: &'f Metric,
        family: &str,
        name: &str,
        out: &mut String,
    ) -> Result<(), Rejected> {
        self.series_labels(metric, Some("le"))?;
        let exemplars = self.series_exemplars(metric, family);
        let histogram = metric.get_histogram();
        let count = histogram.get_sample_count();
        let (mut previous_bound, mut previous_count) = (f64::NEG_INFINITY, 0);
        let mut negative = false;
        for bucket in histogram.get_bucket() {
            let (bound, cumulative) = (bucket.upper_bound(), bucket.cumulative_count());
            // Strictly increasing bounds (a NaN bound is unordered), counts that never
            // decrease.
            let increasing = bound.partial_cmp(&previous_bound) == Some(Ordering::Greater);
            if !increasing || cumulative < previous_count {
                return Err(Rejected::Buckets);
            }
            negative |= bound < 0.0;
            self.bucket_line(out, metric, name, bound, cumulative, exemplars);
            (previous_bound, previous_count) = (bound, cumulative);
        }
        // The bridge's buckets stop at the last finite bound; `+Inf` is the count, as the
        // 0.0.4 encoder writes it. A collector that lists `+Inf` itself must agree with it.
        if previous_bound == f64::INFINITY {
            if previous_count != count {
                return Err(Rejected::Buckets);
            }
        } else if count < previous_count {
            return Err(Rejected::Buckets);
        } else {
            self.bucket_line(out, metric, name, f64::INFINITY, count, exemplars);
        }
        // OpenMetrics: the sum is a counter semantically, so a histogram with negative bounds
        // (or a negative or NaN sum) MUST NOT have one, and `_count` comes with `_sum` only.
        // The `+Inf` bucket still carries the count.
        let sum = histogram.get_sample_sum();
        if !negative && sum >= 0.0 {
            self.float_line(out, metric, name, "_sum", sum);
            self.line_start(out, name, "_count");
            escape::count(out, count);
            line_end(out, metric);
        }
        Ok(())
    }

    fn summary(&mut self, metric: &Metric, name: &str, out: &mut String) -> Result<(), Rejected> {
        self.series_labels(metric, Some("quantile"))?;
        let summary = metric.get_summary();
        for quantile in summary.get_quantile() {
            let (q, value) = (quantile.quantile(), quantile.value());
            if !(0.0..=1.0).contains(&q) || value < 0.0 {
                return Err(Rejected::Quantile);
            }
            self.line_start_with(out, name, "", "quantile", q);
            escape::value(out, value);
            line_end(out, metric);
        }
        // As for histograms: a sum OpenMetrics forbids (negative, NaN) is left out.
        let sum = summary.sample_sum();
        if sum >= 0.0 {
            self.float_line(out, metric, name, "_sum", sum);
        }
        self.line_start(out, name, "_count");
        escape::count(out, summary.sample_count());
        line_end(out, metric);
        Ok(())
    }

    /// Writes the escaped labels of `metric` into `self.labels`, checking their names: valid,
    /// each once, and not `reserved` (the label the type adds to some lines).
    fn series_labels(&mut self, metric: &Metric, reserved: Option<&str>) -> Result<(), Rejected> {
        self.labels.clear();
        let pairs = metric.get_label();
        for (i, pair) in pairs.iter().enumerate() {
            let name = pair.name();
            let repeated = pairs[..i].iter().any(|earlier| earlier.name() == name);
            if !is_label_name(name) || repeated || reserved == Some(name) {
                return Err(Rejected::LabelName);
            }
            if i > 0 {
                self.labels.push(',');
            }
            push_all(&mut self.labels, &[name, "=\""]);
            escape::escaped(&mut self.labels, pair.value());
            self.labels.push('"');
        }
        Ok(())
    }

    /// The exemplars of a histogram series, looked up by its labels sorted by name (the `le`
    /// of each bucket is not among them). Nothing is looked up while no series has any.
    fn series_exemplars(&mut self, metric: &'f Metric, family: &str) -> Option<&'i SeriesSnapshot> {
        if self.exemplars.is_empty() {
            return None;
        }
        self.lookup.clear();
        self.lookup.extend(metric.get_label().iter().map(|pair| (pair.name(), pair.value())));
        self.lookup.sort_unstable_by(|a, b| a.0.cmp(b.0));
        self.exemplars.find(family, &self.lookup)
    }

    /// `name_bucket{labels,le="bound"} count`, then the bucket's exemplar if it has one.
    fn bucket_line(
        &self,
        out: &mut String,
        metric: &Metric,
        name: &str,
        bound: f64,
        count: u64,
        exemplars: Option<&SeriesSnapshot>,
    ) {
        self.line_start_with(out, name, "_bucket", "le", bound);
        escape::count(out, count);
        timestamp(out, metric);
        if let Some(exemplar) = exemplars.and_then(|series| series.at(bound)) {
            write_exemplar(out, &exemplar);
        }
        out.push('\n');
    }

    /// `name suffix{labels} value [timestamp]`.
    fn float_line(&self, out: &mut String, metric: &Metric, name: &str, suffix: &str, value: f64) {
        self.line_start(out, name, suffix);
        escape::value(out, value);
        line_end(out, metric);
    }

    /// `name suffix{labels} `, without braces when the series has no labels.
    fn line_start(&self, out: &mut String, name: &str, suffix: &str) {
        push_all(out, &[name, suffix]);
        if !self.labels.is_empty() {
            push_all(out, &["{", &self.labels, "}"]);
        }
        out.push(' ');
    }

    /// `name suffix{labels,key="number"} `: the series' labels, then the one its type adds.
    fn line_start_with(&self, out: &mut String, name: &str, suffix: &str, key: &str, number: f64) {
        push_all(out, &[name, suffix, "{", &self.labels]);
        if !self.labels.is_empty() {
            out.push(',');
        }
        push_all(out, &[key, "=\""]);
        escape::bound(out, number);
        out.push_str("\"} ");
    }
}

/// ` # {trace_id="…",span_id="…"} value timestamp`: the trace and span of a sampled call
/// whose duration fell in this bucket, lowercase hex as W3C trace context writes them.
fn write_exemplar(out: &mut String, exemplar: &Exemplar) {
    use std::fmt::Write as _;
    let ids = exemplar.ids;
    let _ = write!(out, " # {{trace_id=\"{}\",span_id=\"{}\"}} ", ids.trace_id, ids.span_id);
    escape::value(out, exemplar.value);
    escape::space_then_time(out, exemplar.timestamp);
}

/// ` timestamp` when the series has one (only collectors registered by hand set one), as
/// the 0.0.4 encoder writes it (there in milliseconds, here in seconds).
fn timestamp(out: &mut String, metric: &Metric) {
    let millis = metric.timestamp_ms();
    if millis != 0 {
        out.push(' ');
        escape::millis(out, millis);
    }
}

fn line_end(out: &mut String, metric: &Metric) {
    timestamp(out, metric);
    out.push('\n');
}

fn push_all(out: &mut String, parts: &[&str]) {
    for part in parts {
        out.push_str(part);
    }
}
