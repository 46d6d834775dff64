//! Grafana dashboards (being written).

use super::{GenerateConfig, GeneratedFile};

/// The dashboard files for `config`.
pub(crate) fn dashboard_files(_config: &GenerateConfig) -> Vec<GeneratedFile> {
    Vec::new()
}
