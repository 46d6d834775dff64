use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::telemetry::config::{Collectors, Config, resolve_for};

const TLS_BUILT: Collectors = Collectors { process: true, system: true, tls: true };
const NO_TLS: Collectors = Collectors { process: true, system: true, tls: false };

fn env(pairs: &[(&str, &str)]) -> Layer {
    let owned: Vec<(String, String)> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let raw = RawConfig::from_env(move |name| {
        owned.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    });
    (raw, Origin::Env("FLOWMETER_*"))
}

fn resolve_layers(layers: &[Layer]) -> Result<Config, ConfigError> {
    resolve_for(layers, false, TLS_BUILT)
}

fn from_env(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    resolve_layers(&[env(pairs)])
}

/// A file holding `contents` under the temp dir, removed on drop.
struct SecretFile(PathBuf);

impl SecretFile {
    fn new(contents: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("flowmeter-secret-{}-{n}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        SecretFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for SecretFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn bearer(token: &str) -> Authorization {
    Authorization(format!("Bearer {token}"))
}

/// An `Authorization` header value, checked against a resolved configuration.
struct Authorization(String);

impl Authorization {
    fn permitted_by(&self, config: &Config) -> bool {
        let mut headers = hyper::HeaderMap::new();
        headers.insert(hyper::header::AUTHORIZATION, self.0.parse().unwrap());
        config.auth.permits(&headers)
    }
}

fn basic(user_password: &str) -> Authorization {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(user_password);
    Authorization(format!("Basic {encoded}"))
}

#[test]
fn defaults_require_nothing_and_serve_plain_http() {
    let config = resolve_layers(&[]).unwrap();
    assert!(!config.auth.is_required());
    assert_eq!(config.tls, None);
}

#[test]
fn bearer_token_inline_and_from_a_trimmed_file() {
    let config = from_env(&[("FLOWMETER_BEARER_TOKEN", "inline-token")]).unwrap();
    assert!(bearer("inline-token").permitted_by(&config));
    assert!(!bearer("other").permitted_by(&config));

    let file = SecretFile::new("  file-token\n");
    let config = from_env(&[("FLOWMETER_BEARER_TOKEN_FILE", file.path())]).unwrap();
    assert!(bearer("file-token").permitted_by(&config));
}

#[test]
fn basic_auth_inline_and_from_a_file() {
    let pairs =
        [("FLOWMETER_BASIC_AUTH_USERNAME", "prom"), ("FLOWMETER_BASIC_AUTH_PASSWORD", "pw")];
    let config = from_env(&pairs).unwrap();
    assert_eq!(config.auth.basic_auth_username(), Some("prom"));
    assert!(basic("prom:pw").permitted_by(&config));

    let file = SecretFile::new("file-pw\n");
    let pairs = [
        ("FLOWMETER_BASIC_AUTH_USERNAME", "prom"),
        ("FLOWMETER_BASIC_AUTH_PASSWORD_FILE", file.path()),
    ];
    let config = from_env(&pairs).unwrap();
    assert!(basic("prom:file-pw").permitted_by(&config));
    assert!(!basic("prom:pw").permitted_by(&config));
}

#[test]
fn the_builder_beats_env_beats_file_for_each_secret_as_a_whole() {
    let token_file = SecretFile::new("env-file-token");
    let file = RawConfig::from_toml(
        Path::new("f.toml"),
        "bearer_token = \"file-token\"\nbasic_auth_username = \"file-user\"\n\
         basic_auth_password = \"file-pw\"\n",
    )
    .unwrap();
    let mut builder = RawConfig::default();
    builder.security.basic_auth_password = Some("builder-pw".into());
    let layers = [
        (builder, Origin::Builder),
        env(&[("FLOWMETER_BEARER_TOKEN_FILE", token_file.path())]),
        (file, Origin::File("f.toml".into())),
    ];
    let config = resolve_layers(&layers).unwrap();
    // The environment's file beats the config file's inline token.
    assert!(bearer("env-file-token").permitted_by(&config));
    assert!(!bearer("file-token").permitted_by(&config));
    // The builder's password with the file's user name.
    assert!(basic("file-user:builder-pw").permitted_by(&config));
    assert!(!basic("file-user:file-pw").permitted_by(&config));
}

#[test]
fn inline_and_file_in_one_source_is_an_error() {
    let file = SecretFile::new("t");
    let e =
        from_env(&[("FLOWMETER_BEARER_TOKEN", "t"), ("FLOWMETER_BEARER_TOKEN_FILE", file.path())])
            .unwrap_err();
    assert_eq!(e.field, "bearer_token_file");
    assert!(e.reason.contains("not both"), "{e}");
}

#[test]
fn secret_errors_name_the_field_and_never_the_secret() {
    let e = from_env(&[("FLOWMETER_BEARER_TOKEN", "")]).unwrap_err();
    assert_eq!((e.field, e.value.as_str(), e.reason.as_str()), ("bearer_token", "", "is empty"));

    let e = from_env(&[("FLOWMETER_BEARER_TOKEN", "two\nlines")]).unwrap_err();
    assert_eq!((e.field, e.value.as_str()), ("bearer_token", "<redacted>"));
    assert!(!e.to_string().contains("two"), "{e}");

    let blank = SecretFile::new("\n");
    let e = from_env(&[("FLOWMETER_BEARER_TOKEN_FILE", blank.path())]).unwrap_err();
    assert_eq!((e.field, e.value.as_str()), ("bearer_token_file", blank.path()));

    let e =
        from_env(&[("FLOWMETER_BEARER_TOKEN_FILE", "/nonexistent/flowmeter/token")]).unwrap_err();
    assert_eq!(e.field, "bearer_token_file");
    assert!(e.reason.contains("cannot read"), "{e}");
    assert!(e.to_string().contains("/nonexistent/flowmeter/token"), "{e}");

    let secret = SecretFile::new("line one\nline two\n");
    let pairs = [
        ("FLOWMETER_BASIC_AUTH_USERNAME", "u"),
        ("FLOWMETER_BASIC_AUTH_PASSWORD_FILE", secret.path()),
    ];
    let e = from_env(&pairs).unwrap_err();
    assert_eq!(e.field, "basic_auth_password_file");
    assert!(!e.to_string().contains("line one"), "{e}");
}

#[test]
fn basic_auth_needs_user_and_password_together() {
    let e = from_env(&[("FLOWMETER_BASIC_AUTH_USERNAME", "u")]).unwrap_err();
    assert_eq!(e.field, "basic_auth_password");
    let e = from_env(&[("FLOWMETER_BASIC_AUTH_PASSWORD", "p")]).unwrap_err();
    assert_eq!(e.field, "basic_auth_username");
    assert!(!e.to_string().contains("\"p\""), "{e}");
    let e = from_env(&[
        ("FLOWMETER_BASIC_AUTH_USERNAME", "a:b"),
        ("FLOWMETER_BASIC_AUTH_PASSWORD", "p"),
    ])
    .unwrap_err();
    assert_eq!((e.field, e.value.as_str()), ("basic_auth_username", "a:b"));
    assert!(e.reason.contains("`:`"), "{e}");
}

#[test]
fn tls_needs_both_files() {
    let pairs = [("FLOWMETER_TLS_CERT_FILE", "c.pem"), ("FLOWMETER_TLS_KEY_FILE", "k.pem")];
    let config = from_env(&pairs).unwrap();
    let files = config.tls.expect("TLS files");
    assert_eq!((files.cert_file.to_str(), files.key_file.to_str()), (Some("c.pem"), Some("k.pem")));
    let e = from_env(&[("FLOWMETER_TLS_CERT_FILE", "c.pem")]).unwrap_err();
    assert_eq!(e.field, "tls_key_file");
    let e = from_env(&[("FLOWMETER_TLS_KEY_FILE", "k.pem")]).unwrap_err();
    assert_eq!(e.field, "tls_cert_file");
}

#[test]
fn tls_without_the_feature_is_an_error_naming_it() {
    let file = RawConfig::from_toml(
        Path::new("f.toml"),
        "tls_cert_file = \"c.pem\"\ntls_key_file = \"k.pem\"\n",
    )
    .unwrap();
    let e = resolve_for(&[(file, Origin::File("f.toml".into()))], false, NO_TLS).unwrap_err();
    assert_eq!((e.field, e.value.as_str()), ("tls_cert_file", "c.pem"));
    assert!(e.reason.contains("`tls` cargo feature"), "{e}");
    assert_eq!(e.origin, Origin::File("f.toml".into()));
}

#[test]
fn disabled_telemetry_reads_and_checks_nothing() {
    let pairs = [
        ("FLOWMETER_ENABLED", "false"),
        ("FLOWMETER_BEARER_TOKEN_FILE", "/nonexistent/flowmeter/token"),
        ("FLOWMETER_TLS_CERT_FILE", "c.pem"),
    ];
    let config = resolve_for(&[env(&pairs)], false, NO_TLS).unwrap();
    assert!(!config.auth.is_required() && config.tls.is_none());
}

#[test]
fn debug_of_sources_and_config_redacts_secrets() {
    let pairs = [
        ("FLOWMETER_BEARER_TOKEN", "tok-secret"),
        ("FLOWMETER_BASIC_AUTH_USERNAME", "prom"),
        ("FLOWMETER_BASIC_AUTH_PASSWORD", "pw-secret"),
    ];
    let layer = env(&pairs);
    let config = resolve_layers(std::slice::from_ref(&layer)).unwrap();
    let debug = format!("{:?} {config:?} {config:#?}", layer.0);
    assert!(!debug.contains("tok-secret") && !debug.contains("pw-secret"), "{debug}");
    assert!(debug.contains("prom") && debug.contains("<redacted>"), "{debug}");
}
