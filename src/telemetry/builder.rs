//! [`TelemetryBuilder`]: every option with its default. `install()` is in `install.rs`.

use std::path::PathBuf;

use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{
    SdkTracerProvider, ShouldSample, SpanExporter, SpanProcessor, TracerProviderBuilder,
};

use super::config::RawConfig;
use crate::pipeline::cardinality;
use crate::telemetry::Sampler;

mod install;

/// Configures and installs the telemetry pipeline. Created by
/// [`Telemetry::builder`](crate::Telemetry::builder).
///
/// Every setting here takes precedence over its `FLOWMETER_*` environment variable, which
/// takes precedence over the config file (`config_file`, or `FLOWMETER_CONFIG`).
#[must_use = "call .install() to install the pipeline"]
pub struct TelemetryBuilder {
    raw: RawConfig,
    allow_port_zero: bool,
    read_env: bool,
    service_name: Option<String>,
    service_version: Option<String>,
    resource_attributes: Vec<KeyValue>,
    tracer: TracerProviderBuilder,
    custom_sampler: Option<Box<dyn ShouldSample>>,
    install_subscriber: bool,
    skip_unsampled_spans: Option<bool>,
    cardinality_limit: usize,
    #[cfg(feature = "otlp")]
    otlp: Option<crate::otlp::OtlpConfig>,
}

impl std::fmt::Debug for TelemetryBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryBuilder")
            .field("config", &self.raw)
            .field("service_name", &self.service_name)
            .field("custom_sampler", &self.custom_sampler)
            .field("install_subscriber", &self.install_subscriber)
            .field("skip_unsampled_spans", &self.skip_unsampled_spans)
            .finish_non_exhaustive()
    }
}

impl Default for TelemetryBuilder {
    fn default() -> Self {
        TelemetryBuilder {
            raw: RawConfig::default(),
            allow_port_zero: false,
            read_env: true,
            service_name: None,
            service_version: None,
            resource_attributes: Vec::new(),
            tracer: SdkTracerProvider::builder(),
            custom_sampler: None,
            install_subscriber: true,
            skip_unsampled_spans: None,
            cardinality_limit: cardinality::DEFAULT_CARDINALITY_LIMIT,
            #[cfg(feature = "otlp")]
            otlp: None,
        }
    }
}

impl TelemetryBuilder {
    /// Records nothing when `false`: instrumented code runs unchanged. Default `true`
    /// (env `FLOWMETER_ENABLED`).
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.raw.enabled = Some(enabled.to_string());
        self
    }

    /// Whether `install` starts the HTTP endpoint. Default `true` (env `FLOWMETER_SERVE`).
    /// Without it, mount [`Endpoints`](crate::exporter::Endpoints) in your own server.
    pub fn serve(mut self, serve: bool) -> Self {
        self.raw.serve = Some(serve.to_string());
        self
    }

    /// The endpoint's `HOST:PORT`. Default `127.0.0.1:9464` (env `FLOWMETER_LISTEN`).
    /// Binding all interfaces (`0.0.0.0`) is allowed but exposes the metrics to the network.
    pub fn listen(mut self, addr: impl Into<String>) -> Self {
        self.raw.listen = Some(addr.into());
        self
    }

    /// Listen on `127.0.0.1` at a port the OS picks (for tests); read it back with
    /// [`Telemetry::local_addr`](crate::Telemetry::local_addr). Off by default: port 0 in
    /// config is otherwise an error.
    pub fn ephemeral_port(mut self) -> Self {
        self.raw.listen = Some("127.0.0.1:0".into());
        self.allow_port_zero = true;
        self
    }

    /// The exposition path. Default `/metrics` (env `FLOWMETER_METRICS_PATH`).
    pub fn metrics_path(mut self, path: impl Into<String>) -> Self {
        self.raw.metrics_path = Some(path.into());
        self
    }

    /// The prefix of flowmeter's metric names. Default `flowmeter` (env `FLOWMETER_NAMESPACE`).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.raw.namespace = Some(namespace.into());
        self
    }

    /// Exports the standard Prometheus process metrics of this process:
    /// `process_cpu_seconds_total`, `process_resident_memory_bytes`,
    /// `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`,
    /// `process_threads` and `process_start_time_seconds`. Default `false` (env
    /// `FLOWMETER_PROCESS_METRICS`, file key `process_metrics`). Linux only.
    ///
    /// The names are the ones every Prometheus client library uses, so they are never
    /// prefixed with the [namespace](Self::namespace). See `flowmeter::system` (with the
    /// `system` cargo feature) for details.
    ///
    /// # Errors at install
    /// Asking for them in a build without the `system` cargo feature, or on a target other
    /// than Linux, makes [`install`](Self::install) fail with
    /// [`Error::Config`](crate::Error::Config) naming the feature, whichever source asked (the
    /// method exists in every build because the env and file keys do). With
    /// [`enabled(false)`](Self::enabled) nothing is collected and nothing fails.
    pub fn process_metrics(mut self, on: bool) -> Self {
        self.raw.process_metrics = Some(on.to_string());
        self
    }

    /// Exports host-wide gauges, each in percent (0 to 100): `system_cpu_percent` (all CPUs,
    /// since the previous collection), `system_memory_percent` (RAM in use) and
    /// `system_disk_percent` (space used over all mounted disks). Default `false` (env
    /// `FLOWMETER_SYSTEM_METRICS`, file key `system_metrics`).
    ///
    /// They are OpenTelemetry observable gauges on the pipeline's meter, measured when the
    /// metrics are collected (each scrape), and, like `process_*`, never prefixed with the
    /// namespace. See `flowmeter::system` (with the `system` cargo feature) for how each
    /// is computed.
    ///
    /// # Errors at install
    /// Asking for them in a build without the `system` cargo feature makes
    /// [`install`](Self::install) fail with [`Error::Config`](crate::Error::Config) naming the
    /// feature. With [`enabled(false)`](Self::enabled) nothing is collected and nothing fails.
    pub fn system_metrics(mut self, on: bool) -> Self {
        self.raw.system_metrics = Some(on.to_string());
        self
    }

    /// Requires `Authorization: Bearer <token>` on every route of the endpoint but `/health`
    /// (Prometheus scrape option `authorization: { credentials_file: ... }`); requests
    /// without it get `401`. Default: no credentials required (env `FLOWMETER_BEARER_TOKEN`,
    /// file key `bearer_token`). Replaces a [`bearer_token_file`](Self::bearer_token_file).
    /// See [`ScrapeAuth`](crate::exporter::ScrapeAuth) for how it is checked.
    ///
    /// Outside the builder, prefer the `_FILE` form: the environment of a process is often
    /// readable by other users of the host (`/proc/<pid>/environ`).
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.raw.security.bearer_token = Some(token.into());
        self.raw.security.bearer_token_file = None;
        self
    }

    /// [`bearer_token`](Self::bearer_token) read from a file at install (surrounding
    /// whitespace trimmed, as Prometheus trims its `credentials_file`). Default: none (env
    /// `FLOWMETER_BEARER_TOKEN_FILE`, file key `bearer_token_file`).
    pub fn bearer_token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.raw.security.bearer_token_file = Some(path.into().display().to_string());
        self.raw.security.bearer_token = None;
        self
    }

    /// Requires `Authorization: Basic` with this user and password on every route but
    /// `/health` (Prometheus scrape option `basic_auth`). With a bearer token too, either is
    /// accepted. Default: none (env `FLOWMETER_BASIC_AUTH_USERNAME` and
    /// `FLOWMETER_BASIC_AUTH_PASSWORD`, file keys `basic_auth_username` and
    /// `basic_auth_password`). `install` rejects an empty user or password and a user
    /// containing `:`.
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.raw.security.basic_auth_username = Some(username.into());
        self.raw.security.basic_auth_password = Some(password.into());
        self.raw.security.basic_auth_password_file = None;
        self
    }

    /// [`basic_auth`](Self::basic_auth) with the password read from a file at install
    /// (trimmed, like Prometheus's `password_file`). Default: none (env
    /// `FLOWMETER_BASIC_AUTH_PASSWORD_FILE`, file key `basic_auth_password_file`).
    pub fn basic_auth_file(
        mut self,
        username: impl Into<String>,
        password_file: impl Into<PathBuf>,
    ) -> Self {
        self.raw.security.basic_auth_username = Some(username.into());
        self.raw.security.basic_auth_password_file =
            Some(password_file.into().display().to_string());
        self.raw.security.basic_auth_password = None;
        self
    }

    /// Serves HTTPS with the PEM certificate chain in `cert_file` and its private key in
    /// `key_file` (Prometheus scrapes it with `scheme: https` and `tls_config: { ca_file }`).
    /// Default: plain HTTP (env `FLOWMETER_TLS_CERT_FILE` and `FLOWMETER_TLS_KEY_FILE`, file
    /// keys `tls_cert_file` and `tls_key_file`).
    ///
    /// # Errors at install
    /// [`Error::Tls`](crate::Error::Tls) naming the file when one cannot be read, holds no PEM
    /// certificate or key, or the key does not match the certificate. In a build without the
    /// `tls` cargo feature, [`Error::Config`](crate::Error::Config) naming the feature,
    /// whichever source asked (the method exists in every build because the env and file keys
    /// do).
    pub fn tls(mut self, cert_file: impl Into<PathBuf>, key_file: impl Into<PathBuf>) -> Self {
        self.raw.security.tls_cert_file = Some(cert_file.into().display().to_string());
        self.raw.security.tls_key_file = Some(key_file.into().display().to_string());
        self
    }

    /// A TOML file with any of `enabled`, `serve`, `listen`, `metrics_path`, `namespace`,
    /// `process_metrics`, `system_metrics`, `exemplars`, `traces_sampler`,
    /// `traces_sampler_arg`, `bearer_token`, `bearer_token_file`,
    /// `basic_auth_username`, `basic_auth_password`, `basic_auth_password_file`,
    /// `tls_cert_file`, `tls_key_file`. Default: none (env `FLOWMETER_CONFIG`).
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.raw.config_file = Some(path.into().display().to_string());
        self
    }

    /// Ignore `FLOWMETER_*` variables. Default: they are read.
    pub fn ignore_env(mut self) -> Self {
        self.read_env = false;
        self
    }

    /// `service.name` of the resource (`target_info{service_name}`). Default: from
    /// `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES`, else the SDK's `unknown_service`.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// `service.version` of the resource. Default: from `OTEL_RESOURCE_ATTRIBUTES`, else none.
    pub fn service_version(mut self, version: impl Into<String>) -> Self {
        self.service_version = Some(version.into());
        self
    }

    /// An extra resource attribute (exported on `target_info`). Keep it low-cardinality.
    pub fn resource_attribute(mut self, attribute: KeyValue) -> Self {
        self.resource_attributes.push(attribute);
        self
    }

    /// Exports spans through `exporter` as they end (a simple processor; use
    /// [`with_span_processor`](Self::with_span_processor) for batching). Default: spans are
    /// created (so trace context propagates) but not exported.
    ///
    /// The simple processor calls the exporter synchronously, under a lock shared by every
    /// thread, when each span ends: right for tests and in-memory exporters, wrong for a
    /// network exporter. In production pass a `BatchSpanProcessor` to
    /// [`with_span_processor`](Self::with_span_processor): its queue is bounded and a slow or
    /// unreachable exporter only drops spans (see `RELIABILITY.md`).
    pub fn with_span_exporter<E: SpanExporter + 'static>(mut self, exporter: E) -> Self {
        self.tracer = self.tracer.with_simple_exporter(exporter);
        self
    }

    /// Adds a span processor (for example a batch processor to an OTLP exporter).
    pub fn with_span_processor<P: SpanProcessor + 'static>(mut self, processor: P) -> Self {
        self.tracer = self.tracer.with_span_processor(processor);
        self
    }

    /// Decides which traces are recorded and exported, for example
    /// `Sampler::ParentBasedTraceIdRatio(0.01)` to keep one trace in a hundred, each whole.
    /// Default [`Sampler::ParentBasedAlwaysOn`], or what `OTEL_TRACES_SAMPLER` and
    /// `OTEL_TRACES_SAMPLER_ARG` (or the config file's `traces_sampler` and
    /// `traces_sampler_arg`) name; a name or ratio that cannot be used fails `install` with
    /// a [`ConfigError`](crate::ConfigError) naming the variable.
    ///
    /// Metrics are never sampled: every call is counted and timed whatever the sampler
    /// decides. A call that will not be recorded builds no span (see
    /// [`skip_unsampled_spans`](Self::skip_unsampled_spans)).
    pub fn sampler(mut self, sampler: Sampler) -> Self {
        self.raw.traces_sampler = Some(sampler.name().to_owned());
        self.raw.traces_sampler_arg = sampler.ratio().map(|ratio| ratio.to_string());
        self
    }

    /// Whether a call that ends in a sampled span keeps its trace and span ids as the
    /// exemplar of the duration bucket it fell in (the latest per bucket of each series).
    /// Default `true` (env `FLOWMETER_EXEMPLARS`, file key `exemplars`).
    ///
    /// Exemplars are served on `/metrics` to scrapers that ask for OpenMetrics (Prometheus
    /// does by default; it keeps them with `--enable-feature=exemplar-storage`), so a latency
    /// panel can open the trace of a call in a slow bucket. They cost nothing for a call
    /// without a sampled span; a sampled call pays a bucket search, a clock read and a lock it
    /// never waits for (BENCHMARKS.md). Off, no call keeps one and the OpenMetrics exposition
    /// has none.
    pub fn exemplars(mut self, on: bool) -> Self {
        self.raw.exemplars = Some(on.to_string());
        self
    }

    /// A sampler of your own instead of [`sampler`](Self::sampler) and the variables.
    ///
    /// flowmeter asks it before a call builds its span (with the parent context, the trace id
    /// and the call's name; no attributes or links, which do not exist yet) and the
    /// OpenTelemetry SDK asks it again when the span starts, so it must answer the same for
    /// the same parent and trace id, as OpenTelemetry's samplers do. One that decides at
    /// random, or from attributes, would record a different share of traces than it means
    /// to.
    pub fn custom_sampler<S: ShouldSample + 'static>(mut self, sampler: S) -> Self {
        self.custom_sampler = Some(Box::new(sampler));
        self
    }

    /// The most distinct label sets each instrument keeps; measurements with a label set
    /// beyond it are folded into one series labelled `otel_metric_overflow="true"`, so a label
    /// fed unbounded values cannot exhaust memory. Default 2000
    /// ([`DEFAULT_CARDINALITY_LIMIT`](crate::telemetry::DEFAULT_CARDINALITY_LIMIT),
    /// the OpenTelemetry SDK's). Application metrics can declare their own. flowmeter's own
    /// execution, workflow, cache and retry instruments, whose label values come from the
    /// program's code, size theirs from the `#[instrumented]` call sites linked in (8 label
    /// sets each) plus 4 000 for primitives built at run time, never below this default, so a
    /// big service never loses a call site to the overflow series. `install` rejects 0 and
    /// values above
    /// [`MAX_CARDINALITY_LIMIT`](crate::telemetry::MAX_CARDINALITY_LIMIT).
    pub fn cardinality_limit(mut self, limit: usize) -> Self {
        self.cardinality_limit = limit;
        self
    }

    /// Pushes spans and metrics over OTLP as `config` says (every setting it leaves unset
    /// comes from the `OTEL_EXPORTER_OTLP_*` variables). Default: OTLP only when those
    /// variables ask for it. The Prometheus endpoint keeps serving. See [`crate::otlp`].
    #[cfg(feature = "otlp")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otlp")))]
    pub fn otlp(mut self, config: crate::otlp::OtlpConfig) -> Self {
        self.otlp = Some(config);
        self
    }

    /// Whether `install` sets a global `tracing` subscriber carrying the OpenTelemetry layer.
    /// Default `true`. If the program already has one, set `false` and add
    /// [`Telemetry::tracing_layer`](crate::Telemetry::tracing_layer) to it instead.
    pub fn install_subscriber(mut self, install: bool) -> Self {
        self.install_subscriber = install;
        self
    }

    /// Whether an instrumented call (or primitive) whose trace will not be recorded skips
    /// its `tracing` span. Its metrics are recorded all the same.
    ///
    /// The sampler is asked before the span is built, from the current OpenTelemetry
    /// context; a call it drops costs what `span = false` costs plus the asking, instead of a
    /// span through the registry and tracing-opentelemetry that the SDK then drops
    /// (BENCHMARKS.md, "Sampling"). Code inside such a call still sees an unsampled trace:
    /// its spans are unsampled children, and a `traceparent` injected there carries the
    /// trace's id with the sampled flag off.
    ///
    /// Default: on when flowmeter installs its own subscriber (nothing else reads those
    /// spans), off when the program composes
    /// [`Telemetry::tracing_layer`](crate::Telemetry::tracing_layer) into a subscriber of its
    /// own, because other layers of that subscriber (a log formatter printing span fields,
    /// for example) would stop seeing the spans of unsampled calls. Set `true` there to trade
    /// those spans for the cost; `false` keeps every span everywhere.
    pub fn skip_unsampled_spans(mut self, skip: bool) -> Self {
        self.skip_unsampled_spans = Some(skip);
        self
    }
}
