//! Fuzzing the parsers of files flowmeter reads from users: the config file, price files
//! (TOML and JSON), and the rule checker's inputs (rule files, dashboards, expositions).
//!
//! Inputs are arbitrary text (any characters, bytes decoded lossily, a TOML/YAML-ish
//! alphabet), structured mutations of valid files (deletions, insertions of tokens of the
//! format, duplicated spans) and deeply nested input. The property: the parser returns `Ok`
//! or its typed error, with the file and (where the format has lines) the line; it never
//! panics, never aborts the process, and never blocks.
//!
//! 64 cases per property by default; more with `PROPTEST_CASES`, e.g.
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release --test fuzz_parsers
//! ```
//!
//! Crashes found are kept as named tests at the end of this file (their inputs written out),
//! and proptest's failure seeds in `tests/regressions/fuzz_parsers.txt`, replayed first.

mod common;

use std::path::PathBuf;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use flowmeter::llm::PriceTable;
use flowmeter::rules::check::{Checker, Exposition, ProblemKind, Source};
use flowmeter::rules::{GenerateConfig, generate};
use flowmeter::{Error, Origin, Telemetry};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// 64 cases, or `PROPTEST_CASES`; failing seeds are kept in `tests/regressions/`.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok());
    ProptestConfig {
        cases: cases.unwrap_or(64),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/regressions/fuzz_parsers.txt"
        )))),
        ..ProptestConfig::default()
    }
}

/// Text of any kind: arbitrary characters (control and non-BMP included), arbitrary bytes
/// decoded lossily, and strings over the punctuation of TOML, YAML and PromQL.
fn arbitrary_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..200).prop_map(String::from_iter),
        prop::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        "[\\[\\]{}()=:,\"'`#\n\t .a-z0-9_+*/^!~<>@$\\\\-]{0,300}",
    ]
}

/// One edit of a valid file.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(prop::sample::Index, usize),
    Insert(prop::sample::Index, String),
    Duplicate(prop::sample::Index, usize),
}

fn mutation(dictionary: &'static [&'static str]) -> impl Strategy<Value = Mutation> {
    let token = prop_oneof![
        4 => prop::sample::select(dictionary).prop_map(str::to_owned),
        1 => prop::collection::vec(any::<char>(), 1..4).prop_map(String::from_iter),
    ];
    prop_oneof![
        (any::<prop::sample::Index>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<prop::sample::Index>(), token).prop_map(|(i, t)| Mutation::Insert(i, t)),
        (any::<prop::sample::Index>(), 1usize..200).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for m in mutations {
        let at = |i: &prop::sample::Index, len: usize| if len == 0 { 0 } else { i.index(len + 1) };
        match m {
            Mutation::Delete(i, n) => {
                let start = at(i, chars.len()).min(chars.len());
                chars.drain(start..(start + n).min(chars.len()));
            }
            Mutation::Insert(i, token) => {
                let start = at(i, chars.len());
                chars.splice(start..start, token.chars());
            }
            Mutation::Duplicate(i, n) => {
                let start = at(i, chars.len()).min(chars.len());
                let span: Vec<char> = chars[start..(start + n).min(chars.len())].to_vec();
                chars.splice(start..start, span);
            }
        }
    }
    chars.into_iter().collect()
}

/// A valid file of `seeds` edited by up to 8 mutations drawn from `dictionary`.
fn mutated(
    seeds: Vec<String>,
    dictionary: &'static [&'static str],
) -> impl Strategy<Value = String> {
    (prop::sample::select(seeds), prop::collection::vec(mutation(dictionary), 0..8))
        .prop_map(|(seed, mutations)| apply(&seed, &mutations))
}

/// Input nested `depth` levels: `open` repeated, `middle`, `close` repeated.
fn nested(
    forms: &'static [(&'static str, &'static str, &'static str)],
) -> impl Strategy<Value = String> {
    (prop::sample::select(forms), 0usize..20_000).prop_map(|((open, middle, close), depth)| {
        format!("{}{middle}{}", open.repeat(depth), close.repeat(depth))
    })
}

// ---- the config file ----------------------------------------------------------------------

/// Installed first and disabled, so that a fuzzed valid config is refused as a second install
/// (after being fully resolved) and nothing is ever recorded or served.
static INSTALLED: LazyLock<Telemetry> = LazyLock::new(|| {
    Telemetry::builder()
        .enabled(false)
        .ignore_env()
        .install_subscriber(false)
        .install()
        .expect("the first install")
});

const CONFIG_SEEDS: &[&str] = &[
    "enabled = true\nserve = false\nlisten = \"127.0.0.1:9999\"\nmetrics_path = \"/m\"\nnamespace = \"app\"\n",
    "# a comment\nprocess_metrics = false\nsystem_metrics = \"off\"\nnamespace = 'tta'\n",
    "enabled = 1\nlisten = \"[::1]:9464\"\n\n",
    "bearer_token = \"s3cret\"\n",
    "basic_auth_username = \"prometheus\"\nbasic_auth_password = \"p4ss\"\n",
    "tls_cert_file = \"missing/cert.pem\"\ntls_key_file = \"missing/key.pem\"\n",
];

#[rustfmt::skip] // a dictionary: one token per entry, packed
const CONFIG_TOKENS: &[&str] = &[
    "enabled", "serve", "listen", "metrics_path", "namespace", "process_metrics",
    "system_metrics", "bearer_token", "bearer_token_file", "basic_auth_username",
    "basic_auth_password", "tls_cert_file", "tls_key_file", "config_file", " = ", "=", "\"",
    "'", "\"\"\"", "'''", "[", "]", "{", "}", "[t]", "[[t]]", ".", ",", "\n", "#", "true",
    "false", "1", "-0", "1.5", "nan", "inf", "0x1f", "1979-05-27T07:32:00Z", "\\u0000", "\\",
    "\u{0}", "\r", "é", "127.0.0.1:0", ":70000", "/metrics",
];

/// Installs with `text` as the config file. The result must be the configuration error or
/// the refused second install; a configuration error names a known field and, when the file
/// gave the bad value, the file and the line.
fn check_config(text: &str, case: u64) -> Result<(), TestCaseError> {
    LazyLock::force(&INSTALLED);
    // One directory per case: a static one would never be dropped, so never removed.
    let dir = common::TempDir::new("fuzz-config");
    let path: PathBuf = dir.path().join(format!("c{case}.toml"));
    std::fs::write(&path, text).unwrap();
    let builder = Telemetry::builder().ignore_env().install_subscriber(false).config_file(&path);
    // A builder value hides the file's: alternate which of the two is left to the file.
    let builder =
        if case.is_multiple_of(2) { builder.serve(false) } else { builder.enabled(false) };
    let result = builder.install();
    let _ = std::fs::remove_file(&path);
    match result {
        Err(Error::AlreadyInstalled) => Ok(()),
        Err(Error::Config(error)) => {
            let known =
                flowmeter::telemetry::config::ENV_VARS.iter().any(|(_, f)| *f == error.field);
            prop_assert!(known, "unknown field in {error}");
            let message = error.to_string();
            if error.origin == Origin::File(path.clone()) {
                prop_assert!(message.contains("line "), "no line in: {message}");
            }
            // A secret is never echoed (an unknown key may well contain its letters; a missing
            // secret shows as empty).
            if matches!(error.field, "bearer_token" | "basic_auth_password") {
                prop_assert!(["", "<redacted>"].contains(&error.value.as_str()), "{}", message);
            }
            Ok(())
        }
        other => Err(TestCaseError::fail(format!("{other:?} for {text:?}"))),
    }
}

static CASE: AtomicU64 = AtomicU64::new(0);

proptest! {
    #![proptest_config(config())]

    #[test]
    fn config_files_parse_or_name_the_field(
        text in prop_oneof![arbitrary_text(), mutated(CONFIG_SEEDS.iter().map(|s| s.to_string()).collect(), CONFIG_TOKENS)]
    ) {
        check_config(&text, CASE.fetch_add(1, Ordering::Relaxed))?;
    }
}

// ---- price files ----------------------------------------------------------------------------

const BUILTIN_PRICES: &str = include_str!("../src/llm/builtin_prices.toml");
const PRICE_JSON: &str = r#"{"price": [{"provider": "openai", "model": "gpt-4o", "input": 2.5,
  "output": 10.0, "cache_read": 1.25, "effective_from": "2024-10-02"}],
  "prefix": [{"provider": "openai", "prefix": "gpt-4o-2024-", "model": "gpt-4o"}]}"#;

#[rustfmt::skip] // a dictionary: one token per entry, packed
const PRICE_TOKENS: &[&str] = &[
    "[[price]]", "[[prefix]]", "[price]", "provider", "model", "prefix", "input", "output",
    "cache_read", "cache_write", "reasoning", "effective_from", " = ", "\"", "{", "}", "[", "]",
    ":", ",", "\n", "#", "nan", "inf", "-inf", "-1.0", "1e999", "1e7", "0.0000001", "2024-02-30",
    "2024-10-02", "1979-05-27T07:32:00Z", "null", "true", "\"\"", "\\", "\u{0}", "é",
];

fn check_prices(text: &str) -> Result<(), TestCaseError> {
    let lines = text.lines().count() + 1;
    for table in [PriceTable::new(), PriceTable::builtin()] {
        if let Err(e) = table.with_toml(text, "fuzz.toml") {
            prop_assert_eq!(e.file(), "fuzz.toml");
            prop_assert!(e.line().is_some_and(|l| (1..=lines).contains(&l)), "{}", e);
            prop_assert!(!e.message().is_empty());
        }
    }
    if let Err(e) = PriceTable::builtin().with_json(text, "fuzz.json") {
        prop_assert_eq!(e.file(), "fuzz.json");
        prop_assert!(e.line().is_none_or(|l| (1..=lines).contains(&l)), "{}", e);
        let _ = e.to_string();
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn price_files_parse_or_name_the_line(
        text in prop_oneof![
            arbitrary_text(),
            mutated(vec![BUILTIN_PRICES.to_owned(), PRICE_JSON.to_owned()], PRICE_TOKENS),
            nested(&[("[", "1", "]"), ("{a=", "1", "}"), ("[{\"a\":", "1", "}]")])
                .prop_map(|n| format!("[[price]]\nprovider = {n}\n")),
        ]
    ) {
        check_prices(&text)?;
    }
}

// ---- the rule checker -----------------------------------------------------------------------

/// The generated rule files and dashboards, and the exposition of a small pipeline.
static GENERATED: LazyLock<(Vec<String>, Vec<String>)> = LazyLock::new(|| {
    let files = generate(&GenerateConfig::default());
    let text = |dir: &str| -> Vec<String> {
        files.iter().filter(|f| f.path.starts_with(dir)).map(|f| f.contents.clone()).collect()
    };
    (text("rules"), text("dashboards"))
});

const EXPOSITION: &str = "# TYPE flowmeter_primitive_executions_total counter\n\
    flowmeter_primitive_executions_total{primitive_name=\"a\",primitive_type=\"function\",status=\"success\"} 3\n\
    # TYPE flowmeter_execution_duration_seconds histogram\n\
    flowmeter_execution_duration_seconds_bucket{primitive_name=\"a\",le=\"+Inf\"} 3\n\
    flowmeter_execution_duration_seconds_sum{primitive_name=\"a\"} 0.5\n\
    flowmeter_execution_duration_seconds_count{primitive_name=\"a\"} 3\n";

#[rustfmt::skip] // a dictionary: one token per entry, packed
const RULE_TOKENS: &[&str] = &[
    "groups:", "- name: g", "rules:", "- record: a:b:c", "- alert: A", "expr: ", "labels:",
    "{", "}", "[", "]", "(", ")", "[5m]", "[5m:1m]", "{a=\"b\"}", "{__name__=~\".+\"}", "sum by (le) ",
    "rate(", "histogram_quantile(0.9, ", "label_replace(", " or ", " and ", " unless ",
    " / on (a) group_left (b) ", " offset 5m", " @ end()", "$__rate_interval", "${var}",
    "[[var]]", "label_values(", "\"", "'", "`", "\\", "\n", "  ", "- ", ": ", "|", ">", "&a",
    "*a", "!!str ", "---", "...", "#", "\u{0}", "é", "-", "1e999", "NaN", "\"targets\":",
    "\"panels\":", "\"expr\":", "\"templating\":",
];

/// PromQL nested `depth` levels in the ways that recurse: brackets, unary minus, a chain of
/// binary operators, function calls.
const PROMQL_NESTING: &[(&str, &str, &str)] = &[
    ("(", "up", ")"),
    ("-", "up", ""),
    ("up + ", "up", ""),
    ("abs(", "up", ")"),
    ("sum(", "up", ")"),
    ("up or ", "up", ""),
];

fn rule_file_with(expr: &str) -> String {
    let expr = expr.replace('\'', "''");
    format!("groups:\n- name: g\n  rules:\n  - record: fuzz:rule\n    expr: '{expr}'\n")
}

fn check_rules(text: &str) -> Result<(), TestCaseError> {
    let exposition = Exposition::parse(EXPOSITION).unwrap();
    let sources = [Source::rules("fuzz.yml", text), Source::dashboard("fuzz.json", text)];
    for source in sources {
        let report = Checker::new(&exposition).check(std::slice::from_ref(&source));
        prop_assert_eq!(report.files, 1);
        let _ = report.to_string();
        for problem in &report.problems {
            prop_assert_eq!(&problem.file, &source.name);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rule_files_and_dashboards_check_or_report_the_problem(
        text in prop_oneof![
            arbitrary_text(),
            mutated(GENERATED.0.clone(), RULE_TOKENS),
            mutated(GENERATED.1.clone(), RULE_TOKENS),
            nested(PROMQL_NESTING).prop_map(|e| rule_file_with(&e)),
            nested(&[("[", "1", "]"), ("{a: ", "1", "}"), ("- ", "1", "")])
                .prop_map(|n| format!("groups: {n}\n")),
        ]
    ) {
        check_rules(&text)?;
    }

    #[test]
    fn expositions_parse_or_name_the_line(
        text in prop_oneof![arbitrary_text(), mutated(vec![EXPOSITION.to_owned()], RULE_TOKENS)]
    ) {
        let lines = text.lines().count();
        if let Err(e) = Exposition::parse(&text) {
            prop_assert!((1..=lines).contains(&e.line), "{}", e);
        }
    }
}

// ---- crashes found, kept as regressions ------------------------------------------------------

/// Found by the nesting strategy: 10 000 levels of brackets, unary minus or `+` overflowed the
/// stack while the expression was parsed, aborting the process. Now refused up front.
#[test]
fn regression_deeply_nested_promql_is_reported_not_a_stack_overflow() {
    let exposition = Exposition::parse(EXPOSITION).unwrap();
    for (open, middle, close) in PROMQL_NESTING {
        let expr = format!("{}{middle}{}", open.repeat(10_000), close.repeat(10_000));
        let report =
            Checker::new(&exposition).check(&[Source::rules("deep.yml", rule_file_with(&expr))]);
        assert!(
            matches!(&report.problems[..], [p] if matches!(&p.kind, ProblemKind::Unparsable { error, .. } if error.contains("levels deep"))),
            "{open}…: {}",
            report.to_string().chars().take(300).collect::<String>()
        );
    }
    // Just under the limit still parses and is checked.
    let expr = format!("{}up{}", "(".repeat(500), ")".repeat(500));
    let report = Checker::new(&exposition).check(&[Source::rules("ok.yml", rule_file_with(&expr))]);
    assert!(report.problems.is_empty(), "{report}");
}

/// Found by the nesting strategy: YAML flow collections 100 000 levels deep took the YAML
/// parser about 90 s (quadratic in the depth) before its recursion limit rejected them. Now
/// refused up front, in microseconds.
#[test]
fn regression_deeply_nested_yaml_is_refused_up_front() {
    let exposition = Exposition::parse(EXPOSITION).unwrap();
    let text = format!("groups: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let report = Checker::new(&exposition).check(&[Source::rules("deep.yml", text)]);
    assert!(
        matches!(&report.problems[..], [p] if matches!(&p.kind, ProblemKind::UnreadableFile { error } if error.contains("100000 levels"))),
        "{report}"
    );
}

/// Found by the config strategy (seeds kept in `tests/regressions/fuzz_parsers.txt`): an
/// error about a key the file lacks (`tls_key_file` needed because `tls_cert_file` is set; a
/// password without `basic_auth_username`) named the file but no line. It now names the line
/// of the key that needs it.
#[test]
fn regression_a_missing_companion_key_is_reported_at_the_line_of_the_key_that_needs_it() {
    LazyLock::force(&INSTALLED);
    let dir = common::TempDir::new("fuzz-config-regression");
    for (name, text) in [
        ("cert.toml", "namespace = \"app\"\ntls_cert_file = \"missing/cert.pem\"\n"),
        ("password.toml", "namespace = \"app\"\nbasic_auth_password = \"p4ss\"\n"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let result = Telemetry::builder()
            .ignore_env()
            .install_subscriber(false)
            .serve(false)
            .config_file(&path)
            .install();
        let Err(Error::Config(error)) = result else { panic!("{name}: {result:?}") };
        let message = error.to_string();
        assert!(message.contains("line 2") && !message.contains("p4ss"), "{name}: {message}");
    }
}
