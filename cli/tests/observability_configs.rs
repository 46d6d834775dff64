//! The scaling configurations of `observability/scaling/` hold: the Prometheus ones pass
//! `promtool check config` (which also loads the rule files they name), the federation
//! selectors take every catalog metric, and the OpenTelemetry Collector pipeline only names
//! components it defines and sends metrics through Prometheus remote write with suffixes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use flowmeter::metrics::catalog::CATALOG;
use serde_yaml_ng::Value;

fn scaling(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../observability/scaling").join(file)
}

fn yaml(file: &str) -> Value {
    let text = std::fs::read_to_string(scaling(file)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn the_prometheus_configurations_pass_promtool() {
    if !common::tool_available("promtool") {
        return;
    }
    for file in ["federation.yml", "remote-write.yml"] {
        let output = Command::new("promtool").args(["check", "config"]).arg(scaling(file)).output();
        let output = output.expect("run promtool");
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "{file}:\n{report}");
        assert!(report.contains("is valid prometheus config file syntax"), "{file}:\n{report}");
    }
}

#[test]
fn federation_takes_every_catalog_metric_and_the_rules() {
    let config = yaml("federation.yml");
    let job = &config["scrape_configs"][0];
    assert_eq!(job["metrics_path"].as_str(), Some("/federate"));
    assert_eq!(job["honor_labels"].as_bool(), Some(true));
    let selectors: Vec<&str> =
        job["params"]["match[]"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    // `{__name__=~"prefix.+"}` selectors, as prefixes.
    let prefixes: Vec<&str> = selectors
        .iter()
        .filter_map(|s| s.strip_prefix("{__name__=~\"")?.strip_suffix(".+\"}"))
        .collect();
    assert!(!prefixes.is_empty(), "{selectors:?}");
    for def in CATALOG {
        let name = def.prometheus_name("flowmeter");
        assert!(prefixes.iter().any(|p| name.starts_with(p)), "{name} is not federated");
    }
    assert!(selectors.contains(&"{__name__=\"target_info\"}"));
    let rule_files: Vec<&str> =
        config["rule_files"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(rule_files, ["../rules/*.yml"], "the shipped rules, evaluated globally");
}

#[test]
fn the_collector_pipeline_is_complete_and_keeps_the_prometheus_names() {
    let config = yaml("otel-collector.yaml");
    let pipelines = config["service"]["pipelines"].as_mapping().unwrap();
    for (name, pipeline) in pipelines {
        for kind in ["receivers", "processors", "exporters"] {
            for component in pipeline[kind].as_sequence().unwrap() {
                let component = component.as_str().unwrap();
                assert!(
                    config[kind].get(component).is_some(),
                    "{name:?} uses {kind} {component}, which is not defined"
                );
            }
        }
    }
    let exporters = |pipeline: &str| -> Vec<String> {
        let list = pipelines[pipeline]["exporters"].as_sequence().unwrap();
        list.iter().map(|e| e.as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(exporters("metrics"), ["prometheusremotewrite"]);
    assert!(exporters("traces").iter().all(|e| e.starts_with("otlp")));
    let remote_write = &config["exporters"]["prometheusremotewrite"];
    assert_eq!(remote_write["add_metric_suffixes"].as_bool(), Some(true), "names as /metrics");
    let otlp = &config["receivers"]["otlp"]["protocols"];
    assert_eq!(otlp["grpc"]["endpoint"].as_str(), Some("0.0.0.0:4317"));
    assert_eq!(otlp["http"]["endpoint"].as_str(), Some("0.0.0.0:4318"));
}
