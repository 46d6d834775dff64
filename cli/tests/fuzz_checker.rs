//! Fuzzing the rule checker's inputs: rule files, dashboards and expositions, with the
//! strategies the runtime's parsers are fuzzed with (`flowmeter_testkit::fuzz`). The property:
//! the checker reports `Ok` or a problem naming the file (and the line where the format has
//! lines); it never panics, never aborts the process, and never blocks.
//!
//! 64 cases per property by default; more with `PROPTEST_CASES`, e.g.
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release -p flowmeter-cli --test fuzz_checker
//! ```
//!
//! Crashes found are kept as named tests at the end of this file (their inputs written out),
//! and proptest's failure seeds in `tests/regressions/fuzz_checker.txt`, replayed first.

use std::sync::LazyLock;

use flowmeter_cli::check::{Checker, Exposition, ProblemKind, Source};
use flowmeter_cli::{GenerateConfig, generate};
use flowmeter_testkit::fuzz::{self, arbitrary_text, mutated, nested};
use proptest::prelude::*;

/// proptest's failure seeds, replayed first.
const REGRESSIONS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/regressions/fuzz_checker.txt");

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
    #![proptest_config(fuzz::config(REGRESSIONS))]

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
