//! Names in an OpenMetrics body: the family name and type each gathered family is written
//! under, the names the grammar allows, and the guard against two families whose sample names
//! would collide (which makes a whole body invalid to a strict parser).

use std::collections::HashMap;

use prometheus::proto::{MetricFamily, MetricType};

/// The type of an OpenMetrics family, as its `# TYPE` line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OmType {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Unknown,
}

impl OmType {
    /// The word of the `# TYPE` line.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            OmType::Counter => "counter",
            OmType::Gauge => "gauge",
            OmType::Histogram => "histogram",
            OmType::Summary => "summary",
            OmType::Unknown => "unknown",
        }
    }

    /// The suffixes whose sample names a family of this type owns (after its own name): what a
    /// strict parser reserves for it, `_created` included though flowmeter writes none.
    fn owned_suffixes(self) -> &'static [&'static str] {
        match self {
            OmType::Counter => &["", "_total", "_created"],
            OmType::Gauge | OmType::Unknown => &[""],
            OmType::Histogram => &["", "_bucket", "_count", "_sum", "_created"],
            OmType::Summary => &["", "_count", "_sum", "_created"],
        }
    }
}

/// Every suffix any type owns.
const SUFFIXES: [&str; 6] = ["", "_total", "_created", "_bucket", "_count", "_sum"];

/// The OpenMetrics family name and type of a gathered family.
///
/// A counter is written under its name without `_total`, its samples with it
/// (`# TYPE x counter`, `x_total 3`): the sample names, which are the series Prometheus
/// stores, are the same as in the 0.0.4 text. A counter whose name does not end in `_total`
/// (only a collector registered by hand makes one; the bridge always adds the suffix) is
/// written as `unknown` under its own name: OpenMetrics would require its samples to end in
/// `_total`, which would rename its series between the two formats, and a series that
/// changes name when a scraper switches formats breaks every query on it. (client_golang
/// appends `_total` instead; flowmeter keeps the name.) Untyped families become `unknown`.
pub(super) fn shape(family: &MetricFamily) -> (&str, OmType) {
    let name = family.name();
    match family.get_field_type() {
        MetricType::COUNTER => match name.strip_suffix("_total") {
            Some(base) if is_metric_name(base) => (base, OmType::Counter),
            _ => (name, OmType::Unknown),
        },
        MetricType::GAUGE => (name, OmType::Gauge),
        MetricType::HISTOGRAM => (name, OmType::Histogram),
        MetricType::SUMMARY => (name, OmType::Summary),
        MetricType::UNTYPED => (name, OmType::Unknown),
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`, the grammar's `metricname`.
pub(super) fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, the grammar's `label-name`: flowmeter's identifier rule.
pub(super) fn is_label_name(name: &str) -> bool {
    flowmeter_naming::validate_identifier(name).is_ok()
}

/// The families written so far, by OpenMetrics name, to refuse one whose sample names an
/// earlier one owns: a counter `x_total` (family `x`) beside a gauge `x`, or a histogram `h`
/// beside a gauge `h_count`. The text format 0.0.4 has no families to collide, so both were
/// fine there; in OpenMetrics the second would make the whole body invalid.
///
/// Costs one table of borrowed names per body and one reused buffer; no allocation per family
/// once they have grown.
#[derive(Debug, Default)]
pub(super) struct Written<'f> {
    types: HashMap<&'f str, OmType>,
    scratch: String,
}

impl<'f> Written<'f> {
    /// Whether a family `name` of type `kind` would own a sample name an earlier family owns.
    pub(super) fn collides(&mut self, name: &str, kind: OmType) -> bool {
        let Written { types, scratch } = self;
        if types.is_empty() {
            return false;
        }
        kind.owned_suffixes().iter().any(|suffix| {
            scratch.clear();
            scratch.push_str(name);
            scratch.push_str(suffix);
            // The sample name `name + suffix` belongs to an earlier family `stem` if it is
            // `stem + theirs` for one of the suffixes that family's type owns.
            SUFFIXES.iter().any(|theirs| {
                scratch
                    .strip_suffix(theirs)
                    .and_then(|stem| types.get(stem))
                    .is_some_and(|earlier: &OmType| earlier.owned_suffixes().contains(theirs))
            })
        })
    }

    /// Records a family as written.
    pub(super) fn insert(&mut self, name: &'f str, kind: OmType) {
        self.types.insert(name, kind);
    }
}
