use std::sync::atomic::AtomicBool;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::KeyValue;
use opentelemetry::trace::{SpanId, TraceId};
use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricType, Quantile, Summary,
};

use super::*;
use crate::exporter::gather::tests::pipeline;
use crate::metrics::exemplars::{HistogramTarget, SpanIds};

mod validity;

/// The body `encode_families` gives, without `# EOF`.
fn encode(families: &[MetricFamily], units: &Units, exemplars: &ExemplarIndex) -> String {
    let mut out = String::new();
    encode_families(families, units, exemplars, &mut out, &AtomicBool::new(false));
    out
}

fn plain(families: &[MetricFamily]) -> String {
    encode(families, &Units::default(), &ExemplarIndex::default())
}

fn labels(pairs: &[(&str, &str)]) -> Vec<LabelPair> {
    let pair = |(name, value): &(&str, &str)| {
        let mut pair = LabelPair::default();
        pair.set_name((*name).into());
        pair.set_value((*value).into());
        pair
    };
    pairs.iter().map(pair).collect()
}

fn family(name: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    let mut family = MetricFamily::default();
    family.set_name(name.into());
    family.set_field_type(kind);
    family.set_metric(metrics);
    family
}

fn counter(value: f64) -> Metric {
    let mut counter = Counter::default();
    counter.set_value(value);
    let mut metric = Metric::default();
    metric.set_counter(counter);
    metric
}

fn gauge(value: f64) -> Metric {
    let mut gauge = Gauge::default();
    gauge.set_value(value);
    let mut metric = Metric::default();
    metric.set_gauge(gauge);
    metric
}

/// A histogram series: `(upper bound, cumulative count)` buckets, then count and sum.
fn histogram(pairs: &[(&str, &str)], buckets: &[(f64, u64)], count: u64, sum: f64) -> Metric {
    let mut histogram = Histogram::default();
    histogram.set_sample_count(count);
    histogram.set_sample_sum(sum);
    let buckets = buckets.iter().map(|&(bound, cumulative)| {
        let mut bucket = Bucket::default();
        bucket.set_upper_bound(bound);
        bucket.set_cumulative_count(cumulative);
        bucket
    });
    histogram.set_bucket(buckets.collect());
    let mut metric = Metric::default();
    metric.set_label(labels(pairs));
    metric.set_histogram(histogram);
    metric
}

fn summary(quantiles: &[(f64, f64)], count: u64, sum: f64) -> Metric {
    let mut summary = Summary::default();
    summary.set_sample_count(count);
    summary.set_sample_sum(sum);
    let quantiles = quantiles.iter().map(|&(q, value)| {
        let mut quantile = Quantile::default();
        quantile.set_quantile(q);
        quantile.set_value(value);
        quantile
    });
    summary.set_quantile(quantiles.collect());
    let mut metric = Metric::default();
    metric.set_summary(summary);
    metric
}

#[test]
fn a_pipeline_body_with_a_counter_a_gauge_and_a_histogram() {
    let registry = prometheus::Registry::new();
    let jobs = prometheus::IntCounterVec::new(
        prometheus::Opts::new("jobs_total", "Jobs \"done\"\\ here\nok"),
        &["queue"],
    )
    .unwrap();
    jobs.with_label_values(&["a\"b\\c\nd"]).inc_by(3);
    let depth = prometheus::Gauge::new("depth", "Depth").unwrap();
    depth.set(2.5);
    let wait = prometheus::Histogram::with_opts(
        prometheus::HistogramOpts::new("wait_seconds", "Wait").buckets(vec![0.1, 1.0]),
    )
    .unwrap();
    wait.observe(0.5);
    registry.register(Box::new(jobs)).unwrap();
    registry.register(Box::new(depth)).unwrap();
    registry.register(Box::new(wait)).unwrap();

    let body = render_openmetrics(&pipeline(registry));
    let expected = r#"# TYPE depth gauge
# HELP depth Depth
depth 2.5
# TYPE jobs counter
# HELP jobs Jobs \"done\"\\ here\nok
jobs_total{queue="a\"b\\c\nd"} 3
# TYPE wait_seconds histogram
# HELP wait_seconds Wait
wait_seconds_bucket{le="0.1"} 0
wait_seconds_bucket{le="1"} 1
wait_seconds_bucket{le="+Inf"} 1
wait_seconds_sum 0.5
wait_seconds_count 1
# EOF
"#;
    assert_eq!(body, expected);
}

#[test]
fn nothing_to_show_is_eof_alone_and_into_appends() {
    let empty = pipeline(prometheus::Registry::new());
    assert_eq!(render_openmetrics(&empty), "# EOF\n");
    let mut buf = String::from("before\n");
    render_openmetrics_into(&empty, &mut buf);
    assert_eq!(buf, "before\n# EOF\n");

    let registry = prometheus::Registry::new();
    let gauge = prometheus::IntGauge::new("answer", "the answer").unwrap();
    gauge.set(42);
    registry.register(Box::new(gauge)).unwrap();
    let meters = opentelemetry_sdk::metrics::SdkMeterProvider::builder().build();
    let tracers = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let disabled =
        Pipeline::new(false, "flowmeter".into(), meters, registry, tracers, Default::default());
    assert_eq!(render_openmetrics(&disabled), "# EOF\n");
}

#[test]
fn units_come_from_declarations_and_need_the_suffix() {
    let units: Units = [
        ("x_seconds".to_owned(), "seconds"),
        ("y_seconds_total".to_owned(), "seconds"),
        ("z_total".to_owned(), "bytes"),
    ]
    .into_iter()
    .collect();
    let families = [
        family("x_seconds", MetricType::HISTOGRAM, vec![histogram(&[], &[], 0, 0.0)]),
        family("y_seconds_total", MetricType::COUNTER, vec![counter(1.0)]),
        family("z_total", MetricType::COUNTER, vec![counter(2.0)]),
    ];
    let body = encode(&families, &units, &ExemplarIndex::default());
    assert!(body.contains("# TYPE x_seconds histogram\n# UNIT x_seconds seconds\n"), "{body}");
    assert!(body.contains("# TYPE y_seconds counter\n# UNIT y_seconds seconds\n"), "{body}");
    assert!(
        body.contains("# TYPE z counter\nz_total 2\n"),
        "no UNIT: `z` does not end in `_bytes`"
    );

    let own = Units::of(&pipeline(prometheus::Registry::new()));
    assert_eq!(own.get("flowmeter_execution_duration_seconds"), Some("seconds"));
    assert_eq!(own.get("flowmeter_primitive_executions_total"), None, "dimensionless");
    assert_eq!(own.get("flowmeter_llm_cost_total"), None, "`{{USD}}` is an annotation");
    assert_eq!(own.get("process_cpu_seconds_total"), None, "not declared");
}

fn ids(n: u8) -> SpanIds {
    SpanIds { trace_id: TraceId::from_bytes([n; 16]), span_id: SpanId::from_bytes([n; 8]) }
}

/// The part of `line` after the value: ` # {…} value timestamp`, checked for a timestamp
/// of about now with millisecond precision, which is replaced by `T`.
fn exemplar_of(line: &str) -> Option<String> {
    let (_, exemplar) = line.split_once(" # ")?;
    let (rest, timestamp) = exemplar.rsplit_once(' ').expect("a timestamp");
    let (seconds, millis) = timestamp.split_once('.').expect("seconds.millis");
    assert_eq!(millis.len(), 3, "{line}");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert!(now.abs_diff(seconds.parse().unwrap()) < 60, "{line}");
    Some(format!("{rest} T"))
}

#[test]
fn exemplars_go_on_the_bucket_lines_they_belong_to() {
    let name = "openmetrics_test_exemplar_seconds";
    let series = HistogramTarget::new(name, &[0.1, 1.0])
        .series(&[KeyValue::new("status", "ok"), KeyValue::new("primitive.name", "a")]);
    series.offer(0.5, ids(7));
    series.offer(3.0, ids(8));
    // The proto's labels in another order than the index's: the encoder sorts its lookup.
    let ok = histogram(&[("status", "ok"), ("primitive_name", "a")], &[(0.1, 0), (1.0, 1)], 2, 3.5);
    let other =
        histogram(&[("primitive_name", "a"), ("status", "error")], &[(0.1, 1), (1.0, 1)], 1, 0.05);
    let families = [family(name, MetricType::HISTOGRAM, vec![ok, other])];

    let body = encode(&families, &Units::default(), &ExemplarIndex::take());
    let with: Vec<(&str, String)> =
        body.lines().filter_map(|line| Some((line, exemplar_of(line)?))).collect();
    let hex = |n: u8, len| format!("{n:02x}").repeat(len);
    assert_eq!(
        with.iter().map(|(_, e)| e.as_str()).collect::<Vec<_>>(),
        [
            format!("{{trace_id=\"{}\",span_id=\"{}\"}} 0.5 T", hex(7, 16), hex(7, 8)),
            format!("{{trace_id=\"{}\",span_id=\"{}\"}} 3 T", hex(8, 16), hex(8, 8)),
        ],
        "{body}"
    );
    assert!(with[0].0.starts_with(&format!(
        "{name}_bucket{{status=\"ok\",primitive_name=\"a\",le=\"1\"}} 1 # "
    )));
    assert!(with[1].0.starts_with(&format!(
        "{name}_bucket{{status=\"ok\",primitive_name=\"a\",le=\"+Inf\"}} 2 # "
    )));

    // Off, or not asked for: the same lines without exemplars.
    let without = encode(&families, &Units::default(), &ExemplarIndex::default());
    assert!(!without.contains(" # "), "{without}");
    let stripped: String =
        body.lines().map(|l| l.split(" # ").next().unwrap().to_owned() + "\n").collect();
    assert_eq!(stripped, without);
}

/// `(name{labels}, value)` of each sample line, split by hand: the labels run to the first `}`
/// outside a quoted value, an exemplar (after ` # `) is dropped.
fn samples(body: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let mut end = line.find([' ', '{']).unwrap();
        if line[end..].starts_with('{') {
            let (mut quoted, mut escaped) = (false, false);
            for (i, c) in line[end..].char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => quoted = !quoted,
                    '}' if !quoted => {
                        end += i + 1;
                        break;
                    }
                    _ => {}
                }
            }
        }
        let value = line[end..].trim_start().split(' ').next().unwrap();
        let value = match value {
            "+Inf" | "inf" => f64::INFINITY,
            "-Inf" | "-inf" => f64::NEG_INFINITY,
            value => value.parse().unwrap(),
        };
        out.push((line[..end].to_owned(), value));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn the_series_are_those_of_the_text_format() {
    let hostile = "q\"uo\\te\nnew # {x=\"y\"} 1";
    let families = vec![
        family(
            "calls_total",
            MetricType::COUNTER,
            vec![counter(7.0), {
                let mut m = counter(0.25);
                m.set_label(labels(&[("route", hostile)]));
                m
            }],
        ),
        family(
            "temperature",
            MetricType::GAUGE,
            vec![gauge(-3.5), {
                let mut m = gauge(f64::INFINITY);
                m.set_label(labels(&[("room", "}{")]));
                m
            }],
        ),
        family(
            "latency_seconds",
            MetricType::HISTOGRAM,
            vec![
                histogram(
                    &[("a", hostile), ("b", "")],
                    &[(0.001, 1), (0.5, 4), (60.0, 9)],
                    10,
                    123.456,
                ),
                histogram(&[], &[(1e-7, 0), (1e21, 2)], 2, 5.0),
            ],
        ),
        family("rpc", MetricType::SUMMARY, vec![summary(&[(0.5, 0.1), (0.99, 2.0)], 5, 3.25)]),
    ];
    let text = prometheus::TextEncoder::new().encode_to_string(&families).unwrap();
    let openmetrics = plain(&families);
    let (text, openmetrics) = (samples(&text), samples(&openmetrics));
    assert_eq!(openmetrics.len(), 19, "{openmetrics:?}");
    assert_eq!(text, openmetrics);
}

#[test]
fn numbers_and_timestamps() {
    let mut stamped = gauge(1.0);
    stamped.set_timestamp_ms(1_733_539_200_123);
    let families = [family(
        "g",
        MetricType::GAUGE,
        vec![gauge(f64::INFINITY), gauge(f64::NEG_INFINITY), gauge(f64::NAN), gauge(1e-7), stamped],
    )];
    assert_eq!(
        plain(&families),
        "# TYPE g gauge\ng +Inf\ng -Inf\ng NaN\ng 0.0000001\ng 1 1733539200.123\n"
    );
    let mut out = String::new();
    escape::millis(&mut out, -1500);
    escape::space_then_time(&mut out, UNIX_EPOCH + std::time::Duration::from_millis(1_005));
    escape::space_then_time(&mut out, UNIX_EPOCH - std::time::Duration::from_secs(1));
    assert_eq!(out, "-1.500 1.005");
}

#[test]
fn escaping() {
    let mut out = String::new();
    escape::escaped(&mut out, "plain é ü \t \r");
    out.push('|');
    escape::escaped(&mut out, "\\\"\n\\n");
    assert_eq!(out, "plain é ü \t \r|\\\\\\\"\\n\\\\n");
}
