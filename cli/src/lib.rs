//! flowmeter's command line tool and generator: recording rules, alerts, SLO rules, Grafana
//! dashboards and a Prometheus configuration, generated from flowmeter's metric catalog, so a
//! renamed metric cannot leave a rule or a panel behind; and the checker that proves rules and
//! dashboards against a real scrape.
//!
//! This crate is kept out of the runtime a program links (as `sqlx-cli` and `diesel_cli` are):
//! a service depends on `flowmeter` only, and this crate (its `flowmeter` binary, or the
//! library from a build step) reads what the service declares, from its `/catalog` endpoint
//! ([`ServiceCatalog::read`], `flowmeter rules --catalog URL`) or from the linked catalog data.
//!
//! [`generate`] writes the whole `observability/` tree for a namespace; the `flowmeter`
//! binary's `rules` command calls it, and a test compares the checked-in tree with it.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

mod alerts;
mod catalog;
pub mod check;
mod compat;
pub mod dashboards;
mod metric_names;
mod model;
mod objective;
mod prometheus_config;
mod promql;
mod recording;
mod rule_names;
mod slo;

use std::path::PathBuf;

pub use alerts::{AlertSettings, AlertSettingsBuilder, AlertSettingsError};
pub use catalog::{CatalogError, ServiceCatalog};
pub use metric_names::MetricNames;
pub use model::{Alert, Record, Rule, RuleFile, RuleGroup};
pub use objective::{ObjectivesFileError, parse_objectives};

use flowmeter::metrics::Objective;
use flowmeter::metrics::catalog::MetricInfo;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateConfig {
    /// The metric namespace (default `flowmeter`).
    pub namespace: String,
    /// Declared objectives (default none).
    pub objectives: Vec<Objective>,
    /// The scrape target of the generated `prometheus.yml` (default `127.0.0.1:9464`).
    pub scrape_target: String,
    /// The service's own metrics, declared through `flowmeter::app` (default none): with any,
    /// `dashboards/app-metrics.json` shows them. [`ServiceCatalog`] fills it in.
    pub app_metrics: Vec<MetricInfo>,
    /// The alerts' thresholds, windows, `for` durations and scrape job (also the job of
    /// `prometheus.yml`); default [`AlertSettings::default`].
    pub alerts: AlertSettings,
}

impl Default for GenerateConfig {
    fn default() -> Self {
        GenerateConfig {
            namespace: flowmeter::telemetry::DEFAULT_NAMESPACE.to_owned(),
            objectives: Vec::new(),
            scrape_target: flowmeter::telemetry::DEFAULT_LISTEN.to_owned(),
            app_metrics: Vec::new(),
            alerts: AlertSettings::default(),
        }
    }
}

/// One generated file: its path under the output directory and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GeneratedFile {
    /// Relative path, e.g. `rules/flowmeter.rules.yml`.
    pub path: PathBuf,
    /// The file's contents.
    pub contents: String,
}

/// Every file of the `observability/` tree for `config`: `prometheus.yml`, the rule files
/// under `rules/` and the dashboards under `dashboards/`. Deterministic: the same config
/// gives the same bytes.
pub fn generate(config: &GenerateConfig) -> Vec<GeneratedFile> {
    let mut files = vec![prometheus_config::file(config)];
    files.extend(recording::rule_files(config));
    files.extend(dashboards::dashboard_files(config));
    files
}
