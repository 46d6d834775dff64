//! OTLP export of spans and metrics to an OpenTelemetry Collector (or any OTLP receiver), with
//! the `otlp` cargo feature.
//!
//! Turn it on with [`TelemetryBuilder::otlp`](crate::TelemetryBuilder::otlp) or the standard
//! environment variables; metrics keep going to the Prometheus endpoint at the same time
//! (both read the same meter provider, so they carry the same values).
//!
//! ```no_run
//! use flowmeter::Telemetry;
//! use flowmeter::otlp::{OtlpConfig, Protocol};
//!
//! # fn main() -> Result<(), flowmeter::Error> {
//! let telemetry = Telemetry::builder()
//!     .service_name("checkout")
//!     .otlp(OtlpConfig::new().endpoint("http://127.0.0.1:4317").protocol(Protocol::Grpc))
//!     .install()?;
//! // ... run the program; dropping `telemetry` flushes spans and metrics.
//! # drop(telemetry); Ok(()) }
//! ```
//!
//! # Configuration
//!
//! | setting | builder ([`OtlpConfig`]) | variables, first set wins | default |
//! |---|---|---|---|
//! | on for spans / metrics | `traces`, `metrics` | `OTEL_{TRACES,METRICS}_EXPORTER` (`otlp` or `none`); else on when an endpoint variable is set | off |
//! | endpoint | `endpoint` (base URL) | `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT` (as is), `OTEL_EXPORTER_OTLP_ENDPOINT` (base) | `http://localhost:4318` (HTTP), `http://localhost:4317` (gRPC) |
//! | protocol | `protocol` | `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` |
//! | timeout per export | `timeout` | `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT` (milliseconds) | 10 s |
//! | headers | `header` (added) | `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_HEADERS`, `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`) | none |
//! | metric export interval | `metric_export_interval` | `OTEL_METRIC_EXPORT_INTERVAL` (milliseconds) | 60 s |
//! | span queue | `max_queue_size` | `OTEL_BSP_MAX_QUEUE_SIZE` (also `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`) | 2048 |
//!
//! A base URL gets `/v1/traces` or `/v1/metrics` appended under HTTP/protobuf, as the
//! specification says. A bad value fails [`install`](crate::TelemetryBuilder::install) with
//! [`Error::Config`](crate::Error::Config) naming the variable (header values are never
//! shown). With [`ignore_env`](crate::TelemetryBuilder::ignore_env) only the builder decides;
//! when OTLP is on, the exporter crate itself still adds `OTEL_EXPORTER_OTLP_*HEADERS` and
//! reads `*_COMPRESSION` and `*_INSECURE`. Endpoints are `http://` only: this build carries no
//! TLS client, so point it at a collector on the host or in the pod.
//!
//! # What happens when the collector is slow or down
//!
//! Spans go through the SDK's batch span processor: a bounded queue
//! ([`max_queue_size`](OtlpConfig::max_queue_size)) drained by its own thread. An instrumented
//! call only pushes into that queue and never waits for the network; when the queue is full
//! the span is dropped. Metrics are collected and pushed by the periodic reader's own thread;
//! a failed push loses that push only (the next one carries the cumulative totals again). The
//! first failed export of a signal logs one `WARN` naming the endpoint and the error; later
//! failures are not logged until an export succeeds again (logged at `INFO`).
//! `bench/benches/otlp_unreachable.rs` measures an instrumented call with the collector unreachable
//! against OTLP off.
//!
//! # Names: OTLP and Prometheus
//!
//! OTLP carries each catalog metric under its OpenTelemetry name and unit (for example
//! `flowmeter.execution.duration`, unit `s`; `flowmeter.primitive.executions`, a monotonic
//! sum). A collector's `prometheus`/`prometheusremotewrite` exporter and Prometheus's own OTLP
//! receiver (with `translation_strategy: UnderscoreEscapingWithSuffixes`, its default) derive
//! the Prometheus name the way the bridge does: characters other than letters, digits and
//! `_` become `_`, the unit's Prometheus word is appended (`s` → `_seconds`, `By` →
//! `_bytes`; annotations in braces such as `{USD}` add nothing), and monotonic sums get
//! `_total`. So `flowmeter.execution.duration` (s) is `flowmeter_execution_duration_seconds`
//! and `flowmeter.primitive.executions` is `flowmeter_primitive_executions_total` in both
//! paths, and the shipped rules and dashboards work on either. `tests/otlp_export_*.rs`
//! derive the name of every received metric this way and compare it with the bridge's
//! exposition.
//!
//! # Runtime
//!
//! No async runtime is needed from the program: HTTP exports use a blocking client on the
//! SDK's export threads, and gRPC runs on a small current-thread tokio runtime of its own
//! (thread `flowmeter-otlp`), so it works from a plain `main` and inside any runtime.
//! Dropping the [`Telemetry`](crate::Telemetry) guard flushes queued spans and a last metric
//! export, then stops that thread.

mod config;
mod headers;
pub(crate) mod install;
mod report;

pub(crate) use config::resolve;
pub use config::{
    DEFAULT_GRPC_ENDPOINT, DEFAULT_HTTP_ENDPOINT, DEFAULT_METRIC_EXPORT_INTERVAL, DEFAULT_TIMEOUT,
    OtlpConfig, Protocol, Signal,
};
pub use install::OtlpHandle;
pub(crate) use install::{attach, parts};
