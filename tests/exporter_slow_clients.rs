//! Slow clients past the connection cap cannot starve a scraper: a thousand clients that never
//! finish their headers, then a thousand that trickle them a byte a second, each connecting
//! again as soon as the server cuts it off, against the installed endpoint (default options:
//! 64 connections), while an honest client scrapes on fresh connections. Every honest scrape
//! must be answered (`200`, a parseable exposition) within a generous liveness bound; the
//! latency figures are the `slow_clients` example's (RELIABILITY.md §5), never asserted here.
//!
//! Also: at the cap, a new connection evicts the one stalled longest partway through its request,
//! promptly, long before the header-read timeout; connections that have sent nothing are
//! evicted too, once their short grace is over.

mod common;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use flowmeter::Telemetry;
use flowmeter::exporter::{MetricsServer, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::timeout;

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    // Each attacker holds a socket and the server one per connection it accepts: more than
    // the soft open-file limit of 1024 that CI machines often have.
    rlimit::increase_nofile_limit(u64::MAX).expect("raise the open-file limit");
    common::install_serving()
});

/// One attack at a time against the installed endpoint: the scenarios are separate.
static ONE_ATTACK_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How many slow clients attack at once.
const ATTACKERS: usize = 1_000;

/// How many honest scrapes each scenario makes, one after the other.
const HONEST_SCRAPES: usize = 20;

/// How long one honest scrape may take before the test fails: liveness only (they are
/// measured in milliseconds), and Prometheus's default scrape timeout is 10 s.
const SCRAPE_LIVENESS: Duration = Duration::from_secs(5);

/// Guards every other wait, so a broken server fails the test instead of hanging it.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// The start of a request whose headers never end.
const ENDLESS_HEAD: &[u8] = b"GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Slow: ";

#[derive(Clone, Copy)]
enum Slow {
    /// Sends a request line and a `Host` line, then nothing.
    NeverFinishes,
    /// Sends its head a byte a second, forever.
    Trickles,
}

/// The attackers of one scenario; dropped, they stop and close their connections.
struct Attack {
    clients: Vec<JoinHandle<()>>,
    connected: Arc<AtomicUsize>,
    cut_off: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Attack {
    fn start(addr: SocketAddr, how: Slow) -> Self {
        let connected = Arc::new(AtomicUsize::new(0));
        let cut_off = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let clients = (0..ATTACKERS)
            .map(|_| {
                let (connected, cut_off, stop) = (connected.clone(), cut_off.clone(), stop.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(mut stream) = TcpStream::connect(addr).await else {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        };
                        connected.fetch_add(1, Ordering::Relaxed);
                        hold(&mut stream, how).await;
                        // Cut off by the server: come straight back.
                        cut_off.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        Attack { clients, connected, cut_off, stop }
    }

    /// Waits until every attacker has connected at least once.
    async fn all_connected(&self) {
        let started = Instant::now();
        while self.connected.load(Ordering::Relaxed) < ATTACKERS {
            assert!(started.elapsed() < HANG_GUARD, "the attackers could not connect");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Attack {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.clients.iter().for_each(JoinHandle::abort);
    }
}

/// Holds `stream` the slow way until the server closes it (or answers, which it must not).
async fn hold(stream: &mut TcpStream, how: Slow) {
    let mut sink = [0u8; 256];
    match how {
        Slow::NeverFinishes => {
            let _ = stream.write_all(&ENDLESS_HEAD[..ENDLESS_HEAD.len() - 8]).await;
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        }
        Slow::Trickles => {
            for &byte in ENDLESS_HEAD.iter().chain(std::iter::repeat(&b'a')) {
                if stream.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::select! {
                    read = stream.read(&mut sink) => if !matches!(read, Ok(n) if n > 0) { return },
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

/// One honest scrape on a fresh connection, as a scraper in another process makes it
/// (blocking sockets on a thread of its own): the answer's status and body.
fn honest_scrape(addr: SocketAddr) -> Result<(u16, String), String> {
    let deadline = Instant::now() + SCRAPE_LIVENESS;
    let left = || deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero());
    let mut stream = std::net::TcpStream::connect_timeout(&addr, SCRAPE_LIVENESS)
        .map_err(|error| format!("connect: {error}"))?;
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(|error| format!("send: {error}"))?;
    let mut raw = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let left = left().ok_or_else(|| format!("no answer within {SCRAPE_LIVENESS:?}"))?;
        stream.set_read_timeout(Some(left)).map_err(|error| error.to_string())?;
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buffer[..n]),
            Err(error) => return Err(format!("read after {} bytes: {error}", raw.len())),
        }
    }
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("closed without an answer")?;
    let status = head.get(9..12).and_then(|code| code.parse().ok()).ok_or(head.to_owned())?;
    Ok((status, body.to_owned()))
}

/// Runs one attack against the installed endpoint while the honest client scrapes.
async fn honest_scrapes_survive(how: Slow) {
    let _alone = ONE_ATTACK_AT_A_TIME.lock().await;
    let addr = TELEMETRY.local_addr().expect("the fixture serves");
    let attack = Attack::start(addr, how);
    attack.all_connected().await;

    let scrapes = tokio::task::spawn_blocking(move || {
        let mut scrapes = Vec::new();
        while scrapes.len() < HONEST_SCRAPES {
            std::thread::sleep(Duration::from_millis(50));
            let scrape = honest_scrape(addr);
            let failed = scrape.is_err();
            scrapes.push(scrape);
            if failed {
                break; // reported below
            }
        }
        scrapes
    });
    let scrapes = timeout(HANG_GUARD, scrapes).await.expect("the scraper finishes").unwrap();
    let cut_off = attack.cut_off.load(Ordering::Relaxed);
    drop(attack);

    for (i, scrape) in scrapes.into_iter().enumerate() {
        let (status, body) = scrape.unwrap_or_else(|error| panic!("honest scrape {i}: {error}"));
        assert_eq!(status, 200, "honest scrape {i}: {body}");
        let exposition = common::parse(&body);
        assert!(exposition.types.contains_key("target_info"), "honest scrape {i}: {body}");
    }
    // The attack was real: the server had to cut attackers off to serve the scraper.
    assert!(cut_off > 0, "no attacker was cut off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_that_never_finish_their_headers_do_not_starve_a_scraper() {
    honest_scrapes_survive(Slow::NeverFinishes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_trickling_a_byte_a_second_do_not_starve_a_scraper() {
    honest_scrapes_survive(Slow::Trickles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_a_new_connection_evicts_the_one_waiting_longest() {
    LazyLock::force(&TELEMETRY);
    // A header-read timeout far beyond the test: only eviction can close a connection here.
    let options = ServerOptions::default()
        .max_connections(4)
        .header_read_timeout(Duration::from_secs(600))
        .shutdown_timeout(Duration::from_millis(100));
    let server = MetricsServer::bind_with("127.0.0.1:0".parse().unwrap(), "/metrics", options)
        .expect("bind");
    let addr = server.start().expect("start");

    let mut waiting = Vec::new();
    for _ in 0..8 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: slow\r\n").await.unwrap();
        waiting.push(stream);
        // Accepted before the next connects, so admission order is connection order.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The four oldest made room for the four newest: closed, promptly and without an answer.
    for (i, stream) in waiting.iter_mut().take(4).enumerate() {
        let mut raw = Vec::new();
        let read = timeout(HANG_GUARD, stream.read_to_end(&mut raw)).await;
        assert!(read.is_ok(), "connection {i} was not closed");
        assert!(raw.is_empty(), "connection {i} got {}", String::from_utf8_lossy(&raw));
    }
    // A scrape is answered at the cap: it takes the slot of the fifth.
    let (status, body) =
        tokio::task::spawn_blocking(move || honest_scrape(addr)).await.unwrap().expect("scrape");
    assert_eq!(status, 200, "{body}");
    let mut fifth = Vec::new();
    let _end_or_reset =
        timeout(HANG_GUARD, waiting[4].read_to_end(&mut fifth)).await.expect("the fifth is closed");
    assert!(fifth.is_empty(), "the fifth got {}", String::from_utf8_lossy(&fifth));
    // The newest three still hold their slots: finishing their requests, they are answered.
    for (i, stream) in waiting.iter_mut().enumerate().skip(5) {
        stream.write_all(b"Connection: close\r\n\r\n").await.expect("still open");
        let mut raw = Vec::new();
        timeout(HANG_GUARD, stream.read_to_end(&mut raw)).await.expect("answered").unwrap();
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 200"), "connection {i}: {text}");
    }
    server.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_send_nothing_make_room_after_their_grace() {
    LazyLock::force(&TELEMETRY);
    let options = ServerOptions::default()
        .max_connections(2)
        .header_read_timeout(Duration::from_secs(600))
        .shutdown_timeout(Duration::from_millis(100));
    let server = MetricsServer::bind_with("127.0.0.1:0".parse().unwrap(), "/metrics", options)
        .expect("bind");
    let addr = server.start().expect("start");

    // Connected, and silent: for all the server knows, their requests are on their way.
    let mut oldest = TcpStream::connect(addr).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut newer = TcpStream::connect(addr).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(20)).await;

    // A scrape past the cap is answered once the oldest's grace is over, taking its slot.
    let (status, body) =
        tokio::task::spawn_blocking(move || honest_scrape(addr)).await.unwrap().expect("scrape");
    assert_eq!(status, 200, "{body}");
    let mut raw = Vec::new();
    let _end_or_reset =
        timeout(HANG_GUARD, oldest.read_to_end(&mut raw)).await.expect("the oldest is closed");
    assert!(raw.is_empty(), "the oldest got {}", String::from_utf8_lossy(&raw));
    // The newer one kept its slot: its request, sent now, is answered.
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    newer.write_all(request.as_bytes()).await.expect("still open");
    let mut raw = Vec::new();
    timeout(HANG_GUARD, newer.read_to_end(&mut raw)).await.expect("answered").unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    server.shutdown();
}
