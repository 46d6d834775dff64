//! Errors of installing and serving telemetry.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Why telemetry could not be installed or served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is invalid; the error names the field, the value and where it
    /// came from.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Telemetry is installed once per process; this was a second install.
    #[error(
        "flowmeter telemetry is already installed in this process (install it once, at startup, and keep the guard)"
    )]
    AlreadyInstalled,
    /// The metrics endpoint could not listen on its address.
    #[error("cannot listen on {addr} for the metrics endpoint: {source}")]
    Bind {
        /// The address that could not be bound.
        addr: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The endpoint was bound but could not be served: its thread or runtime could not be
    /// created, or it was already shut down.
    #[error("cannot serve the metrics endpoint on {addr}: {source}")]
    Serve {
        /// The bound address.
        addr: SocketAddr,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The endpoint's TLS certificate or private key could not be loaded (`tls` cargo
    /// feature): unreadable, not PEM, or a key that does not match the certificate. Never
    /// shows key material.
    #[error("cannot use {} for the metrics endpoint's TLS: {reason}", file.display())]
    Tls {
        /// The certificate or key file at fault.
        file: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The OpenTelemetry SDK refused the pipeline.
    #[error("OpenTelemetry pipeline: {0}")]
    OpenTelemetry(String),
}

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A builder method.
    Builder,
    /// An environment variable.
    Env(&'static str),
    /// A config file.
    File(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builder => f.write_str("the builder"),
            Origin::Env(var) => write!(f, "environment variable {var}"),
            Origin::File(path) => write!(f, "config file {}", path.display()),
        }
    }
}

/// An invalid configuration value: names the field, the value and its origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{field}` = {value:?} from {origin}: {reason}")]
#[non_exhaustive]
pub struct ConfigError {
    /// The field (`listen`, `metrics_path`, `namespace`, `enabled`, `serve`,
    /// `process_metrics`, `system_metrics`, `bearer_token[_file]`, `basic_auth_username`,
    /// `basic_auth_password[_file]`, `tls_cert_file`, `tls_key_file`, `config_file`,
    /// `cardinality_limit`, `traces_sampler`, `traces_sampler_arg`).
    pub field: &'static str,
    /// The rejected value as given; a secret shows as `<redacted>`, a secret file by path.
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
    /// What is wrong with it.
    pub reason: String,
}

/// A [`ConfigError`] for `field` = `value` from `origin`: the one constructor every
/// configuration check uses (the config file and its fields, the builder's own checks, the
/// security settings and the OTLP settings).
pub(crate) fn config_error(
    field: &'static str,
    value: &str,
    origin: &Origin,
    reason: impl Into<String>,
) -> ConfigError {
    ConfigError { field, value: value.to_owned(), origin: origin.clone(), reason: reason.into() }
}
