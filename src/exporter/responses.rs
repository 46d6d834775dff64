//! The response of each route of [`Endpoints`](super::Endpoints): the exposition, the JSON
//! documents and the plain-text answers, with their headers.

use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use serde::Serialize;

use super::metadata::metadata;
use super::negotiate::ExpositionFormat;
use super::openmetrics::render_openmetrics;
use super::render::render;
use super::summary::summary;
use crate::metrics::catalog::{self, MetricInfo};
use crate::metrics::{CallsiteMeta, Objective, callsite, declared_objectives};
use crate::pipeline::{self, Pipeline};

const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";

/// The installed pipeline, if it records.
fn enabled_pipeline() -> Option<&'static Pipeline> {
    pipeline::get().filter(|p| p.is_enabled())
}

/// `/metrics`: the exposition of the installed pipeline in the format the request's `Accept`
/// asks for, or `503` while no enabled pipeline is installed.
pub(super) fn metrics(headers: &HeaderMap) -> Response<Full<Bytes>> {
    metrics_of(enabled_pipeline(), ExpositionFormat::of_request(headers))
}

/// The `/metrics` answer for `pipeline` in `format`. Every answer says `Vary: Accept`: the
/// same URL serves two formats, so a cache in between must not hand the OpenMetrics body
/// to a client that asked for text 0.0.4, or the other way round.
fn metrics_of(pipeline: Option<&Pipeline>, format: ExpositionFormat) -> Response<Full<Bytes>> {
    let mut response = match pipeline {
        Some(pipeline) => {
            let body = match format {
                ExpositionFormat::PrometheusText => render(pipeline),
                ExpositionFormat::OpenMetrics => render_openmetrics(pipeline),
            };
            respond_with(StatusCode::OK, format.content_type(), body)
        }
        None => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "no metrics: flowmeter telemetry is not installed, is disabled, or was shut down\n",
        ),
    };
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

/// The `/catalog` document: what the service declares, whether recorded yet or not, which is
/// what `flowmeter rules --catalog URL` generates rules, alerts and dashboards from.
#[derive(Serialize)]
struct Catalog<'a> {
    /// The flowmeter version that serves it (the generator warns on a different one).
    flowmeter_version: &'static str,
    namespace: &'a str,
    /// flowmeter's own metrics under the namespace.
    metrics: Vec<MetricInfo>,
    /// Metrics declared through `flowmeter::app`.
    app_metrics: Vec<MetricInfo>,
    /// Every `#[instrumented]` call site, with the objectives declared on it.
    callsites: Vec<CallsiteMeta>,
    /// Every objective declared in code: on call sites and on workflows built so far.
    objectives: Vec<Objective>,
}

/// `/catalog`: the declared catalog, or `503` while no pipeline is installed.
pub(super) fn catalog_json() -> Response<Full<Bytes>> {
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
    let doc = Catalog {
        flowmeter_version: env!("CARGO_PKG_VERSION"),
        namespace,
        metrics: catalog::list(namespace),
        app_metrics: crate::app::declared_metrics(),
        callsites: callsite::callsites(),
        objectives: declared_objectives(),
    };
    json("catalog", &doc, &ENCODE_FAILED)
}

/// `/metadata`: what is declared or exported, or `503` while no enabled pipeline is installed.
pub(super) fn metadata_json() -> Response<Full<Bytes>> {
    static ENCODE_FAILED: AtomicBool = AtomicBool::new(false);
    // Like `/metrics`: what is exported only exists while the pipeline records.
    match enabled_pipeline() {
        Some(pipeline) => json("metadata", &metadata(pipeline), &ENCODE_FAILED),
        None => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "no metadata: flowmeter telemetry is not installed, is disabled, or was shut down\n",
        ),
    }
}

/// `/summary`: current values, or `503` while no enabled pipeline is installed.
pub(super) fn summary_json() -> Response<Full<Bytes>> {
    static ENCODE_FAILED: AtomicBool = AtomicBool::new(false);
    match enabled_pipeline() {
        Some(pipeline) => json("summary", &summary(pipeline), &ENCODE_FAILED),
        None => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "no summary: flowmeter telemetry is not installed, is disabled, or was shut down\n",
        ),
    }
}

/// `200` with `doc` as JSON, or `500` (logged once per document through `warned`) if it
/// cannot be encoded.
fn json(what: &str, doc: &impl Serialize, warned: &AtomicBool) -> Response<Full<Bytes>> {
    match serde_json::to_vec(doc) {
        Ok(body) => respond_with(StatusCode::OK, JSON, body),
        Err(error) => {
            if !warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(%error, "flowmeter: the {what} could not be encoded as JSON (logged once)");
            }
            text(StatusCode::INTERNAL_SERVER_ERROR, format!("the {what} could not be encoded\n"))
        }
    }
}

/// A plain-text (UTF-8) response.
pub(super) fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
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
pub(super) fn without_body(response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, Full::new(Bytes::new()))
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt as _;
    use http_body_util::BodyExt as _;
    use hyper::Request;

    use super::*;
    use crate::exporter::gather::tests::pipeline;
    use crate::exporter::openmetrics::OPENMETRICS_CONTENT_TYPE;
    use crate::exporter::render::METRICS_CONTENT_TYPE;
    use crate::exporter::routes::Endpoints;

    fn body(response: Response<Full<Bytes>>) -> String {
        let bytes = response.into_body().collect().now_or_never().unwrap().unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn metrics_answer_in_the_negotiated_format_and_vary_on_accept() {
        let registry = prometheus::Registry::new();
        let jobs = prometheus::IntCounter::new("jobs_total", "Jobs done").unwrap();
        jobs.inc_by(3);
        registry.register(Box::new(jobs)).unwrap();
        let pipeline = pipeline(registry);
        let cases = [
            (ExpositionFormat::PrometheusText, METRICS_CONTENT_TYPE, render(&pipeline)),
            (
                ExpositionFormat::OpenMetrics,
                OPENMETRICS_CONTENT_TYPE,
                render_openmetrics(&pipeline),
            ),
        ];
        for (format, content_type, expected) in cases {
            let response = metrics_of(Some(&pipeline), format);
            assert_eq!(response.status(), StatusCode::OK);
            let headers = response.headers().clone();
            assert_eq!(headers[header::CONTENT_TYPE], content_type);
            assert_eq!(headers[header::VARY], "Accept");
            assert_eq!(headers[header::CONTENT_LENGTH], expected.len().to_string().as_str());
            assert_eq!(body(response), expected);
            // HEAD: the same headers, no body.
            let head = without_body(metrics_of(Some(&pipeline), format));
            assert_eq!(head.headers(), &headers);
            assert_eq!(body(head), "");
        }
        assert!(render(&pipeline).contains("\njobs_total 3\n"));
        assert!(render_openmetrics(&pipeline).contains("# TYPE jobs counter\n"));

        let unavailable = metrics_of(None, ExpositionFormat::OpenMetrics);
        assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(unavailable.headers()[header::VARY], "Accept");
    }

    #[test]
    fn the_metrics_route_reads_accept() {
        let endpoints = Endpoints::default();
        let accepts = [
            (None, ExpositionFormat::PrometheusText),
            (Some("*/*"), ExpositionFormat::PrometheusText),
            (
                Some("application/openmetrics-text;version=1.0.0,*/*;q=0.1"),
                ExpositionFormat::OpenMetrics,
            ),
        ];
        for (accept, format) in accepts {
            let mut request = Request::builder().uri("/metrics");
            if let Some(accept) = accept {
                request = request.header(header::ACCEPT, accept);
            }
            let response = endpoints.respond(&request.body(()).unwrap());
            assert_eq!(response.headers()[header::VARY], "Accept", "{accept:?}");
            // Unit tests install no pipeline (it would be the one of every test in this
            // process), so the route answers 503; with one, the negotiated format.
            if enabled_pipeline().is_some() {
                assert_eq!(response.headers()[header::CONTENT_TYPE], format.content_type());
            } else {
                assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            }
        }
    }
}
