//! [`Endpoints`]: the routes of the exporter as a plain request → response function and a
//! hyper [`Service`], for the built-in server and for applications that run their own.
//!
//! Every route reads the installed pipeline when the request arrives; the documents come
//! from [`render`](super::render()) or [`render_openmetrics`](super::render_openmetrics())
//! (negotiated on `Accept`), [`metadata`](super::metadata()) and
//! [`summary`](super::summary()) (the responses are built in `responses.rs`), so the built-in
//! server, an application's own hyper server and the axum router all answer the same.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::service::Service;
use hyper::{Method, Request, Response, StatusCode};

use super::auth::ScrapeAuth;
use super::limits::DEFAULT_MAX_BODY_BYTES;
use super::refused;
use super::responses::{catalog_json, metadata_json, metrics, summary_json, text, without_body};

/// Default path of the exposition.
pub const DEFAULT_METRICS_PATH: &str = "/metrics";
/// Path of the catalog: every metric flowmeter *declares* (whether recorded yet or not) and
/// every instrumented call site, as JSON. For what is exported right now, see
/// [`METADATA_PATH`].
pub const CATALOG_PATH: &str = "/catalog";
/// Path of the metadata: a JSON array of [`MetricMetadata`](super::MetricMetadata), one per
/// family declared or exported (flowmeter's own, call sites, application metrics from the
/// moment they are built, process and system metrics, `target_info`), with the exported
/// names, sorted by name.
pub const METADATA_PATH: &str = "/metadata";
/// Path of the summary: the current values of every exported family as a JSON
/// [`Summary`](super::Summary) (counter totals, per-series values, histogram count and sum).
pub const SUMMARY_PATH: &str = "/summary";
/// Path of the liveness check, answering `200 ok`.
pub const HEALTH_PATH: &str = "/health";
/// The methods every route answers; anything else gets `405` with this `Allow` header.
pub const ALLOWED_METHODS: &str = "GET, HEAD";

/// The exporter's routes, as a function from request to response.
///
/// | path | answer |
/// |---|---|
/// | the metrics path (default `/metrics`) | `200`, the exposition in the format the request's `Accept` asks for ([`ExpositionFormat::from_accept`](super::ExpositionFormat::from_accept)): OpenMetrics 1.0 with exemplars ([`render_openmetrics`](super::render_openmetrics())), `Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8`, when the scraper ranks it first (Prometheus does by default); otherwise the text format 0.0.4 ([`render`](super::render())), `Content-Type: text/plain; version=0.0.4; charset=utf-8`. Always `Vary: Accept`. `503` while no enabled pipeline is installed |
/// | [`/catalog`](CATALOG_PATH) | `200`, JSON `{"namespace", "metrics", "callsites"}`: the declared catalog; `503` while no pipeline is installed |
/// | [`/metadata`](METADATA_PATH) | `200`, JSON array of [`MetricMetadata`](super::MetricMetadata): what is declared or exported; `503` while no enabled pipeline is installed |
/// | [`/summary`](SUMMARY_PATH) | `200`, JSON [`Summary`](super::Summary): current values; `503` while no enabled pipeline is installed |
/// | [`/health`](HEALTH_PATH) | `200`, `ok` |
/// | anything else | `404` |
///
/// With credentials configured ([`bearer_token`](Self::bearer_token),
/// [`basic_auth`](Self::basic_auth), [`auth`](Self::auth)), every route but `/health` answers
/// `401` with a `WWW-Authenticate` challenge unless the request's `Authorization` header
/// carries them (see [`ScrapeAuth`]); `/health` stays open for liveness probes and reveals
/// nothing. Unknown paths are `404` and oversized requests `413` with or without credentials.
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
/// In a router of your own (a hyper `service_fn`, another framework), send the paths
/// [`handles`](Self::handles) accepts to [`respond`](Self::respond) and keep the rest. With
/// axum, merge [`exporter::axum::router`](crate::exporter) (`axum` feature) instead.
#[derive(Debug, Clone)]
pub struct Endpoints {
    metrics_path: Arc<str>,
    max_body_bytes: u64,
    auth: Arc<ScrapeAuth>,
}

impl Default for Endpoints {
    /// Metrics on `/metrics`, 64 KiB body limit, no credentials required.
    fn default() -> Self {
        Endpoints::new(DEFAULT_METRICS_PATH)
    }
}

/// The route a path selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Metrics,
    Catalog,
    Metadata,
    Summary,
    Health,
}

impl Endpoints {
    /// Routes with the exposition on `metrics_path` (which should start with `/`; the
    /// configured one is [`Config::metrics_path`](crate::Config::metrics_path)). The metrics
    /// path is matched first, so it may shadow any of the other routes.
    pub fn new(metrics_path: impl Into<String>) -> Self {
        let metrics_path: String = metrics_path.into();
        Endpoints {
            metrics_path: metrics_path.into(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            auth: Arc::default(),
        }
    }

    /// Requires `Authorization: Bearer <token>` on every route but `/health` (Prometheus
    /// scrape option `authorization: { credentials_file: ... }`). Replaces an earlier token and
    /// keeps basic credentials, if any: either is then accepted. Default: no credentials
    /// required. See [`ScrapeAuth`].
    pub fn bearer_token(self, token: impl Into<String>) -> Self {
        let auth = (*self.auth).clone().bearer_token(token);
        self.auth(auth)
    }

    /// Requires `Authorization: Basic` with this user and password on every route but
    /// `/health` (Prometheus scrape option `basic_auth`). Replaces earlier basic credentials
    /// and keeps a bearer token, if any: either is then accepted. Default: no credentials
    /// required. See [`ScrapeAuth`].
    pub fn basic_auth(self, username: impl Into<String>, password: impl Into<String>) -> Self {
        let auth = (*self.auth).clone().basic_auth(username, password);
        self.auth(auth)
    }

    /// Sets the credentials every route but `/health` requires, replacing earlier ones
    /// (`ScrapeAuth::new()` turns the requirement off). Default: none required.
    pub fn auth(mut self, auth: ScrapeAuth) -> Self {
        self.auth = Arc::new(auth);
        self
    }

    /// The credentials required (none by default).
    pub fn scrape_auth(&self) -> &ScrapeAuth {
        &self.auth
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

    /// Whether `path` is one of these routes (the metrics path, `/catalog`, `/metadata`,
    /// `/summary`, `/health`). Only the path is compared: no query string, no trailing slash.
    pub fn handles(&self, path: &str) -> bool {
        self.route(path).is_some()
    }

    fn route(&self, path: &str) -> Option<Route> {
        if path == &*self.metrics_path {
            Some(Route::Metrics)
        } else {
            match path {
                CATALOG_PATH => Some(Route::Catalog),
                METADATA_PATH => Some(Route::Metadata),
                SUMMARY_PATH => Some(Route::Summary),
                HEALTH_PATH => Some(Route::Health),
                _ => None,
            }
        }
    }

    /// Every path these endpoints answer, the metrics path first, each once (a metrics path
    /// equal to a fixed route is listed once): the routes to register in a router that
    /// matches paths itself before delegating to [`respond`](Self::respond).
    pub fn paths(&self) -> Vec<&str> {
        let mut paths = vec![&*self.metrics_path];
        for fixed in [CATALOG_PATH, METADATA_PATH, SUMMARY_PATH, HEALTH_PATH] {
            if fixed != &*self.metrics_path {
                paths.push(fixed);
            }
        }
        paths
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
                "not found; flowmeter serves {}, {CATALOG_PATH}, {METADATA_PATH}, \
                 {SUMMARY_PATH} and {HEALTH_PATH}\n",
                self.metrics_path
            );
            return text(StatusCode::NOT_FOUND, body);
        };
        let head = req.method() == Method::HEAD;
        // Before the method check: without credentials, a data route says nothing more.
        if route != Route::Health
            && let Err(refusal) = self.auth.check(req.headers())
        {
            refused::count(refusal);
            let challenge = self.auth.challenge();
            return if head { without_body(challenge) } else { challenge };
        }
        if !head && req.method() != Method::GET {
            let mut response =
                text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed; use GET or HEAD\n");
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
            return response;
        }
        let response = match route {
            Route::Metrics => metrics(req.headers()),
            Route::Catalog => catalog_json(),
            Route::Metadata => metadata_json(),
            Route::Summary => summary_json(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline;

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
            assert_eq!(status(Method::GET, "/metadata"), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(status(Method::HEAD, "/summary"), StatusCode::SERVICE_UNAVAILABLE);
        }
        assert_eq!(status(Method::GET, "/metrics"), StatusCode::NOT_FOUND);
        let post = endpoints.respond(&request(Method::POST, "/health"));
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(post.headers()[header::ALLOW], "GET, HEAD");
        for path in ["/m", "/catalog", "/metadata", "/summary", "/health"] {
            assert!(endpoints.handles(path), "{path}");
        }
        for path in ["/", "/metrics", "/summary/", "/metadata?x=1"] {
            assert!(!endpoints.handles(path), "{path}");
        }
        let not_found = endpoints.respond(&request(Method::GET, "/nope"));
        let body = http_body_util::BodyExt::collect(not_found.into_body());
        let body = futures_util::FutureExt::now_or_never(body).unwrap().unwrap().to_bytes();
        assert_eq!(
            body,
            "not found; flowmeter serves /m, /catalog, /metadata, /summary and /health\n"
        );
    }

    #[test]
    fn each_path_is_listed_once() {
        assert_eq!(
            Endpoints::new("/m").paths(),
            ["/m", "/catalog", "/metadata", "/summary", "/health"]
        );
        assert_eq!(
            Endpoints::new("/summary").paths(),
            ["/summary", "/catalog", "/metadata", "/health"]
        );
    }

    #[test]
    fn data_routes_need_credentials_and_health_stays_open() {
        let endpoints = Endpoints::new("/m").bearer_token("tok");
        let with = |method: Method, path: &str, authorization: Option<&str>| {
            let mut req = Request::builder().method(method).uri(path);
            if let Some(value) = authorization {
                req = req.header(header::AUTHORIZATION, value);
            }
            endpoints.respond(&req.body(()).unwrap())
        };
        for path in ["/m", "/catalog", "/metadata", "/summary"] {
            for authorization in [None, Some("Bearer nope"), Some("Basic dG9rOnRvaw==")] {
                let response = with(Method::GET, path, authorization);
                assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path} {authorization:?}");
                assert_eq!(
                    response.headers()[header::WWW_AUTHENTICATE],
                    r#"Bearer realm="flowmeter""#
                );
            }
            // Past the check: 200, or 503 while no pipeline is installed.
            let status = with(Method::GET, path, Some("Bearer tok")).status();
            assert!(status != StatusCode::UNAUTHORIZED, "{path}: {status}");
        }
        assert_eq!(with(Method::GET, "/health", None).status(), StatusCode::OK);
        assert_eq!(with(Method::GET, "/nope", None).status(), StatusCode::NOT_FOUND);
        let head = with(Method::HEAD, "/m", None);
        assert_eq!(head.status(), StatusCode::UNAUTHORIZED);
        let body = http_body_util::BodyExt::collect(head.into_body());
        assert!(
            futures_util::FutureExt::now_or_never(body).unwrap().unwrap().to_bytes().is_empty()
        );
        // Both schemes configured: either is accepted.
        let both = Endpoints::new("/m").bearer_token("tok").basic_auth("u", "p");
        let req = Request::builder().uri("/health").body(()).unwrap();
        assert_eq!(both.respond(&req).status(), StatusCode::OK);
        assert_eq!(both.scrape_auth().basic_auth_username(), Some("u"));
        assert!(both.scrape_auth().has_bearer_token());
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
