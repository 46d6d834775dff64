//! The HTTP exporter over real loopback connections: routes, content types, limits, the
//! header-read timeout, bind errors and the server's lifecycle.
//!
//! The pipeline is process-global, so this test binary installs it once (`TELEMETRY`); tests
//! that need their own limits bind a separate `MetricsServer`, which serves the same pipeline.

mod common;

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use flowmeter::exporter::{Endpoints, MetricsServer, ServerOptions};
use flowmeter::metrics::catalog;
use flowmeter::{Error, Telemetry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(common::install_serving);

/// Guards every network wait so a broken server fails the test instead of hanging it. Not a
/// timing assertion: everything here normally answers in milliseconds.
const HANG_GUARD: Duration = Duration::from_secs(20);

const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

fn addr() -> SocketAddr {
    TELEMETRY.local_addr().expect("the fixture serves")
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Sends `head` (request line and headers, without the final blank line) plus
/// `Connection: close`, and reads the response to the end.
async fn send(addr: SocketAddr, head: &str) -> Response {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let request = format!("{head}\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read response");
        raw
    };
    let raw = timeout(HANG_GUARD, exchange).await.expect("the server answers");
    let raw = String::from_utf8(raw).expect("UTF-8 response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("header/body separator");
    let mut lines = head.lines();
    let status_line = lines.next().expect("status line");
    let status =
        status_line.split(' ').nth(1).expect("status code").parse().expect("numeric status");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Response { status, headers, body: body.to_owned() }
}

async fn get(addr: SocketAddr, path: &str) -> Response {
    send(addr, &format!("GET {path} HTTP/1.1")).await
}

#[tokio::test]
async fn metrics_are_served_in_the_text_format() {
    let response = get(addr(), "/metrics").await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.header("content-type"), Some(METRICS_CONTENT_TYPE));
    assert!(response.body.contains("target_info"), "{}", response.body);
    let length: usize = response.header("content-length").expect("content-length").parse().unwrap();
    assert_eq!(length, response.body.len());
}

#[tokio::test]
async fn head_has_the_headers_and_no_body() {
    let response = send(addr(), "HEAD /metrics HTTP/1.1").await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.header("content-type"), Some(METRICS_CONTENT_TYPE));
    let length: usize = response.header("content-length").expect("content-length").parse().unwrap();
    assert!(length > 0, "HEAD announces the GET body's length");
    assert_eq!(response.body, "");
}

#[tokio::test]
async fn catalog_lists_every_metric_and_the_call_sites() {
    let response = get(addr(), "/catalog").await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.header("content-type"), Some("application/json"));
    let doc: serde_json::Value = serde_json::from_str(&response.body).expect("JSON");
    assert_eq!(doc["namespace"], "flowmeter");
    let listed: Vec<&str> = doc["metrics"]
        .as_array()
        .expect("metrics array")
        .iter()
        .map(|m| m["prometheus_name"].as_str().expect("prometheus_name"))
        .collect();
    let expected = catalog::list("flowmeter");
    assert!(!expected.is_empty());
    for metric in &expected {
        assert!(
            listed.contains(&metric.prometheus_name.as_str()),
            "{} missing from {listed:?}",
            metric.prometheus_name
        );
    }
    assert!(listed.contains(&"flowmeter_primitive_executions_total"));
    assert_eq!(listed.len(), expected.len());
    assert!(doc["callsites"].is_array(), "{doc}");
}

#[flowmeter::instrumented(objective(success_rate = 0.995))]
fn with_an_objective() {}

/// What the generator needs from a running service: the metrics declared through
/// `flowmeter::app` (even before their first recording) and every objective declared in code,
/// on call sites and on workflows.
#[tokio::test]
async fn catalog_lists_app_metrics_and_objectives_declared_in_code() {
    use flowmeter::metrics::Goal;
    use flowmeter::primitives::{Context, Workflow, step};
    let _histogram = flowmeter::app::histogram("catalog.test.wait")
        .help("Time spent waiting")
        .unit("s")
        .labels(["queue"])
        .buckets([0.1, 1.0])
        .build()
        .unwrap();
    let _workflow = Workflow::new(
        "catalog_test_flow",
        step(
            "catalog_test_step",
            |x: u32, _ctx: Context| async move { Ok::<_, std::io::Error>(x) },
        ),
    )
    .objective(Goal::Latency { threshold_seconds: 1.0, ratio: 0.9 })
    .unwrap();
    with_an_objective();

    let response = get(addr(), "/catalog").await;
    let doc: serde_json::Value = serde_json::from_str(&response.body).expect("JSON");
    assert_eq!(doc["flowmeter_version"], env!("CARGO_PKG_VERSION"));
    let app = doc["app_metrics"].as_array().expect("app_metrics array");
    let wait = app.iter().find(|m| m["name"] == "catalog.test.wait").expect("declared: {doc}");
    assert_eq!(wait["prometheus_name"], "catalog_test_wait_seconds");
    assert_eq!(wait["type"], "histogram");
    assert_eq!(wait["unit"], "s");
    assert_eq!(wait["description"], "Time spent waiting");
    assert_eq!(wait["labels"], serde_json::json!(["queue"]));
    assert_eq!(wait["buckets"], serde_json::json!([0.1, 1.0]));

    let objectives = doc["objectives"].as_array().expect("objectives array");
    let of = |target: serde_json::Value| -> Vec<&serde_json::Value> {
        objectives.iter().filter(|o| o["target"] == target).map(|o| &o["goal"]).collect()
    };
    assert_eq!(
        of(serde_json::json!({"workflow": "catalog_test_flow"})),
        [&serde_json::json!({"latency": {"threshold_seconds": 1.0, "ratio": 0.9}})]
    );
    assert_eq!(
        of(serde_json::json!({"primitive": "with_an_objective"})),
        [&serde_json::json!({"success_rate": {"ratio": 0.995}})]
    );
    let site = doc["callsites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "with_an_objective")
        .expect("the call site is listed");
    assert_eq!(site["objectives"], serde_json::json!([{"success_rate": {"ratio": 0.995}}]));
}

#[tokio::test]
async fn health_is_ok() {
    let response = get(addr(), "/health").await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body, "ok");
}

#[tokio::test]
async fn unknown_paths_are_404() {
    for path in ["/", "/metrics/", "/nope", "/metricsx"] {
        let response = get(addr(), path).await;
        assert_eq!(response.status, 404, "{path}: {response:?}");
    }
}

#[tokio::test]
async fn other_methods_are_405_with_allow() {
    for request in [
        "POST /metrics HTTP/1.1\r\nContent-Length: 0",
        "DELETE /catalog HTTP/1.1",
        "PUT /health HTTP/1.1\r\nContent-Length: 0",
    ] {
        let response = send(addr(), request).await;
        assert_eq!(response.status, 405, "{request}: {response:?}");
        assert_eq!(response.header("allow"), Some("GET, HEAD"));
    }
}

#[tokio::test]
async fn an_oversized_content_length_is_413() {
    // The body is announced but never sent: the server must answer without reading it.
    let response = send(addr(), "GET /metrics HTTP/1.1\r\nContent-Length: 10000000").await;
    assert_eq!(response.status, 413, "{response:?}");
    assert_eq!(response.header("connection"), Some("close"));
    // A small body is within the limit (and simply not read).
    let response = send(addr(), "GET /health HTTP/1.1\r\nContent-Length: 0").await;
    assert_eq!(response.status, 200, "{response:?}");
}

#[tokio::test]
async fn a_stalled_request_is_cut_off_and_others_are_still_served() {
    LazyLock::force(&TELEMETRY);
    let options = ServerOptions::default().header_read_timeout(Duration::from_millis(300));
    let server = MetricsServer::bind_with(loopback(), "/metrics", options).expect("bind");
    let addr = server.start().expect("start");

    // Half a request line, then nothing.
    let mut staller = TcpStream::connect(addr).await.expect("connect");
    staller.write_all(b"GET /met").await.expect("write");

    // The server is not blocked by it.
    assert_eq!(get(addr, "/health").await.status, 200);

    // The server closes the stalled connection (EOF or reset), without a successful answer.
    let mut raw = Vec::new();
    let read = timeout(HANG_GUARD, staller.read_to_end(&mut raw))
        .await
        .expect("the stalled connection is closed");
    if read.is_ok() {
        assert!(!raw.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&raw));
    }

    // And it keeps serving afterwards.
    assert_eq!(get(addr, "/health").await.status, 200);
    assert_eq!(get(addr, "/metrics").await.status, 200);
    server.shutdown();
}

#[tokio::test]
async fn a_custom_metrics_path_is_served_instead_of_the_default() {
    LazyLock::force(&TELEMETRY);
    let server = MetricsServer::bind(loopback(), "/custom/metrics").expect("bind");
    let addr = server.start().expect("start");
    let response = get(addr, "/custom/metrics").await;
    assert_eq!(response.status, 200, "{response:?}");
    assert!(response.body.contains("target_info"));
    assert_eq!(get(addr, "/metrics").await.status, 404);
}

#[test]
fn binding_an_address_in_use_names_it() {
    let taken = std::net::TcpListener::bind(loopback()).expect("bind a port");
    let addr = taken.local_addr().unwrap();
    let error = MetricsServer::bind(addr, "/metrics").expect_err("the port is in use");
    assert!(matches!(error, Error::Bind { addr: a, .. } if a == addr), "{error:?}");
    assert!(error.to_string().contains(&addr.to_string()), "{error}");
}

#[test]
fn start_is_idempotent_and_shutdown_closes_the_port() {
    let server = MetricsServer::bind(loopback(), "/metrics").expect("bind");
    assert!(!server.is_running(), "bound, not started");
    let first = server.start().expect("start");
    let second = server.start().expect("start again");
    assert_eq!(first, second);
    assert_eq!(first, server.local_addr());
    assert!(server.is_running());

    server.shutdown();
    assert!(!server.is_running());
    assert!(std::net::TcpStream::connect(first).is_err(), "the port refuses connections");
    server.shutdown(); // idempotent
    assert!(
        matches!(server.start(), Err(Error::Serve { .. })),
        "a stopped server does not restart"
    );
}

#[tokio::test]
async fn shutdown_closes_idle_kept_alive_connections() {
    LazyLock::force(&TELEMETRY);
    let server = MetricsServer::bind(loopback(), "/metrics").expect("bind");
    let addr = server.start().expect("start");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // A complete request on a kept-alive connection, answered, then idle.
    stream
        .write_all(format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = timeout(HANG_GUARD, stream.read(&mut buf)).await.expect("answered").expect("read");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));

    // Shutdown blocks until the server thread is joined; the idle connection doesn't hold it.
    tokio::task::spawn_blocking(move || {
        server.shutdown();
        assert!(!server.is_running());
    })
    .await
    .unwrap();
    let mut rest = Vec::new();
    let read = timeout(HANG_GUARD, stream.read_to_end(&mut rest)).await.expect("closed");
    assert!(read.is_err() || rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
}

#[test]
fn a_second_install_is_refused() {
    LazyLock::force(&TELEMETRY);
    let again =
        Telemetry::builder().ephemeral_port().ignore_env().install_subscriber(false).install();
    assert!(matches!(again, Err(Error::AlreadyInstalled)), "{again:?}");
    // The first installation keeps serving.
    assert!(TELEMETRY.server().is_some_and(MetricsServer::is_running));
}

#[test]
fn endpoints_answer_without_a_server() {
    LazyLock::force(&TELEMETRY);
    let endpoints = Endpoints::default();
    let request = |method: &str, path: &str| {
        hyper::Request::builder().method(method).uri(path).body(()).unwrap()
    };
    assert_eq!(endpoints.respond(&request("GET", "/health")).status(), 200);
    let metrics = endpoints.respond(&request("GET", "/metrics"));
    assert_eq!(metrics.status(), 200);
    assert_eq!(metrics.headers()["content-type"], METRICS_CONTENT_TYPE);
    assert_eq!(endpoints.respond(&request("PATCH", "/metrics")).status(), 405);
    assert_eq!(endpoints.respond(&request("GET", "/elsewhere")).status(), 404);
}
