//! Errors of installing and serving telemetry.

use std::net::SocketAddr;
use std::path::PathBuf;

pub use crate::telemetry::config::{ConfigError, Origin};

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
