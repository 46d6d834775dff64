//! The header list of `OTEL_EXPORTER_OTLP_HEADERS`: `key=value` entries separated by commas,
//! values percent-encoded, and how it is shown in errors (names only).

/// `key=value,key2=value2` with percent-encoded values (the W3C baggage form the
/// specification uses).
pub(super) fn parse_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut headers = Vec::new();
    for (index, entry) in text.split(',').enumerate().filter(|(_, e)| !e.trim().is_empty()) {
        let Some((name, value)) = entry.split_once('=') else {
            return Err(format!("entry {} has no `=`", index + 1));
        };
        let name = name.trim();
        if !is_header_name(name) {
            return Err(format!("entry {}: {name:?} is not a valid header name", index + 1));
        }
        let value = percent_decode(value.trim())
            .ok_or_else(|| format!("entry {} ({name}): bad percent-encoding", index + 1))?;
        if !is_header_value(&value) {
            return Err(format!("entry {} ({name}): not a valid header value", index + 1));
        }
        headers.push((name.to_owned(), value));
    }
    Ok(headers)
}

pub(super) fn is_header_name(name: &str) -> bool {
    !name.is_empty() && hyper::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
}

/// Whether `value` can be sent as a header value, by HTTP and as gRPC metadata alike (no
/// control characters but tab). Checked when the configuration is read, so a bad value fails
/// `install()` for either protocol instead of every export.
pub(super) fn is_header_value(value: &str) -> bool {
    hyper::header::HeaderValue::from_str(value).is_ok()
}

fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Header values are often credentials: errors show the names only.
pub(super) fn redact_headers(text: &str) -> String {
    let names: Vec<&str> =
        text.split(',').map(|entry| entry.split('=').next().unwrap_or("").trim()).collect();
    names.iter().map(|name| format!("{name}=<redacted>")).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_split_trimmed_and_percent_decoded() {
        let headers = parse_headers(" api-key = s%3Dcret , x-tenant=blue%20team,").unwrap();
        assert_eq!(
            headers,
            [("api-key".into(), "s=cret".into()), ("x-tenant".into(), "blue team".into())]
        );
        assert_eq!(parse_headers("a=%zz").unwrap_err(), "entry 1 (a): bad percent-encoding");
        assert_eq!(
            parse_headers("a=1,b=line%0Abreak").unwrap_err(),
            "entry 2 (b): not a valid header value"
        );
        assert_eq!(
            parse_headers("bad name=1").unwrap_err(),
            "entry 1: \"bad name\" is not a valid header name"
        );
        assert_eq!(redact_headers("api-key=s3cret,b=2"), "api-key=<redacted>,b=<redacted>");
    }
}
