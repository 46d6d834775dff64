//! Helpers shared by the integration tests: a plain HTTP/1.1 GET over loopback, an
//! independent parser of the Prometheus text format, and `promtool check metrics`.
#![allow(dead_code)]

pub mod capture;
pub mod faults;
#[cfg(feature = "otlp")]
pub mod otlp_receiver;
#[cfg(feature = "otlp")]
pub mod otlp_scenario;
pub mod prometheus;

use std::collections::BTreeMap;
use std::io::{BufRead as _, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use flowmeter::Telemetry;
use opentelemetry_sdk::trace::InMemorySpanExporter;

/// Installs the process's pipeline for metrics tests: no endpoint, no tracing subscriber,
/// environment ignored.
pub fn install_metrics_only() -> Telemetry {
    Telemetry::builder()
        .serve(false)
        .ignore_env()
        .install_subscriber(false)
        .install()
        .expect("install telemetry")
}

/// Installs the process's pipeline for span tests: spans to `exporter`, the global tracing
/// subscriber on, no endpoint, environment ignored.
pub fn install_with_span_exporter(exporter: &InMemorySpanExporter) -> Telemetry {
    Telemetry::builder()
        .serve(false)
        .ignore_env()
        .with_span_exporter(exporter.clone())
        .install()
        .expect("install telemetry")
}

/// A port the OS picked on loopback, free when returned (for child processes that take a
/// fixed address).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A free loopback port below the OS's ephemeral range (Linux: 32768 and up), for an address
/// that is bound, released and bound again over a test's life: no `bind(0)` (every
/// [`free_port`]) and no outgoing connection can be handed it in between.
#[allow(dead_code)] // not every test file uses every helper
pub fn free_port_outside_ephemeral_range() -> u16 {
    let start = 20_000 + (std::process::id() % 10_000) as u16;
    (start..32_000)
        .chain(20_000..start)
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free port in 20000..32000")
}

/// A child process killed and reaped on every exit path, panics included.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `flowmeter-{tag}-{pid}-{n}`, created empty.
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("flowmeter-{tag}-{}-{n}", std::process::id());
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether the external tool `name` (promtool, prometheus) runs. Under CI a missing tool is
/// a failure; locally the caller skips, and this says why.
pub fn tool_available(name: &str) -> bool {
    match Command::new(name).arg("--version").output() {
        Ok(_) => true,
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "{name} is required under CI: {e}");
            eprintln!(
                "skipping: {name} not found ({e}); scripts/test.sh installs Debian's prometheus"
            );
            false
        }
    }
}

/// A command running the example binary `name` (cargo builds examples for `cargo test`),
/// with every `FLOWMETER_*` variable removed.
pub fn example(name: &str) -> Command {
    // target/debug/deps/<test>-<hash> → target/debug/examples/<name>
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().unwrap().parent().unwrap().join("examples").join(name);
    assert!(path.exists(), "{} not built (cargo test builds examples)", path.display());
    let mut command = Command::new(path);
    for (var, _) in flowmeter::telemetry::config::ENV_VARS {
        command.env_remove(var);
    }
    command
}

/// Spawns an example `command` with its stdout piped, waits until it prints its `serving ...`
/// line, and keeps draining its output so it never blocks on a full pipe.
pub fn spawn_serving(mut command: Command) -> KillOnDrop {
    let mut child = KillOnDrop(command.stdout(Stdio::piped()).spawn().expect("spawn the example"));
    let mut lines = std::io::BufReader::new(child.0.stdout.take().unwrap()).lines();
    assert!(lines.any(|l| l.is_ok_and(|l| l.starts_with("serving "))), "the example serves");
    std::thread::spawn(move || lines.for_each(drop));
    child
}

/// One HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// `GET path` on `addr`, `Connection: close`, read to the end.
pub fn http_get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, "HTTP/1.1").expect("GET over loopback")
}

/// `HEAD path` on `addr`, `Connection: close`, read to the end (the body should be empty).
#[allow(dead_code)] // not every test file uses every helper
pub fn http_head(addr: SocketAddr, path: &str) -> Response {
    request(addr, "HEAD", path, "HTTP/1.1").expect("HEAD over loopback")
}

/// `GET path` as HTTP/1.0 (so no server answers with a chunked body), or the I/O error when
/// nothing listens yet.
pub fn try_http_get(addr: SocketAddr, path: &str) -> std::io::Result<Response> {
    request(addr, "GET", path, "HTTP/1.0")
}

fn request(addr: SocketAddr, method: &str, path: &str, version: &str) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(stream, "{method} {path} {version}\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    // A connection closed before a full response is an error for the caller to assert on,
    // not a panic inside the helper.
    let malformed = || std::io::Error::new(std::io::ErrorKind::InvalidData, raw.clone());
    let (head, body) = raw.split_once("\r\n\r\n").ok_or_else(malformed)?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(malformed)?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Response { status, headers, body: body.to_owned() })
}

/// One sample of the text exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

/// The parsed exposition: samples, and `# TYPE` / `# HELP` per family.
#[derive(Debug, Default)]
pub struct Exposition {
    pub samples: Vec<Sample>,
    pub types: BTreeMap<String, String>,
    pub help: BTreeMap<String, String>,
}

impl Exposition {
    /// Samples of `name` whose labels include every `(key, value)` of `matchers`.
    pub fn find(&self, name: &str, matchers: &[(&str, &str)]) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|s| s.name == name && matchers.iter().all(|(k, v)| s.label(k) == Some(*v)))
            .collect()
    }

    /// The single sample of `name` with exactly these matchers among its labels.
    pub fn value(&self, name: &str, matchers: &[(&str, &str)]) -> f64 {
        let found = self.find(name, matchers);
        assert_eq!(found.len(), 1, "expected one {name}{matchers:?}, found {found:#?}");
        found[0].value
    }
}

/// Parses the Prometheus text format 0.0.4 (written here, independent of the encoder).
pub fn parse(text: &str) -> Exposition {
    let mut out = Exposition::default();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, ty) = rest.split_once(' ').expect("TYPE line");
            out.types.insert(name.to_owned(), ty.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            out.help.insert(name.to_owned(), help.to_owned());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        out.samples.push(parse_sample(line));
    }
    out
}

fn parse_sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).expect("sample name");
    let name = line[..name_end].to_owned();
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        let mut key = String::new();
        loop {
            let (i, c) = chars.next().expect("unterminated labels");
            match c {
                '}' => {
                    rest = &inner[i + 1..];
                    break;
                }
                ',' => {}
                '=' => {
                    assert_eq!(
                        chars.next().map(|(_, c)| c),
                        Some('"'),
                        "label value quote in {line}"
                    );
                    let mut value = String::new();
                    loop {
                        let (_, c) = chars.next().expect("unterminated label value");
                        match c {
                            '\\' => match chars.next().expect("escape").1 {
                                'n' => value.push('\n'),
                                other => value.push(other),
                            },
                            '"' => break,
                            c => value.push(c),
                        }
                    }
                    labels.insert(std::mem::take(&mut key), value);
                }
                c => key.push(c),
            }
        }
    }
    let value_text = rest.split_whitespace().next().expect("sample value");
    let value = match value_text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
    };
    Sample { name, labels, value }
}

/// Runs `promtool check metrics` on `text`: `Some(output)` when promtool ran (asserting exit
/// 0), `None` when promtool is missing outside CI. Under CI a missing promtool is a failure.
pub fn promtool_check_metrics(text: &str) -> Option<String> {
    let (code, stdout, stderr) = promtool_report(text)?;
    let report = format!("{stdout}{stderr}");
    assert_eq!(code, 0, "promtool check metrics failed:\n{report}\n---\n{text}");
    Some(report)
}

/// `promtool check metrics` on `text` whatever it finds: exit code, stdout and stderr; `None`
/// when promtool is missing outside CI (under CI a missing promtool is a failure).
#[allow(dead_code)] // not every test file uses every helper
pub fn promtool_report(text: &str) -> Option<(i32, String, String)> {
    if !tool_available("promtool") {
        return None;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn promtool");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    Some((output.status.code().unwrap_or(-1), text(output.stdout), text(output.stderr)))
}
