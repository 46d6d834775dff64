//! The HTTP exporter: `/metrics` (Prometheus text format 0.0.4), `/catalog` (JSON) and
//! `/health`.
//!
//! - [`MetricsServer`] is the built-in endpoint [`Telemetry`](crate::Telemetry) starts: hyper 1
//!   on a thread of its own with a current-thread tokio runtime, on `127.0.0.1:9464` by
//!   default, with a graceful, bounded shutdown.
//! - [`Endpoints`] is the same set of routes as a plain function and a hyper
//!   [`Service`](hyper::service::Service), for applications that already run a server.
//! - [`ServerOptions`] holds the limits, each with its default: header-read timeout 5 s,
//!   request body limit 64 KiB (bodies are never read), header limit 16 KiB, 64 connections,
//!   shutdown drain 5 s.
//! - [`render`] is the exposition itself, as a `String`.

mod accept;
mod limits;
mod render;
mod routes;
mod server;

pub use limits::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEADER_BYTES, DEFAULT_SHUTDOWN_TIMEOUT, ServerOptions,
};
pub use render::{METRICS_CONTENT_TYPE, render, render_into};
pub use routes::{ALLOWED_METHODS, CATALOG_PATH, Endpoints, HEALTH_PATH};
pub use server::MetricsServer;
