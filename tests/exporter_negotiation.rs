//! `/metrics` content negotiation over real HTTP: the `Accept` headers of Prometheus 2.x and
//! 3.x get OpenMetrics 1.0 (its content type, `# EOF`, accepted by the reference parser);
//! curl's `*/*`, a client asking only for `text/plain`, no header and a malformed one get the
//! text format 0.0.4, byte for byte what `render()` gives for the same data. Every answer
//! says `Vary: Accept`.

mod common;

use std::net::SocketAddr;
use std::sync::LazyLock;

use common::http_request;
use flowmeter::Telemetry;
use flowmeter::exporter::{METRICS_CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE};

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(common::install_serving);

#[flowmeter::instrumented(span = false)]
fn negotiated() -> u32 {
    1
}

fn addr() -> SocketAddr {
    TELEMETRY.local_addr().expect("the fixture serves")
}

fn get(accept: Option<&str>) -> common::Response {
    let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
    let response = http_request(addr(), "GET", "/metrics", &headers);
    assert_eq!(response.status, 200, "{accept:?}");
    assert_eq!(response.header("vary"), Some("Accept"), "{accept:?}");
    response
}

#[test]
fn prometheus_2_and_3_get_openmetrics() {
    LazyLock::force(&TELEMETRY);
    negotiated();
    let scrapers = [
        // Prometheus 2.42 (Debian 12), as sent with its default configuration.
        common::openmetrics::PROMETHEUS_ACCEPT,
        // Prometheus 3.x, default `scrape_protocols`.
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    ];
    for accept in scrapers {
        let response = get(Some(accept));
        assert_eq!(response.header("content-type"), Some(OPENMETRICS_CONTENT_TYPE), "{accept}");
        assert!(response.body.ends_with("# EOF\n"), "{accept}");
        assert!(
            response.body.contains("# TYPE flowmeter_primitive_executions counter\n"),
            "{accept}"
        );
        if common::openmetrics::validator_available() {
            common::openmetrics::parse(&response.body).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn everyone_else_gets_the_same_0_0_4_text_as_render() {
    LazyLock::force(&TELEMETRY);
    negotiated();
    for accept in [
        Some("*/*"),        // curl
        Some("text/plain"), // a client asking for text only
        Some("text/plain;version=0.0.4"),
        None,                                               // no header
        Some(";;;,q=,application/openmetrics-text;q=abc"),  // malformed
        Some("application/openmetrics-text;version=2.0.0"), // a version we do not speak
    ] {
        // Nothing records between the two but other tests' scrapes, which count nothing:
        // retry only if a concurrent test's call landed in between.
        let (response, rendered) = loop {
            let before = TELEMETRY.render();
            let response = get(accept);
            if TELEMETRY.render() == before {
                break (response, before);
            }
        };
        assert_eq!(response.header("content-type"), Some(METRICS_CONTENT_TYPE), "{accept:?}");
        assert_eq!(response.body, rendered, "{accept:?}: byte for byte the 0.0.4 text");
        assert!(!response.body.contains("# EOF"), "{accept:?}");
    }
}
