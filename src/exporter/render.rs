//! The Prometheus text exposition of a pipeline.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use prometheus::TextEncoder;
use prometheus::proto::MetricFamily;

use super::gather::gather;
use crate::pipeline::Pipeline;

/// The `Content-Type` of the text exposition: format 0.0.4, UTF-8.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Size of the previous exposition, so the next one is allocated once at about the right size.
static LAST_LEN: AtomicUsize = AtomicUsize::new(4096);

/// Renders the Prometheus text exposition (format 0.0.4) of `pipeline`: what `/metrics`
/// serves.
///
/// Empty while the pipeline is disabled. Never panics. A metric family the encoder rejects is left out (the rest is still
/// rendered) and the failure is logged once through `tracing`; if collecting the metrics
/// panics, the panic is caught and the result is empty.
///
/// The output is allocated once, sized from the previous exposition. To reuse a buffer of
/// your own across calls, use [`render_into`].
pub fn render(pipeline: &Pipeline) -> String {
    let hint = LAST_LEN.load(Ordering::Relaxed);
    let mut out = String::with_capacity(hint + hint / 8);
    render_into(pipeline, &mut out);
    out
}

/// Appends the text exposition of `pipeline` to `out` (see [`render`]). `out` keeps its
/// capacity, so a caller that renders repeatedly can clear and reuse one `String`.
pub fn render_into(pipeline: &Pipeline, out: &mut String) {
    static ENCODE_FAILED: AtomicBool = AtomicBool::new(false);
    let families = gather(pipeline);
    let start = out.len();
    encode_families(&families, out, &ENCODE_FAILED);
    LAST_LEN.store(out.len() - start, Ordering::Relaxed);
}

/// Encodes one family at a time, so a family the encoder rejects is dropped whole and the
/// others stay. (Untyped families, on which the encoder panics, never get here: `gather`
/// leaves them out.)
fn encode_families(families: &[MetricFamily], out: &mut String, warned: &AtomicBool) {
    let encoder = TextEncoder::new();
    for family in families {
        let mark = out.len();
        if let Err(error) = encoder.encode_utf8(std::slice::from_ref(family), out) {
            out.truncate(mark);
            if !warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    family = family.name(),
                    %error,
                    "flowmeter: a metric family could not be encoded and is left out of the exposition (logged once)"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::gather::tests::pipeline;

    #[test]
    fn a_rejected_family_is_left_out_and_the_rest_kept() {
        let registry = prometheus::Registry::new();
        let counter = prometheus::IntCounter::new("kept_total", "kept").unwrap();
        registry.register(Box::new(counter)).unwrap();
        let mut families = registry.gather();
        let mut empty = MetricFamily::default();
        empty.set_name("empty_family".into());
        families.insert(0, empty);

        let mut out = String::new();
        encode_families(&families, &mut out, &AtomicBool::new(false));
        assert!(out.contains("kept_total 0"), "{out}");
        assert!(!out.contains("empty_family"), "{out}");
    }

    #[test]
    fn renders_registered_metrics_and_appends() {
        let registry = prometheus::Registry::new();
        let gauge = prometheus::IntGauge::new("answer", "the answer").unwrap();
        gauge.set(42);
        registry.register(Box::new(gauge)).unwrap();
        let pipeline = pipeline(registry);
        assert!(render(&pipeline).contains("answer 42"));
        let mut buf = String::from("# prefix\n");
        render_into(&pipeline, &mut buf);
        assert!(buf.starts_with("# prefix\n# HELP answer"), "{buf}");
    }
}
