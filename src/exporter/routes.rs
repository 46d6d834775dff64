//! [`Endpoints`]: the routes of the exporter as a plain request → response function and a
//! hyper [`Service`], for the built-in server and for applications that run their own.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::service::Service;
use hyper::{Method, Request, Response, StatusCode};
use serde::Serialize;

use super::limits::DEFAULT_MAX_BODY_BYTES;
use super::render::{METRICS_CONTENT_TYPE, render};
use crate::metrics::{CallsiteMeta, MetricInfo, callsite, catalog};
use crate::telemetry::config::DEFAULT_METRICS_PATH;
use crate::telemetry::pipeline::{self, Pipeline};

/// Path of the catalog: every metric flowmeter records and every instrumented call site, as
/// JSON.
pub const CATALOG_PATH: &str = "/catalog";
/// Path of the liveness check, answering `200 ok`.
pub const HEALTH_PATH: &str = "/health";
/// The methods every route answers; anything else gets `405` with this `Allow` header.
pub const ALLOWED_METHODS: &str = "GET, HEAD";

const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";

/// The exporter's routes, as a function from request to response.
///
/// | path | answer |
/// |---|---|
/// | the metrics path (default `/metrics`) | `200`, the text exposition ([`render`](super::render)), `Content-Type: text/plain; version=0.0.4; charset=utf-8`; `503` while no enabled pipeline is installed |
/// | [`/catalog`](CATALOG_PATH) | `200`, JSON `{"namespace", "metrics", "callsites"}`; `503` while no pipeline is installed |
/// | [`/health`](HEALTH_PATH) | `200`, `ok` |
/// | anything else | `404` |
///
/// Every route answers `GET` and `HEAD` (same headers, no body); other methods get `405` with
/// `Allow: GET, HEAD`. Request bodies are never read: a request whose `Content-Length` is over
/// the limit (default 64 KiB) gets `413` and `Connection: close`. The installed pipeline is
/// looked up on every request, so `Endpoints` can be created before
/// [`Telemetry`](crate::Telemetry) is installed.
///
/// Rendering is synchronous and takes well under a millisecond for flowmeter's own metrics.
///
/// # Mounting in your own hyper server
///
/// `Endpoints` is a [`hyper::service::Service`], so it serves a connection directly. Build the
/// pipeline with `serve(false)` so flowmeter does not start its own listener:
///
/// ```no_run
/// use flowmeter::exporter::Endpoints;
/// use hyper::server::conn::http1;
/// use hyper_util::rt::TokioIo;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let _telemetry = flowmeter::Telemetry::builder().serve(false).install()?;
/// let endpoints = Endpoints::default();
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// loop {
///     let (stream, _) = listener.accept().await?;
///     let endpoints = endpoints.clone();
///     tokio::spawn(async move {
///         let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), endpoints).await;
///     });
/// }
/// # }
/// ```
///
/// In a router (axum, your own hyper service), send the paths [`handles`](Self::handles)
/// accepts to [`respond`](Self::respond) and keep the rest.
#[derive(Debug, Clone)]
pub struct Endpoints {
    metrics_path: Arc<str>,
    max_body_bytes: u64,
}

impl Default for Endpoints {
    /// Metrics on `/metrics`, 64 KiB body limit.
    fn default() -> Self {
        Endpoints::new(DEFAULT_METRICS_PATH)
    }
}

/// The route a path selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Metrics,
    Catalog,
    Health,
}

impl Endpoints {
    /// Routes with the exposition on `metrics_path` (which should start with `/`; the
    /// configured one is [`Config::metrics_path`](crate::Config::metrics_path)). The metrics
    /// path is matched first, so it may shadow `/catalog` or `/health`.
    pub fn new(metrics_path: impl Into<String>) -> Self {
        let metrics_path: String = metrics_path.into();
        Endpoints { metrics_path: metrics_path.into(), max_body_bytes: DEFAULT_MAX_BODY_BYTES }
    }

    /// The largest `Content-Length` accepted; larger requests get `413`. Default 64 KiB
    /// ([`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The path the exposition is served on.
    pub fn metrics_path(&self) -> &str {
        &self.metrics_path
    }

    /// Whether `path` is one of these routes (the metrics path, `/catalog`, `/health`).
    pub fn handles(&self, path: &str) -> bool {
        self.route(path).is_some()
    }

    fn route(&self, path: &str) -> Option<Route> {
        if path == &*self.metrics_path {
            Some(Route::Metrics)
        } else if path == CATALOG_PATH {
            Some(Route::Catalog)
        } else if path == HEALTH_PATH {
            Some(Route::Health)
        } else {
            None
        }
    }

    /// Answers `req` (see the table on [`Endpoints`]). Only the method, path and headers are
    /// looked at; the body is never read.
    pub fn respond<B>(&self, req: &Request<B>) -> Response<Full<Bytes>> {
        if self.body_too_large(req) {
            let mut response = text(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large; these endpoints take no body\n",
            );
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
        let Some(route) = self.route(req.uri().path()) else {
            let body = format!(
                "not found; flowmeter serves {}, {CATALOG_PATH} and {HEALTH_PATH}\n",
                self.metrics_path
            );
            return text(StatusCode::NOT_FOUND, body);
        };
        let head = req.method() == Method::HEAD;
        if !head && req.method() != Method::GET {
            let mut response =
                text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed; use GET or HEAD\n");
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
            return response;
        }
        let response = match route {
            Route::Metrics => metrics(),
            Route::Catalog => catalog_json(),
            Route::Health => text(StatusCode::OK, "ok"),
        };
        if head { without_body(response) } else { response }
    }

    fn body_too_large<B>(&self, req: &Request<B>) -> bool {
        let Some(length) = req.headers().get(header::CONTENT_LENGTH) else {
            return false;
        };
        // hyper rejects malformed lengths before a request gets here; treat one that slips
        // through (another server) as too large rather than guess.
        length
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_none_or(|n| n > self.max_body_bytes)
    }
}

impl<B> Service<Request<B>> for Endpoints {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn call(&self, req: Request<B>) -> Self::Future {
        ready(Ok(self.respond(&req)))
    }
}

/// The installed pipeline, if it records.
fn enabled_pipeline() -> Option<&'static Pipeline> {
    pipeline::get().filter(|p| p.is_enabled())
}

fn metrics() -> Response<Full<Bytes>> {
    match enabled_pipeline() {
        Some(pipeline) => respond_with(StatusCode::OK, METRICS_CONTENT_TYPE, render(pipeline)),
        None => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "no metrics: flowmeter telemetry is not installed, is disabled, or was shut down\n",
        ),
    }
}

/// The `/catalog` document.
#[derive(Serialize)]
struct Catalog<'a> {
    namespace: &'a str,
    metrics: Vec<MetricInfo>,
    callsites: Vec<CallsiteMeta>,
}

fn catalog_json() -> Response<Full<Bytes>> {
    static ENCODE_FAILED: AtomicBool = AtomicBool::new(false);
    // The catalog describes what is recorded, so it is served even while recording is off;
    // it needs an installed pipeline for the namespace.
    let Some(pipeline) = pipeline::get() else {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "no catalog: flowmeter telemetry is not installed, so its namespace is unknown\n",
        );
    };
    let namespace = pipeline.namespace();
    let doc = Catalog { namespace, metrics: catalog::list(namespace), callsites: callsite::list() };
    match serde_json::to_vec(&doc) {
        Ok(body) => respond_with(StatusCode::OK, JSON, body),
        Err(error) => {
            if !ENCODE_FAILED.swap(true, Ordering::Relaxed) {
                tracing::warn!(%error, "flowmeter: the catalog could not be encoded as JSON (logged once)");
            }
            text(StatusCode::INTERNAL_SERVER_ERROR, "the catalog could not be encoded\n")
        }
    }
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    respond_with(status, TEXT, body)
}

fn respond_with(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let body: Bytes = body.into();
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    *response.body_mut() = Full::new(body);
    response
}

/// The same response without its body; `Content-Length` still tells the `GET` body's size.
fn without_body(response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, Full::new(Bytes::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, path: &str) -> Request<()> {
        Request::builder().method(method).uri(path).body(()).unwrap()
    }

    #[test]
    fn routes_and_methods() {
        let endpoints = Endpoints::new("/m");
        let status = |method, path| endpoints.respond(&request(method, path)).status();
        assert_eq!(status(Method::GET, "/health"), StatusCode::OK);
        if pipeline::get().is_none() {
            assert_eq!(status(Method::GET, "/m"), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(status(Method::GET, "/catalog"), StatusCode::SERVICE_UNAVAILABLE);
        }
        assert_eq!(status(Method::GET, "/metrics"), StatusCode::NOT_FOUND);
        let post = endpoints.respond(&request(Method::POST, "/health"));
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(post.headers()[header::ALLOW], "GET, HEAD");
        assert!(
            endpoints.handles("/m") && endpoints.handles("/catalog") && !endpoints.handles("/")
        );
    }

    #[test]
    fn content_length_limit() {
        let endpoints = Endpoints::default().max_body_bytes(10);
        let with_length = |length: &str| {
            let req = Request::builder()
                .uri("/health")
                .header(header::CONTENT_LENGTH, length)
                .body(())
                .unwrap();
            endpoints.respond(&req).status()
        };
        assert_eq!(with_length("10"), StatusCode::OK);
        assert_eq!(with_length("11"), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(with_length("nope"), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
