//! What a scrape exposes: every series name and the labels each name carries, read from the
//! Prometheus text format (0.0.4; OpenMetrics text is accepted too).

use std::collections::{BTreeMap, BTreeSet};

/// The metric names and labels of one scrape. Only names and label *names* are kept: the
/// checker asks whether a query can match, not what it returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exposition {
    /// Series name (as sampled: `x_bucket`, `x_total`, ...) → label names seen on it.
    series: BTreeMap<String, BTreeSet<String>>,
    /// Family name → `# TYPE` (`counter`, `gauge`, `histogram`, `summary`, ...).
    types: BTreeMap<String, String>,
}

/// A line of the exposition that is not a comment, a blank line or a sample.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("exposition line {line}: {reason}: {text}")]
#[non_exhaustive]
pub struct ExpositionError {
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub reason: &'static str,
    /// The offending line.
    pub text: String,
}

/// Series Prometheus itself adds to every scraped target, which a rule may query although no
/// exposition contains them (`up == 0`, `absent(up{job="..."})`), with the labels they carry.
const SYNTHETIC: &[(&str, &[&str])] = &[
    ("up", &[]),
    ("scrape_duration_seconds", &[]),
    ("scrape_samples_scraped", &[]),
    ("scrape_samples_post_metric_relabeling", &[]),
    ("scrape_series_added", &[]),
    ("ALERTS", &["alertname", "alertstate"]),
    ("ALERTS_FOR_STATE", &["alertname"]),
];

impl Exposition {
    /// Parses a text exposition. Samples give the series and their labels; `# TYPE` lines
    /// give the families' types.
    pub fn parse(text: &str) -> Result<Self, ExpositionError> {
        let mut out = Exposition::default();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let mut parts = rest.split_whitespace();
                if let (Some(name), Some(kind)) = (parts.next(), parts.next()) {
                    out.types.insert(name.to_owned(), kind.to_owned());
                }
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason| ExpositionError { line: index + 1, reason, text: raw.to_owned() };
            let (name, labels) = parse_sample(line).map_err(bad)?;
            out.series.entry(name).or_default().extend(labels);
        }
        Ok(out)
    }

    /// Whether any series is called `name`, or Prometheus adds it on scrape (`up`, ...).
    pub fn has_series(&self, name: &str) -> bool {
        self.series.contains_key(name) || SYNTHETIC.iter().any(|(n, _)| *n == name)
    }

    /// The label names seen on series `name` (empty when there is none).
    pub fn labels(&self, name: &str) -> BTreeSet<String> {
        let mut labels = self.series.get(name).cloned().unwrap_or_default();
        if let Some((_, extra)) = SYNTHETIC.iter().find(|(n, _)| *n == name) {
            labels.extend(extra.iter().map(|l| (*l).to_owned()));
        }
        labels
    }

    /// The `# TYPE` of family `name`, if declared.
    pub fn family_type(&self, name: &str) -> Option<&str> {
        self.types.get(name).map(String::as_str)
    }

    /// Every series name, sorted.
    pub fn series_names(&self) -> impl Iterator<Item = &str> {
        self.series.keys().map(String::as_str)
    }

    /// Whether the exposition has no sample at all.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

/// `name{a="x",b="y"} value [timestamp]` → the name and the label names.
fn parse_sample(line: &str) -> Result<(String, Vec<String>), &'static str> {
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace()).unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() {
        return Err("a sample without a metric name");
    }
    let mut labels = Vec::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices();
        let mut key = String::new();
        loop {
            let Some((i, c)) = chars.next() else { return Err("unterminated label set") };
            match c {
                '}' => {
                    rest = &inner[i + 1..];
                    break;
                }
                ',' | ' ' => {}
                '=' => {
                    if chars.next().map(|(_, c)| c) != Some('"') {
                        return Err("a label value without quotes");
                    }
                    loop {
                        match chars.next() {
                            None => return Err("unterminated label value"),
                            Some((_, '\\')) => {
                                chars.next();
                            }
                            Some((_, '"')) => break,
                            Some(_) => {}
                        }
                    }
                    labels.push(std::mem::take(&mut key));
                }
                c => key.push(c),
            }
        }
    }
    if rest.split_whitespace().next().is_none() {
        return Err("a sample without a value");
    }
    Ok((name.to_owned(), labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_names_labels_and_types() {
        let text = "# HELP x_seconds Duration.\n# TYPE x_seconds histogram\n\
            x_seconds_bucket{op=\"a,b\",le=\"0.1\"} 1\nx_seconds_bucket{op=\"a\\\"}\",le=\"+Inf\"} 2\n\
            x_seconds_sum{op=\"a\"} 0.3\nx_seconds_count{op=\"a\"} 2\n\nplain 1 1700000000\n";
        let exposition = Exposition::parse(text).unwrap();
        assert_eq!(exposition.family_type("x_seconds"), Some("histogram"));
        assert!(exposition.has_series("x_seconds_bucket") && !exposition.has_series("x_seconds"));
        assert_eq!(
            exposition.labels("x_seconds_bucket").into_iter().collect::<Vec<_>>(),
            ["le", "op"]
        );
        assert!(exposition.labels("plain").is_empty() && exposition.has_series("plain"));
        assert!(exposition.has_series("up"));
    }

    #[test]
    fn rejects_broken_lines_with_their_number() {
        let error = Exposition::parse("ok 1\nbroken{a=\"x\" 1\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(Exposition::parse("novalue\n").is_err());
    }
}
