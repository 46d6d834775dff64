//! HTTPS for the endpoint (`tls` feature), over real loopback connections: a throwaway CA
//! and a server certificate for `localhost` and `127.0.0.1` made with rcgen, the endpoint
//! installed with them, and rustls clients (tokio-rustls) that trust the CA, or do not, or
//! speak plain HTTP to the TLS port. Bad certificate and key files are errors naming the file.
#![cfg(feature = "tls")]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use common::TempDir;
use flowmeter::exporter::{Endpoints, MetricsServer, ServerOptions, TlsConfig};
use flowmeter::{Error, Telemetry};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// Guards every network wait so a broken server fails the test instead of hanging it.
const HANG_GUARD: Duration = Duration::from_secs(20);

/// A CA, and a certificate it signed for `localhost` and `127.0.0.1`, as PEM files.
struct Pki {
    dir: TempDir,
    ca_pem: String,
}

impl Pki {
    fn new(tag: &str) -> Self {
        let dir = TempDir::new(tag);
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(ca_params, ca_key);

        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let server_key = KeyPair::generate().unwrap();
        let server_cert =
            CertificateParams::new(names).unwrap().signed_by(&server_key, &issuer).unwrap();
        std::fs::write(dir.path().join("ca.pem"), &ca_pem).unwrap();
        std::fs::write(dir.path().join("cert.pem"), server_cert.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), server_key.serialize_pem()).unwrap();
        Pki { dir, ca_pem }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The endpoint, installed with the fixture's certificate; the CA that signed it.
static FIXTURE: LazyLock<(Telemetry, Pki)> = LazyLock::new(|| {
    let pki = Pki::new("tls");
    let telemetry = Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .install_subscriber(false)
        .tls(pki.file("cert.pem"), pki.file("key.pem"))
        .install()
        .expect("install telemetry");
    (telemetry, pki)
});

fn addr() -> SocketAddr {
    FIXTURE.0.local_addr().expect("the fixture serves")
}

/// A rustls client trusting the PEM certificates in `roots`, offering no ALPN protocol.
fn client(roots: &str) -> TlsConnector {
    client_offering(roots, Vec::new())
}

/// A rustls client trusting `roots` and offering the `alpn` protocols.
fn client_offering(roots: &str, alpn: Vec<Vec<u8>>) -> TlsConnector {
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(roots.as_bytes()) {
        store.add(cert.unwrap()).unwrap();
    }
    let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = alpn;
    TlsConnector::from(Arc::new(config))
}

/// `GET path` over `stream`, read to the end; the status and body.
async fn get_over<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    host: &str,
    path: &str,
) -> (u16, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    // A TLS peer may close without `close_notify` after answering; what was read counts.
    let _ = stream.read_to_end(&mut raw).await;
    let raw = String::from_utf8(raw).expect("UTF-8");
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP response");
    (head[9..12].parse().expect("status"), body.to_owned())
}

/// `GET path` over HTTPS to `addr`, verifying the certificate for `server_name`.
async fn https_get(
    connector: &TlsConnector,
    addr: SocketAddr,
    server_name: &str,
    path: &str,
) -> std::io::Result<(u16, String)> {
    let exchange = async {
        let tcp = TcpStream::connect(addr).await?;
        let name = ServerName::try_from(server_name.to_owned()).expect("a server name");
        let tls = connector.connect(name, tcp).await?;
        Ok(get_over(tls, server_name, path).await)
    };
    timeout(HANG_GUARD, exchange).await.expect("the server answers")
}

#[tokio::test]
async fn a_client_trusting_the_ca_scrapes_over_https() {
    let connector = client(&FIXTURE.1.ca_pem);
    for server_name in ["localhost", "127.0.0.1"] {
        let (status, body) =
            https_get(&connector, addr(), server_name, "/metrics").await.expect("HTTPS");
        assert_eq!(status, 200, "{server_name}: {body}");
        assert!(common::parse(&body).types.contains_key("target_info"), "{body}");
        common::promtool_check_metrics(&body);
        let (status, body) = https_get(&connector, addr(), server_name, "/health").await.unwrap();
        assert_eq!((status, body.as_str()), (200, "ok"));
    }
    // As Go's client (Prometheus) offers them: HTTP/1.1 is chosen.
    let alpn = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let connector = client_offering(&FIXTURE.1.ca_pem, alpn);
    let tcp = TcpStream::connect(addr()).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = timeout(HANG_GUARD, connector.connect(name, tcp)).await.unwrap().unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(get_over(tls, "localhost", "/health").await.0, 200);

    let server = FIXTURE.0.server().expect("serving");
    assert_eq!(server.scheme(), "https");
    assert_eq!(server.metrics_url(), format!("https://{}/metrics", addr()));
    // The guard's URL is the server's, scheme included.
    assert_eq!(FIXTURE.0.metrics_url(), Some(server.metrics_url()));
}

#[tokio::test]
async fn a_client_not_trusting_the_ca_is_refused_and_others_are_still_served() {
    let stranger = Pki::new("tls-stranger");
    let error = https_get(&client(&stranger.ca_pem), addr(), "localhost", "/metrics")
        .await
        .expect_err("an unknown issuer is refused");
    assert!(error.to_string().to_lowercase().contains("certificate"), "{error}");
    let trusted = client(&FIXTURE.1.ca_pem);
    assert_eq!(https_get(&trusted, addr(), "localhost", "/health").await.unwrap().0, 200);
}

#[tokio::test]
async fn plain_http_to_the_tls_port_fails_cleanly() {
    let mut tcp = TcpStream::connect(addr()).await.unwrap();
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", addr());
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let read = timeout(HANG_GUARD, tcp.read_to_end(&mut raw)).await.expect("closed, not hung");
    // The server closes the connection, at most after a TLS alert record (content type 21):
    // never an HTTP answer, never metrics.
    if read.is_ok() {
        assert!(raw.is_empty() || raw[0] == 21, "{}", String::from_utf8_lossy(&raw));
        assert!(!String::from_utf8_lossy(&raw).contains("target_info"));
    }
    let trusted = client(&FIXTURE.1.ca_pem);
    assert_eq!(https_get(&trusted, addr(), "localhost", "/metrics").await.unwrap().0, 200);
}

#[tokio::test]
async fn a_client_that_never_handshakes_is_cut_off() {
    let pki = &FIXTURE.1;
    let tls = TlsConfig::from_pem_files(pki.file("cert.pem"), pki.file("key.pem")).unwrap();
    let options = ServerOptions::default().tls(tls).header_read_timeout(Duration::from_millis(300));
    let server = MetricsServer::bind_with("127.0.0.1:0".parse().unwrap(), "/metrics", options)
        .expect("bind");
    let addr = server.start().expect("start");
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut raw = Vec::new();
    let read = timeout(HANG_GUARD, silent.read_to_end(&mut raw)).await;
    assert!(read.is_ok(), "the silent client is disconnected");
    assert!(raw.is_empty(), "{raw:?}");
    let trusted = client(&pki.ca_pem);
    assert_eq!(https_get(&trusted, addr, "localhost", "/health").await.unwrap().0, 200);
    server.shutdown();
}

#[tokio::test]
async fn credentials_and_tls_together() {
    let pki = &FIXTURE.1;
    let tls = TlsConfig::from_pem_files(pki.file("cert.pem"), pki.file("key.pem")).unwrap();
    let endpoints = Endpoints::new("/metrics").bearer_token("over-tls");
    let server = MetricsServer::bind_endpoints(
        "127.0.0.1:0".parse().unwrap(),
        endpoints,
        ServerOptions::default().tls(tls),
    )
    .expect("bind");
    let addr = server.start().expect("start");
    let trusted = client(&pki.ca_pem);
    assert_eq!(https_get(&trusted, addr, "localhost", "/metrics").await.unwrap().0, 401);
    let authorized = async {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut tls = trusted.connect(ServerName::try_from("localhost").unwrap(), tcp).await?;
        let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer over-tls\r\n\
                       Connection: close\r\n\r\n";
        tls.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        let _ = tls.read_to_end(&mut raw).await;
        std::io::Result::Ok(raw)
    };
    let raw = timeout(HANG_GUARD, authorized).await.expect("answered").unwrap();
    assert!(raw.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&raw));
    server.shutdown();
}

/// The file an [`Error::Tls`] names.
fn failing_file(result: Result<TlsConfig, Error>) -> (PathBuf, String) {
    match result {
        Err(Error::Tls { file, reason }) => (file, reason),
        other => panic!("expected Error::Tls, got {other:?}"),
    }
}

#[test]
fn bad_certificate_and_key_files_are_errors_naming_the_file() {
    let pki = Pki::new("tls-bad");
    let other = Pki::new("tls-other");
    let (cert, key) = (pki.file("cert.pem"), pki.file("key.pem"));
    let missing = pki.file("missing.pem");
    let garbage = pki.file("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();

    let cases: [(&Path, &Path, &Path, &str); 5] = [
        (&missing, &key, &missing, "cannot read"),
        (&cert, &missing, &missing, "cannot read"),
        (&garbage, &key, &garbage, "no certificate"),
        (&key, &key, &key, "no certificate"),
        (&cert, &garbage, &garbage, "no private key"),
    ];
    for (cert_file, key_file, named, reason) in cases {
        let (file, why) = failing_file(TlsConfig::from_pem_files(cert_file, key_file));
        assert_eq!(file, named, "{cert_file:?} + {key_file:?}");
        assert!(why.contains(reason), "{why}");
    }

    // A key that is not the certificate's: the key file is named, its contents never shown.
    let (file, reason) = failing_file(TlsConfig::from_pem_files(&cert, other.file("key.pem")));
    assert_eq!(file, other.file("key.pem"));
    let key_text = std::fs::read_to_string(other.file("key.pem")).unwrap();
    let key_body = key_text.lines().nth(1).unwrap();
    assert!(!reason.contains(key_body), "{reason}");

    // Through the builder: the install fails naming the file, before anything is installed.
    let error = Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .tls(&missing, &key)
        .install()
        .expect_err("a missing certificate is refused");
    assert!(matches!(&error, Error::Tls { file, .. } if *file == missing), "{error:?}");
    assert!(error.to_string().contains(&missing.display().to_string()), "{error}");
}
