//! Price files: TOML or JSON documents that override the built-in prices.
//!
//! # Format
//!
//! A `price` array of entries and an optional `prefix` array of rules. Rates are USD per
//! million tokens with at most six decimals.
//!
//! ```toml
//! [[price]]
//! provider = "openai"          # gen_ai.provider.name, exact
//! model = "gpt-4o"             # exact model name
//! input = 2.5                  # uncached input tokens (required)
//! output = 10.0                # output tokens (required)
//! cache_read = 1.25            # optional, defaults to `input`
//! cache_write = 2.5            # optional, defaults to `input`
//! reasoning = 10.0             # optional, defaults to `output`
//! effective_from = "2024-10-02" # optional (a TOML date literal works too); default: always
//!
//! [[prefix]]
//! provider = "openai"
//! prefix = "gpt-4o-2024-"      # models starting with this...
//! model = "gpt-4o"             # ...are priced as this model (which must have a price)
//! ```
//!
//! The same in JSON: `{"price": [{"provider": "openai", "model": "gpt-4o", "input": 2.5,
//! "output": 10.0}], "prefix": [{"provider": "openai", "prefix": "gpt-4o-2024-", "model":
//! "gpt-4o"}]}`.
//!
//! # Overriding
//!
//! The entries of a file for one `(provider, model)` **replace** that model's whole price
//! history in the table (list several entries with different `effective_from` to give a
//! history). Models the file does not mention keep their prices. A prefix rule replaces the
//! table's rule with the same provider and prefix. Unknown keys, duplicate entries, bad rates
//! or dates and prefix rules whose target has no price are errors naming the file, the entry,
//! the field and, where the parser knows it, the line.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::date::Date;
use super::price::{ModelPrice, PriceTable, Rate};

/// A price file that could not be read or is malformed.
#[derive(Debug)]
pub struct PriceFileError {
    file: String,
    line: Option<usize>,
    entry: Option<String>,
    message: String,
    source: Option<std::io::Error>,
}

impl PriceFileError {
    fn new(file: &str, message: impl Into<String>) -> Self {
        PriceFileError {
            file: file.to_owned(),
            line: None,
            entry: None,
            message: message.into(),
            source: None,
        }
    }

    /// The file (path or the source name given to [`PriceTable::with_toml`] / `with_json`).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The 1-based line of the error, when known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The entry, e.g. `price[2] (openai/gpt-4o)`, when known.
    pub fn entry(&self) -> Option<&str> {
        self.entry.as_deref()
    }

    /// What is wrong, naming the field where one is at fault.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PriceFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "price file {}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(entry) = &self.entry {
            write!(f, ", {entry}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for PriceFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

impl PriceTable {
    /// Overrides this table with the price file at `path`: `.toml` or `.json` by extension.
    pub fn with_file(self, path: impl AsRef<Path>) -> Result<Self, PriceFileError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PriceFileError {
            source: Some(e),
            ..PriceFileError::new(&name, "cannot read the file")
        })?;
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("toml") => self.with_toml(&text, &name),
            Some(ext) if ext.eq_ignore_ascii_case("json") => self.with_json(&text, &name),
            _ => Err(PriceFileError::new(&name, "unknown format: name it *.toml or *.json")),
        }
    }

    /// Overrides this table with a TOML price document; `source` names it in errors.
    pub fn with_toml(self, text: &str, source: &str) -> Result<Self, PriceFileError> {
        let doc: TomlDoc = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            PriceFileError {
                line: Some(line_of(text, span.start)),
                entry: toml_entry_at(text, span.start),
                ..PriceFileError::new(source, e.message())
            }
        })?;
        let line = |s: Range<usize>| Some(line_of(text, s.start));
        let prices = doc.price.into_iter().map(|p| (line(p.span()), p.into_inner())).collect();
        let prefixes = doc.prefix.into_iter().map(|p| (line(p.span()), p.into_inner())).collect();
        self.apply(source, prices, prefixes)
    }

    /// Overrides this table with a JSON price document; `source` names it in errors.
    pub fn with_json(self, text: &str, source: &str) -> Result<Self, PriceFileError> {
        let doc: JsonDoc = serde_json::from_str(text).map_err(|e| {
            let full = e.to_string();
            let message = full.rsplit_once(" at line ").map_or(full.as_str(), |(m, _)| m);
            PriceFileError { line: Some(e.line()), ..PriceFileError::new(source, message) }
        })?;
        let prices = doc.price.into_iter().map(|p| (None, p)).collect();
        let prefixes = doc.prefix.into_iter().map(|p| (None, p)).collect();
        self.apply(source, prices, prefixes)
    }

    fn apply(
        mut self,
        file: &str,
        prices: Vec<(Option<usize>, RawPrice)>,
        prefixes: Vec<(Option<usize>, RawPrefix)>,
    ) -> Result<Self, PriceFileError> {
        let err = |line, entry: String, message: String| PriceFileError {
            line,
            entry: Some(entry),
            ..PriceFileError::new(file, message)
        };
        let mut replaced = std::collections::BTreeSet::new();
        for (i, (line, p)) in prices.iter().enumerate() {
            let earlier = prices[..i].iter().position(|(_, q)| {
                (&q.provider, &q.model, q.effective_from)
                    == (&p.provider, &p.model, p.effective_from)
            });
            if let Some(j) = earlier {
                let when = p.effective_from.map_or("no effective_from".into(), |d| d.to_string());
                let msg = format!("duplicate of price[{j}] (same provider, model and {when})");
                return Err(err(*line, format!("price[{i}] ({}/{})", p.provider, p.model), msg));
            }
            if replaced.insert((p.provider.clone(), p.model.clone())) {
                self.remove(&p.provider, &p.model);
            }
            let price = ModelPrice {
                input: p.input,
                output: p.output,
                cache_read: p.cache_read,
                cache_write: p.cache_write,
                reasoning: p.reasoning,
                effective_from: p.effective_from,
            };
            self.insert(p.provider.clone(), p.model.clone(), price);
        }
        for (i, (line, r)) in prefixes.iter().enumerate() {
            let entry = || format!("prefix[{i}] ({}/{})", r.provider, r.prefix);
            if let Some(j) = prefixes[..i]
                .iter()
                .position(|(_, q)| (&q.provider, &q.prefix) == (&r.provider, &r.prefix))
            {
                return Err(err(*line, entry(), format!("duplicate of prefix[{j}]")));
            }
            if !self.models.contains_key(&(r.provider.clone(), r.model.clone())) {
                let msg =
                    format!("`model` {:?} has no price for provider {:?}", r.model, r.provider);
                return Err(err(*line, entry(), msg));
            }
            self.prefixes.insert((r.provider.clone(), r.prefix.clone()), r.model.clone());
        }
        Ok(self)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlDoc {
    #[serde(default)]
    price: Vec<toml::Spanned<RawPrice>>,
    #[serde(default)]
    prefix: Vec<toml::Spanned<RawPrefix>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDoc {
    #[serde(default)]
    price: Vec<RawPrice>,
    #[serde(default)]
    prefix: Vec<RawPrefix>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrice {
    #[serde(deserialize_with = "provider")]
    provider: String,
    #[serde(deserialize_with = "model")]
    model: String,
    #[serde(deserialize_with = "input")]
    input: Rate,
    #[serde(deserialize_with = "output")]
    output: Rate,
    #[serde(default, deserialize_with = "cache_read")]
    cache_read: Option<Rate>,
    #[serde(default, deserialize_with = "cache_write")]
    cache_write: Option<Rate>,
    #[serde(default, deserialize_with = "reasoning")]
    reasoning: Option<Rate>,
    #[serde(default, deserialize_with = "effective_from")]
    effective_from: Option<Date>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrefix {
    #[serde(deserialize_with = "provider")]
    provider: String,
    #[serde(deserialize_with = "prefix")]
    prefix: String,
    #[serde(deserialize_with = "model")]
    model: String,
}

// One deserializer per field, so that every error about a value names its field (serde's
// type errors and `try_from` errors do not), while the parser still attaches the value's line.
macro_rules! field_fns {
    (names: $($n:ident),*; rates: $($r:ident),*; optional_rates: $($o:ident),*) => {
        $(fn $n<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
            let s = String::deserialize(d).map_err(named(stringify!($n)))?;
            if s.is_empty() {
                return Err(de::Error::custom(concat!("`", stringify!($n), "` must not be empty")));
            }
            Ok(s)
        })*
        $(fn $r<'de, D: Deserializer<'de>>(d: D) -> Result<Rate, D::Error> {
            rate(f64::deserialize(d).map_err(named(stringify!($r)))?, stringify!($r))
        })*
        $(fn $o<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Rate>, D::Error> {
            Option::<f64>::deserialize(d)
                .map_err(named(stringify!($o)))?
                .map(|v| rate(v, stringify!($o)))
                .transpose()
        })*
    };
}
field_fns!(names: provider, model, prefix; rates: input, output;
    optional_rates: cache_read, cache_write, reasoning);

/// Prefixes a value's error with its field: "`input`: invalid type: string, expected f64".
fn named<E: de::Error>(field: &'static str) -> impl Fn(E) -> E {
    move |e| E::custom(format_args!("`{field}`: {e}"))
}

fn rate<E: de::Error>(value: f64, field: &str) -> Result<Rate, E> {
    Rate::usd_per_mtok(value).map_err(|e| E::custom(format_args!("`{field}`: {e}")))
}

/// A `YYYY-MM-DD` string, or (in TOML) a date literal without a time.
fn effective_from<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    struct V;
    impl<'de> de::Visitor<'de> for V {
        type Value = Option<Date>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a date YYYY-MM-DD")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            s.parse().map(Some).map_err(E::custom)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let dt =
                toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
            match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => Date::new(d.year, d.month, d.day)
                    .map(Some)
                    .ok_or_else(|| de::Error::custom(format_args!("invalid date {dt}"))),
                _ => Err(de::Error::custom(format_args!(
                    "{dt} is not a plain date (YYYY-MM-DD, no time)"
                ))),
            }
        }
    }
    // Every error, the visitor's own and serde's type errors, names the field once, here.
    d.deserialize_any(V).map_err(named("effective_from"))
}

/// The 1-based line containing byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// `price[i]` / `prefix[i]` for an offset inside the i-th `[[price]]` / `[[prefix]]` table
/// (the array-of-tables form; `None` for other layouts).
fn toml_entry_at(text: &str, offset: usize) -> Option<String> {
    let (mut prices, mut prefixes, mut current) = (0usize, 0usize, None);
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if start > offset {
            break;
        }
        match line.trim() {
            "[[price]]" => {
                current = Some(format!("price[{prices}]"));
                prices += 1;
            }
            "[[prefix]]" => {
                current = Some(format!("prefix[{prefixes}]"));
                prefixes += 1;
            }
            l if l.starts_with('[') => current = None,
            _ => {}
        }
        start += line.len();
    }
    current
}
