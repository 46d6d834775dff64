//! The runtime's layers, enforced: every module's `crate::` paths must point at its own layer or
//! one below, and no two modules (at any depth) import each other. The table is the one in the crate docs (`src/lib.rs`, "Layers"); a new top-level
//! module must be added to it, or this test fails.
//!
//! | layer | modules | may use |
//! |---|---|---|
//! | 5 assembly | `telemetry` | everything below |
//! | 4 serving | `exporter`, `otlp`, `mcp`, `system` | 1–3, and `mcp` may use `exporter` |
//! | 3 domains | `primitives`, `llm`, `app` | 1–2, and `primitives` may use `llm` |
//! | 2 recording | `metrics`, `execution`, `in_span` | 1, and `execution` may use `metrics` and `in_span` |
//! | 1 pipeline | `pipeline`, `error`, `sampling` | nothing of flowmeter above it |
//!
//! The crate root (`lib.rs`) and `__private` (what `#[instrumented]` expands to) sit above the
//! table and may name anything. Paths are read from code, not comments, so a doc link to a
//! higher layer is allowed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `(module, layer)`.
const LAYERS: &[(&str, u8)] = &[
    ("pipeline", 1),
    ("error", 1),
    ("sampling", 1),
    ("metrics", 2),
    ("execution", 2),
    ("in_span", 2),
    ("primitives", 3),
    ("llm", 3),
    ("app", 3),
    ("exporter", 4),
    ("otlp", 4),
    ("mcp", 4),
    ("system", 4),
    ("telemetry", 5),
];

/// Modules above the table.
const ROOTS: &[&str] = &["lib", "private"];

/// Same-layer imports the table allows, each one way only (the reverse is reported), so no
/// two modules import each other.
const ALLOWED_SIDEWAYS: &[(&str, &str)] = &[
    // An LLM call is a primitive: it records cost through `llm`.
    ("primitives", "llm"),
    // The execution path records through the call sites' bound handles.
    ("execution", "metrics"),
    // An execution's body runs in its scope (its span, or its unsampled context).
    ("execution", "in_span"),
    // The MCP tools answer with the exporter's exposition, metadata and summary.
    ("mcp", "exporter"),
    // Publishing a second pipeline is an `Error`.
    ("pipeline", "error"),
    // The pipeline holds the sampler every span is decided by.
    ("pipeline", "sampling"),
];

/// Crates of the generator and the command line, which the runtime must never use.
const TOOL_CRATES: &[&str] = &["clap", "promql_parser", "serde_yaml_ng", "flowmeter_cli"];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`src/metrics/bound.rs` → `metrics`).
fn module_of(src: &Path, file: &Path) -> String {
    let first = file.strip_prefix(src).unwrap().components().next().unwrap();
    let name = first.as_os_str().to_string_lossy();
    name.strip_suffix(".rs").unwrap_or(&name).to_owned()
}

/// The code of a file without its comments (line comments, doc comments, block comments).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
        } else if let Some(after) = rest.strip_prefix("'\"'").or(rest.strip_prefix("'\\\"'")) {
            // A `'"'` char literal is not the start of a string.
            rest = after;
        } else if rest.starts_with('"') {
            // Skip string literals, so a path inside a message is not an import.
            let bytes = rest.as_bytes();
            let mut i = 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            rest = rest.get(i + 1..).unwrap_or("");
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The top-level modules a piece of code names through `crate::`: `crate::metrics::x`,
/// `crate::{metrics, app::y}`.
fn crate_references(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        if i > 0 && code[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            continue; // `flowmeter_crate::` or similar, not the `crate` keyword
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(group.split(',').map(ident).filter(|m| !m.is_empty()));
        } else {
            out.insert(ident(rest));
        }
    }
    out
}

/// Every upward import of the sources under `src`, as `file: module (layer) -> module (layer)`.
fn upward_imports(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let module = module_of(src, &file);
        if ROOTS.contains(&module.as_str()) {
            continue;
        }
        let Some(own) = layer(&module) else {
            found.push(format!("{}: module `{module}` is in no layer", file.display()));
            continue;
        };
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for target in crate_references(&code) {
            let Some(theirs) = layer(&target) else { continue };
            let sideways = theirs == own
                && target != module
                && !ALLOWED_SIDEWAYS.contains(&(module.as_str(), target.as_str()));
            if theirs > own || sideways {
                found.push(format!(
                    "{}: `{module}` (layer {own}) uses `crate::{target}` (layer {theirs})",
                    file.display()
                ));
            }
        }
        for tool in TOOL_CRATES {
            if code.contains(&format!("{tool}::")) {
                found.push(format!("{}: the runtime uses `{tool}`", file.display()));
            }
        }
    }
    found
}

/// The module path of a source file (`metrics/bound.rs` → `metrics::bound`, `llm/mod.rs` →
/// `llm`), or `None` for the crate root and for unit tests.
fn module_path(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> =
        relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    let root = parts.is_empty() || ROOTS.contains(&parts[0].as_str());
    (!root && !parts.iter().any(|p| p == "tests")).then(|| parts.join("::"))
}

/// The modules among `known` that `code` (of module `module`) names through `crate::` or
/// `super::`, each resolved to its longest known prefix.
fn module_references(module: &str, code: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let parent: Vec<&str> =
        module.rsplit_once("::").map_or(vec![], |(p, _)| p.split("::").collect());
    let mut out = BTreeSet::new();
    for (base, prefix) in [("crate::", vec![]), ("super::", parent)] {
        for (i, _) in code.match_indices(base) {
            if i > 0 && code[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let path: Vec<&str> = code[i + base.len()..]
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .next()
                .unwrap_or("")
                .split("::")
                .filter(|s| !s.is_empty())
                .collect();
            let full: Vec<&str> = prefix.iter().copied().chain(path).collect();
            let found =
                (1..=full.len()).rev().map(|n| full[..n].join("::")).find(|m| known.contains(m));
            if let Some(found) =
                found.filter(|m| m != module && !module.starts_with(&format!("{m}::")))
            {
                out.insert(found);
            }
        }
    }
    out
}

/// Every pair of modules that import each other (a parent and its own child aside).
fn mutual_imports(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: Vec<(String, PathBuf)> =
        files.iter().filter_map(|f| module_path(src, f).map(|m| (m, f.clone()))).collect();
    let known: BTreeSet<String> = modules.iter().map(|(m, _)| m.clone()).collect();
    let uses: Vec<(String, BTreeSet<String>)> = modules
        .iter()
        .map(|(module, file)| {
            let text = std::fs::read_to_string(file).unwrap();
            // Inline unit tests sit at the end of a file; they may use anything.
            let text = text.split("#[cfg(test)]\nmod tests {").next().unwrap();
            (module.clone(), module_references(module, &code_of(text), &known))
        })
        .collect();
    let mut found = Vec::new();
    for (a, a_uses) in &uses {
        for (b, b_uses) in &uses {
            if a < b && a_uses.contains(b) && b_uses.contains(a) {
                found.push(format!("`{a}` and `{b}` import each other"));
            }
        }
    }
    found
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_module_imports_a_higher_layer() {
    let found = upward_imports(&src());
    assert!(
        found.is_empty(),
        "imports against the layers (see tests/layers.rs):\n{}",
        found.join("\n")
    );
}

#[test]
fn no_two_modules_import_each_other() {
    let found = mutual_imports(&src());
    assert!(found.is_empty(), "circular imports:\n{}", found.join("\n"));
}

#[test]
fn every_top_level_module_is_in_the_table() {
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() || path.extension().is_some_and(|e| e == "rs") {
            modules.insert(name);
        }
    }
    for module in modules {
        assert!(
            layer(&module).is_some() || ROOTS.contains(&module.as_str()),
            "src/{module} is in no layer: add it to tests/layers.rs and the crate docs"
        );
    }
}

#[test]
fn the_checker_sees_an_upward_import() {
    // A copy of a real layer-2 file with one import from layer 5 added must be reported, so
    // the check above cannot pass by reading nothing.
    let dir = std::env::temp_dir().join(format!("flowmeter-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("metrics")).unwrap();
    let original = std::fs::read_to_string(src().join("metrics/callsite.rs")).unwrap();
    let planted = format!("use crate::telemetry::Config;\n{original}");
    std::fs::write(dir.join("metrics/callsite.rs"), planted).unwrap();
    std::fs::write(dir.join("lib.rs"), "//! `crate::telemetry` in a comment is fine\n").unwrap();
    let found = upward_imports(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("`metrics` (layer 2) uses `crate::telemetry` (layer 5)"),
        "{found:?}"
    );
    assert_eq!(
        crate_references("use crate::{metrics::x, app};"),
        ["app", "metrics"].map(String::from).into()
    );
    assert!(crate_references(&code_of("// crate::telemetry\n\"crate::telemetry\"")).is_empty());
    let after_char = code_of("let q = '\"'; use crate::telemetry::Config;");
    assert_eq!(crate_references(&after_char), ["telemetry".to_owned()].into());
}

#[test]
fn the_checker_sees_a_circle() {
    // Two real sibling modules, one given an import of the other that already imports it.
    let dir = std::env::temp_dir().join(format!("flowmeter-circle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("metrics")).unwrap();
    for file in ["mod.rs", "bound.rs", "recording.rs"] {
        let text = std::fs::read_to_string(src().join("metrics").join(file)).unwrap();
        let text = if file == "bound.rs" {
            format!("use super::recording::Recording;\n{text}")
        } else {
            text
        };
        std::fs::write(dir.join("metrics").join(file), text).unwrap();
    }
    let found = mutual_imports(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(found, ["`metrics::bound` and `metrics::recording` import each other"]);
}
