//! The endpoints mounted in an application's own server, over real loopback HTTP: merged into
//! an axum router on a path of the application's choosing (`axum` feature), and delegated to
//! from a plain hyper 1 `service_fn`. flowmeter's own listener is off (`serve(false)`).

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::LazyLock;

use bytes::Bytes;
use common::{Response, http_get, parse, promtool_check_metrics};
use flowmeter::exporter::{Endpoints, METRICS_CONTENT_TYPE};
use flowmeter::{Telemetry, instrumented};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(common::install_metrics_only);

const EXECUTIONS: &str = "flowmeter_primitive_executions_total";

/// Called only by the hyper test, so its count is exact there.
#[instrumented(span = false)]
fn hyper_handled(n: u32) -> u32 {
    n * 2
}

/// `GET path` from a blocking thread, so the server tasks of this runtime keep running.
async fn get(addr: SocketAddr, path: &'static str) -> Response {
    tokio::task::spawn_blocking(move || http_get(addr, path)).await.expect("GET")
}

/// Asserts the scrape of `path` is the exposition with `name` called `calls` times, and
/// passes promtool.
async fn assert_exposition(addr: SocketAddr, path: &'static str, name: &str, calls: f64) {
    let response = get(addr, path).await;
    assert_eq!(response.status, 200, "{path}: {response:?}");
    assert_eq!(response.header("content-type"), Some(METRICS_CONTENT_TYPE));
    let scraped = parse(&response.body);
    let labels = [("primitive_name", name), ("status", "success")];
    assert_eq!(scraped.value(EXECUTIONS, &labels), calls, "{}", response.body);
    assert!(scraped.types.contains_key("target_info"), "{}", response.body);
    promtool_check_metrics(&response.body);
}

#[cfg(feature = "axum")]
mod axum_router {
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::get as get_route;
    use flowmeter::exporter::axum::router;

    use super::*;

    /// Called only by the axum test, so its count is exact there.
    #[instrumented(span = false)]
    fn axum_handled() {}

    #[tokio::test]
    async fn merged_into_an_axum_app_on_its_own_path() {
        LazyLock::force(&TELEMETRY);
        for _ in 0..3 {
            axum_handled();
        }
        let app = Router::new()
            .route("/", get_route(|| async { "the application's home" }))
            .merge(router(Endpoints::new("/internal/metrics")))
            .fallback(|| async { (StatusCode::NOT_FOUND, "the application's 404") });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });

        let home = get(addr, "/").await;
        assert_eq!((home.status, home.body.as_str()), (200, "the application's home"));
        assert_exposition(addr, "/internal/metrics", "axum_handled", 3.0).await;
        let elsewhere = get(addr, "/metrics").await;
        assert_eq!((elsewhere.status, elsewhere.body.as_str()), (404, "the application's 404"));
        for path in ["/catalog", "/metadata", "/summary"] {
            let response = get(addr, path).await;
            assert_eq!(response.status, 200, "{path}: {response:?}");
            assert_eq!(response.header("content-type"), Some("application/json"), "{path}");
        }
        let summary = get(addr, "/summary").await;
        let summary: serde_json::Value = serde_json::from_str(&summary.body).unwrap();
        assert!(summary["metrics"][EXECUTIONS]["total"].as_f64().unwrap() >= 3.0);
        assert_eq!(get(addr, "/health").await.body, "ok");

        server.abort();
    }
}

#[tokio::test]
async fn delegated_to_from_a_hyper_service_fn() {
    LazyLock::force(&TELEMETRY);
    for n in 0..5 {
        assert_eq!(hyper_handled(n), n * 2);
    }
    let endpoints = Endpoints::new("/internal/metrics");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let endpoints = endpoints.clone();
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let response = if endpoints.handles(request.uri().path()) {
                    endpoints.respond(&request)
                } else if request.uri().path() == "/" {
                    hyper::Response::new(Full::new(Bytes::from("the application's home")))
                } else {
                    let mut response = hyper::Response::new(Full::new(Bytes::from("app 404")));
                    *response.status_mut() = hyper::StatusCode::NOT_FOUND;
                    response
                };
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });

    let home = get(addr, "/").await;
    assert_eq!((home.status, home.body.as_str()), (200, "the application's home"));
    assert_exposition(addr, "/internal/metrics", "hyper_handled", 5.0).await;
    let elsewhere = get(addr, "/metrics").await;
    assert_eq!((elsewhere.status, elsewhere.body.as_str()), (404, "app 404"));
    let metadata = get(addr, "/metadata").await;
    assert_eq!(metadata.status, 200, "{metadata:?}");
    let metadata: serde_json::Value = serde_json::from_str(&metadata.body).unwrap();
    assert!(metadata.as_array().unwrap().iter().any(|m| m["name"] == EXECUTIONS), "{metadata}");

    server.abort();
}
