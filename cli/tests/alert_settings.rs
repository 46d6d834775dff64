//! `flowmeter rules`' alert settings: non-default values reach the generated files (and
//! change what fires, shown with promtool), bad values are refused naming the flag, and
//! `--help` lists every setting with its default.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::TempDir;
use flowmeter_cli::{AlertSettings, GenerateConfig, generate};

fn run(args: &[&str]) -> (Output, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowmeter"));
    for (var, _) in flowmeter::telemetry::ENV_VARS {
        command.env_remove(var);
    }
    let output = command.args(args).output().expect("run flowmeter");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

const SETTINGS: &[&str] = &[
    "--scrape-job",
    "checkout",
    "--budget-remaining-share",
    "0.5",
    "--budget-low-for",
    "2m",
    "--error-ratio-threshold",
    "0.01",
    "--target-down-for",
    "1m",
];

/// A budget at 40% of its limit (under 0.5, not under the default 0.2) and a `checkout`
/// target down from 10m: both fire only with the settings above.
const PROMTOOL_TEST: &str = r#"rule_files:
  - ../rules/flowmeter.alerts.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'flowmeter_llm_budget_limit{budget_name="b", instance="i:1", job="checkout"}'
        values: '10+0x20'
      - series: 'flowmeter_llm_budget_remaining{budget_name="b", instance="i:1", job="checkout"}'
        values: '4+0x20'
      - series: 'flowmeter_llm_budget_period_end_timestamp_seconds{budget_name="b", instance="i:1", job="checkout"}'
        values: '86400+0x20'
      - series: 'up{instance="i:1", job="checkout"}'
        values: '1+0x9 0+0x10'
    alert_rule_test:
      - eval_time: 1m
        alertname: FlowmeterLlmBudgetLow
        exp_alerts: []
      - eval_time: 3m
        alertname: FlowmeterLlmBudgetLow
        exp_alerts:
          - exp_labels: {budget_name: b, instance: 'i:1', job: checkout, severity: warning}
            exp_annotations:
              summary: 'LLM budget b has 40% of its limit left'
              description: 'LLM budget b has 40% of its limit left in its current period (threshold 50%). Under the enforce policy its calls are refused once nothing is left, until the period ends. See flowmeter_llm_budget_remaining and flowmeter_llm_budget_limit.'
      - eval_time: 11m
        alertname: FlowmeterTargetDown
        exp_alerts:
          - exp_labels: {instance: 'i:1', job: checkout, severity: page}
            exp_annotations:
              summary: 'flowmeter target i:1 is down'
              description: 'Prometheus cannot scrape i:1 (job checkout): its workflows are either down or unobserved, and every other alert on them is blind.'
"#;

#[test]
fn non_default_settings_reach_the_generated_files_and_what_fires() {
    let dir = TempDir::new("alert-settings");
    let out = dir.path().join("obs");
    let mut args = vec!["rules", "--out", out.to_str().unwrap()];
    args.extend(SETTINGS);
    let (output, _, stderr) = run(&args);
    assert!(output.status.success(), "{stderr}");

    // Exactly what the library generates with the same settings.
    let alerts = AlertSettings::builder()
        .scrape_job("checkout")
        .budget_remaining_share(0.5)
        .budget_low_for(Duration::from_secs(120))
        .error_ratio_threshold(0.01)
        .target_down_for(Duration::from_secs(60))
        .build()
        .unwrap();
    for file in generate(&GenerateConfig { alerts, ..GenerateConfig::default() }) {
        let written = std::fs::read_to_string(out.join(&file.path)).unwrap();
        assert_eq!(written, file.contents, "{}", file.path.display());
    }
    let prometheus = std::fs::read_to_string(out.join("prometheus.yml")).unwrap();
    assert!(prometheus.contains("- job_name: checkout\n"), "{prometheus}");
    let rules = std::fs::read_to_string(out.join("rules/flowmeter.alerts.yml")).unwrap();
    for expected in [
        "expr: up{job=\"checkout\"} == 0\n    for: 1m\n",
        "\n      < 0.5\n",
        "primitive:flowmeter_primitive_errors:ratio_rate5m > 0.01\n",
    ] {
        assert!(rules.contains(expected), "{expected:?} not in\n{rules}");
    }
    assert!(!rules.contains("job=\"flowmeter\""), "{rules}");

    if !common::tool_available("promtool") {
        return;
    }
    let tests = out.join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    std::fs::write(tests.join("settings.test.yml"), PROMTOOL_TEST).unwrap();
    let promtool = |args: &[&str], cwd: &Path| {
        let output = Command::new("promtool").args(args).current_dir(cwd).output().unwrap();
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "promtool {args:?}:\n{report}");
    };
    promtool(&["check", "config", "prometheus.yml"], &out);
    promtool(&["test", "rules", "settings.test.yml"], &tests);

    // The same scenario with the defaults fires neither alert: the settings made the difference.
    let (output, _, stderr) = run(&["rules", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{stderr}");
    let check = Command::new("promtool")
        .args(["test", "rules", "settings.test.yml"])
        .current_dir(&tests)
        .output()
        .unwrap();
    assert!(!check.status.success(), "the default settings fire the same alerts");
}

#[test]
fn bad_settings_are_refused_naming_the_flag() {
    let dir = TempDir::new("alert-settings-bad");
    let out = dir.path().join("obs");
    let out = out.to_str().unwrap();
    for (flag, value, says) in [
        ("--budget-remaining-share", "-0.5", "must be in [0, 1], got -0.5"),
        ("--budget-remaining-share", "1.5", "must be in [0, 1], got 1.5"),
        ("--error-ratio-threshold", "1", "must be in [0, 1), got 1"),
        ("--latency-p95-threshold-seconds", "0", "must be above 0"),
        ("--scrape-job", "", "scrape_job must be letters"),
        ("--scrape-job", "a b", "got \"a b\""),
        ("--budget-burn-window", "90s", "must be at least 2m, got 1m30s"),
    ] {
        let arg = format!("{flag}={value}");
        let (output, _, stderr) = run(&["rules", "--out", out, &arg]);
        assert_eq!(output.status.code(), Some(2), "{arg}: {stderr}");
        assert!(stderr.contains(&format!("error: {flag}: ")), "{arg}: {stderr}");
        assert!(stderr.contains(says), "{arg}: {stderr}");
    }
    // Durations Prometheus cannot read, refused by clap before anything runs.
    for (flag, value) in [("--latency-for", "10"), ("--budget-low-for", "5 minutes")] {
        let arg = format!("{flag}={value}");
        let (output, _, stderr) = run(&["rules", "--out", out, &arg]);
        assert_eq!(output.status.code(), Some(2), "{arg}: {stderr}");
        assert!(stderr.contains(flag), "{arg}: {stderr}");
    }
    assert!(!Path::new(out).exists(), "nothing written on error");
}

#[test]
fn help_lists_every_setting_with_its_default() {
    let (output, stdout, _) = run(&["rules", "--help"]);
    assert!(output.status.success());
    assert!(stdout.contains("Alert settings:"), "{stdout}");
    for (flag, default) in [
        ("--error-ratio-threshold <RATIO>", "0.05"),
        ("--error-ratio-for <DURATION>", "10m"),
        ("--latency-p95-threshold-seconds <SECONDS>", "10"),
        ("--latency-for <DURATION>", "15m"),
        ("--cache-hit-ratio-drop <FRACTION>", "0.5"),
        ("--cache-hit-ratio-for <DURATION>", "30m"),
        ("--llm-spend-dollars-per-hour <DOLLARS>", "10"),
        ("--llm-spend-for <DURATION>", "15m"),
        ("--budget-remaining-share <SHARE>", "0.2"),
        ("--budget-low-for <DURATION>", "5m"),
        ("--budget-burn-window <DURATION>", "1h"),
        ("--budget-burn-for <DURATION>", "15m"),
        ("--target-down-for <DURATION>", "5m"),
        ("--metrics-absent-for <DURATION>", "15m"),
        ("--scrape-job <JOB>", "flowmeter"),
    ] {
        let start = stdout.find(flag).unwrap_or_else(|| panic!("{flag} not in\n{stdout}"));
        let entry = &stdout[start..];
        let end = entry[flag.len()..].find("\n      --").map_or(entry.len(), |i| i + flag.len());
        assert!(
            entry[..end].contains(&format!("[default: {default}]")),
            "{flag}: {}",
            &entry[..end]
        );
    }
}
