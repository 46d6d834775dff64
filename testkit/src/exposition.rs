//! An independent parser of the Prometheus text format 0.0.4 (not the encoder under test).

use std::collections::BTreeMap;

/// One sample of the text exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The sample's name (`_bucket`, `_sum`, ... included).
    pub name: String,
    /// Its labels, unescaped.
    pub labels: BTreeMap<String, String>,
    /// Its value.
    pub value: f64,
}

impl Sample {
    /// The value of label `key`, if the sample has it.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

/// The parsed exposition: samples, and `# TYPE` / `# HELP` per family.
#[derive(Debug, Default)]
pub struct Exposition {
    /// Every sample, in order.
    pub samples: Vec<Sample>,
    /// `# TYPE` per family.
    pub types: BTreeMap<String, String>,
    /// `# HELP` per family, as written (escapes kept).
    pub help: BTreeMap<String, String>,
}

impl Exposition {
    /// Samples of `name` whose labels include every `(key, value)` of `matchers`.
    pub fn find(&self, name: &str, matchers: &[(&str, &str)]) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|s| s.name == name && matchers.iter().all(|(k, v)| s.label(k) == Some(*v)))
            .collect()
    }

    /// The sum of every sample of `name` with these matchers among its labels (0 when none):
    /// an execution count by status, whatever `error_type`s the errors were split into.
    pub fn sum(&self, name: &str, matchers: &[(&str, &str)]) -> f64 {
        self.find(name, matchers).iter().map(|s| s.value).sum()
    }

    /// The single sample of `name` with exactly these matchers among its labels.
    pub fn value(&self, name: &str, matchers: &[(&str, &str)]) -> f64 {
        let found = self.find(name, matchers);
        assert_eq!(found.len(), 1, "expected one {name}{matchers:?}, found {found:#?}");
        found[0].value
    }
}

/// Parses the Prometheus text format 0.0.4 (written here, independent of the encoder).
pub fn parse(text: &str) -> Exposition {
    let mut out = Exposition::default();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, ty) = rest.split_once(' ').expect("TYPE line");
            out.types.insert(name.to_owned(), ty.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            out.help.insert(name.to_owned(), help.to_owned());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        out.samples.push(parse_sample(line));
    }
    out
}

fn parse_sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).expect("sample name");
    let name = line[..name_end].to_owned();
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        let mut key = String::new();
        loop {
            let (i, c) = chars.next().expect("unterminated labels");
            match c {
                '}' => {
                    rest = &inner[i + 1..];
                    break;
                }
                ',' => {}
                '=' => {
                    assert_eq!(
                        chars.next().map(|(_, c)| c),
                        Some('"'),
                        "label value quote in {line}"
                    );
                    let mut value = String::new();
                    loop {
                        let (_, c) = chars.next().expect("unterminated label value");
                        match c {
                            '\\' => match chars.next().expect("escape").1 {
                                'n' => value.push('\n'),
                                other => value.push(other),
                            },
                            '"' => break,
                            c => value.push(c),
                        }
                    }
                    labels.insert(std::mem::take(&mut key), value);
                }
                c => key.push(c),
            }
        }
    }
    let value_text = rest.split_whitespace().next().expect("sample value");
    let value = match value_text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
    };
    Sample { name, labels, value }
}
