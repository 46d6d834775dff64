//! Configuration: from the builder, then `FLOWMETER_*` environment variables, then an optional
//! TOML file, then defaults (a value set earlier in that list wins).

use std::net::SocketAddr;
use std::path::Path;

mod sampler;
mod security;

use crate::exporter::{DEFAULT_METRICS_PATH, ScrapeAuth, TlsFiles};
use crate::sampling::Sampler;
use security::RawSecurity;

pub(crate) use crate::error::config_error as error;
use crate::error::{ConfigError, Origin};
use values::{line_and_column, parse_bool, parse_listen, parse_namespace, parse_path};

/// Default listen address: loopback only, the port OpenTelemetry reserves for Prometheus.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9464";
/// Default namespace of flowmeter's own metric names.
pub const DEFAULT_NAMESPACE: &str = "flowmeter";

/// Environment variables read, with the field each sets: flowmeter's own, and
/// OpenTelemetry's two sampler variables (read and checked by flowmeter, which decides before
/// a span exists; the config file's keys are `traces_sampler` and `traces_sampler_arg`).
pub const ENV_VARS: &[(&str, &str)] = &[
    ("FLOWMETER_ENABLED", "enabled"),
    ("FLOWMETER_LISTEN", "listen"),
    ("FLOWMETER_METRICS_PATH", "metrics_path"),
    ("FLOWMETER_NAMESPACE", "namespace"),
    ("FLOWMETER_SERVE", "serve"),
    ("FLOWMETER_PROCESS_METRICS", "process_metrics"),
    ("FLOWMETER_SYSTEM_METRICS", "system_metrics"),
    ("FLOWMETER_EXEMPLARS", "exemplars"),
    ("FLOWMETER_BEARER_TOKEN", "bearer_token"),
    ("FLOWMETER_BEARER_TOKEN_FILE", "bearer_token_file"),
    ("FLOWMETER_BASIC_AUTH_USERNAME", "basic_auth_username"),
    ("FLOWMETER_BASIC_AUTH_PASSWORD", "basic_auth_password"),
    ("FLOWMETER_BASIC_AUTH_PASSWORD_FILE", "basic_auth_password_file"),
    ("FLOWMETER_TLS_CERT_FILE", "tls_cert_file"),
    ("FLOWMETER_TLS_KEY_FILE", "tls_key_file"),
    ("FLOWMETER_CONFIG", "config_file"),
    ("OTEL_TRACES_SAMPLER", "traces_sampler"),
    ("OTEL_TRACES_SAMPLER_ARG", "traces_sampler_arg"),
];

/// The cargo feature that process and system metrics need.
const SYSTEM_FEATURE: &str = "system";

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Whether anything is recorded. Default `true`. Off, instrumented code runs unchanged at
    /// the cost of two atomic loads per call, nothing is served, nothing panics.
    pub enabled: bool,
    /// Whether install starts the HTTP endpoint. Default `true`.
    pub serve: bool,
    /// Where the endpoint listens. Default `127.0.0.1:9464`. Port 0 is rejected here (a
    /// likely mistake); tests ask for an OS-chosen port with the builder's `ephemeral_port`.
    pub listen: SocketAddr,
    /// Path of the exposition. Default `/metrics`.
    pub metrics_path: String,
    /// Prefix of flowmeter's metric names. Default `flowmeter`.
    pub namespace: String,
    /// Whether the standard `process_*` metrics (CPU seconds, memory, file descriptors,
    /// threads, start time) are exported. Default `false`. Needs the `system` cargo feature
    /// and Linux.
    pub process_metrics: bool,
    /// Whether the host's `system_cpu_percent`, `system_memory_percent` and
    /// `system_disk_percent` gauges are exported. Default `false`. Needs the `system` cargo
    /// feature.
    pub system_metrics: bool,
    /// The credentials a scrape must present on every route but `/health`. Default: none.
    /// Resolved (secret files read) only while `enabled`; `Debug` never shows the secrets.
    pub auth: ScrapeAuth,
    /// The certificate and key the endpoint serves HTTPS with. Default `None`: plain HTTP.
    /// Needs the `tls` cargo feature; resolved only while `enabled`.
    pub tls: Option<TlsFiles>,
    /// Which traces are recorded (`OTEL_TRACES_SAMPLER`, with the ratio of
    /// `OTEL_TRACES_SAMPLER_ARG`). Default [`Sampler::ParentBasedAlwaysOn`]. Not used when
    /// the builder was given a [`custom_sampler`](crate::TelemetryBuilder::custom_sampler).
    pub sampler: Sampler,
    /// Whether a call that ends in a sampled span keeps its trace and span ids as the
    /// exemplar of its duration bucket, served on `/metrics` to scrapers that ask for
    /// OpenMetrics. Default `true` (so on whenever spans are sampled); `false` keeps none.
    pub exemplars: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            enabled: true,
            serve: true,
            listen: DEFAULT_LISTEN.parse().expect("valid default"),
            metrics_path: DEFAULT_METRICS_PATH.to_owned(),
            namespace: DEFAULT_NAMESPACE.to_owned(),
            process_metrics: false,
            system_metrics: false,
            auth: ScrapeAuth::new(),
            tls: None,
            sampler: Sampler::default(),
            exemplars: true,
        }
    }
}

/// Unvalidated values of one source; `None` leaves the field to the next source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RawConfig {
    pub(crate) enabled: Option<String>,
    pub(crate) serve: Option<String>,
    pub(crate) listen: Option<String>,
    pub(crate) metrics_path: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) process_metrics: Option<String>,
    pub(crate) system_metrics: Option<String>,
    pub(crate) exemplars: Option<String>,
    pub(crate) traces_sampler: Option<String>,
    pub(crate) traces_sampler_arg: Option<String>,
    /// Credentials and TLS files (`bearer_token`, ..., `tls_key_file`).
    pub(crate) security: RawSecurity,
    pub(crate) config_file: Option<String>,
    /// The 1-based line of each field a config file sets (empty for other sources).
    pub(crate) lines: Vec<(&'static str, usize)>,
}

/// The fields that hold a boolean.
const BOOLEAN_FIELDS: &[&str] =
    &["enabled", "serve", "process_metrics", "system_metrics", "exemplars"];
/// The fields that hold a number (a config file may write it bare).
const NUMBER_FIELDS: &[&str] = &["traces_sampler_arg"];
/// The fields whose value is a secret, shown as `<redacted>` in errors.
const SECRET_FIELDS: &[&str] = &["bearer_token", "basic_auth_password"];

impl RawConfig {
    /// Reads `FLOWMETER_*` variables through `get` (injectable for tests).
    pub(crate) fn from_env(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut raw = RawConfig::default();
        for (var, field) in ENV_VARS {
            if let Some(value) = get(var) {
                *raw.field_mut(field) = Some(value);
            }
        }
        raw
    }

    /// Parses a TOML file with top-level keys named like the fields. Every error names the file
    /// and the line: a syntax error (with its column), an unknown key, a value of the wrong
    /// type. The line of each value is kept, so that [`resolve`] names it too when the value
    /// itself is invalid.
    ///
    /// Boolean fields take a boolean, or a string or integer read like the environment
    /// variable (`"on"`, `1`); a number field takes a number or a string; the other fields
    /// take a string.
    pub(crate) fn from_toml(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let origin = Origin::File(path.to_owned());
        let table = toml::de::DeTable::parse(text).map_err(|e| {
            let at = e.span().map_or(0, |span| span.start);
            let (line, column) = line_and_column(text, at);
            let reason =
                format!("line {line}, column {column}: not valid TOML: {}", e.message().trim_end());
            error("config_file", &path.display().to_string(), &origin, reason)
        })?;
        // In file order, so the first problem of the file is the one reported.
        let mut entries: Vec<_> = table.into_inner().into_iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);
        let mut raw = RawConfig::default();
        for (key, value) in entries {
            let (line, _) = line_and_column(text, key.span().start);
            let Some(field) = ENV_VARS
                .iter()
                .map(|(_, f)| *f)
                .find(|f| *key.get_ref() == *f && *f != "config_file")
            else {
                let known: Vec<&str> =
                    ENV_VARS.iter().map(|(_, f)| *f).filter(|f| *f != "config_file").collect();
                let reason = format!("line {line}: unknown key (known: {})", known.join(", "));
                return Err(error("config_file", key.get_ref(), &origin, reason));
            };
            let boolean = BOOLEAN_FIELDS.contains(&field);
            let number = NUMBER_FIELDS.contains(&field);
            let source = text.get(value.span()).unwrap_or_default();
            let value_text = match value.into_inner() {
                toml::de::DeValue::String(s) => s.into_owned(),
                toml::de::DeValue::Boolean(b) if boolean => b.to_string(),
                // The literal as written (`1`, `0`): read like the environment variable.
                toml::de::DeValue::Integer(_) if boolean || number => source.to_owned(),
                toml::de::DeValue::Float(_) if number => source.to_owned(),
                other => {
                    let expected = match (boolean, number) {
                        (true, _) => "a boolean",
                        (_, true) => "a number",
                        _ => "a string",
                    };
                    // A secret of the wrong type is still a secret: never echo it.
                    let shown = if SECRET_FIELDS.contains(&field) { "<redacted>" } else { source };
                    return Err(error(
                        field,
                        shown,
                        &origin,
                        format!("line {line}: expected {expected}, found {}", other.type_str()),
                    ));
                }
            };
            *raw.field_mut(field) = Some(value_text);
            raw.lines.push((field, line));
        }
        Ok(raw)
    }

    /// The value of `field`, if this source sets it.
    fn field(&self, field: &str) -> Option<&String> {
        match field {
            "enabled" => self.enabled.as_ref(),
            "serve" => self.serve.as_ref(),
            "listen" => self.listen.as_ref(),
            "metrics_path" => self.metrics_path.as_ref(),
            "namespace" => self.namespace.as_ref(),
            "process_metrics" => self.process_metrics.as_ref(),
            "system_metrics" => self.system_metrics.as_ref(),
            "exemplars" => self.exemplars.as_ref(),
            "traces_sampler" => self.traces_sampler.as_ref(),
            "traces_sampler_arg" => self.traces_sampler_arg.as_ref(),
            "config_file" => self.config_file.as_ref(),
            other => self.security.field(other),
        }
    }

    fn field_mut(&mut self, field: &str) -> &mut Option<String> {
        match field {
            "enabled" => &mut self.enabled,
            "serve" => &mut self.serve,
            "listen" => &mut self.listen,
            "metrics_path" => &mut self.metrics_path,
            "namespace" => &mut self.namespace,
            "process_metrics" => &mut self.process_metrics,
            "system_metrics" => &mut self.system_metrics,
            "exemplars" => &mut self.exemplars,
            "traces_sampler" => &mut self.traces_sampler,
            "traces_sampler_arg" => &mut self.traces_sampler_arg,
            other => match self.security.field_mut(other) {
                Some(slot) => slot,
                None => &mut self.config_file,
            },
        }
    }
}

/// One source of values and its origin.
pub(crate) type Layer = (RawConfig, Origin);

/// What this build can collect and serve, from its cargo features and target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Collectors {
    /// `process_*` metrics: the prometheus crate's process collector reads procfs.
    pub(crate) process: bool,
    /// `system_*_percent` gauges (sysinfo).
    pub(crate) system: bool,
    /// HTTPS for the endpoint (rustls).
    pub(crate) tls: bool,
}

impl Collectors {
    /// What this build of flowmeter has.
    pub(crate) const BUILT: Collectors = Collectors {
        process: cfg!(all(feature = "system", target_os = "linux")),
        system: cfg!(feature = "system"),
        tls: cfg!(feature = "tls"),
    };
}

/// Resolves layers (highest precedence first) into a validated [`Config`].
pub(crate) fn resolve(layers: &[Layer], allow_port_zero: bool) -> Result<Config, ConfigError> {
    resolve_for(layers, allow_port_zero, Collectors::BUILT)
}

/// [`resolve`] for a build that has `available` (injectable so both answers are tested in
/// any build). An invalid value read from a config file is reported with its line.
pub(crate) fn resolve_for(
    layers: &[Layer],
    allow_port_zero: bool,
    available: Collectors,
) -> Result<Config, ConfigError> {
    resolve_fields(layers, allow_port_zero, available).map_err(|mut e| {
        if let Some(line) = line_of_error(&e, layers) {
            e.reason = format!("line {line}: {}", e.reason);
        }
        e
    })
}

/// The config file line an error is about: its field's; or, for an error about a field the
/// file lacks (``tls_cert_file` is set, so `tls_key_file` is needed too``), the line of a
/// field the reason names, else of a field of the same group (`tls_*`, `basic_*`,
/// `bearer_*`: settings that only work together). `None` for the other sources, which have
/// no lines.
fn line_of_error(e: &ConfigError, layers: &[Layer]) -> Option<usize> {
    let (raw, _) = layers.iter().find(|(_, origin)| *origin == e.origin)?;
    let line_of = |field: &str| {
        raw.field(field)?;
        raw.lines.iter().find(|(f, _)| *f == field).map(|(_, line)| *line)
    };
    fn group(field: &str) -> &str {
        field.split('_').next().unwrap_or(field)
    }
    let named = |f: &str| e.reason.contains(&format!("`{f}`"));
    line_of(e.field)
        .or_else(|| raw.lines.iter().find(|(f, _)| named(f)).map(|(_, line)| *line))
        .or_else(|| raw.lines.iter().find(|(f, _)| group(f) == group(e.field)).map(|(_, l)| *l))
}

fn resolve_fields(
    layers: &[Layer],
    allow_port_zero: bool,
    available: Collectors,
) -> Result<Config, ConfigError> {
    let pick = |get: fn(&RawConfig) -> &Option<String>| {
        layers.iter().find_map(|(raw, origin)| get(raw).as_ref().map(|v| (v.as_str(), origin)))
    };
    let mut config = Config::default();
    if let Some((v, o)) = pick(|r| &r.enabled) {
        config.enabled = parse_bool("enabled", v, o)?;
    }
    if let Some((v, o)) = pick(|r| &r.serve) {
        config.serve = parse_bool("serve", v, o)?;
    }
    if let Some((v, o)) = pick(|r| &r.listen) {
        config.listen = parse_listen(v, o, allow_port_zero)?;
    }
    if let Some((v, o)) = pick(|r| &r.metrics_path) {
        config.metrics_path = parse_path(v, o)?;
    }
    if let Some((v, o)) = pick(|r| &r.namespace) {
        config.namespace = parse_namespace(v, o)?;
    }
    if let Some((v, o)) = pick(|r| &r.process_metrics) {
        config.process_metrics = parse_bool("process_metrics", v, o)?;
        // Asked for but not built in: an error naming the feature, never a silent no-op. With
        // telemetry off nothing is collected anyway, so there is nothing to refuse.
        if config.process_metrics && config.enabled && !available.process {
            let reason = if !available.system {
                format!("needs flowmeter's `{SYSTEM_FEATURE}` cargo feature")
            } else {
                "process metrics are collected on Linux only".to_owned()
            };
            return Err(error("process_metrics", v, o, reason));
        }
    }
    if let Some((v, o)) = pick(|r| &r.system_metrics) {
        config.system_metrics = parse_bool("system_metrics", v, o)?;
        if config.system_metrics && config.enabled && !available.system {
            let reason = format!("needs flowmeter's `{SYSTEM_FEATURE}` cargo feature");
            return Err(error("system_metrics", v, o, reason));
        }
    }
    if let Some((v, o)) = pick(|r| &r.exemplars) {
        config.exemplars = parse_bool("exemplars", v, o)?;
    }
    if let Some(name) = pick(|r| &r.traces_sampler) {
        config.sampler = sampler::parse(name, pick(|r| &r.traces_sampler_arg))?;
    }
    let security = security::resolve(layers, config.enabled, available.tls)?;
    (config.auth, config.tls) = (security.auth, security.tls);
    Ok(config)
}

mod values;

#[cfg(test)]
mod tests;
