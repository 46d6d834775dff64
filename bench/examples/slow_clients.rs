//! Honest scrapes of a real `Telemetry` endpoint while slow clients attack it: the latency
//! figures of RELIABILITY.md §5 ("slow clients past the connection limit").
//!
//! Run (release, so the figures are the server's and not a debug build's):
//!
//! ```text
//! cargo run --release -p flowmeter-bench --example slow_clients -- --mode idle
//! cargo run --release -p flowmeter-bench --example slow_clients -- --mode trickle
//! ```
//!
//! Options: `--mode idle|trickle|silent|none` (default `idle`), `--attackers N` (1000),
//! `--seconds S` of honest scraping (30), `--interval-ms MS` between honest scrapes (100),
//! `--timeout-ms MS` per honest scrape (5000), `--no-reconnect` (an attacker cut off stays
//! away; by default it connects again at once, so the attack never lets up).
//!
//! - `idle` attackers send `GET /metrics HTTP/1.1` and a `Host` line, then nothing: their
//!   headers never end.
//! - `trickle` attackers send a request line, a `Host` line and then an endless header, one
//!   byte a second.
//! - `silent` attackers connect and send nothing.
//!
//! The honest client runs on a thread of its own with blocking sockets, like a scraper in
//! another process: a new connection per scrape (`Connection: close`), timed from the connect
//! to the last byte of the answer. A scrape succeeds with a `200` whose body is an exposition
//! (it has `target_info`). The attackers run on one tokio thread; the endpoint on its own.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use flowmeter::Telemetry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the attackers do once connected.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Idle,
    Trickle,
    Silent,
    None,
}

struct Args {
    mode: Mode,
    attackers: usize,
    seconds: u64,
    interval: Duration,
    timeout: Duration,
    reconnect: bool,
}

fn args() -> Args {
    let mut args = Args {
        mode: Mode::Idle,
        attackers: 1000,
        seconds: 30,
        interval: Duration::from_millis(100),
        timeout: Duration::from_millis(5000),
        reconnect: true,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = || given.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--mode" => {
                args.mode = match value().as_str() {
                    "idle" => Mode::Idle,
                    "trickle" => Mode::Trickle,
                    "silent" => Mode::Silent,
                    "none" => Mode::None,
                    other => panic!("--mode idle|trickle|silent|none, not {other}"),
                }
            }
            "--attackers" => args.attackers = value().parse().expect("--attackers N"),
            "--seconds" => args.seconds = value().parse().expect("--seconds S"),
            "--interval-ms" => {
                args.interval = Duration::from_millis(value().parse().expect("--interval-ms MS"))
            }
            "--timeout-ms" => {
                args.timeout = Duration::from_millis(value().parse().expect("--timeout-ms MS"))
            }
            "--no-reconnect" => args.reconnect = false,
            // `cargo bench`-style harness flags, if any, are not ours.
            "--bench" => {}
            other => panic!("unknown option {other}"),
        }
    }
    args
}

/// Counts shared by the attackers.
#[derive(Default)]
struct AttackStats {
    connected: AtomicUsize,
    cut_off: AtomicUsize,
    stop: AtomicBool,
}

/// One attacker: connects, holds the connection with headers that never end, and (with
/// `reconnect`) connects again as soon as the server cuts it off.
async fn attack(addr: SocketAddr, mode: Mode, reconnect: bool, stats: Arc<AttackStats>) {
    while !stats.stop.load(Ordering::Relaxed) {
        let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        stats.connected.fetch_add(1, Ordering::Relaxed);
        let mut sink = [0u8; 1024];
        match mode {
            Mode::Idle => {
                let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: attacker\r\n").await;
                // Until the server closes it (or answers, which it must not).
                while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            }
            Mode::Trickle => {
                let endless = b"GET /metrics HTTP/1.1\r\nHost: attacker\r\nX-Trickle: ";
                let bytes = endless.iter().copied().chain(std::iter::repeat(b'a'));
                for byte in bytes {
                    if stream.write_all(&[byte]).await.is_err() {
                        break;
                    }
                    tokio::select! {
                        read = stream.read(&mut sink) => if !matches!(read, Ok(n) if n > 0) { break },
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
            Mode::Silent => while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {},
            Mode::None => return,
        }
        stats.cut_off.fetch_add(1, Ordering::Relaxed);
        if !reconnect {
            return;
        }
    }
}

/// Why an honest scrape failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Failure {
    TimedOut,
    Closed,
    Refused,
    NotAnExposition,
}

/// One honest scrape on a new connection, timed from connect to the answer's last byte.
fn scrape(addr: SocketAddr, timeout: Duration) -> Result<Duration, Failure> {
    let started = Instant::now();
    let remaining = || timeout.checked_sub(started.elapsed()).filter(|left| !left.is_zero());
    let io_failure = |error: std::io::Error| match error.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Failure::TimedOut,
        std::io::ErrorKind::ConnectionRefused => Failure::Refused,
        _ => Failure::Closed,
    };
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(io_failure)?;
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(io_failure)?;
    let mut raw = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        stream.set_read_timeout(Some(remaining().ok_or(Failure::TimedOut)?)).map_err(io_failure)?;
        match stream.read(&mut buffer).map_err(io_failure)? {
            0 => break,
            n => raw.extend_from_slice(&buffer[..n]),
        }
    }
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&raw);
    match text.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.1 200") && body.contains("target_info") => {
            Ok(elapsed)
        }
        Some(_) => Err(Failure::NotAnExposition),
        None => Err(Failure::Closed),
    }
}

/// Nearest-rank percentile of sorted `values`.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let args = args();
    // Each attacker holds a socket, and so does the server for each it accepts: past the
    // usual soft limit of 1024 descriptors.
    let limit = rlimit::increase_nofile_limit(u64::MAX).expect("raise the open-file limit");
    let telemetry = Telemetry::builder()
        .ephemeral_port()
        .ignore_env()
        .install_subscriber(false)
        .install()
        .expect("install telemetry");
    let addr = telemetry.local_addr().expect("the endpoint serves");

    let stats = Arc::new(AttackStats::default());
    let attack_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("attack runtime");
    let attackers = if args.mode == Mode::None { 0 } else { args.attackers };
    for _ in 0..attackers {
        let stats = Arc::clone(&stats);
        attack_runtime.spawn(attack(addr, args.mode, args.reconnect, stats));
    }
    // Let every attacker connect once (as far as the server lets it) before scraping.
    let settle = Instant::now();
    while stats.connected.load(Ordering::Relaxed) < attackers
        && settle.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let settled = settle.elapsed();

    let mut latencies = Vec::new();
    let mut failures = std::collections::BTreeMap::<Failure, usize>::new();
    let end = Instant::now() + Duration::from_secs(args.seconds);
    while Instant::now() < end {
        let next = Instant::now() + args.interval;
        match scrape(addr, args.timeout) {
            Ok(latency) => latencies.push(latency),
            Err(failure) => *failures.entry(failure).or_default() += 1,
        }
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    stats.stop.store(true, Ordering::Relaxed);
    attack_runtime.shutdown_background();

    let failed: usize = failures.values().sum();
    let attempts = latencies.len() + failed;
    latencies.sort();
    // Over every attempt, a failed scrape counting as one that took the whole timeout.
    let mut all = latencies.clone();
    all.extend(std::iter::repeat_n(args.timeout, failed));
    all.sort();
    println!(
        "mode {:?}, {} attackers ({}), open-file limit {limit}; {} attacker connections, {} cut off; \
         settled in {settled:.2?}",
        args.mode,
        attackers,
        if args.reconnect { "reconnecting" } else { "not reconnecting" },
        stats.connected.load(Ordering::Relaxed),
        stats.cut_off.load(Ordering::Relaxed),
    );
    println!(
        "honest scrapes: {}/{attempts} ok, failed {failures:?} (timeout {:?}, every {:?} for {} s)",
        latencies.len(),
        args.timeout,
        args.interval,
        args.seconds,
    );
    if !latencies.is_empty() {
        println!(
            "ok scrapes: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0),
            latencies[latencies.len() - 1],
        );
    }
    if !all.is_empty() {
        println!(
            "all attempts (failed = timeout): p50 {:.2?}, p99 {:.2?}",
            percentile(&all, 50.0),
            percentile(&all, 99.0),
        );
    }
}
