//! The endpoint's credentials and TLS files, resolved from the configuration layers (builder,
//! `FLOWMETER_*` variables, config file) like every other setting, with two rules of their
//! own: a secret comes whole from one layer (inline or from a file, never both), and settings
//! that only work together (user and password, certificate and key) are required together.

use std::fmt;
use std::path::PathBuf;

use super::{Layer, RawConfig, error};
use crate::error::{ConfigError, Origin};
use crate::exporter::{REDACTED, ScrapeAuth, TlsFiles};

/// The cargo feature serving HTTPS needs.
const TLS_FEATURE: &str = "tls";

/// Reads one field of a layer.
type Field = fn(&RawConfig) -> &Option<String>;

/// The security settings of one configuration source, unvalidated, named like the config
/// file keys; `None` leaves a field to the next source. `Debug` redacts the secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct RawSecurity {
    pub(crate) bearer_token: Option<String>,
    pub(crate) bearer_token_file: Option<String>,
    pub(crate) basic_auth_username: Option<String>,
    pub(crate) basic_auth_password: Option<String>,
    pub(crate) basic_auth_password_file: Option<String>,
    pub(crate) tls_cert_file: Option<String>,
    pub(crate) tls_key_file: Option<String>,
}

impl RawSecurity {
    /// The slot of `field`, if it is one of these.
    pub(crate) fn field_mut(&mut self, field: &str) -> Option<&mut Option<String>> {
        Some(match field {
            "bearer_token" => &mut self.bearer_token,
            "bearer_token_file" => &mut self.bearer_token_file,
            "basic_auth_username" => &mut self.basic_auth_username,
            "basic_auth_password" => &mut self.basic_auth_password,
            "basic_auth_password_file" => &mut self.basic_auth_password_file,
            "tls_cert_file" => &mut self.tls_cert_file,
            "tls_key_file" => &mut self.tls_key_file,
            _ => return None,
        })
    }

    /// The value of `field`, if it is one of these and set.
    pub(crate) fn field(&self, field: &str) -> Option<&String> {
        match field {
            "bearer_token" => self.bearer_token.as_ref(),
            "bearer_token_file" => self.bearer_token_file.as_ref(),
            "basic_auth_username" => self.basic_auth_username.as_ref(),
            "basic_auth_password" => self.basic_auth_password.as_ref(),
            "basic_auth_password_file" => self.basic_auth_password_file.as_ref(),
            "tls_cert_file" => self.tls_cert_file.as_ref(),
            "tls_key_file" => self.tls_key_file.as_ref(),
            _ => None,
        }
    }
}

impl fmt::Debug for RawSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |secret: &Option<String>| secret.as_ref().map(|_| REDACTED);
        f.debug_struct("RawSecurity")
            .field("bearer_token", &redacted(&self.bearer_token))
            .field("bearer_token_file", &self.bearer_token_file)
            .field("basic_auth_username", &self.basic_auth_username)
            .field("basic_auth_password", &redacted(&self.basic_auth_password))
            .field("basic_auth_password_file", &self.basic_auth_password_file)
            .field("tls_cert_file", &self.tls_cert_file)
            .field("tls_key_file", &self.tls_key_file)
            .finish()
    }
}

/// What the endpoint's security settings resolve to.
#[derive(Debug, Default)]
pub(crate) struct Security {
    pub(crate) auth: ScrapeAuth,
    pub(crate) tls: Option<TlsFiles>,
}

/// Resolves the credentials and TLS files. With telemetry `enabled` off nothing is served, so
/// nothing is read or checked (a secret file missing on a developer's machine does not stop a
/// disabled install). `tls_built` says whether this build has the `tls` feature.
pub(crate) fn resolve(
    layers: &[Layer],
    enabled: bool,
    tls_built: bool,
) -> Result<Security, ConfigError> {
    if !enabled {
        return Ok(Security::default());
    }
    let mut auth = ScrapeAuth::new();
    let bearer = secret(
        layers,
        ("bearer_token", |r| &r.security.bearer_token),
        ("bearer_token_file", |r| &r.security.bearer_token_file),
    )?;
    if let Some((token, _, _)) = bearer {
        auth = auth.bearer_token(token);
    }
    let username = pick(layers, |r| &r.security.basic_auth_username);
    let password = secret(
        layers,
        ("basic_auth_password", |r| &r.security.basic_auth_password),
        ("basic_auth_password_file", |r| &r.security.basic_auth_password_file),
    )?;
    match (username, password) {
        (None, None) => {}
        (Some((user, origin)), Some((password, _, _))) => {
            check_username(user, origin)?;
            auth = auth.basic_auth(user.trim(), password);
        }
        (Some((_, origin)), None) => {
            let reason = "`basic_auth_username` is set, so a password is needed too: \
                          `basic_auth_password_file` (or `basic_auth_password`)";
            return Err(error("basic_auth_password", "", origin, reason));
        }
        (None, Some((_, origin, set))) => {
            // Name the key that is set, so a config file error points at its line.
            let reason = format!("`{set}` is set, so `basic_auth_username` is needed too");
            return Err(error("basic_auth_username", "", origin, reason));
        }
    }
    Ok(Security { auth, tls: tls_files(layers, tls_built)? })
}

/// The first layer that sets `field`: its value and origin.
fn pick(layers: &[Layer], field: Field) -> Option<(&str, &Origin)> {
    layers.iter().find_map(|(raw, origin)| field(raw).as_deref().map(|v| (v, origin)))
}

/// A secret given inline or as a file to read, from the first layer that sets either. Both
/// in one layer is an error; so is an empty secret, or one with a line break or other control
/// character (an HTTP header cannot carry it). The secret is trimmed (a file usually ends in
/// a newline), and never put in an error: inline ones show as `<redacted>`, files by path.
/// Returns the secret, its origin and the name of the field that gave it.
fn secret<'a>(
    layers: &'a [Layer],
    (inline_name, inline): (&'static str, Field),
    (file_name, file): (&'static str, Field),
) -> Result<Option<(String, &'a Origin, &'static str)>, ConfigError> {
    let Some((raw, origin)) =
        layers.iter().find(|(raw, _)| inline(raw).is_some() || file(raw).is_some())
    else {
        return Ok(None);
    };
    let (field, shown, value) = match (inline(raw), file(raw)) {
        (Some(_), Some(path)) => {
            let reason = format!("set either `{inline_name}` or `{file_name}`, not both");
            return Err(error(file_name, path, origin, reason));
        }
        (Some(value), None) => (inline_name, REDACTED, value.trim().to_owned()),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                error(file_name, path, origin, format!("cannot read the file: {e}"))
            })?;
            (file_name, path.as_str(), text.trim().to_owned())
        }
        (None, None) => return Ok(None), // not found by the search above
    };
    if value.is_empty() {
        let shown = if field == file_name { shown } else { "" };
        return Err(error(field, shown, origin, "is empty"));
    }
    if value.chars().any(char::is_control) {
        let reason = "contains a line break or another control character, which an HTTP \
                      Authorization header cannot carry";
        return Err(error(field, shown, origin, reason));
    }
    Ok(Some((value, origin, field)))
}

fn check_username(user: &str, origin: &Origin) -> Result<(), ConfigError> {
    let field = "basic_auth_username";
    let user = user.trim();
    if user.is_empty() {
        return Err(error(field, user, origin, "is empty"));
    }
    if user.contains(':') || user.chars().any(char::is_control) {
        let reason = "must not contain `:` (it separates user and password in Basic \
                      authentication) or control characters";
        return Err(error(field, user, origin, reason));
    }
    Ok(())
}

/// The certificate and key files, both or neither.
fn tls_files(layers: &[Layer], tls_built: bool) -> Result<Option<TlsFiles>, ConfigError> {
    let cert = pick(layers, |r| &r.security.tls_cert_file);
    let key = pick(layers, |r| &r.security.tls_key_file);
    let ((cert, cert_origin), (key, key_origin)) = match (cert, key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        (Some((_, origin)), None) => {
            let reason = "`tls_cert_file` is set, so `tls_key_file` is needed too";
            return Err(error("tls_key_file", "", origin, reason));
        }
        (None, Some((_, origin))) => {
            let reason = "`tls_key_file` is set, so `tls_cert_file` is needed too";
            return Err(error("tls_cert_file", "", origin, reason));
        }
    };
    // Asked for but not built in: an error naming the feature, never plain HTTP instead.
    if !tls_built {
        let reason = format!("serving HTTPS needs flowmeter's `{TLS_FEATURE}` cargo feature");
        return Err(error("tls_cert_file", cert, cert_origin, reason));
    }
    for (field, path, origin) in
        [("tls_cert_file", cert, cert_origin), ("tls_key_file", key, key_origin)]
    {
        if path.trim().is_empty() {
            return Err(error(field, path, origin, "is empty"));
        }
    }
    Ok(Some(TlsFiles { cert_file: PathBuf::from(cert), key_file: PathBuf::from(key) }))
}

#[cfg(test)]
mod tests;
