//! Objectives files: the `[[objective]]` entries `flowmeter rules --objectives FILE` reads,
//! beside the objectives a service declares in code (listed by its `/catalog`).

use flowmeter::metrics::{Objective, Target};
use serde::Deserialize;

/// Objectives from a TOML file (the generator's input):
///
/// ```toml
/// [[objective]]
/// workflow = "document_pipeline"   # or: primitive = "fetch"
/// success_rate = 0.99
///
/// [[objective]]
/// workflow = "document_pipeline"
/// latency_seconds = 0.5            # a bucket boundary
/// ratio = 0.95
/// window_days = 28                 # default 30
/// ```
pub fn parse_objectives(text: &str) -> Result<Vec<Objective>, ObjectivesFileError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        objective: Vec<Entry>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        primitive: Option<String>,
        workflow: Option<String>,
        success_rate: Option<f64>,
        latency_seconds: Option<f64>,
        ratio: Option<f64>,
        window_days: Option<u32>,
    }
    let file: File = toml::from_str(text)
        .map_err(|e| ObjectivesFileError::Syntax(e.to_string().trim().to_owned()))?;
    file.objective
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let bad =
                |reason: &str| ObjectivesFileError::Entry { index: i, reason: reason.to_owned() };
            let target = match (entry.primitive, entry.workflow) {
                (Some(p), None) => Target::Primitive(p),
                (None, Some(w)) => Target::Workflow(w),
                _ => return Err(bad("set exactly one of `primitive` and `workflow`")),
            };
            let objective = match (entry.success_rate, entry.latency_seconds, entry.ratio) {
                (Some(ratio), None, None) => Objective::success_rate(target, ratio),
                (None, Some(threshold), Some(ratio)) => {
                    Objective::latency(target, threshold, ratio)
                }
                _ => return Err(bad("set `success_rate`, or `latency_seconds` with `ratio`")),
            }
            .map_err(|e| ObjectivesFileError::Entry { index: i, reason: e.to_string() })?;
            Ok(match entry.window_days {
                Some(days) => objective.window_days(days),
                None => objective,
            })
        })
        .collect()
}

/// An objectives file that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ObjectivesFileError {
    /// Not valid TOML, or an unknown key (the message has the line).
    #[error("objectives file: {0}")]
    Syntax(String),
    /// An entry that does not make an objective.
    #[error("objectives file: objective[{index}]: {reason}")]
    Entry {
        /// The entry's index, from 0.
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_kinds_and_rejects_bad_entries() {
        let objectives = parse_objectives(
            "[[objective]]\nworkflow = \"w\"\nsuccess_rate = 0.99\n\n[[objective]]\nprimitive = \"p\"\nlatency_seconds = 0.5\nratio = 0.95\nwindow_days = 7\n",
        )
        .unwrap();
        assert_eq!(objectives.len(), 2);
        assert_eq!(objectives[1].window_days, 7);
        let off_boundary = parse_objectives(
            "[[objective]]\nworkflow = \"w\"\nlatency_seconds = 0.3\nratio = 0.9\n",
        );
        assert!(off_boundary.unwrap_err().to_string().contains("not a bucket boundary"));
        assert!(parse_objectives("[[objective]]\nworkflow = \"w\"\n").is_err());
        assert!(parse_objectives("[[objective]]\ncolour = 1\n").is_err());
    }
}
