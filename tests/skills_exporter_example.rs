//! Parity with the skills metrics exporter (reference system 000), through
//! `examples/skills_exporter/`:
//! - the example binary, run on a free port, serves the reference's five families over HTTP with
//!   the reference's types, HELP texts, labels and buckets, and exact values for its 8 × 100 000
//!   recordings; `promtool check metrics` finds exactly one problem, the reference's own gauge
//!   name `active_sessions_total`; while serving, its steady rounds keep every skill's series
//!   moving;
//! - the example's exporter object, included here as a module: bad rates, durations, label
//!   values and ports are typed errors that leave the scrape unchanged; `start` is idempotent,
//!   `stop` closes the port; the invocation guard records what `record_invocation` would.
//!
//! The in-process tests share the process's one exporter (one pipeline per process) and take
//! turns through its mutex, since one of them stops and restarts it.

mod common;

// The example's exporter and workload, compiled into this test to drive them in process.
#[allow(dead_code)]
#[path = "../examples/skills_exporter/exporter.rs"]
mod exporter;
#[allow(dead_code)]
#[path = "../examples/skills_exporter/workload.rs"]
mod workload;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::process::Stdio;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use common::{Exposition, KillOnDrop, free_port, http_get, parse, promtool_check_metrics};
use exporter::SkillsExporter;
use flowmeter::app::AppMetricError;
use flowmeter::{ConfigError, Error};
use workload::SKILLS;

/// The reference's families: name, `# TYPE`, `# HELP` text and label names (sorted).
const FAMILIES: [(&str, &str, &str, &[&str]); 5] = [
    (
        "skill_invocations_total",
        "counter",
        "Total number of skill invocations",
        &["completed", "skill_name", "workflow_phase"],
    ),
    (
        "skill_duration_seconds",
        "histogram",
        "Skill execution duration in seconds",
        &["skill_name", "workflow_phase"],
    ),
    ("skill_completion_rate", "gauge", "Current skill completion rate", &["skill_name"]),
    ("active_sessions_total", "gauge", "Number of currently active sessions", &[]),
    (
        "anomalies_detected_total",
        "counter",
        "Total number of anomalies detected",
        &["anomaly_type", "skill_name"],
    ),
];

/// The reference's buckets, written as flowmeter prints them (`1`, where Python prints `1.0`).
const LE: [&str; 10] = ["0.1", "0.5", "1", "2", "5", "10", "30", "60", "300", "+Inf"];
const REFERENCE_BUCKETS: [f64; 9] = [0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0];

const PROMTOOL_FINDING: &str =
    "active_sessions_total non-counter metrics should not have \"_total\" suffix\n";

/// The example serving on `port` with `per_thread` invocations per thread, then a round every
/// `interval_ms` (0: none), and its stdout lines.
fn start(
    port: u16,
    per_thread: &str,
    interval_ms: &str,
) -> (KillOnDrop, impl Iterator<Item = String>) {
    let mut child = KillOnDrop(forking(|| {
        common::example("skills_exporter")
            .args(["--port", &port.to_string(), "--per-thread", per_thread])
            .args(["--interval-ms", interval_ms])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    }));
    let lines = BufReader::new(child.0.stdout.take().unwrap()).lines().map_while(Result::ok);
    (child, lines)
}

#[test]
fn the_example_serves_the_reference_families_with_exact_workload_values() {
    let port = free_port();
    // No steady rounds: the values asserted below are the fixed workload's alone.
    let (_child, mut lines) = start(port, "100000", "0");
    assert_eq!(lines.next(), Some(format!("serving http://127.0.0.1:{port}/metrics")));
    // The workload runs after the endpoint starts, as the reference records after `start()`.
    assert_eq!(
        lines.next().as_deref(),
        Some("recorded 800000 skill invocations from 8 threads; no more rounds")
    );
    let response = http_get(SocketAddr::from(([127, 0, 0, 1], port)), "/metrics");
    assert_eq!(response.status, 200);
    let scraped = parse(&response.body);
    let openmetrics =
        common::openmetrics::scrape_checked(SocketAddr::from(([127, 0, 0, 1], port)), "/metrics");
    if let Some(families) = openmetrics {
        assert_eq!(families.len(), scraped.types.len(), "the same families in both formats");
    }

    for (family, ty, help, labels) in FAMILIES {
        assert_eq!(scraped.types.get(family).map(String::as_str), Some(ty), "{family}");
        assert_eq!(scraped.help.get(family).map(String::as_str), Some(help), "{family}");
        assert_eq!(label_names(&scraped, family), labels, "{family}");
    }

    // 8 threads: the even ones in phase `execution`, the odd ones in `setup`, so 4 threads per
    // (skill, phase); each thread runs every skill 25 000 times, 3 in 4 completed, with each of
    // the 10 durations equally often, and one duration (600 s) above the top bucket.
    let mut invocations = 0.0;
    for skill in SKILLS {
        for phase in ["execution", "setup"] {
            let series = [("skill_name", skill), ("workflow_phase", phase)];
            let count = |completed| {
                let matchers = [series[0], series[1], ("completed", completed)];
                scraped.value("skill_invocations_total", &matchers)
            };
            assert_eq!((count("true"), count("false")), (75_000.0, 25_000.0), "{skill} {phase}");
            invocations += count("true") + count("false");

            let buckets = scraped.find("skill_duration_seconds_bucket", &series);
            let les: Vec<&str> = buckets.iter().filter_map(|s| s.label("le")).collect();
            assert_eq!(les, LE, "{skill} {phase}");
            let bounds: Vec<f64> = les[..9].iter().map(|le| le.parse().unwrap()).collect();
            assert_eq!(bounds, REFERENCE_BUCKETS);
            let cumulative: Vec<f64> = buckets.iter().map(|s| s.value).collect();
            let expected: Vec<f64> = (1..=10).map(|n| f64::from(n) * 10_000.0).collect();
            assert_eq!(cumulative, expected, "0.5 and 10 land in the bucket they bound");
            assert_eq!(scraped.value("skill_duration_seconds_count", &series), 100_000.0);
            // 10 000 × (0.0625 + 0.5 + 0.75 + 1.5 + 4 + 10 + 20 + 45 + 150 + 600), exact in f64.
            assert_eq!(scraped.value("skill_duration_seconds_sum", &series), 8_318_125.0);
        }
        let skill_only = [("skill_name", skill)];
        assert_eq!(scraped.value("skill_completion_rate", &skill_only), 0.75, "{skill}");
        let anomalies = |kind| {
            scraped.value("anomalies_detected_total", &[("anomaly_type", kind), skill_only[0]])
        };
        assert_eq!(anomalies("spike"), 20_000.0, "one in ten invocations is above 300 s");
        assert_eq!(anomalies("drop"), 8.0, "every session sees 0.75 < 0.8 once per skill");
    }
    assert_eq!(invocations, 800_000.0);
    assert_eq!(scraped.find("skill_invocations_total", &[]).len(), 16, "no other series");
    assert_eq!(scraped.find("skill_duration_seconds_count", &[]).len(), 8, "no other series");
    assert_eq!(scraped.find("anomalies_detected_total", &[]).len(), 8, "no other series");
    assert_eq!(scraped.value("active_sessions_total", &[]), 0.0, "every session ended");

    // promtool 2.42 cannot disable a lint: its one finding is the reference's gauge name, and
    // without that family the exposition is clean.
    if let Some((code, stdout, stderr)) = common::promtool_report(&response.body) {
        assert_eq!((code, stdout.as_str(), stderr.as_str()), (3, "", PROMTOOL_FINDING));
        let others = lines_where(&response.body, |name| name != "active_sessions_total");
        promtool_check_metrics(&others);
    }
}

/// While serving, the example keeps recording (a round every `--interval-ms`): between two
/// scrapes every skill gains invocations, completed and not, and durations, and anomalies of
/// both kinds are counted, so the reference's rate and p95 queries have recent data.
#[test]
fn while_serving_steady_rounds_keep_every_series_of_the_dashboards_moving() {
    let port = free_port();
    let (_child, mut lines) = start(port, "160", "20");
    assert_eq!(lines.next(), Some(format!("serving http://127.0.0.1:{port}/metrics")));
    assert_eq!(
        lines.next().as_deref(),
        Some("recorded 1280 skill invocations from 8 threads; then a round of 8 every 20 ms")
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let first = parse(&http_get(addr, "/metrics").body);
    // Per skill: invocations completed and not, duration observations, spikes and drops.
    let totals = |scraped: &Exposition, skill: &str| {
        let sum = |name, matchers: &[(&str, &str)]| -> f64 {
            scraped.find(name, matchers).iter().map(|s| s.value).sum()
        };
        let skill = ("skill_name", skill);
        [
            sum("skill_invocations_total", &[skill, ("completed", "true")]),
            sum("skill_invocations_total", &[skill, ("completed", "false")]),
            sum("skill_duration_seconds_count", &[skill]),
            sum("anomalies_detected_total", &[skill, ("anomaly_type", "spike")]),
            sum("anomalies_detected_total", &[skill, ("anomaly_type", "drop")]),
        ]
    };
    // A generous limit for a loaded machine; rounds run every 20 ms.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let now = parse(&http_get(addr, "/metrics").body);
        let stalled: Vec<&str> = SKILLS
            .into_iter()
            .filter(|skill| {
                let (before, after) = (totals(&first, skill), totals(&now, skill));
                before.iter().zip(after).any(|(b, a)| a <= *b)
            })
            .collect();
        let sessions = now.value("active_sessions_total", &[]);
        if stalled.is_empty() {
            assert!((1.0..=3.0).contains(&sessions), "1 to 3 sessions open, not {sessions}");
            let phases = now.find("skill_invocations_total", &[("workflow_phase", "verification")]);
            assert!(!phases.is_empty(), "the rounds go through the verification phase too");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no new recordings for {stalled:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn once_prints_the_exposition_and_exits_and_a_bad_port_flag_is_reported() {
    let output = forking(|| {
        common::example("skills_exporter").args(["--once", "--per-thread", "160"]).output()
    })
    .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let scraped = parse(&String::from_utf8(output.stdout).unwrap());
    let total: f64 = scraped.find("skill_invocations_total", &[]).iter().map(|s| s.value).sum();
    assert_eq!(total, 8.0 * 160.0);
    for (family, ty, _, _) in FAMILIES {
        assert_eq!(scraped.types.get(family).map(String::as_str), Some(ty), "{family}");
    }

    let output =
        forking(|| common::example("skills_exporter").args(["--port", "70000"]).output()).unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(r#"invalid `listen` = "127.0.0.1:70000""#), "{stderr}");
    assert!(stderr.contains("port 70000 is above 65535"), "{stderr}");
}

#[test]
fn ports_0_and_70000_are_typed_errors_naming_the_port_and_record_nothing() {
    let exporter = exporter();
    let before = scrape(&exporter);
    for (port, reason) in [(0, "port 0 is not a fixed port"), (70_000, "port 70000 is above 65535")]
    {
        let error = SkillsExporter::new(port).unwrap_err();
        let Error::Config(ConfigError { field, value, .. }) = &error else {
            panic!("port {port}: expected a config error, got {error:?}");
        };
        assert_eq!((*field, value.as_str()), ("listen", format!("127.0.0.1:{port}").as_str()));
        assert!(error.to_string().contains(reason), "{error}");
    }
    let second = SkillsExporter::new(u32::from(free_port())).unwrap_err();
    assert!(matches!(second, Error::AlreadyInstalled), "one exporter per process: {second:?}");
    assert_eq!(scrape(&exporter), before);
}

#[test]
fn bad_rates_durations_and_label_values_are_typed_errors_that_record_nothing() {
    let exporter = exporter();
    let skill = "bad-input-skill";
    exporter.record_invocation(skill, Some("execution"), true, Some(1.0)).unwrap();
    exporter.update_completion_rate(skill, 0.5).unwrap();
    let before = scrape(&exporter);

    let rate = exporter.update_completion_rate(skill, 1.5).unwrap_err();
    assert!(matches!(rate, AppMetricError::OutOfRange { value: 1.5, min: 0.0, max: 1.0, .. }));
    let nan = exporter.update_completion_rate(skill, f64::NAN).unwrap_err();
    assert!(matches!(nan, AppMetricError::NotFinite { .. }), "{nan:?}");

    let phase = exporter.record_invocation(skill, Some("deploy"), true, Some(1.0)).unwrap_err();
    assert!(
        matches!(&phase, AppMetricError::LabelValue { label, value, .. }
            if label == "workflow_phase" && value == "deploy"),
        "{phase:?}"
    );
    let without_duration = exporter.record_invocation(skill, Some("deploy"), true, None);
    assert!(matches!(without_duration, Err(AppMetricError::LabelValue { .. })));
    let timed = exporter.start_invocation(skill, Some("deploy"));
    assert!(matches!(timed, Err(AppMetricError::LabelValue { .. })));

    // Valid labels with a negative duration: the counter must not count the call either.
    let negative = exporter.record_invocation(skill, Some("execution"), true, Some(-1.0));
    assert!(matches!(negative, Err(AppMetricError::Negative { value: -1.0, .. })));
    let infinite = exporter.record_invocation(skill, Some("execution"), true, Some(f64::INFINITY));
    assert!(matches!(infinite, Err(AppMetricError::NotFinite { .. })));

    let anomaly = exporter.record_anomaly("meltdown", skill).unwrap_err();
    assert!(
        matches!(&anomaly, AppMetricError::LabelValue { label, .. } if label == "anomaly_type"),
        "{anomaly:?}"
    );

    assert_eq!(scrape(&exporter), before, "rejected calls record nothing");
}

#[test]
fn start_is_idempotent_and_stop_closes_the_port() {
    let exporter = exporter();
    exporter.stop();
    assert!(!exporter.is_running());
    let first = start_again(&exporter);
    assert_eq!(exporter.start().unwrap(), first, "a second start returns the same address");
    assert_eq!(first, SocketAddr::from(([127, 0, 0, 1], exporter.port())));
    assert!(exporter.is_running());
    if let Some(listeners) = listening_sockets(first.port()) {
        assert_eq!(listeners, 1, "one listener after two starts");
    }
    assert_eq!(http_get(first, "/metrics").status, 200);

    {
        // No child of this process between its fork and its exec (holding a copy of the
        // listening socket) while the port is checked.
        let _no_fork = FORKING.lock().unwrap_or_else(PoisonError::into_inner);
        exporter.stop();
        assert!(!exporter.is_running());
        assert!(TcpStream::connect(first).is_err(), "the port is closed once stop returns");
        if let Some(listeners) = listening_sockets(first.port()) {
            assert_eq!(listeners, 0);
        }
    }
    exporter.stop(); // idempotent

    assert_eq!(start_again(&exporter), first, "start after stop binds the port again");
    assert!(exporter.is_running());
}

#[test]
fn the_invocation_guard_counts_and_times_like_record_invocation() {
    let exporter = exporter();
    let skill = "guarded-skill";
    let seconds = exporter.start_invocation(skill, Some("verification")).unwrap().finish(true);
    {
        // Dropped without `finish` (an early return, a panic): counted as not completed.
        let _abandoned = exporter.start_invocation(skill, None).unwrap();
    }
    let scraped = parse(&scrape(&exporter));
    let count = |phase, completed| {
        let matchers = [("skill_name", skill), ("workflow_phase", phase), ("completed", completed)];
        scraped.find("skill_invocations_total", &matchers).iter().map(|s| s.value).sum::<f64>()
    };
    assert_eq!(
        [count("verification", "true"), count("verification", "false")],
        [1.0, 0.0],
        "finished"
    );
    assert_eq!([count("unknown", "true"), count("unknown", "false")], [0.0, 1.0], "dropped");
    let verification = [("skill_name", skill), ("workflow_phase", "verification")];
    assert_eq!(scraped.value("skill_duration_seconds_count", &verification), 1.0);
    assert_eq!(scraped.value("skill_duration_seconds_sum", &verification), seconds);
    let unknown = [("skill_name", skill), ("workflow_phase", "unknown")];
    assert_eq!(scraped.value("skill_duration_seconds_count", &unknown), 1.0);
}

/// Held while this process forks a child, until the child has exec'd (`spawn` and `output`
/// return after the exec): see [`start_again`].
static FORKING: Mutex<()> = Mutex::new(());

/// Runs `fork`, which spawns a child, holding [`FORKING`].
fn forking<T>(fork: impl FnOnce() -> T) -> T {
    let _forking = FORKING.lock().unwrap_or_else(PoisonError::into_inner);
    fork()
}

/// The process's one exporter on a free port, started; the tests take turns holding it.
/// `start` after `stop`, retried for a while on "address in use": while another test of this
/// binary spawns an example, the child holds a copy of every descriptor of this process,
/// the listening socket included, between its fork and its exec (close-on-exec acts only at
/// exec), and a bind in that window fails although the server closed its socket. Any other
/// error, or one that lasts, fails the test.
fn start_again(exporter: &SkillsExporter) -> SocketAddr {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match exporter.start() {
            Ok(addr) => return addr,
            Err(flowmeter::Error::Bind { source, .. })
                if source.kind() == std::io::ErrorKind::AddrInUse
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(error) => panic!("start after stop: {error}"),
        }
    }
}

fn exporter() -> MutexGuard<'static, SkillsExporter> {
    static EXPORTER: LazyLock<Mutex<SkillsExporter>> = LazyLock::new(|| {
        // Stopped and started again by the lifecycle test, while other tests hand out
        // ephemeral ports to the examples they run: keep this one out of that range.
        let port = common::free_port_outside_ephemeral_range();
        Mutex::new(SkillsExporter::new(u32::from(port)).expect("the process's exporter"))
    });
    // A failed test poisons the mutex; the exporter itself is still consistent.
    let exporter = EXPORTER.lock().unwrap_or_else(PoisonError::into_inner);
    // Idempotent while running; after the lifecycle test stopped it, a bind again.
    start_again(&exporter);
    exporter
}

/// The reference's five families in `/metrics` of the exporter, over HTTP. Only those, so
/// that process metrics switched on through `FLOWMETER_*` cannot make two scrapes differ.
fn scrape(exporter: &SkillsExporter) -> String {
    let response = http_get(exporter.start().unwrap(), "/metrics");
    assert_eq!(response.status, 200);
    lines_where(&response.body, |name| FAMILIES.iter().any(|f| in_family(name, f.0)))
}

/// The label names of a family's samples (its `_bucket`/`_sum`/`_count` too), without `le`.
fn label_names(scraped: &Exposition, family: &str) -> Vec<String> {
    let mut names: Vec<String> = scraped
        .samples
        .iter()
        .filter(|s| in_family(&s.name, family))
        .flat_map(|s| s.labels.keys().filter(|k| *k != "le").cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether the sample or family `name` belongs to `family` (a histogram's `_bucket`, `_sum`
/// and `_count` do).
fn in_family(name: &str, family: &str) -> bool {
    name.strip_prefix(family).is_some_and(|rest| matches!(rest, "" | "_bucket" | "_sum" | "_count"))
}

/// The lines of an exposition (`# HELP`, `# TYPE` and samples) whose metric name passes `keep`.
fn lines_where(text: &str, keep: impl Fn(&str) -> bool) -> String {
    text.lines()
        .filter(|line| {
            keep(match line.strip_prefix("# ") {
                Some(comment) => comment.split(' ').nth(1).unwrap_or(""),
                None => line.split(['{', ' ']).next().unwrap_or(""),
            })
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Sockets listening on `port` on this host (Linux: `/proc/net/tcp` and `tcp6`, state `0A`);
/// `None` where those files do not exist.
fn listening_sockets(port: u16) -> Option<usize> {
    let mut count = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        count += text
            .lines()
            .skip(1)
            .filter(|row| {
                let fields: Vec<&str> = row.split_whitespace().collect();
                let local_port = fields.get(1).and_then(|a| a.rsplit_once(':')).map(|(_, p)| p);
                fields.get(3) == Some(&"0A")
                    && local_port.and_then(|p| u16::from_str_radix(p, 16).ok()) == Some(port)
            })
            .count();
    }
    std::path::Path::new("/proc/net/tcp").exists().then_some(count)
}
