//! [`OtlpConfig`]: where and how spans and metrics are pushed, from the builder or the
//! standard `OTEL_EXPORTER_OTLP_*` variables, resolved per signal into what the exporters get.

use std::time::Duration;

use super::headers::{is_header_name, is_header_value, parse_headers, redact_headers};
use crate::error::config_error as error;
use crate::error::{ConfigError, Origin};

/// Default export timeout (the OTLP exporter specification's 10 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default interval between two metric exports (the SDK's and the specification's 60 s).
pub const DEFAULT_METRIC_EXPORT_INTERVAL: Duration = Duration::from_secs(60);
/// Default gRPC endpoint (the specification's).
pub const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";
/// Default HTTP/protobuf base endpoint (the specification's); `/v1/traces` and `/v1/metrics`
/// are appended.
pub const DEFAULT_HTTP_ENDPOINT: &str = "http://localhost:4318";

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC (`grpc`), through tonic; default port 4317.
    Grpc,
    /// OTLP/HTTP with protobuf bodies (`http/protobuf`), the specification's default; default
    /// port 4318.
    HttpProtobuf,
}

impl Protocol {
    /// The value the `OTEL_EXPORTER_OTLP_PROTOCOL` variable uses for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
        }
    }

    fn parse(value: &str) -> Result<Self, String> {
        match value.trim() {
            "grpc" => Ok(Protocol::Grpc),
            "http/protobuf" => Ok(Protocol::HttpProtobuf),
            "http/json" => Err("http/json is not supported; use grpc or http/protobuf".into()),
            _ => Err("expected grpc or http/protobuf".into()),
        }
    }
}

/// What is exported: spans or metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Spans, through a batch span processor.
    Traces,
    /// Metrics, through a periodic reader on the same meter provider as the Prometheus bridge.
    Metrics,
}

impl Signal {
    /// `traces` or `metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
        }
    }

    /// The path OTLP/HTTP appends to a base endpoint.
    fn http_path(self) -> &'static str {
        match self {
            Signal::Traces => "/v1/traces",
            Signal::Metrics => "/v1/metrics",
        }
    }

    /// `(signal-specific, generic)` variable names of each setting.
    fn vars(self) -> SignalVars {
        match self {
            Signal::Traces => SignalVars {
                exporter: "OTEL_TRACES_EXPORTER",
                endpoint: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                protocol: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                timeout: "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
                headers: "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            },
            Signal::Metrics => SignalVars {
                exporter: "OTEL_METRICS_EXPORTER",
                endpoint: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                protocol: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
                timeout: "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
                headers: "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
            },
        }
    }
}

struct SignalVars {
    exporter: &'static str,
    endpoint: &'static str,
    protocol: &'static str,
    timeout: &'static str,
    headers: &'static str,
}

const ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
const PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
const TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
const HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
const METRIC_EXPORT_INTERVAL: &str = "OTEL_METRIC_EXPORT_INTERVAL";

/// OTLP export of spans and metrics, for
/// [`TelemetryBuilder::otlp`](crate::TelemetryBuilder::otlp). Every setting left unset here
/// is read from its standard environment variable, then defaults.
///
/// Without this builder option, OTLP is on for a signal only when the environment asks for
/// it: `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT` is set,
/// or `OTEL_{TRACES,METRICS}_EXPORTER=otlp`; `OTEL_{TRACES,METRICS}_EXPORTER=none` turns it
/// off. See the [module docs](crate::otlp) for the variables.
///
/// ```
/// use std::time::Duration;
/// use flowmeter::otlp::{OtlpConfig, Protocol};
///
/// let otlp = OtlpConfig::new()
///     .endpoint("http://127.0.0.1:4317")
///     .protocol(Protocol::Grpc)
///     .timeout(Duration::from_secs(3))
///     .header("x-tenant", "team-a");
/// # let _ = otlp;
/// ```
#[derive(Debug, Clone)]
#[must_use = "pass it to TelemetryBuilder::otlp"]
pub struct OtlpConfig {
    endpoint: Option<String>,
    protocol: Option<Protocol>,
    timeout: Option<Duration>,
    headers: Vec<(String, String)>,
    traces: bool,
    metrics: bool,
    metric_export_interval: Option<Duration>,
    max_queue_size: Option<usize>,
}

impl Default for OtlpConfig {
    fn default() -> Self {
        OtlpConfig::new()
    }
}

impl OtlpConfig {
    /// Exports spans and metrics; every other setting from the environment or its default.
    pub fn new() -> Self {
        OtlpConfig {
            endpoint: None,
            protocol: None,
            timeout: None,
            headers: Vec::new(),
            traces: true,
            metrics: true,
            metric_export_interval: None,
            max_queue_size: None,
        }
    }

    /// The collector's base URL (`http://HOST:PORT`); with HTTP/protobuf, `/v1/traces` and
    /// `/v1/metrics` are appended. Default: `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT`
    /// (used as is), then `OTEL_EXPORTER_OTLP_ENDPOINT`, then `http://localhost:4317` (gRPC)
    /// or `http://localhost:4318` (HTTP).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The transport. Default: `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL`, then
    /// `OTEL_EXPORTER_OTLP_PROTOCOL`, then [`Protocol::HttpProtobuf`] (the specification's).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// How long one export may take before it is abandoned. Default:
    /// `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_TIMEOUT`, then `OTEL_EXPORTER_OTLP_TIMEOUT` (both
    /// in milliseconds), then 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// A header sent with every export (for example a tenant or an API key). Added to those of
    /// `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_HEADERS` or else `OTEL_EXPORTER_OTLP_HEADERS`
    /// (`key=value,key2=value2`, values percent-encoded). Default: none.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Whether spans are exported. Default `true`.
    pub fn traces(mut self, on: bool) -> Self {
        self.traces = on;
        self
    }

    /// Whether metrics are exported (the Prometheus endpoint is unaffected). Default `true`.
    pub fn metrics(mut self, on: bool) -> Self {
        self.metrics = on;
        self
    }

    /// Time between two metric exports. Default: `OTEL_METRIC_EXPORT_INTERVAL`
    /// (milliseconds), then 60 s. The last values are also exported at shutdown.
    pub fn metric_export_interval(mut self, interval: Duration) -> Self {
        self.metric_export_interval = Some(interval);
        self
    }

    /// The most finished spans waiting for export; spans ending while it is full are dropped
    /// (and counted), never buffered without bound. Default: `OTEL_BSP_MAX_QUEUE_SIZE`, then
    /// 2048 (the SDK's).
    pub fn max_queue_size(mut self, spans: usize) -> Self {
        self.max_queue_size = Some(spans);
        self
    }
}

/// Where and how one signal is exported, fully resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignalExport {
    pub(crate) signal: Signal,
    /// The URL the exporter is given: for HTTP, the full `/v1/...` URL.
    pub(crate) endpoint: String,
    pub(crate) protocol: Protocol,
    pub(crate) timeout: Duration,
    pub(crate) headers: Vec<(String, String)>,
}

/// The resolved OTLP configuration: `None` per signal that is not exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedOtlp {
    pub(crate) traces: Option<SignalExport>,
    pub(crate) metrics: Option<SignalExport>,
    pub(crate) metric_export_interval: Duration,
    pub(crate) max_queue_size: Option<usize>,
}

/// Resolves the builder's configuration (if any) over the environment. `Ok(None)` when
/// neither asks for OTLP.
pub(crate) fn resolve(
    builder: Option<&OtlpConfig>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ResolvedOtlp>, ConfigError> {
    // Empty variables count as unset, as the specification says.
    let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let traces = resolve_signal(Signal::Traces, builder, &env)?;
    let metrics = resolve_signal(Signal::Metrics, builder, &env)?;
    if traces.is_none() && metrics.is_none() {
        return Ok(None);
    }
    let metric_export_interval = match builder.and_then(|b| b.metric_export_interval) {
        Some(interval) => positive(interval, "otlp.metric_export_interval")?,
        None => env_millis(&env, &[METRIC_EXPORT_INTERVAL], "otlp.metric_export_interval")?
            .unwrap_or(DEFAULT_METRIC_EXPORT_INTERVAL),
    };
    let max_queue_size = builder.and_then(|b| b.max_queue_size);
    if max_queue_size == Some(0) {
        return Err(builder_error("otlp.max_queue_size", "0", "must be at least 1"));
    }
    Ok(Some(ResolvedOtlp { traces, metrics, metric_export_interval, max_queue_size }))
}

fn resolve_signal(
    signal: Signal,
    builder: Option<&OtlpConfig>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<SignalExport>, ConfigError> {
    let vars = signal.vars();
    let on = match builder {
        Some(config) => match signal {
            Signal::Traces => config.traces,
            Signal::Metrics => config.metrics,
        },
        None => match env(vars.exporter).as_deref().map(str::trim) {
            Some("otlp") => true,
            Some("none") => false,
            Some(other) => {
                return Err(env_error(
                    "otlp.exporter",
                    other,
                    vars.exporter,
                    "flowmeter exports otlp or none",
                ));
            }
            None => env(vars.endpoint).is_some() || env(ENDPOINT).is_some(),
        },
    };
    if !on {
        return Ok(None);
    }

    let protocol = match builder.and_then(|b| b.protocol) {
        Some(protocol) => protocol,
        None => match first_env(env, &[vars.protocol, PROTOCOL]) {
            Some((var, value)) => Protocol::parse(&value)
                .map_err(|reason| env_error("otlp.protocol", &value, var, reason))?,
            None => Protocol::HttpProtobuf,
        },
    };
    let endpoint = resolve_endpoint(signal, protocol, builder, env, &vars)?;
    let timeout = match builder.and_then(|b| b.timeout) {
        Some(timeout) => positive(timeout, "otlp.timeout")?,
        None => {
            env_millis(env, &[vars.timeout, TIMEOUT], "otlp.timeout")?.unwrap_or(DEFAULT_TIMEOUT)
        }
    };
    let mut headers = match first_env(env, &[vars.headers, HEADERS]) {
        Some((var, value)) => parse_headers(&value)
            .map_err(|reason| env_error("otlp.headers", &redact_headers(&value), var, reason))?,
        None => Vec::new(),
    };
    if let Some(config) = builder {
        for (name, value) in &config.headers {
            if !is_header_name(name) {
                return Err(builder_error("otlp.headers", name, "not a valid header name"));
            }
            if !is_header_value(value) {
                // The name is shown, never the value (often a credential).
                return Err(builder_error("otlp.headers", name, "not a valid header value"));
            }
            headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
            headers.push((name.clone(), value.clone()));
        }
    }
    Ok(Some(SignalExport { signal, endpoint, protocol, timeout, headers }))
}

fn resolve_endpoint(
    signal: Signal,
    protocol: Protocol,
    builder: Option<&OtlpConfig>,
    env: &dyn Fn(&str) -> Option<String>,
    vars: &SignalVars,
) -> Result<String, ConfigError> {
    // A signal-specific URL is used as is; a base URL gets the signal's path under HTTP.
    let with_path = |base: &str| match protocol {
        Protocol::Grpc => base.to_owned(),
        Protocol::HttpProtobuf => format!("{}{}", base.trim_end_matches('/'), signal.http_path()),
    };
    let (url, origin) = if let Some(url) = builder.and_then(|b| b.endpoint.clone()) {
        (with_path(&url), Origin::Builder)
    } else if let Some(url) = env(vars.endpoint) {
        (url.trim().to_owned(), Origin::Env(vars.endpoint))
    } else if let Some(url) = env(ENDPOINT) {
        (with_path(url.trim()), Origin::Env(ENDPOINT))
    } else {
        let default = match protocol {
            Protocol::Grpc => DEFAULT_GRPC_ENDPOINT,
            Protocol::HttpProtobuf => DEFAULT_HTTP_ENDPOINT,
        };
        return Ok(with_path(default));
    };
    check_url(&url).map_err(|reason| error("otlp.endpoint", &url, &origin, reason))?;
    Ok(url)
}

fn check_url(url: &str) -> Result<(), String> {
    let uri: hyper::Uri =
        url.parse().map_err(|e| format!("not a URL ({e}); expected http://HOST:PORT"))?;
    match uri.scheme_str() {
        Some("http") if uri.authority().is_some() => Ok(()),
        Some("http") => Err("the URL has no host".into()),
        Some("https") => Err("https needs TLS, which flowmeter's OTLP exporter does not \
                              include yet; send to a local collector over http"
            .into()),
        _ => Err("expected an http://HOST:PORT URL".into()),
    }
}

/// The first set variable of `names`, with its name.
fn first_env(
    env: &dyn Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> Option<(&'static str, String)> {
    names.iter().find_map(|name| env(name).map(|value| (*name, value)))
}

/// A duration in whole milliseconds, as the specification writes every OTLP timeout.
fn env_millis(
    env: &dyn Fn(&str) -> Option<String>,
    names: &[&'static str],
    field: &'static str,
) -> Result<Option<Duration>, ConfigError> {
    let Some((var, value)) = first_env(env, names) else { return Ok(None) };
    match value.trim().parse::<u64>() {
        Ok(0) => Err(env_error(field, &value, var, "must be at least 1 (milliseconds)")),
        Ok(millis) => Ok(Some(Duration::from_millis(millis))),
        Err(_) => Err(env_error(field, &value, var, "expected whole milliseconds, e.g. 10000")),
    }
}

fn positive(duration: Duration, field: &'static str) -> Result<Duration, ConfigError> {
    if duration.is_zero() {
        Err(builder_error(field, "0s", "must be longer than zero"))
    } else {
        Ok(duration)
    }
}

fn env_error(
    field: &'static str,
    value: &str,
    var: &'static str,
    reason: impl Into<String>,
) -> ConfigError {
    error(field, value, &Origin::Env(var), reason)
}

fn builder_error(field: &'static str, value: &str, reason: &str) -> ConfigError {
    error(field, value, &Origin::Builder, reason)
}

#[cfg(test)]
mod tests;
