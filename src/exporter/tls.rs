//! HTTPS for the endpoint: [`TlsFiles`] (where the certificate and key are, in every build)
//! and, with the `tls` cargo feature, [`TlsConfig`] (them loaded into rustls).

use std::path::PathBuf;

/// The PEM files the endpoint serves HTTPS with: the certificate chain (the server's
/// certificate first, then any intermediates) and its private key (PKCS#8, PKCS#1 or SEC1).
/// Set by [`TelemetryBuilder::tls`](crate::TelemetryBuilder::tls), `FLOWMETER_TLS_CERT_FILE`
/// and `FLOWMETER_TLS_KEY_FILE`, or the config keys `tls_cert_file` and `tls_key_file`.
///
/// Prometheus scrapes it with `scheme: https` and `tls_config: { ca_file: <the CA that
/// signed the certificate> }`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsFiles {
    /// The certificate chain, PEM.
    pub cert_file: PathBuf,
    /// The private key, PEM.
    pub key_file: PathBuf,
}

#[cfg(feature = "tls")]
pub use loaded::TlsConfig;

#[cfg(feature = "tls")]
mod loaded {
    use std::fmt;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use tokio_rustls::TlsAcceptor;
    use tokio_rustls::rustls::ServerConfig;
    use tokio_rustls::rustls::crypto::ring;
    use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

    use super::TlsFiles;
    use crate::error::Error;

    /// A certificate chain and key loaded into a rustls server configuration (`tls` cargo
    /// feature): TLS 1.3 and 1.2 with rustls's safe defaults and the `ring` provider,
    /// ALPN `http/1.1`, no client certificates. Give it to
    /// [`ServerOptions::tls`](crate::exporter::ServerOptions::tls); the builder does so
    /// from its [`tls`](crate::TelemetryBuilder::tls) option.
    ///
    /// The files are read once, here; replacing them later takes a restart.
    ///
    /// ```no_run
    /// use flowmeter::exporter::{MetricsServer, ServerOptions, TlsConfig};
    ///
    /// # fn main() -> Result<(), flowmeter::Error> {
    /// let tls = TlsConfig::from_pem_files("/etc/flowmeter/cert.pem", "/etc/flowmeter/key.pem")?;
    /// let options = ServerOptions::default().tls(tls);
    /// let server = MetricsServer::bind_with("127.0.0.1:9464".parse().unwrap(), "/metrics", options)?;
    /// server.start()?; // https://127.0.0.1:9464/metrics
    /// # Ok(()) }
    /// ```
    #[derive(Clone)]
    pub struct TlsConfig {
        files: TlsFiles,
        config: Arc<ServerConfig>,
    }

    impl TlsConfig {
        /// Loads the certificate chain from `cert_file` and the private key from `key_file`.
        ///
        /// # Errors
        /// [`Error::Tls`], naming the file at fault, when a file cannot be read, holds no
        /// PEM certificate (or key), or when the key does not match the certificate (the key
        /// file is named) or is of a kind rustls cannot use.
        pub fn from_pem_files(
            cert_file: impl Into<PathBuf>,
            key_file: impl Into<PathBuf>,
        ) -> Result<Self, Error> {
            Self::load(&TlsFiles { cert_file: cert_file.into(), key_file: key_file.into() })
        }

        /// [`from_pem_files`](Self::from_pem_files) for configured [`TlsFiles`].
        ///
        /// # Errors
        /// As [`from_pem_files`](Self::from_pem_files).
        pub fn load(files: &TlsFiles) -> Result<Self, Error> {
            let certs = read_certificates(&files.cert_file)?;
            let key = read_private_key(&files.key_file)?;
            let builder = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| tls_error(&files.cert_file, e.to_string()))?
                .with_no_client_auth();
            let mut config = builder.with_single_cert(certs, key).map_err(|e| {
                let cert = files.cert_file.display();
                tls_error(&files.key_file, format!("not usable with the certificate {cert}: {e}"))
            })?;
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Ok(TlsConfig { files: files.clone(), config: Arc::new(config) })
        }

        /// The files it was loaded from.
        pub fn files(&self) -> &TlsFiles {
            &self.files
        }

        pub(crate) fn acceptor(&self) -> TlsAcceptor {
            TlsAcceptor::from(Arc::clone(&self.config))
        }
    }

    impl fmt::Debug for TlsConfig {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            // The files, never the key material.
            f.debug_struct("TlsConfig")
                .field("cert_file", &self.files.cert_file)
                .field("key_file", &self.files.key_file)
                .finish_non_exhaustive()
        }
    }

    /// Equal when it is the same load (clones of one `TlsConfig`): two loads of the same
    /// files may differ if the files changed in between.
    impl PartialEq for TlsConfig {
        fn eq(&self, other: &Self) -> bool {
            Arc::ptr_eq(&self.config, &other.config)
        }
    }

    impl Eq for TlsConfig {}

    fn tls_error(file: &Path, reason: String) -> Error {
        Error::Tls { file: file.to_owned(), reason }
    }

    fn read(file: &Path) -> Result<Vec<u8>, Error> {
        std::fs::read(file).map_err(|e| tls_error(file, format!("cannot read it: {e}")))
    }

    fn read_certificates(file: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
        let pem = read(file)?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, pem::Error>>()
            .map_err(|e| tls_error(file, format!("not valid PEM: {e}")))?;
        if certs.is_empty() {
            let reason = "no certificate in it (expected PEM `-----BEGIN CERTIFICATE-----`)";
            return Err(tls_error(file, reason.into()));
        }
        Ok(certs)
    }

    fn read_private_key(file: &Path) -> Result<PrivateKeyDer<'static>, Error> {
        let pem = read(file)?;
        PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
            let reason = match e {
                pem::Error::NoItemsFound => {
                    "no private key in it (expected PEM `-----BEGIN PRIVATE KEY-----`, \
                     `RSA PRIVATE KEY` or `EC PRIVATE KEY`)"
                        .to_owned()
                }
                // The parser's detail may quote bytes of the file; a key's are never shown.
                _ => "not valid PEM".to_owned(),
            };
            tls_error(file, reason)
        })
    }
}
