//! How one field's text becomes a value, and the error that says why it cannot.

use std::net::SocketAddr;

use super::error;
use crate::error::{ConfigError, Origin};
use flowmeter_naming as names;

/// The 1-based line and column (in characters) of byte `offset` of `text`.
pub(super) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

pub(super) fn parse_bool(
    field: &'static str,
    value: &str,
    origin: &Origin,
) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(error(field, value, origin, "expected true/false, 1/0, yes/no or on/off")),
    }
}

pub(super) fn parse_listen(
    value: &str,
    origin: &Origin,
    allow_port_zero: bool,
) -> Result<SocketAddr, ConfigError> {
    let field = "listen";
    // Parse the port ourselves first, so 70000 says "out of range" rather than "invalid".
    let Some((host, port)) = value.rsplit_once(':') else {
        return Err(error(field, value, origin, "expected HOST:PORT, e.g. 127.0.0.1:9464"));
    };
    let port: u32 = port
        .parse()
        .map_err(|_| error(field, value, origin, format!("port `{port}` is not a number")))?;
    if port > 65535 {
        return Err(error(field, value, origin, format!("port {port} is above 65535")));
    }
    if port == 0 && !allow_port_zero {
        return Err(error(
            field,
            value,
            origin,
            "port 0 is not a fixed port (for an OS-chosen port in tests, use the builder's ephemeral_port())",
        ));
    }
    value.parse().map_err(|_| {
        error(
            field,
            value,
            origin,
            format!("`{host}` is not an IP address (use e.g. 127.0.0.1 or [::1])"),
        )
    })
}

pub(super) fn parse_path(value: &str, origin: &Origin) -> Result<String, ConfigError> {
    let field = "metrics_path";
    if !value.starts_with('/') {
        return Err(error(field, value, origin, "must start with `/`"));
    }
    if value.chars().any(|c| c.is_whitespace() || c == '?' || c == '#') {
        return Err(error(field, value, origin, "must not contain whitespace, `?` or `#`"));
    }
    Ok(value.to_owned())
}

pub(super) fn parse_namespace(value: &str, origin: &Origin) -> Result<String, ConfigError> {
    names::validate_identifier(value).map_err(|_| {
        error("namespace", value, origin, "use letters, digits and `_`, not starting with a digit")
    })?;
    Ok(value.to_owned())
}
