//! A strict OpenMetrics 1.0 text parser that is not ours: the Prometheus project's reference
//! parser, `prometheus_client.openmetrics.parser` (Python, Debian's `python3-prometheus-client`),
//! behind a Rust API. It judges the bodies flowmeter serves as `application/openmetrics-text`
//! and answers with what it read, so a test checks both that a body is accepted and that it
//! says what was meant.
//!
//! The parser checks `# EOF`, metadata order and metric grouping, `_total` on counters, the
//! `# UNIT` suffix, histograms (a `+Inf` bucket, buckets in order, integral counts, `_count`
//! equal to the `+Inf` bucket), exemplars only on buckets and counters and at most 128
//! characters of exemplar labels. Two things it lets through that a test compares instead:
//! an unknown escape such as `\q` in a label value or HELP text is kept as written (OpenMetrics
//! 1.0 allows `BS normal-char`), and a backslash right before the closing quote of a sample's
//! last label is read as an escaped quote (`a{l="x\"} 1` gives `x"`). An encoder that forgets
//! to escape `\` passes the parser but not a comparison of the parsed label values with the
//! ones it was given.
//!
//! One Python process serves many bodies ([`Validator`]), so a property test's thousands of
//! cases do not pay a Python start each; [`parse`] shares one per test binary. Python and the
//! package follow the policy of the other tools ([`validator_available`]): missing under CI is
//! a failure, missing locally a printed skip.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};

use serde_json::Value;

use crate::KillOnDrop;
use crate::process::available_or_skip;

/// The validator's side: reads length-prefixed bodies on stdin, answers a JSON line each.
const SCRIPT: &str = include_str!("openmetrics_check.py");

/// Interpreters tried in order: Debian's first, because `python3-prometheus-client` installs
/// for it alone and a `python3` earlier on `PATH` (pyenv, a virtualenv) does not see it; then
/// `PATH`'s, for a `prometheus_client` installed another way.
const PYTHONS: [&str; 2] = ["/usr/bin/python3", "python3"];

/// One metric family as the parser reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// The family's name: without `_total` for a counter, without `_bucket`, `_count`, `_sum`
    /// for a histogram.
    pub name: String,
    /// Its type as the parser spells it: `counter`, `gauge`, `histogram`, `gaugehistogram`,
    /// `summary`, `info`, `stateset` or `unknown` (no `# TYPE`).
    pub kind: String,
    /// Its `# UNIT`, empty when it has none.
    pub unit: String,
    /// Its `# HELP`, unescaped; empty when it has none.
    pub help: String,
    /// Its samples, in the body's order.
    pub samples: Vec<OmSample>,
}

/// One sample of an OpenMetrics body.
#[derive(Debug, Clone, PartialEq)]
pub struct OmSample {
    /// The sample's name (`_total`, `_bucket`, ... included).
    pub name: String,
    /// Its labels, unescaped.
    pub labels: BTreeMap<String, String>,
    /// Its value.
    pub value: f64,
    /// Its timestamp (Unix seconds), if it has one.
    pub timestamp: Option<f64>,
    /// Its exemplar, if it has one.
    pub exemplar: Option<OmExemplar>,
}

impl OmSample {
    /// The value of label `key`, if the sample has it.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

/// The exemplar of a sample (`# {trace_id="..",span_id=".."} value timestamp`).
#[derive(Debug, Clone, PartialEq)]
pub struct OmExemplar {
    /// Its labels, unescaped.
    pub labels: BTreeMap<String, String>,
    /// Its value.
    pub value: f64,
    /// Its timestamp (Unix seconds), if it has one.
    pub timestamp: Option<f64>,
}

/// Whether the validator can run: a Python 3 that imports `prometheus_client`'s OpenMetrics
/// parser. Under CI a missing one is a failure; locally the caller skips, and this says why.
pub fn validator_available() -> bool {
    available_or_skip(
        "the OpenMetrics validator",
        python().map(drop),
        "scripts/test.sh installs Debian's python3-prometheus-client",
    )
}

/// The first interpreter of [`PYTHONS`] that imports the parser, or why none does (probed once
/// per test binary).
fn python() -> Result<&'static str, String> {
    static FOUND: OnceLock<Result<&'static str, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let mut tried = Vec::new();
            for python in PYTHONS {
                let probe = Command::new(python)
                    .args(["-B", "-c", "import prometheus_client.openmetrics.parser"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .output();
                match probe {
                    Ok(output) if output.status.success() => return Ok(python),
                    Ok(output) => {
                        let stderr = String::from_utf8_lossy(&output.stderr);
                        let why = stderr.lines().last().unwrap_or("failed").to_owned();
                        tried.push(format!("{python}: {why}"));
                    }
                    Err(e) => tried.push(format!("{python}: {e}")),
                }
            }
            Err(format!(
                "no python3 imports prometheus_client's OpenMetrics parser ({})",
                tried.join("; ")
            ))
        })
        .clone()
}

/// A running validator: one Python process with the parser loaded, killed when dropped.
#[derive(Debug)]
pub struct Validator {
    // Dropped in this order: stdin closed first (the script ends at end of input), then the
    // process killed and reaped.
    requests: ChildStdin,
    answers: BufReader<ChildStdout>,
    version: String,
    process: KillOnDrop,
}

impl Validator {
    /// Starts the validator; `None` when Python or `prometheus_client` is missing outside CI
    /// (the skip reason printed, see [`validator_available`]). Under CI a missing one is a
    /// failure.
    pub fn start() -> Option<Validator> {
        if !validator_available() {
            return None;
        }
        let python = python().expect("probed by validator_available");
        let mut process = KillOnDrop(
            Command::new(python)
                .args(["-B", "-c", SCRIPT])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|e| panic!("spawn the OpenMetrics validator ({python}): {e}")),
        );
        let requests = process.0.stdin.take().unwrap();
        let mut answers = BufReader::new(process.0.stdout.take().unwrap());
        let ready = read_answer(&mut answers);
        let version = ready["ready"]
            .as_str()
            .unwrap_or_else(|| panic!("the OpenMetrics validator did not start: {ready}"))
            .to_owned();
        Some(Validator { requests, answers, version, process })
    }

    /// Parses `body` as OpenMetrics 1.0 text: `Ok` with every family the parser read, or
    /// `Err` with the parser's message (`ValueError: Missing # EOF at end`, ...).
    ///
    /// Panics when the validator process itself fails (it died, or answered out of protocol):
    /// that is no verdict on the body, and a test expecting a rejection must not pass on it.
    pub fn check(&mut self, body: &str) -> Result<Vec<Family>, String> {
        let sent = self
            .requests
            .write_all(format!("{}\n", body.len()).as_bytes())
            .and_then(|()| self.requests.write_all(body.as_bytes()))
            .and_then(|()| self.requests.flush());
        if let Err(e) = sent {
            panic!("the OpenMetrics validator stopped reading: {e}");
        }
        let answer = read_answer(&mut self.answers);
        if let Some(error) = answer.get("error") {
            return Err(error.as_str().expect("an error message").to_owned());
        }
        let families = answer["families"].as_array();
        let families = families.unwrap_or_else(|| panic!("not an answer: {answer}"));
        Ok(families.iter().map(family).collect())
    }

    /// The version of `prometheus_client` doing the parsing (`0.16.0` on Debian 12), for
    /// messages.
    pub fn parser_version(&self) -> &str {
        &self.version
    }

    /// The validator process's id.
    pub fn process_id(&self) -> u32 {
        self.process.0.id()
    }
}

/// [`Validator::check`] on a validator shared by the whole test binary, started at the first
/// call: for one-off checks. Panics when the validator is missing: check
/// [`validator_available`] first (it skips locally and fails under CI).
///
/// The shared process is never dropped (statics are not); it ends when the test binary does,
/// at the end of its input.
pub fn parse(body: &str) -> Result<Vec<Family>, String> {
    static SHARED: Mutex<Option<Validator>> = Mutex::new(None);
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    // Taken out while in use: a validator that panics is dropped (killed), and the next call
    // starts a fresh one.
    let mut validator = shared.take().unwrap_or_else(|| {
        Validator::start().expect("python3 with prometheus_client (check validator_available())")
    });
    let verdict = validator.check(body);
    *shared = Some(validator);
    verdict
}

/// The `Accept` header Prometheus 2.42 (Debian 12's) scrapes with: OpenMetrics first.
pub const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// Scrapes `path` on `addr` as Prometheus does ([`PROMETHEUS_ACCEPT`]) and checks the answer:
/// `200`, the OpenMetrics content type, and a body the reference parser accepts, whose
/// families it returns. `None` (after printing why) when the validator is missing locally;
/// fails under CI (see [`validator_available`]).
pub fn scrape_checked(addr: std::net::SocketAddr, path: &str) -> Option<Vec<Family>> {
    if !validator_available() {
        return None;
    }
    let response = crate::http_request(addr, "GET", path, &[("Accept", PROMETHEUS_ACCEPT)]);
    assert_eq!(response.status, 200, "{path}: {}", response.body);
    let content_type = response.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{path} answered {content_type}"
    );
    Some(parse(&response.body).unwrap_or_else(|e| panic!("{path}: {e}\n{}", response.body)))
}

/// One answer line of the script.
fn read_answer(answers: &mut BufReader<ChildStdout>) -> Value {
    let mut line = String::new();
    match answers.read_line(&mut line) {
        Ok(0) => panic!("the OpenMetrics validator ended (its stderr is above)"),
        Ok(_) => serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the OpenMetrics validator answered {line:?}: {e}")),
        Err(e) => panic!("reading the OpenMetrics validator's answer: {e}"),
    }
}

fn family(value: &Value) -> Family {
    Family {
        name: string(value, "name"),
        kind: string(value, "type"),
        unit: string(value, "unit"),
        help: string(value, "help"),
        samples: value["samples"].as_array().expect("samples").iter().map(sample).collect(),
    }
}

fn sample(value: &Value) -> OmSample {
    let exemplar = &value["exemplar"];
    OmSample {
        name: string(value, "name"),
        labels: labels(&value["labels"]),
        value: number(&value["value"]),
        timestamp: optional_number(&value["timestamp"]),
        exemplar: (!exemplar.is_null()).then(|| OmExemplar {
            labels: labels(&exemplar["labels"]),
            value: number(&exemplar["value"]),
            timestamp: optional_number(&exemplar["timestamp"]),
        }),
    }
}

fn string(value: &Value, key: &str) -> String {
    let text = value[key].as_str();
    text.unwrap_or_else(|| panic!("no string {key:?} in {value}")).to_owned()
}

fn labels(value: &Value) -> BTreeMap<String, String> {
    let labels = value.as_object().unwrap_or_else(|| panic!("not labels: {value}"));
    labels.iter().map(|(k, v)| (k.clone(), v.as_str().expect("a label value").to_owned())).collect()
}

/// A number as the script writes it: Python's `str` of an int or `repr` of a float (JSON has
/// no NaN or infinities), which spells them `inf`, `-inf` and `nan`.
fn number(value: &Value) -> f64 {
    let text = value.as_str().unwrap_or_else(|| panic!("not a number's text: {value}"));
    match text {
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        "nan" => f64::NAN,
        _ => text.parse().unwrap_or_else(|e| panic!("not a number: {text:?}: {e}")),
    }
}

fn optional_number(value: &Value) -> Option<f64> {
    (!value.is_null()).then(|| number(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_dropped_validator_leaves_no_process() {
        let Some(mut validator) = Validator::start() else { return };
        assert!(validator.check("# EOF\n").unwrap().is_empty());
        let proc = format!("/proc/{}", validator.process_id());
        assert!(std::path::Path::new(&proc).exists(), "the validator runs");
        drop(validator);
        assert!(!std::path::Path::new(&proc).exists(), "the validator was killed and reaped");
    }

    #[test]
    fn python_spellings_of_numbers() {
        assert_eq!(number(&"inf".into()), f64::INFINITY);
        assert_eq!(number(&"-inf".into()), f64::NEG_INFINITY);
        assert!(number(&"nan".into()).is_nan());
        assert_eq!(number(&"1e+300".into()), 1e300);
        assert_eq!(number(&"12345678901234567890123".into()), 1.2345678901234568e22);
        assert_eq!(optional_number(&Value::Null), None);
    }
}
