//! The example's HTTP server: flowmeter's [`Endpoints`] (the metrics path, `/metadata`,
//! `/summary`, `/catalog`, `/health`) plus two routes in the reference's shapes, served by
//! hyper on the configured address. This is how an application that runs its own server
//! adds flowmeter's routes to its own.

use std::convert::Infallible;

use bytes::Bytes;
use flowmeter::Config;
use flowmeter::exporter::{self, Endpoints};
use flowmeter::telemetry::Pipeline;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::reference;

/// The reference-shaped summary (`get_metrics_summary`'s answer).
pub const SESSION_SUMMARY_PATH: &str = "/sessions/summary";
/// The reference-shaped, grouped metric list (`list_session_metrics`'s answer).
pub const SESSION_METRICS_PATH: &str = "/sessions/metrics";

/// Serves until Ctrl-C. Prints `serving http://ADDR/PATH` on stdout once it listens.
pub async fn serve(pipeline: &'static Pipeline, config: &Config) -> std::io::Result<()> {
    let listener = TcpListener::bind(config.listen).await?;
    let endpoints = Endpoints::new(config.metrics_path.clone());
    println!("serving http://{}{}", listener.local_addr()?, config.metrics_path);
    loop {
        let (stream, _) = tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            accepted = listener.accept() => accepted?,
        };
        let endpoints = endpoints.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                std::future::ready(Ok::<_, Infallible>(respond(pipeline, &endpoints, &req)))
            });
            // A client that goes away mid-request is not the server's problem.
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

fn respond(
    pipeline: &'static Pipeline,
    endpoints: &Endpoints,
    req: &Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    if path != SESSION_SUMMARY_PATH && path != SESSION_METRICS_PATH {
        return endpoints.respond(req);
    }
    let head = req.method() == Method::HEAD;
    if !head && req.method() != Method::GET {
        let mut response = Response::new(Full::new(Bytes::from_static(b"use GET or HEAD\n")));
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        let allow = HeaderValue::from_static(exporter::ALLOWED_METHODS);
        response.headers_mut().insert(header::ALLOW, allow);
        return response;
    }
    let body = if path == SESSION_SUMMARY_PATH {
        reference::session_summary(&exporter::summary(pipeline))
    } else {
        reference::session_metric_list(&exporter::metadata(pipeline))
    };
    let body = Bytes::from(body.to_string());
    let length = HeaderValue::from(body.len());
    let mut response = Response::new(Full::new(if head { Bytes::new() } else { body }));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CONTENT_LENGTH, length);
    response
}
