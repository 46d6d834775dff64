//! The HTTP endpoint under abuse, over real loopback connections: a thousand concurrent
//! scrapes against the default connection cap, a few clients that send their headers slowly
//! or never (a thousand of them: `exporter_slow_clients.rs`), oversized, malformed and
//! misdirected requests mixed with normal scrapes, and the loopback-by-default binding (all
//! interfaces only when asked, with a warning).
//!
//! The pipeline is process-global: this binary installs it once (`TELEMETRY`, serving with the
//! default options); tests that need other limits bind a `MetricsServer` of their own, which
//! serves the same pipeline.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use flowmeter::Telemetry;
use flowmeter::exporter::{DEFAULT_MAX_CONNECTIONS, MetricsServer, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(common::install_serving);

/// Guards every network wait so a broken server fails the test instead of hanging it. Not a
/// timing assertion: everything here normally completes in well under a second.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// How many clients scrape at once.
const CONCURRENT_SCRAPES: usize = 1_000;

fn addr() -> SocketAddr {
    TELEMETRY.local_addr().expect("the fixture serves")
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Status line's code and the body of a raw HTTP/1.1 response; `None` when the server closed
/// the connection without answering.
fn parse_response(raw: &[u8]) -> Option<(u16, String)> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// Writes `request` whole on a fresh connection and reads the answer to the end. A write or
/// read cut short by the server (it may close as soon as it has answered) still returns what
/// was read.
async fn exchange_on(mut stream: TcpStream, request: &[u8]) -> Vec<u8> {
    let mut raw = Vec::new();
    let _ = stream.write_all(request).await;
    let _ = stream.read_to_end(&mut raw).await;
    raw
}

async fn exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let attempt = async {
        let stream = TcpStream::connect(addr).await.expect("connect");
        exchange_on(stream, request).await
    };
    timeout(HANG_GUARD, attempt).await.expect("the server answers")
}

fn get_request(addr: SocketAddr, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").into_bytes()
}

async fn status_of(addr: SocketAddr, path: &str) -> u16 {
    let raw = exchange(addr, &get_request(addr, path)).await;
    parse_response(&raw).expect("an HTTP response").0
}

/// Asserts a scrape of `/metrics` is a `200` with a parseable exposition.
fn assert_scrape(raw: &[u8]) {
    let (status, body) = parse_response(raw).expect("an HTTP response");
    assert_eq!(status, 200, "{body}");
    let exposition = common::parse(&body);
    assert!(exposition.types.contains_key("target_info"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_scrapes_all_succeed() {
    let addr = addr();
    // 1 000 clients at once against a cap of 64 connections, each sending its request as soon
    // as it is connected, as a scraper does: every one is answered. (A client that connects
    // and then waits is a slow client, evicted at the cap: tests/exporter_slow_clients.rs.)
    let (open, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let started = Instant::now();
    let clients: Vec<_> = (0..CONCURRENT_SCRAPES)
        .map(|_| {
            let (open, peak) = (open.clone(), peak.clone());
            tokio::spawn(async move {
                let stream = TcpStream::connect(addr).await.expect("connect is never refused");
                peak.fetch_max(open.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                let raw = exchange_on(stream, &get_request(addr, "/metrics")).await;
                open.fetch_sub(1, Ordering::SeqCst);
                raw
            })
        })
        .collect();
    let mut succeeded = 0;
    for client in clients {
        let raw = timeout(HANG_GUARD, client).await.expect("every client is served").unwrap();
        assert_scrape(&raw);
        succeeded += 1;
    }
    let elapsed = started.elapsed();
    assert_eq!(succeeded, CONCURRENT_SCRAPES);
    let peak = peak.load(Ordering::SeqCst);
    // A figure for RELIABILITY.md, not an assertion.
    eprintln!(
        "{succeeded}/{CONCURRENT_SCRAPES} concurrent scrapes answered 200 in {elapsed:?} \
         (cap {DEFAULT_MAX_CONNECTIONS} connections; {peak} open at once)"
    );
    // And the server is still serving.
    assert_eq!(status_of(addr, "/health").await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_slow_clients_are_cut_off_without_starving_a_scrape() {
    LazyLock::force(&TELEMETRY);
    // A small cap, so the slow clients take every slot several times over.
    let options =
        ServerOptions::default().header_read_timeout(Duration::from_millis(300)).max_connections(4);
    let server = MetricsServer::bind_with(loopback(), "/metrics", options).expect("bind");
    let addr = server.start().expect("start");

    let mut slow = Vec::new();
    for i in 0..16 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        slow.push(tokio::spawn(async move {
            if i % 2 == 0 {
                // Half a request line, then nothing.
                let _ = stream.write_all(b"GET /met").await;
            } else {
                // A byte every 50 ms: always progressing, never finishing.
                for byte in b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n".iter().cycle() {
                    if stream.write_all(&[*byte]).await.is_err() {
                        break; // closed by the server
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            let mut raw = Vec::new();
            let _ = stream.read_to_end(&mut raw).await;
            raw
        }));
    }

    // With every slot taken by them, a normal scrape is still answered.
    let scrape = exchange(addr, &get_request(addr, "/metrics")).await;
    assert_scrape(&scrape);

    for client in slow {
        let raw = timeout(HANG_GUARD, client).await.expect("the slow client is cut off").unwrap();
        assert!(
            parse_response(&raw).is_none_or(|(status, _)| status != 200),
            "{}",
            String::from_utf8_lossy(&raw)
        );
    }
    assert_eq!(status_of(addr, "/health").await, 200);
    server.shutdown();
}

/// A request that must be refused, and the status it must get; `None`: the server may
/// answer `400` or just close the connection.
struct Abuse {
    what: &'static str,
    request: Vec<u8>,
    status: Option<u16>,
}

fn abuses(addr: SocketAddr) -> Vec<Abuse> {
    let plain = |what, request: String, status| Abuse {
        what,
        request: request.into_bytes(),
        status: Some(status),
    };
    let mut body_sent =
        format!("POST /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 1048576\r\n\r\n")
            .into_bytes();
    body_sent.extend(std::iter::repeat_n(b'x', 1 << 20));
    vec![
        plain(
            "a 10 MB body announced, never sent",
            format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 10000000\r\n\r\n"),
            413,
        ),
        Abuse { what: "a 1 MiB body actually sent", request: body_sent, status: Some(413) },
        plain(
            "32 KiB of headers",
            format!(
                "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
                "a".repeat(32768)
            ),
            431,
        ),
        plain(
            "an 8 KiB path",
            format!("GET /{} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n", "p".repeat(8192)),
            404,
        ),
        plain(
            "a traversal path",
            format!("GET /../../etc/passwd HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
            404,
        ),
        plain("an unknown path", format!("GET /admin HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"), 404),
        plain(
            "POST",
            format!("POST /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
            405,
        ),
        plain("DELETE", format!("DELETE /catalog HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"), 405),
        plain("OPTIONS", format!("OPTIONS /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"), 405),
        plain("TRACE", format!("TRACE /summary HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"), 405),
        plain("an invented method", format!("BREW /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"), 405),
        Abuse {
            what: "a garbled request line",
            request: b"GARBAGE\r\n\r\n".to_vec(),
            status: None,
        },
        Abuse {
            what: "binary noise",
            request: (0..=255u8).cycle().take(4096).collect(),
            status: None,
        },
        Abuse {
            what: "a bad Content-Length",
            request: format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: -1\r\n\r\n")
                .into_bytes(),
            status: None,
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_their_status_while_other_clients_are_served() {
    let addr = addr();
    // Normal scrapes in the background for the whole test.
    let failures = Arc::new(Mutex::new(Vec::new()));
    let scrapers: Vec<_> = (0..4)
        .map(|_| {
            let failures = failures.clone();
            tokio::spawn(async move {
                for _ in 0..25 {
                    let raw = exchange(addr, &get_request(addr, "/metrics")).await;
                    if parse_response(&raw).is_none_or(|(status, _)| status != 200) {
                        failures.lock().unwrap().push(String::from_utf8_lossy(&raw).into_owned());
                    }
                }
            })
        })
        .collect();

    for abuse in abuses(addr) {
        let raw = exchange(addr, &abuse.request).await;
        let answer = parse_response(&raw);
        match abuse.status {
            Some(expected) => {
                let status = answer.as_ref().map(|(status, _)| *status);
                assert_eq!(
                    status,
                    Some(expected),
                    "{}: {}",
                    abuse.what,
                    String::from_utf8_lossy(&raw)
                );
            }
            None => assert!(
                answer.as_ref().is_none_or(|(status, _)| *status == 400),
                "{}: {}",
                abuse.what,
                String::from_utf8_lossy(&raw)
            ),
        }
        // The server keeps serving after each.
        assert_eq!(status_of(addr, "/health").await, 200, "after {}", abuse.what);
        assert_scrape(&exchange(addr, &get_request(addr, "/metrics")).await);
    }

    for scraper in scrapers {
        timeout(HANG_GUARD, scraper).await.expect("the scrapers finish").unwrap();
    }
    let failures = failures.lock().unwrap();
    assert!(failures.is_empty(), "normal scrapes failed during the abuse: {failures:#?}");
}

/// Warnings logged on this thread while `f` runs.
fn warnings_during(f: impl FnOnce()) -> Vec<String> {
    use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

    struct Capture(Arc<Mutex<Vec<String>>>);
    struct Message<'a>(&'a mut String);
    impl tracing::field::Visit for Message<'_> {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                *self.0 = format!("{value:?}");
            }
        }
    }
    impl<S: tracing::Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            if *event.metadata().level() == tracing::Level::WARN {
                let mut message = String::new();
                event.record(&mut Message(&mut message));
                self.0.lock().unwrap().push(message);
            }
        }
    }

    let captured = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Capture(captured.clone()));
    tracing::subscriber::with_default(subscriber, f);
    captured.lock().unwrap().clone()
}

#[test]
fn loopback_by_default_and_all_interfaces_only_when_asked_with_a_warning() {
    assert!(flowmeter::Config::default().listen.ip().is_loopback());
    assert!(addr().ip().is_loopback(), "the installed endpoint listens on loopback");

    let on_loopback = warnings_during(|| {
        let server = MetricsServer::bind(loopback(), "/metrics").expect("bind loopback");
        assert!(server.local_addr().ip().is_loopback());
    });
    assert!(on_loopback.is_empty(), "{on_loopback:?}");

    let on_all = warnings_during(|| {
        // Bound, never started: nothing is served on the network.
        let server = MetricsServer::bind("0.0.0.0:0".parse().unwrap(), "/metrics").expect("bind");
        assert!(server.local_addr().ip().is_unspecified());
    });
    assert_eq!(on_all.len(), 1, "{on_all:?}");
    assert!(on_all[0].contains("all network interfaces"), "{on_all:?}");
}
