//! From a bucket to its trace, end to end: a real Prometheus with exemplar storage scrapes the
//! running workflow example over OpenMetrics (no scrape error), and the exemplars its
//! `/api/v1/query_exemplars` returns for the execution duration buckets name spans the same
//! example exported over OTLP to a receiver in this test, each exemplar in the bucket its
//! span's duration belongs to.
//!
//! Needs the `otlp` feature: the example exports its spans over OTLP only in such a build
//! (`scripts/test.sh` runs the all-features build first).
#![cfg(feature = "otlp")]

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::otlp_receiver::{OtlpReceiver, Transport, attribute};
use common::prometheus::{Prometheus, api, encode, query, wait_for};
use common::{TempDir, free_port, http_get, parse, tool_available};

const BUCKET: &str = "flowmeter_execution_duration_seconds_bucket";

/// One exemplar as `/api/v1/query_exemplars` returns it, with its series' labels.
#[derive(Debug)]
struct Stored {
    series: HashMap<String, String>,
    trace_id: String,
    span_id: String,
    value: f64,
}

fn query_exemplars(prometheus: SocketAddr, promql: &str) -> Option<Vec<Stored>> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    let path = format!(
        "/api/v1/query_exemplars?query={}&start={:.3}&end={:.3}",
        encode(promql),
        now - 600.0,
        now + 60.0
    );
    let json = api(prometheus, &path)?;
    assert_eq!(json["status"], "success", "{json}");
    let mut stored = Vec::new();
    for series in json["data"].as_array()? {
        let labels: HashMap<String, String> =
            serde_json::from_value(series["seriesLabels"].clone()).expect("series labels");
        for exemplar in series["exemplars"].as_array()? {
            let label =
                |name: &str| exemplar["labels"][name].as_str().unwrap_or_default().to_owned();
            stored.push(Stored {
                series: labels.clone(),
                trace_id: label("trace_id"),
                span_id: label("span_id"),
                value: exemplar["value"].as_str()?.parse().ok()?,
            });
        }
    }
    Some(stored)
}

#[test]
fn prometheus_stores_exemplars_that_name_exported_spans_in_their_buckets() {
    if !tool_available("prometheus") {
        return;
    }
    let receiver = OtlpReceiver::start(Transport::HttpProtobuf);
    let app_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut app = common::example("workflow");
    app.args(["--interval-ms", "300"])
        .env("FLOWMETER_LISTEN", app_addr.to_string())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        // Spans reach the receiver within a second, not the default five.
        .env("OTEL_BSP_SCHEDULE_DELAY", "200");
    let _app = common::spawn_serving(app);

    let dir = TempDir::new("exemplars-e2e");
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: flowmeter\n    \
             static_configs:\n      - targets: ['{app_addr}']\n"
        ),
    )
    .unwrap();
    let prometheus = Prometheus::start_with(dir.path(), &["--enable-feature=exemplar-storage"]);
    let addr = prometheus.addr;
    wait_for("Prometheus to scrape the example", Duration::from_secs(60), || {
        query(addr, "up{job=\"flowmeter\"} == 1").filter(|r| !r.is_empty()).map(|_| ())
    });
    // Scraped over OpenMetrics, without error.
    let targets = api(addr, "/api/v1/targets").expect("targets");
    let target = &targets["data"]["activeTargets"][0];
    assert_eq!(target["health"], "up", "{target}");
    assert_eq!(target["lastError"], "", "{target}");

    let exemplars = wait_for("exemplars of the execution buckets", Duration::from_secs(60), || {
        query_exemplars(addr, BUCKET).filter(|found| found.len() >= 5)
    });

    // Every exemplar names a span the example exported (spans arrive in batches: wait).
    let spans = receiver.wait_for_spans(|spans| {
        let ids: Vec<String> = spans.iter().map(|(_, s)| hex(&s.span_id)).collect();
        exemplars.iter().all(|e| ids.contains(&e.span_id))
    });
    let by_span: HashMap<String, &opentelemetry_proto::tonic::trace::v1::Span> =
        spans.iter().map(|(_, span)| (hex(&span.span_id), span)).collect();
    let exposition = parse(&http_get(app_addr, "/metrics").body);
    // What Prometheus read, read by the strict parser too.
    if let Some(families) = common::openmetrics::scrape_checked(app_addr, "/metrics") {
        let buckets = families.iter().flat_map(|f| &f.samples).filter(|s| s.name == BUCKET);
        assert!(buckets.filter(|s| s.exemplar.is_some()).count() > 0, "exemplars on buckets");
    }
    for exemplar in &exemplars {
        let span = by_span[&exemplar.span_id];
        assert_eq!(hex(&span.trace_id), exemplar.trace_id, "{exemplar:?}");
        assert_eq!(exemplar.trace_id.len(), 32, "{exemplar:?}");
        let name = attribute(&span.attributes, "primitive.name");
        assert_eq!(name.as_ref(), Some(&exemplar.series["primitive_name"]), "that call's span");

        // In its bucket: above the series' previous bound, at most its own.
        let le = &exemplar.series["le"];
        let upper: f64 = if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap() };
        let lower = lower_bound(&exposition, &exemplar.series, upper);
        assert!(
            lower < exemplar.value && exemplar.value <= upper,
            "{exemplar:?} in ({lower}, {upper}]"
        );
        // The span lasted as long as the observation, within the few microseconds between
        // the recording's and the span's ends.
        let lasted = (span.end_time_unix_nano - span.start_time_unix_nano) as f64 / 1e9;
        assert!((lasted - exemplar.value).abs() < 0.005, "{exemplar:?}: the span lasted {lasted}");
    }
}

/// The bound below `upper` among the buckets of the series `labels` in `exposition`.
fn lower_bound(
    exposition: &common::Exposition,
    labels: &HashMap<String, String>,
    upper: f64,
) -> f64 {
    let matchers: Vec<(&str, &str)> = labels
        .iter()
        .filter(|(name, _)| !["le", "job", "instance", "__name__"].contains(&name.as_str()))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    exposition
        .find(BUCKET, &matchers)
        .iter()
        .filter_map(|sample| sample.label("le"))
        .map(|le| if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap() })
        .filter(|le| *le < upper)
        .fold(f64::NEG_INFINITY, f64::max)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
