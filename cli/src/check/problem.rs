//! What the checker reports: one [`Problem`] per missing metric, missing label, unparsable
//! expression or unreadable file, and the [`Report`] that collects them.

use std::fmt;

/// One thing wrong with a rule file or dashboard.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Problem {
    /// The file (the [`Source`](super::Source)'s name).
    pub file: String,
    /// Where in the file: `group "g", record "r"`, `panel "p" (id 3), target A`,
    /// `variable "v"`; empty for the whole file.
    pub location: String,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProblemKind {
    /// The file is not valid YAML (rules) or JSON (dashboards), or not in the expected shape.
    UnreadableFile {
        /// The parser's message.
        error: String,
    },
    /// An expression PromQL cannot parse (after Grafana variables were substituted).
    Unparsable {
        /// The expression.
        expr: String,
        /// The parser's message.
        error: String,
    },
    /// A selected metric that the exposition does not contain and no given rule records.
    MissingMetric {
        /// The metric name, or `~regex` for a `{__name__=~"regex"}` selector.
        metric: String,
        /// A hint, e.g. that a histogram family is queried through `_bucket`/`_sum`/`_count`.
        hint: Option<String>,
    },
    /// A label matcher on a label that never appears on the metric.
    MissingLabel {
        /// The metric.
        metric: String,
        /// The label.
        label: String,
        /// Whether the metric is a recording rule (whose labels were inferred from its
        /// expression) rather than a scraped metric.
        recorded: bool,
    },
}

impl Problem {
    /// The metric the problem is about, if any.
    pub fn metric(&self) -> Option<&str> {
        match &self.kind {
            ProblemKind::MissingMetric { metric, .. }
            | ProblemKind::MissingLabel { metric, .. } => Some(metric),
            _ => None,
        }
    }

    /// The label the problem is about, if any.
    pub fn label(&self) -> Option<&str> {
        match &self.kind {
            ProblemKind::MissingLabel { label, .. } => Some(label),
            _ => None,
        }
    }
}

impl fmt::Display for Problem {
    /// One line: `FILE: LOCATION: what is wrong`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if !self.location.is_empty() {
            write!(f, "{}: ", self.location)?;
        }
        match &self.kind {
            ProblemKind::UnreadableFile { error } => write!(f, "cannot read the file: {error}"),
            ProblemKind::Unparsable { expr, error } => {
                let expr = expr.split_whitespace().collect::<Vec<_>>().join(" ");
                write!(f, "cannot parse `{expr}`: {}", error.replace('\n', " "))
            }
            ProblemKind::MissingMetric { metric, hint } => {
                write!(
                    f,
                    "metric `{metric}` is not in the exposition and no given rule records it"
                )?;
                match hint {
                    Some(hint) => write!(f, " ({hint})"),
                    None => Ok(()),
                }
            }
            ProblemKind::MissingLabel { metric, label, recorded: false } => {
                write!(f, "label `{label}` never appears on metric `{metric}` in the exposition")
            }
            ProblemKind::MissingLabel { metric, label, recorded: true } => write!(
                f,
                "label `{label}` is not among the labels of recording rule `{metric}` (inferred from its expression)"
            ),
        }
    }
}

/// The outcome of a check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Every problem, in file order, each once.
    pub problems: Vec<Problem>,
    /// Files read.
    pub files: usize,
    /// Expressions parsed.
    pub expressions: usize,
    /// Selectors checked.
    pub selectors: usize,
}

impl Report {
    /// Whether there is no problem.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems about `metric`.
    pub fn about_metric<'r>(&'r self, metric: &'r str) -> impl Iterator<Item = &'r Problem> {
        self.problems.iter().filter(move |p| p.metric() == Some(metric))
    }
}

impl fmt::Display for Report {
    /// One line per problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        Ok(())
    }
}
