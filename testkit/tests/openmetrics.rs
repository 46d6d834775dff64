//! The OpenMetrics validator (`flowmeter_testkit::openmetrics`): what it reads from a valid
//! body, field by field, and the parser's message for each kind of invalid body. Python with
//! `prometheus_client` is required under CI and skipped locally when missing.

use std::collections::BTreeMap;

use flowmeter_testkit::openmetrics::{
    Family, OmExemplar, OmSample, Validator, parse, validator_available,
};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN: &str = "00f067aa0ba902b7";
const FUNCTION: &str = "résumé ✓ 日本語";

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn sample(name: &str, pairs: &[(&str, &str)], value: f64) -> OmSample {
    OmSample { name: name.into(), labels: labels(pairs), value, timestamp: None, exemplar: None }
}

fn exemplar(value: f64, timestamp: Option<f64>) -> Option<OmExemplar> {
    Some(OmExemplar { labels: labels(&[("trace_id", TRACE), ("span_id", SPAN)]), value, timestamp })
}

/// The shape flowmeter serves: a duration histogram with `# UNIT` and exemplars, a counter
/// family without `_total` and its `_total` sample, escapes in label values and HELP, UTF-8.
fn valid_body() -> String {
    let ex = format!(r#"trace_id="{TRACE}",span_id="{SPAN}""#);
    format!(
        r#"# TYPE ns_execution_duration_seconds histogram
# UNIT ns_execution_duration_seconds seconds
# HELP ns_execution_duration_seconds Duration of a call: \"quoted\", a back\\slash\nand a second line ✓.
ns_execution_duration_seconds_bucket{{function="{FUNCTION}",le="0.005"}} 0
ns_execution_duration_seconds_bucket{{function="{FUNCTION}",le="0.1"}} 2 # {{{ex}}} 0.042 1700000000.123
ns_execution_duration_seconds_bucket{{function="{FUNCTION}",le="+Inf"}} 3 # {{{ex}}} 1.5 1700000001
ns_execution_duration_seconds_count{{function="{FUNCTION}"}} 3
ns_execution_duration_seconds_sum{{function="{FUNCTION}"}} 1.584
# TYPE ns_calls counter
# HELP ns_calls Calls.
ns_calls_total{{function="a\\b",error="say \"no\"\nthen stop"}} 7 # {{{ex}}} 1
# TYPE ns_limit gauge
ns_limit{{bound="upper"}} +Inf 1700000000.25
ns_limit{{bound="lower"}} -Inf 1700000000.25
ns_limit{{bound="none"}} NaN 1700000000.25
ns_limit{{bound="big"}} 12345678901234567890123 1700000000.25
# EOF
"#
    )
}

#[test]
fn a_valid_body_is_read_field_by_field() {
    let Some(mut validator) = Validator::start() else { return };
    assert!(!validator.parser_version().is_empty());
    let families = validator.check(&valid_body()).unwrap();
    assert_eq!(families.len(), 3, "{families:#?}");

    let function = [("function", FUNCTION)];
    let bucket = |le, value| {
        sample("ns_execution_duration_seconds_bucket", &[("function", FUNCTION), ("le", le)], value)
    };
    let expected = Family {
        name: "ns_execution_duration_seconds".into(),
        kind: "histogram".into(),
        unit: "seconds".into(),
        help: "Duration of a call: \"quoted\", a back\\slash\nand a second line ✓.".into(),
        samples: vec![
            bucket("0.005", 0.0),
            OmSample { exemplar: exemplar(0.042, Some(1_700_000_000.123)), ..bucket("0.1", 2.0) },
            OmSample { exemplar: exemplar(1.5, Some(1_700_000_001.0)), ..bucket("+Inf", 3.0) },
            sample("ns_execution_duration_seconds_count", &function, 3.0),
            sample("ns_execution_duration_seconds_sum", &function, 1.584),
        ],
    };
    assert_eq!(families[0], expected);
    assert_eq!(families[0].samples[1].label("function"), Some(FUNCTION));

    let calls = &families[1];
    assert_eq!((calls.name.as_str(), calls.kind.as_str()), ("ns_calls", "counter"));
    assert_eq!((calls.unit.as_str(), calls.help.as_str()), ("", "Calls."));
    let escaped = [("function", "a\\b"), ("error", "say \"no\"\nthen stop")];
    let total =
        OmSample { exemplar: exemplar(1.0, None), ..sample("ns_calls_total", &escaped, 7.0) };
    assert_eq!(calls.samples, [total]);

    let limit = &families[2];
    assert_eq!((limit.name.as_str(), limit.kind.as_str()), ("ns_limit", "gauge"));
    assert_eq!((limit.unit.as_str(), limit.help.as_str()), ("", ""));
    let values: Vec<(Option<&str>, f64, Option<f64>)> =
        limit.samples.iter().map(|s| (s.label("bound"), s.value, s.timestamp)).collect();
    let at = Some(1_700_000_000.25);
    assert_eq!(values[0], (Some("upper"), f64::INFINITY, at));
    assert_eq!(values[1], (Some("lower"), f64::NEG_INFINITY, at));
    assert_eq!((values[2].0, values[2].2), (Some("none"), at));
    assert!(values[2].1.is_nan());
    assert_eq!(values[3], (Some("big"), 12_345_678_901_234_567_890_123.0, at));
    assert!(limit.samples.iter().all(|s| s.exemplar.is_none()));
}

/// Each invalid body and a piece of the parser's message for it.
const INVALID: &[(&str, &str, &str)] = &[
    ("missing # EOF", "# TYPE a gauge\na 1\n", "Missing # EOF at end"),
    ("a line after # EOF", "# TYPE a gauge\na 1\n# EOF\na 2\n", "Received line after # EOF"),
    // The sample `ns_calls` is not one of the counter's names: it starts a second family of
    // the same name.
    (
        "counter without _total",
        "# TYPE ns_calls counter\nns_calls 1\n# EOF\n",
        "Clashing name: ns_calls",
    ),
    (
        "histogram without +Inf",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_count 0\nh_sum 0\n# EOF\n",
        "+Inf bucket missing: h",
    ),
    (
        "_count not the +Inf bucket",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 3\nh_sum 1\n# EOF\n",
        "Count does not match +Inf value: h",
    ),
    (
        "buckets out of order",
        "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n# EOF\n",
        "Buckets out of order: h",
    ),
    (
        "a fractional bucket count",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1.5\nh_count 1.5\nh_sum 1\n# EOF\n",
        "Bucket value must be an integer",
    ),
    (
        "an exemplar on a gauge",
        "# TYPE g gauge\ng 1 # {trace_id=\"4bf92f3577b34da6\"} 1\n# EOF\n",
        "only histogram/gaugehistogram buckets and counters can have exemplars",
    ),
    (
        "# UNIT not the name's suffix",
        "# TYPE a_seconds gauge\n# UNIT a_seconds bytes\na_seconds 1\n# EOF\n",
        "Unit does not match metric name: a_seconds",
    ),
    (
        "metadata after samples",
        "# TYPE a gauge\na 1\n# HELP a late\n# EOF\n",
        "Received metadata after samples",
    ),
    (
        "a family split in two",
        "# TYPE a gauge\na{x=\"1\"} 1\n# TYPE b gauge\nb 1\na{x=\"2\"} 1\n# EOF\n",
        "Clashing name: a",
    ),
    // Escapes: a quote inside a label value left unescaped, and a backslash left unescaped
    // before a closing quote (which it then escapes). An unknown escape such as `\q` is no
    // error: OpenMetrics 1.0 allows `BS normal-char`.
    ("an unescaped quote", "# TYPE a gauge\na{l=\"say \"no\"\"} 1\n# EOF\n", "Invalid labels"),
    (
        "an unescaped backslash before a quote",
        "# TYPE a gauge\na{path=\"C:\\\",m=\"x\"} 1\n# EOF\n",
        "Invalid labels",
    ),
    ("a blank line", "# TYPE a gauge\n\na 1\n# EOF\n", "Received blank line"),
];

#[test]
fn invalid_bodies_are_rejected_with_the_parsers_message() {
    let Some(mut validator) = Validator::start() else { return };
    // "trace_id" and 121 characters: one over the 128 an exemplar's labels may have.
    let long =
        format!("# TYPE c counter\nc_total 1 # {{trace_id=\"{}\"}} 1\n# EOF\n", "x".repeat(121));
    let long =
        [("exemplar labels over 128 characters", long.as_str(), "Exemplar labels are too long")];
    for (what, body, message) in INVALID.iter().chain(&long) {
        match validator.check(body) {
            Ok(families) => panic!("{what}: accepted as {families:#?}\n---\n{body}"),
            Err(error) => assert!(error.contains(message), "{what}: {error:?} lacks {message:?}"),
        }
    }
    // The same process goes on after its rejections.
    assert_eq!(validator.check(&valid_body()).unwrap().len(), 3);
}

#[test]
fn an_unknown_escape_is_kept_as_written() {
    let Some(mut validator) = Validator::start() else { return };
    let families = validator.check("# HELP a x\\qy\n# TYPE a gauge\na{l=\"x\\qy\"} 1\n# EOF\n");
    let family = &families.unwrap()[0];
    assert_eq!(family.help, "x\\qy");
    assert_eq!(family.samples[0].label("l"), Some("x\\qy"));
}

#[test]
fn the_shared_validator_serves_one_off_checks_and_large_bodies() {
    if !validator_available() {
        return;
    }
    assert_eq!(parse("# EOF\n"), Ok(vec![]));
    assert!(parse("").unwrap_err().contains("Missing # EOF"));
    // Far more than a pipe's buffer each way.
    let mut body = String::from("# TYPE big gauge\n# HELP big Many series.\n");
    for i in 0..20_000 {
        body.push_str(&format!("big{{i=\"{i}\",v=\"ünïcödé {i}\"}} {i}.5\n"));
    }
    body.push_str("# EOF\n");
    let families = parse(&body).unwrap();
    assert_eq!(families.len(), 1);
    let samples = &families[0].samples;
    assert_eq!(samples.len(), 20_000);
    assert_eq!(samples[19_999].label("v"), Some("ünïcödé 19999"));
    assert_eq!(samples[19_999].value, 19_999.5);
}
