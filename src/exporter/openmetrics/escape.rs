//! The text of OpenMetrics values: escaped strings, numbers and timestamps, appended to the
//! body in place (no intermediate `String` per value).

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Appends `text` escaped as an OpenMetrics `escaped-string`, for label values and HELP texts
/// alike: `\` → `\\`, `"` → `\"`, line feed → `\n`. Unlike the text format 0.0.4, HELP escapes
/// the double quote too (its ABNF is the same `escaped-string` as a label value's).
///
/// Everything else is written as is: the ABNF allows any other character, control characters
/// included, and escaping more (`\t`, say) would change the value a parser reads back.
pub(super) fn escaped(out: &mut String, text: &str) {
    let mut start = 0;
    // The three are ASCII, so every index where one is found is a character boundary.
    for (i, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'\\' => r"\\",
            b'"' => r#"\""#,
            b'\n' => r"\n",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(escape);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

/// Appends a sample or exemplar value: `NaN`, `+Inf`, `-Inf`, or Rust's shortest text that
/// reads back as the same `f64` (never an exponent: `0.0000001`, `1000000`). That is the
/// text the 0.0.4 encoder writes for finite values, so both formats carry the same numbers;
/// only the non-finite ones are spelled the OpenMetrics way (0.0.4 writes `inf`).
pub(super) fn value(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value == f64::INFINITY {
        out.push_str("+Inf");
    } else if value == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        let _ = write!(out, "{value}");
    }
}

/// Appends a count (a bucket, `_count`): an integer, as OpenMetrics requires of counts.
pub(super) fn count(out: &mut String, count: u64) {
    let _ = write!(out, "{count}");
}

/// Appends the number of an `le` or `quantile` label: `+Inf` for positive infinity (the only
/// spelling OpenMetrics allows), otherwise exactly the text the 0.0.4 encoder gives
/// (`0.005`, `1`, `60`), so a bucket is the same series whichever format was scraped.
///
/// OpenMetrics' "canonical numbers" would write `1.0` and `60.0`: a SHOULD that Prometheus
/// 2.x does not normalize (it stores `le` as written), so following it would split every
/// integral bucket of a histogram into two series the first time a scraper switches from
/// 0.0.4 to OpenMetrics, and `le="1"` in recording rules would stop matching. Prometheus 3
/// normalizes `le` and `quantile` on ingestion, so there either spelling is the same series.
/// The reference parser accepts both. `NaN` never gets here (the encoder rejects it).
pub(super) fn bound(out: &mut String, bound: f64) {
    value(out, bound);
}

/// Appends a sample timestamp given in milliseconds, as OpenMetrics seconds
/// (`1733539200.123`; the proto's timestamps are whole milliseconds, so nothing is lost).
pub(super) fn millis(out: &mut String, millis: i64) {
    let sign = if millis < 0 { "-" } else { "" };
    let abs = millis.unsigned_abs();
    let _ = write!(out, "{sign}{}.{:03}", abs / 1000, abs % 1000);
}

/// Appends ` <seconds since the Unix epoch>` with millisecond precision (`1733539200.123`),
/// or nothing for a time before the epoch (a clock set far back): an exemplar's timestamp is
/// optional, and a negative one would say something false.
pub(super) fn space_then_time(out: &mut String, time: SystemTime) {
    if let Ok(since) = time.duration_since(UNIX_EPOCH) {
        let _ = write!(out, " {}.{:03}", since.as_secs(), since.subsec_millis());
    }
}
