//! The OpenMetrics 1.0 text exposition of a pipeline, with exemplars: what `/metrics` serves
//! to a scraper whose `Accept` asks for `application/openmetrics-text`.
//!
//! It encodes the same gathered families as the text format 0.0.4 ([`render`](super::render()))
//! and gives every series the same name, labels and value; what differs is what only
//! OpenMetrics can say:
//!
//! - a counter's family is named without `_total`, its samples keep it
//!   (`# TYPE flowmeter_primitive_executions counter`,
//!   `flowmeter_primitive_executions_total{...} 3`);
//! - `# UNIT` where flowmeter or the application declares a unit and the name ends in it
//!   (`# UNIT flowmeter_execution_duration_seconds seconds`);
//! - the `_bucket` lines of duration histograms carry the trace and span of a sampled call
//!   that fell in the bucket (`# {trace_id="…",span_id="…"} 0.0123 1733539200.123`), so a
//!   latency panel links a bucket to a trace;
//! - HELP escapes `"` too, non-finite numbers are `+Inf`, `-Inf`, `NaN`, and the body ends
//!   with `# EOF`.
//!
//! A family OpenMetrics does not allow (see `encode::Rejected`) is left out and logged once;
//! the rest of the body stays valid.

mod encode;
mod escape;
mod names;
mod units;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use prometheus::proto::MetricFamily;

use super::gather::gather;
use crate::metrics::exemplars::ExemplarIndex;
use crate::pipeline::Pipeline;
use encode::Encoder;
use names::{Written, shape};
use units::Units;

/// The `Content-Type` of the OpenMetrics exposition: OpenMetrics text 1.0.0, UTF-8.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Size of the previous body, so the next one is allocated once at about the right size.
static LAST_LEN: AtomicUsize = AtomicUsize::new(4096);

/// Renders the OpenMetrics 1.0 text exposition of `pipeline`, with exemplars: what `/metrics`
/// serves to a scraper that asks for `application/openmetrics-text`
/// ([`OPENMETRICS_CONTENT_TYPE`]).
///
/// The series are those of [`render`](super::render()) (the text format 0.0.4), with the same
/// names, labels and values. A counter's `# TYPE` names its family without `_total`; a
/// family whose unit is declared (flowmeter's catalog, `flowmeter::app` metrics) has a
/// `# UNIT` line; each `_bucket` line of a duration histogram into which a sampled call fell
/// ends with that call's exemplar, `# {trace_id="…",span_id="…"} <seconds> <unix time>`;
/// the body ends with `# EOF`.
///
/// Just `# EOF\n` while the pipeline is disabled. Never panics. A family OpenMetrics does
/// not allow (a NaN counter, buckets out of order, a reserved label name, sample names
/// another family already has) is left out, so a strict parser still accepts the rest, and
/// the first such family is logged through `tracing`.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let telemetry = flowmeter::Telemetry::builder()
///     .serve(false)
///     .ignore_env()
///     .install_subscriber(false)
///     .install()?;
/// let jobs = flowmeter::app::counter("jobs.done").help("Jobs done").build()?;
/// jobs.add(1, &[])?;
/// let wait = flowmeter::app::histogram("jobs.wait")
///     .help("Time a job waited")
///     .unit("s")
///     .buckets([0.1, 1.0])
///     .build()?;
/// wait.record(0.25, &[])?;
///
/// let body = flowmeter::exporter::render_openmetrics(telemetry.pipeline());
/// assert!(body.contains("# TYPE jobs_done counter\n# HELP jobs_done Jobs done\njobs_done_total 1\n"));
/// assert!(body.contains("# TYPE jobs_wait_seconds histogram\n# UNIT jobs_wait_seconds seconds\n"));
/// assert!(body.contains("\njobs_wait_seconds_bucket{le=\"1\"} 1\n"));
/// assert!(body.ends_with("# EOF\n"));
/// # Ok(()) }
/// ```
pub fn render_openmetrics(pipeline: &Pipeline) -> String {
    let hint = LAST_LEN.load(Ordering::Relaxed);
    let mut out = String::with_capacity(hint + hint / 8);
    render_openmetrics_into(pipeline, &mut out);
    out
}

/// Appends the OpenMetrics exposition of `pipeline` to `out` (see [`render_openmetrics`]).
/// `out` keeps its capacity, so a caller that renders repeatedly can clear and reuse one
/// `String`.
pub fn render_openmetrics_into(pipeline: &Pipeline, out: &mut String) {
    static REJECTED: AtomicBool = AtomicBool::new(false);
    let start = out.len();
    if pipeline.is_enabled() {
        // Before gathering: an exemplar is kept after its observation is recorded, and
        // gathering hands recorded observations to the SDK, so the series listed now have
        // their observations counted in the families gathered next.
        // (With exemplars off no series has any: the index is empty.)
        let exemplars = ExemplarIndex::take();
        let families = gather(pipeline);
        encode_families(&families, &Units::of(pipeline), &exemplars, out, &REJECTED);
    }
    out.push_str("# EOF\n");
    LAST_LEN.store(out.len() - start, Ordering::Relaxed);
}

/// Encodes one family at a time: one that OpenMetrics does not allow is cut back out of `out`
/// whole (logged once through `warned`), and the others stay.
fn encode_families(
    families: &[MetricFamily],
    units: &Units,
    exemplars: &ExemplarIndex,
    out: &mut String,
    warned: &AtomicBool,
) {
    let mut encoder = Encoder::new(units, exemplars);
    let mut written = Written::default();
    for family in families {
        let (name, kind) = shape(family);
        let mark = out.len();
        let encoded = if written.collides(name, kind) {
            Err(encode::Rejected::Collision)
        } else {
            encoder.family(family, name, kind, out)
        };
        match encoded {
            Ok(()) => written.insert(name, kind),
            Err(rejected) => {
                out.truncate(mark);
                if !warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        family = family.name(),
                        reason = rejected.reason(),
                        "flowmeter: a metric family is not valid OpenMetrics and is left out of \
                         the OpenMetrics exposition; the 0.0.4 text still has it (logged once)"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
