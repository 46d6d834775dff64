//! Scrape authentication over real loopback HTTP: the built-in endpoint installed with a
//! bearer token and basic credentials (both read from files), `Endpoints` mounted in an
//! application's own hyper server and axum router with credentials of their own, and secrets
//! kept out of `Debug` output, errors and the served documents.

mod common;

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::TempDir;
use flowmeter::exporter::{Endpoints, MetricsServer, ScrapeAuth, ServerOptions};
use flowmeter::{Error, Telemetry};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const TOKEN: &str = "bearer-Zq8vW3xY-token";
const USER: &str = "prometheus";
const PASSWORD: &str = "basic-Kp4rT7nM-password";

/// Installed with both schemes, each secret read from a file (with the trailing newline
/// editors add, which is trimmed).
static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    let secrets = TempDir::new("auth");
    let token_file = secrets.path().join("token");
    let password_file = secrets.path().join("password");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .install_subscriber(false)
        .bearer_token_file(&token_file)
        .basic_auth_file(USER, &password_file)
        .install()
        .expect("install telemetry")
});

/// Guards every network wait so a broken server fails the test instead of hanging it.
const HANG_GUARD: Duration = Duration::from_secs(20);

const DATA_ROUTES: [&str; 4] = ["/metrics", "/catalog", "/metadata", "/summary"];

fn addr() -> SocketAddr {
    TELEMETRY.local_addr().expect("the fixture serves")
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", BASE64.encode(format!("{user}:{password}")))
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn all(&self, name: &str) -> Vec<&str> {
        let named = self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name));
        named.map(|(_, v)| v.as_str()).collect()
    }
}

/// `method path` with an optional `Authorization` header, `Connection: close`.
async fn send(addr: SocketAddr, method: &str, path: &str, authorization: Option<&str>) -> Response {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let auth = authorization.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
        let request =
            format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        raw
    };
    let raw = timeout(HANG_GUARD, exchange).await.expect("the server answers");
    let raw = String::from_utf8(raw).expect("UTF-8");
    let (head, body) = raw.split_once("\r\n\r\n").expect("header/body separator");
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Response { status, headers, body: body.to_owned() }
}

async fn get(addr: SocketAddr, path: &str, authorization: Option<&str>) -> Response {
    send(addr, "GET", path, authorization).await
}

#[tokio::test]
async fn data_routes_refuse_missing_or_wrong_credentials_with_a_challenge() {
    let wrong = [
        None,
        Some(bearer("not-the-token")),
        Some(bearer(&TOKEN[..TOKEN.len() - 1])),
        Some(bearer(&format!("{TOKEN}x"))),
        Some(basic(USER, "not-the-password")),
        Some(basic("someone-else", PASSWORD)),
        Some(format!("Basic {}", BASE64.encode(TOKEN))),
        Some(format!("Basic {TOKEN}")),
        Some(format!("Token {TOKEN}")),
        Some("Basic !!!not-base64!!!".to_owned()),
    ];
    for path in DATA_ROUTES {
        for authorization in &wrong {
            let response = get(addr(), path, authorization.as_deref()).await;
            assert_eq!(response.status, 401, "{path} with {authorization:?}: {response:?}");
            assert_eq!(
                response.all("www-authenticate"),
                [r#"Bearer realm="flowmeter""#, r#"Basic realm="flowmeter", charset="UTF-8""#],
                "{path}"
            );
            assert!(!response.body.contains("target_info"), "{path}: {}", response.body);
        }
        let head = send(addr(), "HEAD", path, None).await;
        assert_eq!((head.status, head.body.as_str()), (401, ""), "HEAD {path}");
    }
}

#[tokio::test]
async fn the_right_credentials_of_either_scheme_are_answered() {
    for authorization in [bearer(TOKEN), format!("bearer {TOKEN}"), basic(USER, PASSWORD)] {
        let metrics = get(addr(), "/metrics", Some(&authorization)).await;
        assert_eq!(metrics.status, 200, "{authorization}: {metrics:?}");
        assert!(common::parse(&metrics.body).types.contains_key("target_info"));
        for path in ["/catalog", "/metadata", "/summary"] {
            let response = get(addr(), path, Some(&authorization)).await;
            assert_eq!(response.status, 200, "{path}: {response:?}");
            serde_json::from_str::<serde_json::Value>(&response.body).expect("JSON");
            assert!(!response.body.contains(TOKEN) && !response.body.contains(PASSWORD));
        }
        assert!(!metrics.body.contains(TOKEN) && !metrics.body.contains(PASSWORD));
    }
}

#[tokio::test]
async fn health_stays_open_and_unknown_paths_and_methods_say_so() {
    let health = get(addr(), "/health", None).await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    assert_eq!(get(addr(), "/nope", None).await.status, 404);
    // A method check never lets an unauthenticated client past the credentials.
    assert_eq!(send(addr(), "DELETE", "/metrics", None).await.status, 401);
    let post = send(addr(), "DELETE", "/metrics", Some(&bearer(TOKEN))).await;
    assert_eq!(post.status, 405);
}

/// Serves `endpoints` with a plain hyper 1 connection loop, as an application would.
async fn serve_in_own_hyper_server(endpoints: Endpoints) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let endpoints = endpoints.clone();
            tokio::spawn(async move {
                let io = TokioIo::new(stream);
                let _ = http1::Builder::new().serve_connection(io, endpoints).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn endpoints_mounted_in_an_own_server_enforce_their_credentials() {
    LazyLock::force(&TELEMETRY);
    let endpoints = Endpoints::new("/internal/metrics").bearer_token("mounted-token");
    let addr = serve_in_own_hyper_server(endpoints).await;
    let refused = get(addr, "/internal/metrics", None).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.all("www-authenticate"), [r#"Bearer realm="flowmeter""#]);
    // The installed pipeline's credentials are not the mounted endpoints' credentials.
    assert_eq!(get(addr, "/internal/metrics", Some(&bearer(TOKEN))).await.status, 401);
    let served = get(addr, "/internal/metrics", Some(&bearer("mounted-token"))).await;
    assert_eq!(served.status, 200, "{served:?}");
    assert_eq!(get(addr, "/health", None).await.status, 200);

    // A second built-in server with basic credentials only.
    let endpoints = Endpoints::new("/metrics").basic_auth("ops", "ops-password");
    let server = MetricsServer::bind_endpoints(
        "127.0.0.1:0".parse().unwrap(),
        endpoints,
        ServerOptions::default(),
    )
    .expect("bind");
    let addr = server.start().expect("start");
    let refused = get(addr, "/metrics", Some(&bearer("ops-password"))).await;
    assert_eq!(refused.all("www-authenticate"), [r#"Basic realm="flowmeter", charset="UTF-8""#]);
    assert_eq!(get(addr, "/metrics", Some(&basic("ops", "ops-password"))).await.status, 200);
    assert!(server.endpoints().scrape_auth().is_required());
    server.shutdown();
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn the_axum_router_enforces_the_endpoints_credentials() {
    LazyLock::force(&TELEMETRY);
    let endpoints = Endpoints::new("/internal/metrics").basic_auth("ops", "axum-password");
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "home" }))
        .merge(flowmeter::exporter::axum::router(endpoints));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    assert_eq!(get(addr, "/", None).await.status, 200, "the application's own route is open");
    for path in ["/internal/metrics", "/summary"] {
        assert_eq!(get(addr, path, None).await.status, 401, "{path}");
        let served = get(addr, path, Some(&basic("ops", "axum-password"))).await;
        assert_eq!(served.status, 200, "{path}");
    }
    assert_eq!(get(addr, "/health", None).await.status, 200);
    server.abort();
}

#[test]
fn secrets_never_appear_in_debug_output_or_errors() {
    LazyLock::force(&TELEMETRY);
    let builder = Telemetry::builder().bearer_token(TOKEN).basic_auth(USER, PASSWORD);
    let endpoints = Endpoints::new("/m").bearer_token(TOKEN).basic_auth(USER, PASSWORD);
    let auth = ScrapeAuth::new().bearer_token(TOKEN).basic_auth(USER, PASSWORD);
    let server = MetricsServer::bind_endpoints(
        "127.0.0.1:0".parse().unwrap(),
        endpoints.clone(),
        ServerOptions::default(),
    )
    .unwrap();
    let debug = [
        format!("{builder:?}"),
        format!("{endpoints:?}"),
        format!("{auth:#?}"),
        format!("{server:?}"),
        format!("{:?}", *TELEMETRY),
        format!("{:?}", TELEMETRY.config()),
    ];
    for text in &debug {
        assert!(!text.contains(TOKEN) && !text.contains(PASSWORD), "{text}");
    }
    assert!(debug[5].contains("<redacted>") && debug[5].contains(USER), "{}", debug[5]);

    // Invalid secrets are reported by field, never by value.
    let rejected = [
        Telemetry::builder().ignore_env().bearer_token(format!("{TOKEN}\n{TOKEN}")).install(),
        Telemetry::builder()
            .ignore_env()
            .basic_auth(USER, format!("{PASSWORD}\r{PASSWORD}"))
            .install(),
    ];
    for (result, field) in rejected.into_iter().zip(["bearer_token", "basic_auth_password"]) {
        let error = result.expect_err("an invalid secret is refused");
        let Error::Config(config) = &error else { panic!("{error:?}") };
        assert_eq!(config.field, field);
        assert_eq!(config.value, "<redacted>");
    }
    let error = Telemetry::builder()
        .ignore_env()
        .basic_auth(format!("a:{USER}"), PASSWORD)
        .install()
        .expect_err("a user name with `:` is refused");
    let text = format!("{error} {error:?}");
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(text.contains("basic_auth_username"), "{text}");

    let missing = Telemetry::builder()
        .ignore_env()
        .bearer_token_file("/nonexistent/flowmeter/token")
        .install()
        .expect_err("a missing token file is refused");
    assert!(missing.to_string().contains("/nonexistent/flowmeter/token"), "{missing}");
    assert!(missing.to_string().contains("bearer_token_file"), "{missing}");
}

#[cfg(not(feature = "tls"))]
#[test]
fn asking_for_tls_without_the_feature_is_an_error_naming_it() {
    let error = Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .tls("cert.pem", "key.pem")
        .install()
        .expect_err("no HTTPS in this build");
    let Error::Config(config) = &error else { panic!("{error:?}") };
    assert_eq!((config.field, config.value.as_str()), ("tls_cert_file", "cert.pem"));
    assert!(config.reason.contains("`tls` cargo feature"), "{error}");
}
