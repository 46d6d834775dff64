//! The checked-in `observability/` tree is exactly what the generator writes for the default
//! namespace (with the checked-in objectives), so rules and dashboards cannot drift from the
//! metric catalog.
//!
//! Why this catches a renamed metric: the generator takes every metric name from the catalog
//! (`MetricNames::new` → `MetricDef::prometheus_name`), so renaming a catalog entry changes the
//! generated rules and dashboards, and they no longer equal the checked-in files.
//! `a_renamed_metric_fails_the_comparison` shows it with a cheap proxy that renames every metric
//! at once: another namespace.

use std::path::{Path, PathBuf};

use flowmeter_cli::check::{Drift, drift};
use flowmeter_cli::{GenerateConfig, GeneratedFile, generate, parse_objectives};

fn observability() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../observability")
}

/// The objectives of `observability/objectives.toml`; none (with a note) while it is missing.
fn objectives_file() -> Option<PathBuf> {
    let path = observability().join("objectives.toml");
    if path.exists() {
        Some(path)
    } else {
        eprintln!("note: {} is missing; generating without objectives", path.display());
        None
    }
}

fn generated(namespace: &str) -> Vec<GeneratedFile> {
    let objectives = match objectives_file() {
        Some(path) => {
            let text = std::fs::read_to_string(&path).unwrap();
            parse_objectives(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        }
        None => Vec::new(),
    };
    generate(&GenerateConfig {
        namespace: namespace.into(),
        objectives,
        ..GenerateConfig::default()
    })
}

fn regenerate_command() -> String {
    let objectives = match objectives_file() {
        Some(_) => " --objectives observability/objectives.toml",
        None => "",
    };
    format!("cargo run -p flowmeter-cli -- rules --out observability{objectives}")
}

#[test]
fn checked_in_observability_equals_the_generator_output() {
    let files = generated("flowmeter");
    let drift = drift(&observability(), &files).expect("read observability/");
    let lines: Vec<String> = drift.iter().map(|d| format!("  observability/{d}")).collect();
    let stale = drift.iter().any(|d| matches!(d, Drift::Extra(_)));
    assert!(
        drift.is_empty(),
        "observability/ differs from the generator's output:\n{}\nrun `{}`{} and commit the result",
        lines.join("\n"),
        regenerate_command(),
        if stale { " (add --prune to delete the stale files)" } else { "" },
    );
}

#[test]
fn a_renamed_metric_fails_the_comparison() {
    // Every catalog name changes with the namespace, as one does when a catalog entry is
    // renamed: the comparison above must then fail for every file that names a metric.
    let renamed = generated("other");
    let drift = drift(&observability(), &renamed).expect("read observability/");
    assert!(!drift.is_empty(), "a renamed catalog must not match the checked-in tree");
    for file in generated("flowmeter") {
        if file.contents.contains("flowmeter_") {
            assert!(
                !renamed.contains(&file),
                "{} did not change with the names",
                file.path.display()
            );
        }
    }
}
