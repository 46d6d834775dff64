//! Helpers of the generator's integration tests: the shared harness (`flowmeter-testkit`) and
//! writing a generated tree for a test Prometheus.
#![allow(dead_code)]

use std::path::Path;

pub use flowmeter_testkit::*;

/// One rule of the generated rule files.
#[derive(Debug, Clone)]
pub struct GeneratedRule {
    /// The `record` or `alert` name.
    pub name: String,
    pub expr: String,
    /// A recording rule (else an alert).
    pub recording: bool,
}

/// Writes `files` (the rules generator's output) under `dir` for a test Prometheus: the
/// configuration's 15 s intervals become 1 s, and `edit_config` may change it further.
/// Returns every rule of the rule files.
pub fn write_generated(
    dir: &Path,
    files: &[flowmeter_cli::GeneratedFile],
    edit_config: impl Fn(String) -> String,
) -> Vec<GeneratedRule> {
    let mut rules = Vec::new();
    for file in files {
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let contents = if file.path == Path::new("prometheus.yml") {
            edit_config(file.contents.replace("15s", "1s"))
        } else {
            file.contents.clone()
        };
        std::fs::write(&path, contents).unwrap();
        if file.path.starts_with("rules") {
            let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&file.contents).unwrap();
            for group in yaml["groups"].as_sequence().unwrap() {
                for rule in group["rules"].as_sequence().unwrap() {
                    let record = rule["record"].as_str();
                    rules.push(GeneratedRule {
                        name: record.or(rule["alert"].as_str()).unwrap().to_owned(),
                        expr: rule["expr"].as_str().unwrap().to_owned(),
                        recording: record.is_some(),
                    });
                }
            }
        }
    }
    rules
}
