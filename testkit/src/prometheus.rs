//! A real Prometheus for the end-to-end tests: started on a free loopback port with a config
//! file and temporary storage (killed on drop), and its HTTP API: instant queries, at the
//! current time or at a given evaluation time.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{KillOnDrop, free_port, try_http_get};

/// A running Prometheus; killed when dropped.
#[derive(Debug)]
pub struct Prometheus {
    /// Where its HTTP API listens.
    pub addr: SocketAddr,
    _process: KillOnDrop,
}

impl Prometheus {
    /// Starts `prometheus` with `dir/prometheus.yml` and storage under `dir/data`.
    pub fn start(dir: &Path) -> Prometheus {
        Prometheus::start_with(dir, &[])
    }

    /// Starts `prometheus` as [`start`](Self::start) does, with more command-line flags (for
    /// example `--enable-feature=exemplar-storage`).
    pub fn start_with(dir: &Path, flags: &[&str]) -> Prometheus {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let process = KillOnDrop(
            Command::new("prometheus")
                .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
                .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
                .arg(format!("--web.listen-address={addr}"))
                .args(flags)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start prometheus"),
        );
        Prometheus { addr, _process: process }
    }
}

/// One series of an instant query's answer.
#[derive(Debug, Clone)]
pub struct Series {
    /// The series' labels, as Prometheus returned them.
    pub labels: serde_json::Value,
    /// The evaluation time (Unix seconds).
    pub time: f64,
    /// The sample value.
    pub value: f64,
}

impl Series {
    /// The value of label `name`, if the series has it.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels[name].as_str()
    }
}

/// Percent-encodes a query parameter.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `GET path` on the Prometheus API, parsed; `None` until it answers with JSON.
pub fn api(prometheus: SocketAddr, path: &str) -> Option<serde_json::Value> {
    let response = try_http_get(prometheus, path).ok()?;
    serde_json::from_str(&response.body).ok()
}

/// An instant query evaluated now, or at `time` (Unix seconds); `None` when Prometheus is not
/// answering yet or answered with an error.
pub fn query_at(prometheus: SocketAddr, promql: &str, time: Option<f64>) -> Option<Vec<Series>> {
    let mut path = format!("/api/v1/query?query={}", encode(promql));
    if let Some(time) = time {
        path.push_str(&format!("&time={time:.3}"));
    }
    let json = api(prometheus, &path)?;
    if json["status"] != "success" {
        return None;
    }
    let result = json["data"]["result"].as_array()?;
    Some(
        result
            .iter()
            .map(|series| Series {
                labels: series["metric"].clone(),
                time: series["value"][0].as_f64().unwrap_or(f64::NAN),
                value: series["value"][1].as_str().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN),
            })
            .collect(),
    )
}

/// An instant query evaluated now: `(labels, value)` per series.
pub fn query(prometheus: SocketAddr, promql: &str) -> Option<Vec<(serde_json::Value, f64)>> {
    let series = query_at(prometheus, promql, None)?;
    Some(series.into_iter().map(|s| (s.labels, s.value)).collect())
}

/// The value of the single series an instant query returns, if it returns one.
pub fn query_one(prometheus: SocketAddr, promql: &str) -> Option<f64> {
    match query_at(prometheus, promql, None)?.as_slice() {
        [series] => Some(series.value),
        _ => None,
    }
}

/// Polls `probe` every 250 ms until it returns `Some`, failing the test after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// An instant query evaluated now, or Prometheus's own words for why it has no answer: its
/// error (a query that does not parse, an evaluation error) or that it is not answering.
pub fn try_query(prometheus: SocketAddr, promql: &str) -> Result<Vec<Series>, String> {
    let path = format!("/api/v1/query?query={}", encode(promql));
    let json = api(prometheus, &path).ok_or("Prometheus is not answering")?;
    if json["status"] != "success" {
        return Err(format!("{}: {}", json["errorType"], json["error"]));
    }
    let result = json["data"]["result"].as_array().ok_or("no result in the answer")?;
    Ok(result
        .iter()
        .map(|series| Series {
            labels: series["metric"].clone(),
            time: series["value"][0].as_f64().unwrap_or(f64::NAN),
            value: series["value"][1].as_str().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN),
        })
        .collect())
}

/// The state of one loaded rule, from `/api/v1/rules`.
#[derive(Debug, Clone)]
pub struct RuleState {
    /// The rule group.
    pub group: String,
    /// The `record` or `alert` name.
    pub name: String,
    /// `ok`, `err` or `unknown` (not evaluated yet).
    pub health: String,
    /// The last evaluation's error; empty when it had none.
    pub last_error: String,
}

/// Every loaded rule (recording and alerting) with its evaluation health; `None` until
/// Prometheus answers.
pub fn rule_states(prometheus: SocketAddr) -> Option<Vec<RuleState>> {
    let json = api(prometheus, "/api/v1/rules")?;
    let groups = json["data"]["groups"].as_array()?;
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    Some(
        groups
            .iter()
            .flat_map(|group| {
                group["rules"].as_array().into_iter().flatten().map(|rule| RuleState {
                    group: text(&group["name"]),
                    name: text(&rule["name"]),
                    health: text(&rule["health"]),
                    last_error: text(&rule["lastError"]),
                })
            })
            .collect(),
    )
}

/// A Grafana panel expression made a PromQL query Prometheus can run: `$__rate_interval` and
/// `$__range` become `5m`, `$__interval` `1m`, and any other variable (`$var`, `${var}`, in
/// a label matcher) `.*`.
pub fn without_grafana_variables(expr: &str) -> String {
    let mut text = expr
        .replace("$__rate_interval", "5m")
        .replace("${__rate_interval}", "5m")
        .replace("$__range", "5m")
        .replace("$__interval", "1m");
    while let Some(start) = text.find('$') {
        let rest = &text[start + 1..];
        let len = match rest.strip_prefix('{') {
            Some(inner) => inner.find('}').map_or(rest.len(), |end| end + 2),
            None => {
                rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(rest.len())
            }
        };
        text.replace_range(start..start + 1 + len, ".*");
    }
    text
}
