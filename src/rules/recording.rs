//! Recording rules and alerts (being written).

use super::{GenerateConfig, GeneratedFile};

/// The rule files for `config`.
pub(crate) fn rule_files(_config: &GenerateConfig) -> Vec<GeneratedFile> {
    Vec::new()
}
