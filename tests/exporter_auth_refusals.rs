//! Refused scrapes are counted: an endpoint that requires a bearer token answers `401` to
//! requests without credentials, with a scheme it does not accept, and with a wrong token, and
//! `flowmeter_scrape_auth_refused_total{reason}` counts each (one test: the counter is
//! process-wide, and no other test of this binary makes requests).

mod common;

use common::{http_get, http_request, parse};
use flowmeter::Telemetry;

const TOKEN: &str = "refusals-Yt6qP2-token";
const REFUSED: &str = "flowmeter_scrape_auth_refused_total";

#[test]
fn every_refusal_is_counted_by_reason() {
    let telemetry = Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .install_subscriber(false)
        .bearer_token(TOKEN)
        .install()
        .expect("install telemetry");
    let addr = telemetry.local_addr().expect("serving");
    let scrape = || {
        let response =
            http_request(addr, "GET", "/metrics", &[("Authorization", &format!("Bearer {TOKEN}"))]);
        assert_eq!(response.status, 200, "{response:?}");
        parse(&response.body)
    };
    let first = scrape();
    for reason in ["missing", "scheme", "invalid"] {
        assert_eq!(first.value(REFUSED, &[("reason", reason)]), 0.0, "{reason} exists at 0");
    }

    let refused = [
        ("missing", vec![]),
        ("missing", vec![("Authorization", "Bearer")]),
        ("scheme", vec![("Authorization", "Basic dTpw")]),
        ("invalid", vec![("Authorization", "Bearer wrong")]),
        ("invalid", vec![("Authorization", "Bearer refusals-Yt6qP2-toke")]),
        ("invalid", vec![("Authorization", "bearer refusals-Yt6qP2-tokenx")]),
    ];
    for (reason, headers) in &refused {
        let response = http_request(addr, "GET", "/summary", headers);
        assert_eq!(response.status, 401, "{reason} {headers:?}");
    }
    assert_eq!(http_get(addr, "/health").status, 200, "liveness is open and never refused");

    let after = scrape();
    for (reason, expected) in [("missing", 2.0), ("scheme", 1.0), ("invalid", 3.0)] {
        assert_eq!(after.value(REFUSED, &[("reason", reason)]), expected, "{reason}");
    }
}
