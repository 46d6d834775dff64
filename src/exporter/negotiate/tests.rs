use hyper::header::{ACCEPT, HeaderValue};

use super::*;
use ExpositionFormat::{OpenMetrics, PrometheusText};

fn format(accept: &str) -> ExpositionFormat {
    ExpositionFormat::from_accept(Some(accept))
}

#[test]
fn prometheus_scrapers_get_openmetrics() {
    let defaults = [
        // Prometheus 2.5 .. 2.33.
        "application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        // Prometheus 2.34 .. 2.48 (Debian's 2.42 among them).
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        // Prometheus 2.49 .. 2.55: built from `scrape_protocols`.
        "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
        // The same with native histograms on: protobuf first.
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,application/openmetrics-text;version=0.0.1;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
        // Prometheus 3.0: UTF-8 names on every range.
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2",
        // Prometheus 3.x later: `escaping` only on the 1.0.0 formats.
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    ];
    for accept in defaults {
        assert_eq!(format(accept), OpenMetrics, "{accept}");
    }
}

#[test]
fn prometheus_scraping_the_text_format_only_gets_it() {
    // Prometheus 3 with `scrape_protocols: [PrometheusText0.0.4]`, and with
    // `[PrometheusText1.0.0]`: 0.0.4 through `*/*`, the text format every scraper reads.
    assert_eq!(format("text/plain;version=0.0.4;q=0.6,*/*;q=0.5"), PrometheusText);
    assert_eq!(
        format("text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,*/*;q=0.5"),
        PrometheusText
    );
}

#[test]
fn other_clients_get_the_text_format() {
    for accept in
        ["*/*", "text/plain", "text/plain; version=0.0.4", "text/*", "application/json", ""]
    {
        assert_eq!(format(accept), PrometheusText, "{accept:?}");
    }
    assert_eq!(ExpositionFormat::from_accept(None), PrometheusText);
    assert_eq!(ExpositionFormat::default(), PrometheusText);
}

#[test]
fn unsupported_versions_are_not_openmetrics() {
    assert_eq!(format("application/openmetrics-text;version=2.0.0"), PrometheusText);
    assert_eq!(format("application/openmetrics-text;version=2.0.0,*/*;q=0.1"), PrometheusText);
    assert_eq!(
        format("application/openmetrics-text"),
        OpenMetrics,
        "no version: the oldest, 1.0.0"
    );
    assert_eq!(format("application/openmetrics-text;version=0.0.1"), OpenMetrics);
}

#[test]
fn a_malformed_header_gets_the_text_format() {
    let malformed = [
        ";;;,q=",
        "application/openmetrics-text,q=",
        "application/openmetrics-text;q=",
        "application/openmetrics-text;q",
        "application/openmetrics-text;q=2",
        "application/openmetrics-text;q=0.5000",
        "application/openmetrics-text;q=.5",
        "application/openmetrics-text;q=1.001",
        "application/openmetrics-text;q=\"1\"",
        "application/openmetrics-text;version=",
        "application/openmetrics-text;version=\"1.0.0",
        "application/openmetrics-text;version=\"1.0.0\\\"",
        "application/openmetrics-text;=1.0.0",
        "application/openmetrics-text, text",
        "application/openmetrics-text, */plain",
        "application/openmetrics-text/1.0.0",
        "application/openmetrics text",
        "/openmetrics-text",
    ];
    for accept in malformed {
        assert_eq!(format(accept), PrometheusText, "{accept:?}");
    }
}

#[test]
fn the_higher_weight_wins_and_a_tie_goes_to_the_named_format() {
    let cases = [
        ("text/plain;q=0.9, application/openmetrics-text;q=0.8", PrometheusText),
        ("text/plain;q=0.8, application/openmetrics-text;q=0.9", OpenMetrics),
        ("application/openmetrics-text;q=0.001", OpenMetrics),
        ("application/openmetrics-text;q=0", PrometheusText),
        ("application/openmetrics-text;q=0, */*", PrometheusText),
        // Ties: against a wildcard the named format wins; against text/plain the default.
        ("application/openmetrics-text, */*", OpenMetrics),
        ("application/openmetrics-text;q=0.5, text/*;q=0.5", OpenMetrics),
        ("application/openmetrics-text, text/plain", PrometheusText),
        ("text/plain, application/openmetrics-text", PrometheusText),
        // The most specific range decides a format's weight.
        ("text/plain;version=0.0.4;q=0, application/openmetrics-text;q=0.1, */*", OpenMetrics),
        (
            "text/plain;q=0.1, text/plain;version=0.0.4;q=0.9, application/openmetrics-text;q=0.5",
            PrometheusText,
        ),
        (
            "text/plain;version=0.0.4;q=0.1, text/*;q=0.9, application/openmetrics-text;q=0.5",
            OpenMetrics,
        ),
        (
            "application/openmetrics-text;q=0.1, application/openmetrics-text;version=1.0.0, text/plain;q=0.5",
            OpenMetrics,
        ),
        // Text 1.0.0 is not 0.0.4: OpenMetrics is the best this client takes.
        ("text/plain;version=1.0.0, application/openmetrics-text;q=0.1", OpenMetrics),
    ];
    for (accept, expected) in cases {
        assert_eq!(format(accept), expected, "{accept}");
    }
}

#[test]
fn case_whitespace_quotes_and_empty_elements() {
    let accepted = [
        "Application/OpenMetrics-Text ; Version=1.0.0 ; Q=1 , TEXT/PLAIN;q=0.5",
        "application/openmetrics-text;version=\"1.0.0\"",
        "application/openmetrics-text;charset=\"a,b;c\";version=1.0.0, text/plain;q=0.1",
        ", ,application/openmetrics-text,\t,",
        "application/openmetrics-text;;q=1.",
    ];
    for accept in accepted {
        assert_eq!(format(accept), OpenMetrics, "{accept:?}");
    }
}

#[test]
fn qvalues() {
    let cases = [
        ("0", 0),
        ("0.", 0),
        ("0.5", 500),
        ("0.05", 50),
        ("0.001", 1),
        ("1", 1000),
        ("1.000", 1000),
    ];
    for (text, thousandths) in cases {
        assert_eq!(qvalue(text), Some(thousandths), "{text}");
    }
    for text in ["", "1.5", "2", "-0", "0.0001", "0.5e1", " 0.5", "1.0001", "01"] {
        assert_eq!(qvalue(text), None, "{text:?}");
    }
}

#[test]
fn content_types() {
    assert_eq!(PrometheusText.content_type(), "text/plain; version=0.0.4; charset=utf-8");
    assert_eq!(
        OpenMetrics.content_type(),
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
}

#[test]
fn several_accept_fields_are_one_list_and_a_non_ascii_one_counts_as_none() {
    let mut headers = HeaderMap::new();
    assert_eq!(ExpositionFormat::of_request(&headers), PrometheusText);
    headers.append(ACCEPT, HeaderValue::from_static("text/plain;q=0.5"));
    assert_eq!(ExpositionFormat::of_request(&headers), PrometheusText);
    headers.append(ACCEPT, HeaderValue::from_static("application/openmetrics-text"));
    assert_eq!(ExpositionFormat::of_request(&headers), OpenMetrics);
    headers.append(ACCEPT, HeaderValue::from_bytes(b"application/openmetrics-text\xff").unwrap());
    assert_eq!(ExpositionFormat::of_request(&headers), PrometheusText);

    let mut one = HeaderMap::new();
    one.insert(ACCEPT, HeaderValue::from_bytes(b"application/openmetrics-text;x=\xe9").unwrap());
    assert_eq!(ExpositionFormat::of_request(&one), PrometheusText);
}
