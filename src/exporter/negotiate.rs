//! Content negotiation of the exposition: which format `/metrics` answers, from the
//! request's `Accept` header.

use hyper::header::{self, HeaderMap};

use super::openmetrics::OPENMETRICS_CONTENT_TYPE;
use super::render::METRICS_CONTENT_TYPE;

/// The formats `/metrics` answers in.
///
/// [`from_accept`](Self::from_accept) picks one from a request's `Accept` header as
/// Prometheus expects: OpenMetrics when the scraper ranks it above the text format 0.0.4
/// (Prometheus does by default), the text format otherwise, which every scraper reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ExpositionFormat {
    /// The Prometheus text format 0.0.4 ([`render`](super::render())), served as
    /// `text/plain; version=0.0.4; charset=utf-8`. The default.
    #[default]
    PrometheusText,
    /// OpenMetrics 1.0 text with exemplars ([`render_openmetrics`](super::render_openmetrics())),
    /// served as `application/openmetrics-text; version=1.0.0; charset=utf-8`.
    OpenMetrics,
}

impl ExpositionFormat {
    /// The format to answer a request whose `Accept` header is `accept` (`None` when the
    /// request has none, or when it is not visible ASCII).
    ///
    /// The header is read as RFC 9110 media ranges with weights (`q`, default 1; `q=0` means
    /// "not acceptable"). Each format's weight is that of the most specific range matching
    /// it:
    ///
    /// - OpenMetrics: `application/openmetrics-text` with `version` absent, `1.0.0` or
    ///   `0.0.1` (Prometheus parses both versions alike; the answer is 1.0.0). No wildcard
    ///   selects it: a client has to name it.
    /// - The text format 0.0.4: `text/plain` with `version` absent or `0.0.4`, then
    ///   `text/*`, then `*/*`. `text/plain;version=1.0.0` (Prometheus 3's text format with
    ///   UTF-8 names) is a different format and does not count; Prometheus 3 always lists
    ///   `text/plain;version=0.0.4` beside it.
    ///
    /// Other parameters (`charset`, `escaping`) are ignored: every name flowmeter exports is
    /// already made of `[a-zA-Z0-9_:]`, the same under any escaping scheme.
    ///
    /// OpenMetrics is chosen when its weight is above zero and higher than the text format's.
    /// On a tie it is chosen only if the text format's weight comes from a wildcard:
    /// `application/openmetrics-text, */*` names OpenMetrics and takes anything else, while
    /// `application/openmetrics-text, text/plain` names both equally, and RFC 9110 gives the
    /// order of a list no meaning, so the long-standing default answers. Everything else is
    /// [`PrometheusText`](Self::PrometheusText): no header, `*/*` alone (curl), `text/plain`,
    /// only unsupported versions (`application/openmetrics-text;version=2.0.0`), and a header
    /// that does not parse (a media range without `/`, a parameter without `=`, a `q` that is
    /// not a qvalue, an unterminated quoted string): a malformed header is not a request for
    /// the newer format.
    ///
    /// ```
    /// use flowmeter::exporter::ExpositionFormat;
    ///
    /// // Prometheus 2.x's default.
    /// let prometheus = "application/openmetrics-text;version=1.0.0,\
    ///     application/openmetrics-text;version=0.0.1;q=0.75,\
    ///     text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /// assert_eq!(ExpositionFormat::from_accept(Some(prometheus)), ExpositionFormat::OpenMetrics);
    /// assert_eq!(ExpositionFormat::from_accept(Some("*/*")), ExpositionFormat::PrometheusText);
    /// assert_eq!(ExpositionFormat::from_accept(None), ExpositionFormat::PrometheusText);
    /// ```
    pub fn from_accept(accept: Option<&str>) -> Self {
        match accept.and_then(Weights::parse) {
            Some(weights) if weights.prefer_openmetrics() => ExpositionFormat::OpenMetrics,
            _ => ExpositionFormat::PrometheusText,
        }
    }

    /// The `Content-Type` of the format's body.
    pub fn content_type(self) -> &'static str {
        match self {
            ExpositionFormat::PrometheusText => METRICS_CONTENT_TYPE,
            ExpositionFormat::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }

    /// The format for a request with these headers. Several `Accept` fields are one list
    /// (RFC 9110 §5.3); one that is not visible ASCII makes the header count as absent.
    pub(super) fn of_request(headers: &HeaderMap) -> Self {
        let mut fields = headers.get_all(header::ACCEPT).iter();
        match (fields.next(), fields.next()) {
            (None, _) => ExpositionFormat::from_accept(None),
            (Some(only), None) => ExpositionFormat::from_accept(only.to_str().ok()),
            (Some(_), Some(_)) => {
                let fields = headers.get_all(header::ACCEPT).iter().map(|f| f.to_str().ok());
                let joined = fields.collect::<Option<Vec<&str>>>().map(|all| all.join(","));
                ExpositionFormat::from_accept(joined.as_deref())
            }
        }
    }
}

/// A format's weight: the `q` (in thousandths) of the most specific range matching it.
#[derive(Debug, Clone, Copy)]
struct Weight {
    /// 3: type, subtype and version; 2: type and subtype; 1: `type/*`; 0: `*/*`.
    specificity: u8,
    q: u16,
}

/// The weights an `Accept` header gives the two formats (`None`: no range matches).
#[derive(Debug, Default)]
struct Weights {
    openmetrics: Option<Weight>,
    text: Option<Weight>,
}

impl Weights {
    /// Reads every media range of `header`; `None` if any is malformed. Allocates nothing.
    fn parse(header: &str) -> Option<Weights> {
        let mut weights = Weights::default();
        for range in Split::new(header, b',') {
            let range = trim(range);
            // RFC 9110 §5.6.1: empty list elements are allowed and ignored.
            if range.is_empty() {
                continue;
            }
            let mut parts = Split::new(range, b';');
            let (kind, subtype) = trim(parts.next()?).split_once('/')?;
            if !is_token(kind) || !is_token(subtype) || (kind == "*" && subtype != "*") {
                return None;
            }
            let (mut q, mut version) = (1000, None);
            for parameter in parts.map(trim).filter(|p| !p.is_empty()) {
                let (name, value) = parameter.split_once('=')?;
                let (name, value) = (trim(name), trim(value));
                if !is_token(name) {
                    return None;
                }
                if name.eq_ignore_ascii_case("q") {
                    q = qvalue(value)?;
                } else {
                    let value = parameter_value(value)?;
                    if name.eq_ignore_ascii_case("version") {
                        version = Some(value);
                    }
                }
            }
            weights.add(kind, subtype, version, q);
        }
        Some(weights)
    }

    /// Counts one media range for the format it matches, if any.
    fn add(&mut self, kind: &str, subtype: &str, version: Option<&str>, q: u16) {
        let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        let specific = |v: Option<&str>| if v.is_some() { 3 } else { 2 };
        let (slot, specificity) = if is(kind, "application") && is(subtype, "openmetrics-text") {
            match version {
                None | Some("1.0.0" | "0.0.1") => (&mut self.openmetrics, specific(version)),
                Some(_) => return,
            }
        } else if is(kind, "text") && is(subtype, "plain") {
            match version {
                None | Some("0.0.4") => (&mut self.text, specific(version)),
                Some(_) => return,
            }
        } else if is(kind, "text") && subtype == "*" {
            (&mut self.text, 1)
        } else if kind == "*" {
            (&mut self.text, 0)
        } else {
            return;
        };
        *slot = Some(match *slot {
            // A more specific range decides; among equally specific ones, the best weight.
            Some(held) if held.specificity > specificity => held,
            Some(held) if held.specificity == specificity => Weight { q: held.q.max(q), ..held },
            _ => Weight { specificity, q },
        });
    }

    fn prefer_openmetrics(&self) -> bool {
        let Some(openmetrics) = self.openmetrics.filter(|w| w.q > 0) else {
            return false;
        };
        match self.text {
            None => true,
            Some(text) => {
                openmetrics.q > text.q || (openmetrics.q == text.q && text.specificity <= 1)
            }
        }
    }
}

/// A qvalue (RFC 9110 §12.4.2): `0`, `0.5`, `1`, `1.000`, at most three decimals, never above
/// 1; in thousandths.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = fraction.bytes().chain(std::iter::repeat(b'0')).take(3);
    let thousandths = digits.fold(0, |n, digit| n * 10 + u16::from(digit - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// A parameter's value: a token, or the inside of a quoted string (escapes kept as written;
/// the values compared here never need one).
fn parameter_value(text: &str) -> Option<&str> {
    let Some(quoted) = text.strip_prefix('"') else {
        return is_token(text).then_some(text);
    };
    let inside = quoted.strip_suffix('"')?;
    let mut escaped = false;
    for byte in inside.bytes() {
        match (escaped, byte) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => return None,
            (false, _) => {}
        }
    }
    // A final backslash escaped the closing quote: the string never ended.
    (!escaped).then_some(inside)
}

/// RFC 9110 `token`: one or more `tchar`.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Without optional whitespace (spaces and tabs) around it.
fn trim(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// The pieces of `text` between `separator`s that are not inside a quoted string.
struct Split<'a> {
    rest: Option<&'a str>,
    separator: u8,
}

impl<'a> Split<'a> {
    fn new(text: &'a str, separator: u8) -> Self {
        Split { rest: Some(text), separator }
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        let (mut quoted, mut escaped) = (false, false);
        for (i, byte) in rest.bytes().enumerate() {
            if escaped {
                escaped = false;
            } else if quoted && byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                quoted = !quoted;
            } else if !quoted && byte == self.separator {
                self.rest = Some(&rest[i + 1..]);
                return Some(&rest[..i]);
            }
        }
        self.rest = None;
        Some(rest)
    }
}

#[cfg(test)]
mod tests;
