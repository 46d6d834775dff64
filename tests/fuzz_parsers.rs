//! Fuzzing the parsers of files the runtime reads from users: the config file and price files
//! (TOML and JSON). The rule checker's inputs are fuzzed in flowmeter-cli
//! (`cli/tests/fuzz_checker.rs`), with the same strategies (`flowmeter_testkit::fuzz`).
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

/// proptest's failure seeds, replayed first.
const REGRESSIONS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/regressions/fuzz_parsers.txt");

use std::path::PathBuf;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use flowmeter::llm::PriceTable;
use flowmeter::{Error, Origin, Telemetry};
use flowmeter_testkit::fuzz::{self, arbitrary_text, mutated, nested};
use proptest::prelude::*;

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
            let known = flowmeter::telemetry::ENV_VARS.iter().any(|(_, f)| *f == error.field);
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
    #![proptest_config(fuzz::config(REGRESSIONS))]

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
    #![proptest_config(fuzz::config(REGRESSIONS))]

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

// ---- crashes found, kept as regressions ------------------------------------------------------

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
