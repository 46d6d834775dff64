//! What a running service declares, read from its `/catalog` endpoint: its namespace,
//! flowmeter's metrics under it, the metrics it declares through `flowmeter::app`, and every
//! objective declared in code (on `#[instrumented]` call sites and on workflows).
//! `flowmeter rules --catalog URL` generates from it, so SLO rules for an objective written in
//! code need no objectives file.

use flowmeter::metrics::Objective;
use flowmeter::metrics::catalog::MetricInfo;
use serde::Deserialize;

use crate::GenerateConfig;
use crate::check::{FetchError, read_exposition};

/// A service's `/catalog` document.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ServiceCatalog {
    /// The flowmeter version the service runs (absent before 0.1.0's `/catalog` carried it).
    #[serde(default)]
    pub flowmeter_version: Option<String>,
    /// The metric namespace.
    pub namespace: String,
    /// flowmeter's own metrics under the namespace.
    pub metrics: Vec<MetricInfo>,
    /// Metrics declared through `flowmeter::app`.
    #[serde(default)]
    pub app_metrics: Vec<MetricInfo>,
    /// Objectives declared in code.
    #[serde(default)]
    pub objectives: Vec<Objective>,
}

/// Why a catalog could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The URL, file or standard input could not be read.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// Not a `/catalog` document.
    #[error("{source_name}: not a flowmeter /catalog document: {reason}")]
    Invalid {
        /// The URL or file.
        source_name: String,
        /// What is wrong.
        reason: String,
    },
}

impl ServiceCatalog {
    /// Reads the catalog at `source`: an `http://HOST:PORT/catalog` URL, a file, or `-` for
    /// standard input.
    pub fn read(source: &str) -> Result<Self, CatalogError> {
        let text = read_exposition(source)?;
        Self::parse(&text)
            .map_err(|reason| CatalogError::Invalid { source_name: source.to_owned(), reason })
    }

    /// Parses a catalog document and checks what the generator relies on: a valid namespace
    /// and objectives whose ratios are inside (0, 1) and whose targets are named.
    pub fn parse(json: &str) -> Result<Self, String> {
        let catalog: ServiceCatalog = serde_json::from_str(json).map_err(|e| e.to_string())?;
        flowmeter_naming::validate_identifier(&catalog.namespace)
            .map_err(|e| format!("namespace: {e}"))?;
        for objective in &catalog.objectives {
            objective.check().map_err(|e| format!("objectives: {e}"))?;
        }
        Ok(catalog)
    }

    /// What to generate for this service: its namespace, its objectives (`extra` objectives,
    /// e.g. from a file, added after those declared in code) and its `flowmeter::app`
    /// metrics, scraped at `scrape_target`.
    pub fn generate_config(
        &self,
        extra: Vec<Objective>,
        scrape_target: impl Into<String>,
    ) -> GenerateConfig {
        let mut objectives = self.objectives.clone();
        for objective in extra {
            if !objectives.contains(&objective) {
                objectives.push(objective);
            }
        }
        GenerateConfig {
            namespace: self.namespace.clone(),
            objectives,
            scrape_target: scrape_target.into(),
            app_metrics: self.app_metrics.clone(),
            ..GenerateConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_runtime_serves_and_refuses_bad_objectives() {
        let json = r#"{"flowmeter_version":"0.1.0","namespace":"tta","metrics":[],"app_metrics":[],
            "callsites":[],"objectives":[{"target":{"primitive":"lookup"},
            "goal":{"success_rate":{"ratio":0.99}},"window_days":30}]}"#;
        let catalog = ServiceCatalog::parse(json).unwrap();
        assert_eq!(catalog.namespace, "tta");
        assert_eq!(catalog.objectives.len(), 1);
        let config = catalog.generate_config(Vec::new(), "127.0.0.1:9464");
        assert_eq!(config.objectives, catalog.objectives);
        assert!(ServiceCatalog::parse(&json.replace("0.99", "1.5")).is_err());
        assert!(ServiceCatalog::parse(&json.replace("\"tta\"", "\"t-t\"")).is_err());
        assert!(ServiceCatalog::parse("{}").is_err());
    }
}
