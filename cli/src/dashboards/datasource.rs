//! The data source every generated panel and target queries: the `${datasource}` variable
//! (type `prometheus`), so importing a dashboard asks for nothing and any Prometheus data
//! source can be picked afterwards.

use serde::Serialize;

/// The name of the data source variable every panel queries.
pub(super) const DATASOURCE_VARIABLE: &str = "datasource";

/// A panel's or target's data source: the `${datasource}` variable.
#[derive(Debug, Clone, Serialize)]
pub(super) struct DataSource {
    #[serde(rename = "type")]
    kind: &'static str,
    uid: String,
}

impl DataSource {
    /// The `${datasource}` variable.
    pub(super) fn variable() -> Self {
        DataSource { kind: "prometheus", uid: format!("${{{DATASOURCE_VARIABLE}}}") }
    }
}
