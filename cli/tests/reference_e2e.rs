//! The reference systems' own queries, and every generated rule, against ONE real Prometheus
//! scraping the four parity examples while their steady workloads run (issue 17: in a real
//! Prometheus the frozen examples gave rates of 0 and empty quantiles, the dashboards of a
//! team moving over would show flat lines and "No data").
//!
//! Started on free loopback ports, one scrape job each: `skills_exporter` (000),
//! `session_tracker` (001/002), `automation_platform` (003) and `tta_workflow` (004, namespace
//! `tta`). None of 000, 001/002 and 003 runs workflows, caches or LLM calls, so the default
//! namespace `flowmeter`'s rules over those would have nothing to read: two more jobs feed
//! them, `tta_workflow` again with `FLOWMETER_NAMESPACE=flowmeter` (paid LLM calls that go
//! on: the `workflow` example's are all cache hits after its first batch, so its dollar
//! rates fall to 0) and the `workflow` example (retries, timeouts, a budget). Prometheus (1 s
//! scrape and evaluation) loads every rule file `flowmeter_cli` generates for `flowmeter` and
//! for `tta`, alerts included. Within 90 s of the start:
//! - every target is up;
//! - every query of `examples/skills_exporter/queries.yml`, `examples/session_tracker/queries.yml`
//!   and `examples/automation_platform/queries.yml`, every panel expression of
//!   `examples/session_tracker/grafana-dashboard.json`, and every recording rule returns at
//!   least one series, none of them NaN or infinite, and a rate (an expression built on
//!   `rate`/`increase`, or on rules that are, with no division or quantile) has one above 0;
//! - every loaded rule, recording and alerting, reports health `ok` and no `lastError`.
//!
//! Otherwise it fails listing exactly what had no data. A missing query file is a failure too.
//!
//! The examples must be built (`cargo test --workspace --all-features` builds them before any
//! test runs; `automation_platform` needs features `axum,system`). Without `prometheus` on
//! PATH the test fails under `CI` and says why it skips otherwise. Child processes are killed
//! and the temporary directory removed on every exit path.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::prometheus::{Prometheus, rule_states, try_query, without_grafana_variables};
use common::{KillOnDrop, TempDir, free_port, tool_available, write_generated};
use flowmeter_cli::{GenerateConfig, generate};

/// From the test's start to the last chance for every check to hold.
const LIMIT: Duration = Duration::from_secs(90);
/// The reference queries, one file per system that ships queries (format: `queries: [{name,
/// expr, source}]`), relative to the workspace root.
const QUERY_FILES: [&str; 3] = [
    "examples/skills_exporter/queries.yml",
    "examples/session_tracker/queries.yml",
    "examples/automation_platform/queries.yml",
];
/// The reference's Grafana dashboards (001's "Example Grafana Dashboard").
const DASHBOARDS: [&str; 1] = ["examples/session_tracker/grafana-dashboard.json"];
/// The namespaces whose generated rules Prometheus loads.
const NAMESPACES: [&str; 2] = ["flowmeter", "tta"];

#[derive(Debug, serde::Deserialize)]
struct QueryFile {
    queries: Vec<Query>,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)] // `source` is read by people; the test only checks it is there
struct Query {
    name: String,
    expr: String,
    source: String,
}

/// One expression that must return data.
#[derive(Debug)]
struct Check {
    /// Where it comes from, for the failure message.
    what: String,
    expr: String,
    /// A rate: one of its series must be above 0.
    rate: bool,
}

/// A running example and where Prometheus scrapes it.
struct Target {
    job: &'static str,
    addr: SocketAddr,
    metrics_path: String,
    _process: KillOnDrop,
}

#[test]
fn every_reference_query_and_rule_returns_data_from_the_four_examples() {
    if !tool_available("prometheus") {
        return;
    }
    let started = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut missing_files = Vec::new();
    let mut checks = reference_checks(&root, &mut missing_files);

    // Port 0 where the example lets the OS pick (it names the port on its serving line);
    // the skills exporter refuses 0 as its reference does, and the runtime's `listen` needs a
    // fixed port.
    let targets = [
        serve("skills_exporter", "skills_exporter", |app| {
            app.args(["--port", &free_port().to_string(), "--per-thread", "160"]);
        }),
        serve("session_tracker", "session_tracker", |app| {
            app.args(["--port", "0"]);
        }),
        serve("automation_platform", "automation_platform", |app| {
            app.args(["--port", "0"]);
        }),
        serve("tta_workflow", "tta_workflow", |app| {
            listen_on_a_free_port(app);
        }),
        serve("tta_workflow_flowmeter", "tta_workflow", |app| {
            listen_on_a_free_port(app).env("FLOWMETER_NAMESPACE", "flowmeter");
        }),
        serve("workflow", "workflow", |app| {
            listen_on_a_free_port(app).args(["--interval-ms", "500"]);
        }),
    ];

    let dir = TempDir::new("reference-e2e");
    let loaded = write_rules(dir.path(), &mut checks);
    std::fs::write(dir.path().join("prometheus.yml"), prometheus_config(&targets)).unwrap();
    let prometheus = Prometheus::start(dir.path());

    let deadline = started + LIMIT;
    loop {
        let mut problems = problems(prometheus.addr, &targets, &checks, loaded);
        problems.extend(missing_files.iter().map(|file| format!("{file}: missing")));
        if problems.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "{} of {} checks failed {LIMIT:?} after the start:\n{}",
                problems.len(),
                checks.len() + loaded + targets.len(),
                problems.join("\n")
            );
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// The queries of every query file and the panel expressions of every reference dashboard;
/// a file that does not exist is added to `missing`.
fn reference_checks(root: &Path, missing: &mut Vec<String>) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut read = |file: &str| {
        let text = std::fs::read_to_string(root.join(file));
        text.map_err(|_| missing.push(file.to_owned())).ok()
    };
    for file in QUERY_FILES {
        let Some(text) = read(file) else { continue };
        let parsed: QueryFile =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!parsed.queries.is_empty(), "{file} lists no query");
        for query in parsed.queries {
            assert!(!query.source.is_empty(), "{file}: {} names no source", query.name);
            let what = format!("{file}: {}", query.name);
            checks.push(Check { what, rate: is_rate(&query.expr, &[]), expr: query.expr });
        }
    }
    for file in DASHBOARDS {
        let Some(text) = read(file) else { continue };
        let exprs = flowmeter_cli::dashboards::panel_expressions(&text)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!exprs.is_empty(), "{file} has no panel expression");
        for (n, expr) in exprs.iter().enumerate() {
            let expr = without_grafana_variables(expr);
            let what = format!("{file}: panel expression {}", n + 1);
            checks.push(Check { what, rate: is_rate(&expr, &[]), expr });
        }
    }
    checks
}

/// Whether `expr` is a rate: built on `rate(`/`increase(` or on recording rules that are
/// (`rates`), with no division and no quantile. A steady workload makes one of its series
/// positive; a ratio, a quantile or a gauge may be 0 and need only be finite.
fn is_rate(expr: &str, rates: &[String]) -> bool {
    let rated = ["rate(", "increase("].iter().any(|f| expr.contains(f))
        || rates.iter().any(|rule| expr.contains(rule.as_str()));
    rated && !expr.contains('/') && !expr.contains("histogram_quantile")
}

/// Starts example `name` for scrape job `job`, as `configure`d, and reads the
/// address it prints on its `serving http://ADDR/PATH` line (then keeps draining its output).
/// An example that has not served within [`LIMIT`] fails the test (and is killed).
fn serve(job: &'static str, name: &str, configure: impl FnOnce(&mut Command)) -> Target {
    let mut command = common::example(name);
    configure(&mut command);
    let mut process = KillOnDrop(command.stdout(Stdio::piped()).spawn().expect("spawn"));
    let stdout = BufReader::new(process.0.stdout.take().unwrap());
    let (serving, url) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("serving http://") {
                let _ = serving.send(url.to_owned());
            }
        }
    });
    let url = url.recv_timeout(LIMIT).unwrap_or_else(|e| panic!("{name} is not serving: {e}"));
    let url = url.split([' ', ';']).next().unwrap();
    let (addr, path) = url.split_at(url.find('/').unwrap_or(url.len()));
    let addr = addr.parse().unwrap_or_else(|e| panic!("{name} serves on {url}: {e}"));
    let metrics_path = if path.is_empty() { "/metrics".to_owned() } else { path.to_owned() };
    Target { job, addr, metrics_path, _process: process }
}

/// The configuration of the examples that take their address from `FLOWMETER_LISTEN`.
fn listen_on_a_free_port(app: &mut Command) -> &mut Command {
    app.env("FLOWMETER_LISTEN", format!("127.0.0.1:{}", free_port()))
}

/// One job per example, scraped and evaluated every second, with the rules under `rules/`.
fn prometheus_config(targets: &[Target]) -> String {
    let mut config = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n".to_owned();
    config.push_str("rule_files:\n  - rules/*.yml\nscrape_configs:\n");
    for target in targets {
        config.push_str(&format!(
            "  - job_name: {}\n    metrics_path: {}\n    static_configs:\n      - targets: ['{}']\n",
            target.job, target.metrics_path, target.addr
        ));
    }
    config
}

/// Writes every file `flowmeter_cli` generates for [`NAMESPACES`] under `dir` (the caller then
/// replaces `prometheus.yml`), adds a check per recording rule and returns how many rules
/// (recording and alerting) Prometheus should load.
///
/// One rule comes out the same for both namespaces (the GenAI token rate: its metric has no
/// namespace), so two groups write the same series here; an evaluation that runs late could
/// be refused as out of order, which the polling rides out (health is set again at each
/// evaluation). No such error showed in the runs made while writing this test.
fn write_rules(dir: &Path, checks: &mut Vec<Check>) -> usize {
    let mut rates: Vec<String> = Vec::new();
    let mut loaded = 0;
    for namespace in NAMESPACES {
        let config = GenerateConfig { namespace: namespace.to_owned(), ..Default::default() };
        for rule in write_generated(dir, &generate(&config), |config| config) {
            loaded += 1;
            if !rule.recording {
                continue;
            }
            let rate = is_rate(&rule.expr, &rates);
            if rate {
                rates.push(rule.name.clone());
            }
            let what = format!("{namespace} recording rule {}", rule.name);
            checks.push(Check { what, expr: rule.name, rate });
        }
    }
    loaded
}

/// Everything that does not hold yet, one line each: targets not up, checks without data,
/// rules not healthy or not loaded.
fn problems(
    prometheus: SocketAddr,
    targets: &[Target],
    checks: &[Check],
    loaded: usize,
) -> Vec<String> {
    let mut problems = Vec::new();
    let up = try_query(prometheus, "up").unwrap_or_default();
    for target in targets {
        let value = up.iter().find(|s| s.label("job") == Some(target.job)).map(|s| s.value);
        if value != Some(1.0) {
            problems.push(format!("target {} ({}): up = {value:?}", target.job, target.addr));
        }
    }
    for check in checks {
        let verdict = match try_query(prometheus, &check.expr) {
            Err(error) => Some(format!("query failed: {error}")),
            Ok(series) if series.is_empty() => Some("no series".to_owned()),
            Ok(series) => {
                let values: Vec<f64> = series.iter().map(|s| s.value).collect();
                if values.iter().any(|v| !v.is_finite()) {
                    Some(format!("values not finite: {values:?}"))
                } else if check.rate && values.iter().all(|v| *v <= 0.0) {
                    Some(format!("a rate, but no series above 0: {values:?}"))
                } else {
                    None
                }
            }
        };
        if let Some(verdict) = verdict {
            problems.push(format!("{}\n    {}\n    {verdict}", check.what, check.expr));
        }
    }
    match rule_states(prometheus) {
        None => problems.push("rules: Prometheus is not answering".to_owned()),
        Some(states) => {
            if states.len() != loaded {
                problems.push(format!("rules: {} loaded of the {loaded} written", states.len()));
            }
            let unhealthy = states.iter().filter(|r| r.health != "ok" || !r.last_error.is_empty());
            let names: BTreeSet<String> = unhealthy
                .map(|r| {
                    format!("rule {}/{}: health {} {}", r.group, r.name, r.health, r.last_error)
                })
                .collect();
            problems.extend(names);
        }
    }
    problems
}
