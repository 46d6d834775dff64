//! The HTTP exporter: `/metrics` (OpenMetrics 1.0 with exemplars when asked for, the
//! Prometheus text format 0.0.4 otherwise), `/catalog`, `/metadata` and `/summary` (JSON), and
//! `/health`.
//!
//! | path | what it answers |
//! |---|---|
//! | `/metrics` (configurable) | the exposition, in the format the scraper's `Accept` header asks for ([`ExpositionFormat`]): OpenMetrics 1.0 text with exemplars on the duration buckets ([`render_openmetrics()`]) when the scraper ranks it first, as Prometheus does by default; the text format 0.0.4 ([`render()`]) otherwise (curl, `text/plain`, no or a malformed `Accept`) |
//! | [`/catalog`](CATALOG_PATH) | what flowmeter *declares*: every metric of its catalog, recorded yet or not, and every instrumented call site |
//! | [`/metadata`](METADATA_PATH) | name, type, HELP and labels of every family *declared or exported*: the catalog, call sites, `flowmeter::app` metrics from the moment they are built, and every family of the exposition (process and system metrics included): [`metadata()`] |
//! | [`/summary`](SUMMARY_PATH) | current values of every exported family: counter totals, per-series values, histogram count and sum: [`summary()`] |
//! | [`/health`](HEALTH_PATH) | `ok` |
//!
//! The exposition, the metadata and the summary are read from the same gathered metric
//! families, so the names in `/summary` are exactly the `# TYPE` names of the 0.0.4
//! `/metrics`, and `/metadata` has each of them (plus what is declared and has no series yet).
//! Both formats of the exposition carry the same series (names, labels, values); OpenMetrics
//! names a counter's family without `_total` (its samples keep it), adds `# UNIT` where a
//! unit is declared, and the exemplars.
//!
//! - [`MetricsServer`] is the built-in endpoint [`Telemetry`](crate::Telemetry) starts: hyper 1
//!   on a thread of its own with a current-thread tokio runtime, on `127.0.0.1:9464` by
//!   default, with a graceful, bounded shutdown.
//! - [`Endpoints`] is the same set of routes as a plain function and a hyper
//!   [`Service`](hyper::service::Service), for applications that already run a server.
//! - `axum::router` (`axum` cargo feature) is the same routes as an axum `Router` to merge
//!   into an application's router, with the exposition on a path of the application's
//!   choosing.
//! - [`ServerOptions`] holds the limits, each with its default: header-read timeout 5 s,
//!   request body limit 64 KiB (bodies are never read), header limit 16 KiB, 64 connections
//!   (at the cap, a new connection takes the slot of one still waiting for its request, the
//!   stalest; one being answered is never closed), listen backlog 1024, shutdown drain 5 s;
//!   and, with the `tls` cargo feature, the certificate to serve HTTPS with ([`TlsFiles`],
//!   `TlsConfig`), matching Prometheus's `scheme: https` and `tls_config`.
//! - [`ScrapeAuth`] is the optional bearer token and basic credentials every route but
//!   `/health` then requires (`401` with a `WWW-Authenticate` challenge otherwise), compared in
//!   constant time, matching Prometheus's `authorization` and `basic_auth` scrape options. Set
//!   it on [`Endpoints`] (so a mounted service enforces it too) or through the
//!   [`TelemetryBuilder`](crate::TelemetryBuilder), `FLOWMETER_*` variables or the config file.

mod accept;
mod admission;
mod auth;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
mod gather;
mod limits;
mod listen;
mod metadata;
mod negotiate;
mod openmetrics;
mod refused;
mod render;
mod responses;
mod routes;
mod server;
mod summary;
mod tls;

pub(crate) use auth::REDACTED;
pub use auth::ScrapeAuth;
pub use limits::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_LISTEN_BACKLOG, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HEADER_BYTES, DEFAULT_SHUTDOWN_TIMEOUT, ServerOptions,
};
pub use metadata::{MetricKind, MetricMetadata, metadata};
pub use negotiate::ExpositionFormat;
pub use openmetrics::{OPENMETRICS_CONTENT_TYPE, render_openmetrics, render_openmetrics_into};
pub use render::{METRICS_CONTENT_TYPE, render, render_into};
pub use routes::{
    ALLOWED_METHODS, CATALOG_PATH, DEFAULT_METRICS_PATH, Endpoints, HEALTH_PATH, METADATA_PATH,
    SUMMARY_PATH,
};
pub use server::MetricsServer;
pub use summary::{MetricSummary, SeriesSummary, Summary, summary};
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use tls::TlsConfig;
pub use tls::TlsFiles;
