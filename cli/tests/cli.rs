//! The `flowmeter` binary: `rules` writes what `generate()` returns and refuses bad input,
//! `check` passes the shipped rules and dashboards against a live `demo` and names missing
//! metrics and labels, `demo --once` exposes every catalog metric.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{KillOnDrop, TempDir};
use flowmeter::metrics::catalog::{CATALOG, InstrumentKind};
use flowmeter_cli::{GenerateConfig, generate};

/// The binary, with every `FLOWMETER_*` variable removed.
fn flowmeter() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowmeter"));
    for (var, _) in flowmeter::telemetry::ENV_VARS {
        command.env_remove(var);
    }
    command
}

fn run(args: &[&str]) -> (Output, String, String) {
    let output = flowmeter().args(args).output().expect("run flowmeter");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

/// Writes `name` in the directory and returns its path as a string.
trait WriteFile {
    fn write(&self, name: &str, text: &str) -> String;
}

impl WriteFile for TempDir {
    fn write(&self, name: &str, text: &str) -> String {
        let path = self.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }
}

/// `demo --once`'s exposition, written to a file in `dir`.
fn demo_exposition(dir: &TempDir) -> String {
    let (output, stdout, stderr) = run(&["demo", "--once"]);
    assert!(output.status.success(), "demo --once failed: {stderr}");
    dir.write("metrics.txt", &stdout)
}

#[test]
fn rules_writes_exactly_what_generate_returns() {
    let dir = TempDir::new("cli");
    let out = dir.path().join("obs");
    let out_arg = out.to_str().unwrap();
    let (output, stdout, stderr) =
        run(&["rules", "--namespace", "tta", "--out", out_arg, "--target", "10.0.0.7:9000"]);
    assert!(output.status.success(), "{stderr}");
    let config = GenerateConfig {
        namespace: "tta".into(),
        scrape_target: "10.0.0.7:9000".into(),
        ..GenerateConfig::default()
    };
    let files = generate(&config);
    let listed: Vec<&str> = stdout.lines().collect();
    assert_eq!(listed.len(), files.len(), "{stdout}");
    for (file, line) in files.iter().zip(&listed) {
        let path = out.join(&file.path);
        assert_eq!(Path::new(line), path, "prints each written path");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            file.contents,
            "{}",
            file.path.display()
        );
    }
    let check = ["rules", "--namespace", "tta", "--out", out_arg, "--target", "10.0.0.7:9000"];
    let (output, _, _) = run(&[&check[..], &["--check"]].concat());
    assert!(output.status.success(), "--check passes on what rules wrote");

    // A changed and a stale file make --check fail, naming them; --prune removes the stale one.
    std::fs::write(out.join("prometheus.yml"), "edited\n").unwrap();
    std::fs::create_dir_all(out.join("rules")).unwrap();
    std::fs::write(out.join("rules/stale.yml"), "groups: []\n").unwrap();
    let (output, stdout, _) = run(&[&check[..], &["--check"]].concat());
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("prometheus.yml: differs"), "{stdout}");
    assert!(stdout.contains("stale.yml: not written by the generator"), "{stdout}");
    let (output, stdout, _) = run(&[&check[..], &["--prune"]].concat());
    assert!(output.status.success() && stdout.contains("removed"), "{stdout}");
    assert!(!out.join("rules/stale.yml").exists());
    let (output, _, _) = run(&[&check[..], &["--check"]].concat());
    assert!(output.status.success(), "rewritten and pruned");
}

#[test]
fn rules_rejects_a_bad_namespace_target_or_objectives_file() {
    let dir = TempDir::new("cli");
    let out = dir.path().join("obs");
    let out = out.to_str().unwrap();
    let (output, _, stderr) = run(&["rules", "--namespace", "9lives", "--out", out]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("--namespace") && stderr.contains("9lives"), "{stderr}");

    let (output, _, stderr) = run(&["rules", "--target", "localhost", "--out", out]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("--target") && stderr.contains("localhost"), "{stderr}");

    let off_boundary = dir.write(
        "objectives.toml",
        "[[objective]]\nworkflow = \"checkout\"\nlatency_seconds = 0.3\nratio = 0.99\n",
    );
    let (output, _, stderr) = run(&["rules", "--objectives", &off_boundary, "--out", out]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains(&off_boundary), "names the file: {stderr}");
    assert!(stderr.contains("0.3") && stderr.contains("not a bucket boundary"), "{stderr}");

    let missing = dir.path().join("missing.toml").display().to_string();
    let (output, _, stderr) = run(&["rules", "--objectives", &missing, "--out", out]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains(&missing), "{stderr}");
    assert!(!Path::new(out).exists(), "nothing written on error");
}

#[test]
fn demo_once_exposes_every_catalog_metric() {
    let (output, stdout, stderr) = run(&["demo", "--once", "--namespace", "tta"]);
    assert!(output.status.success(), "{stderr}");
    for def in CATALOG {
        let name = def.prometheus_name("tta");
        let series = match def.kind {
            InstrumentKind::Histogram => format!("{name}_bucket{{"),
            _ => format!("{name}{{"),
        };
        assert!(stdout.contains(&series), "{series} missing from the demo's exposition");
    }
}

/// Files of `observability/{sub}` ending in one of `extensions` (none while the directory
/// does not exist).
fn shipped(sub: &str, extensions: &[&str]) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../observability").join(sub);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| extensions.iter().any(|x| e == *x)))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    files
}

/// A rule file selecting every catalog metric with a matcher on each of its labels: checking it
/// against a scrape proves the scrape has every metric and label the catalog promises.
fn catalog_coverage_rules() -> String {
    let mut yaml = String::from("groups:\n- name: catalog_coverage\n  rules:\n");
    for (i, def) in CATALOG.iter().enumerate() {
        let name = def.prometheus_name("flowmeter");
        let name = match def.kind {
            InstrumentKind::Histogram => format!("{name}_bucket"),
            _ => name,
        };
        let matchers: Vec<String> =
            def.prometheus_labels().iter().map(|l| format!("{l}=~\\\".*\\\"")).collect();
        yaml.push_str(&format!(
            "  - record: coverage:metric_{i}\n    expr: \"{name}{{{}}}\"\n",
            matchers.join(",")
        ));
    }
    yaml
}

#[test]
fn check_passes_the_shipped_rules_and_dashboards_against_a_live_demo() {
    let dir = TempDir::new("cli");
    let coverage = dir.write("coverage.yml", &catalog_coverage_rules());
    let mut demo = KillOnDrop(
        flowmeter()
            .args(["demo", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start demo"),
    );
    let stdout = demo.0.stdout.take().unwrap();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = send.send(line);
    });
    let line = receive.recv_timeout(Duration::from_secs(120)).expect("demo prints its URL");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_end_matches(';')
        .to_owned();

    let mut args = vec!["check".to_owned(), "--metrics".into(), url, "--rules".into(), coverage];
    args.extend(shipped("rules", &["yml", "yaml"]));
    let dashboards = shipped("dashboards", &["json"]);
    if !dashboards.is_empty() {
        args.push("--dashboards".into());
        args.extend(dashboards);
    }
    let output = flowmeter().args(&args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "check failed:\n{stdout}{stderr}");
    assert!(stdout.starts_with("ok: "), "{stdout}");
}

#[test]
fn check_names_a_missing_metric() {
    let dir = TempDir::new("cli");
    let metrics = demo_exposition(&dir);
    let rules = dir.write(
        "bad.rules.yml",
        "groups:\n- name: bad\n  rules:\n  - alert: Impossible\n    \
         expr: rate(flowmeter_nonexistent_total[5m]) > 0\n",
    );
    let (output, stdout, _) = run(&["check", "--rules", &rules, "--metrics", &metrics]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout.lines().count(), 1, "one line per problem: {stdout}");
    assert!(
        stdout.contains(&rules)
            && stdout.contains("alert \"Impossible\"")
            && stdout.contains("flowmeter_nonexistent_total"),
        "{stdout}"
    );
}

#[test]
fn check_names_a_missing_label_in_rules_and_dashboards() {
    let dir = TempDir::new("cli");
    let metrics = demo_exposition(&dir);
    let rules = dir.write(
        "labels.rules.yml",
        "groups:\n- name: g\n  rules:\n  - record: cache:flowmeter_cache_hits:rate5m\n    \
         expr: sum by (cache_name) (rate(flowmeter_cache_hits_total{cache=\"answers\"}[5m]))\n",
    );
    let dashboard = dir.write(
        "d.json",
        r#"{"panels": [{"id": 4, "title": "Hits", "targets": [{"refId": "A",
            "expr": "cache:flowmeter_cache_hits:rate5m{model=~\"$model\"}"}]}]}"#,
    );
    let (output, stdout, _) =
        run(&["check", "--rules", &rules, "--dashboards", &dashboard, "--metrics", &metrics]);
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].contains("label `cache`") && lines[0].contains("flowmeter_cache_hits_total"));
    assert!(lines[1].contains(&dashboard) && lines[1].contains("panel \"Hits\""));
    assert!(lines[1].contains("label `model`") && lines[1].contains("cache:flowmeter_cache_hits"));
}

#[test]
fn check_fails_when_the_scrape_cannot_be_read() {
    let dir = TempDir::new("cli");
    let rules = dir.write("r.yml", "groups: []\n");
    // A port nothing listens on: bind one, then free it.
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let (output, _, stderr) = run(&["check", "--rules", &rules, "--metrics", &url]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains(&url), "{stderr}");
}

/// The `flowmeter demo --once` command reads `FLOWMETER_*` (it sets namespace, listen and
/// serve itself), so a bad variable fails it before it records or serves anything.
#[test]
fn bad_environment_variables_are_named_in_the_error() {
    let dir = common::TempDir::new("bad-env");
    let bad_file = dir.path().join("flowmeter.toml");
    std::fs::write(&bad_file, "\nmetrics_path = \"no-slash\"\n").unwrap();
    let bad_file = bad_file.display().to_string();
    let cases: &[(&str, &str, &[&str])] = &[
        ("FLOWMETER_ENABLED", "maybe", &["`enabled`", "\"maybe\"", "FLOWMETER_ENABLED"]),
        ("FLOWMETER_METRICS_PATH", "metrics", &["`metrics_path`", "FLOWMETER_METRICS_PATH"]),
        ("FLOWMETER_PROCESS_METRICS", "2", &["`process_metrics`", "FLOWMETER_PROCESS_METRICS"]),
        ("FLOWMETER_CONFIG", &bad_file, &["`metrics_path`", &bad_file, "line 2", "`/`"]),
        ("FLOWMETER_CONFIG", "/nonexistent/flowmeter.toml", &["`config_file`", "cannot read"]),
    ];
    for (var, value, expected) in cases {
        let output = flowmeter().args(["demo", "--once"]).env(var, value).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{var}={value}: {stderr}");
        for part in *expected {
            assert!(stderr.contains(part), "{var}={value}: {part} missing from: {stderr}");
        }
    }
}

/// Objectives declared in code reach the generator through the service's `/catalog`: the
/// workflow example declares `document_pipeline`'s two objectives on its `Workflow`, and
/// `rules --catalog URL` writes their SLO rules (which pass `promtool check rules`) with no
/// objectives file. With the shipped file added (it also holds `fetch`'s objective), the
/// output is exactly the checked-in `observability/`.
#[test]
fn rules_from_a_running_services_catalog_include_the_objectives_declared_in_code() {
    let addr = format!("127.0.0.1:{}", common::free_port());
    let mut app = common::example("workflow");
    app.args(["--interval-ms", "1000"]).env("FLOWMETER_LISTEN", &addr);
    let _app = common::spawn_serving(app);
    let url = format!("http://{addr}/catalog");

    let dir = TempDir::new("from-catalog");
    let out = dir.path().display().to_string();
    let (output, _, stderr) = run(&["rules", "--catalog", &url, "--out", &out]);
    assert!(output.status.success(), "{stderr}");
    let slo = std::fs::read_to_string(dir.path().join("rules/flowmeter.slo.yml")).unwrap();
    for expected in [
        "slo: workflow-document_pipeline-success-rate",
        "slo: workflow-document_pipeline-latency-0.5s",
    ] {
        assert!(slo.contains(expected), "{expected} missing from:\n{slo}");
    }
    assert!(!slo.contains("primitive_name=\"fetch\""), "fetch's objective is only in the file");
    if common::tool_available("promtool") {
        let check = Command::new("promtool")
            .args(["check", "rules"])
            .arg(dir.path().join("rules/flowmeter.slo.yml"))
            .output()
            .unwrap();
        assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    }

    // With the file's objectives added, every file the shipped tree has comes out the same;
    // the one more is the dashboard of the example's own `flowmeter::app` gauge.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let objectives = root.join("observability/objectives.toml").display().to_string();
    let both = TempDir::new("from-catalog-and-file");
    let both_out = both.path().display().to_string();
    let args = ["rules", "--catalog", &url, "--objectives", &objectives, "--out", &both_out];
    let (output, stdout, stderr) = run(&args);
    assert!(output.status.success(), "{stdout}{stderr}");
    let shipped = root.join("observability");
    let mut written: Vec<&str> = stdout.lines().collect();
    written.sort();
    assert_eq!(written.len(), 11, "{stdout}");
    for path in written {
        let relative = Path::new(path).strip_prefix(both.path()).unwrap();
        let generated = std::fs::read_to_string(path).unwrap();
        if relative == Path::new("dashboards/app-metrics.json") {
            assert!(generated.contains("classifier_confidence"), "{generated}");
            continue;
        }
        let checked_in = std::fs::read_to_string(shipped.join(relative)).unwrap();
        assert!(generated == checked_in, "{} differs from observability/", relative.display());
    }

    // A namespace comes from the catalog, never from both.
    let (output, _, stderr) = run(&["rules", "--catalog", &url, "--namespace", "x", "--out", &out]);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
}

/// The metrics a service declares through `flowmeter::app` (the skills exporter's) reach the
/// generator through its `/catalog` and get a dashboard, one panel each; `flowmeter check`
/// then finds every metric and label those panels query in the same service's scrape.
#[test]
fn app_metrics_from_a_services_catalog_get_a_dashboard_that_its_scrape_satisfies() {
    let port = common::free_port();
    let mut app = common::example("skills_exporter");
    app.args(["--port", &port.to_string(), "--per-thread", "200"]).stdout(Stdio::piped());
    let mut app = KillOnDrop(app.spawn().unwrap());
    let lines = BufReader::new(app.0.stdout.take().unwrap()).lines().map_while(Result::ok);
    // Its metrics are declared (built) by the workload, which runs once it serves.
    assert!(lines.take(2).any(|l| l.starts_with("recorded ")), "the workload ran");

    let dir = TempDir::new("app-dashboard");
    let out = dir.path().display().to_string();
    let catalog = format!("http://127.0.0.1:{port}/catalog");
    let (output, _, stderr) = run(&["rules", "--catalog", &catalog, "--out", &out]);
    assert!(output.status.success(), "{stderr}");
    let dashboard = dir.path().join("dashboards/app-metrics.json");
    let json = std::fs::read_to_string(&dashboard).expect("the app-metrics dashboard");
    let exprs = flowmeter_cli::dashboards::panel_expressions(&json).unwrap();
    for metric in
        ["skill_invocations_total", "skill_duration_seconds_bucket", "skill_completion_rate"]
    {
        assert!(exprs.iter().any(|e| e.contains(metric)), "{metric} missing from {exprs:#?}");
    }

    let dashboard = dashboard.display().to_string();
    let metrics = format!("http://127.0.0.1:{port}/metrics");
    let (output, stdout, stderr) =
        run(&["check", "--dashboards", &dashboard, "--metrics", &metrics]);
    assert!(output.status.success(), "{stdout}{stderr}");
}
