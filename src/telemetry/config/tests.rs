use super::*;

fn env(pairs: &[(&str, &str)]) -> RawConfig {
    let owned: Vec<(String, String)> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    RawConfig::from_env(move |name| owned.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

fn resolve_env(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    resolve(&[(env(pairs), Origin::Env("FLOWMETER_*"))], false)
}

fn rejected(pairs: &[(&str, &str)]) -> ConfigError {
    resolve_env(pairs).expect_err("should be rejected")
}

#[test]
fn defaults_listen_on_loopback_9464() {
    let config = resolve(&[], false).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.listen.to_string(), "127.0.0.1:9464");
    assert_eq!(config.metrics_path, "/metrics");
    assert_eq!(config.namespace, "flowmeter");
    assert!(config.enabled && config.serve);
}

#[test]
fn port_zero_is_rejected_naming_the_field() {
    let e = rejected(&[("FLOWMETER_LISTEN", "127.0.0.1:0")]);
    assert_eq!((e.field, e.value.as_str()), ("listen", "127.0.0.1:0"));
    assert!(e.to_string().contains("`listen`"), "{e}");
    assert!(
        e.to_string().contains("FLOWMETER_LISTEN") || e.to_string().contains("environment"),
        "{e}"
    );
}

#[test]
fn port_above_65535_is_rejected() {
    let e = rejected(&[("FLOWMETER_LISTEN", "127.0.0.1:70000")]);
    assert_eq!(e.field, "listen");
    assert!(e.reason.contains("above 65535"), "{e}");
}

#[test]
fn unparsable_address_is_rejected() {
    for bad in ["localhost", "not-an-ip:9464", "127.0.0.1:http", ""] {
        let e = rejected(&[("FLOWMETER_LISTEN", bad)]);
        assert_eq!((e.field, e.value.as_str()), ("listen", bad));
    }
}

#[test]
fn path_without_leading_slash_is_rejected() {
    let e = rejected(&[("FLOWMETER_METRICS_PATH", "metrics")]);
    assert_eq!((e.field, e.value.as_str()), ("metrics_path", "metrics"));
    assert!(e.reason.contains('/'), "{e}");
}

#[test]
fn bad_namespace_is_rejected() {
    for bad in ["9lives", "has-dash", "has.dot", ""] {
        let e = rejected(&[("FLOWMETER_NAMESPACE", bad)]);
        assert_eq!((e.field, e.value.as_str()), ("namespace", bad));
    }
}

#[test]
fn bad_boolean_is_rejected() {
    let e = rejected(&[("FLOWMETER_ENABLED", "maybe")]);
    assert_eq!((e.field, e.value.as_str()), ("enabled", "maybe"));
}

#[test]
fn enabled_false_parses() {
    assert!(!resolve_env(&[("FLOWMETER_ENABLED", "false")]).unwrap().enabled);
    assert!(!resolve_env(&[("FLOWMETER_ENABLED", "0")]).unwrap().enabled);
}

#[test]
fn builder_beats_env_beats_file() {
    let file = RawConfig::from_toml(
        Path::new("flowmeter.toml"),
        "namespace = \"from_file\"\nmetrics_path = \"/file\"\nlisten = \"127.0.0.1:1000\"\n",
    )
    .unwrap();
    let environment =
        env(&[("FLOWMETER_NAMESPACE", "from_env"), ("FLOWMETER_METRICS_PATH", "/env")]);
    let builder = RawConfig { namespace: Some("from_builder".into()), ..RawConfig::default() };
    let config = resolve(
        &[
            (builder, Origin::Builder),
            (environment, Origin::Env("FLOWMETER_*")),
            (file, Origin::File("flowmeter.toml".into())),
        ],
        false,
    )
    .unwrap();
    assert_eq!(config.namespace, "from_builder");
    assert_eq!(config.metrics_path, "/env");
    assert_eq!(config.listen.port(), 1000);
}

#[test]
fn file_errors_name_the_file_and_field() {
    let path = Path::new("conf/flowmeter.toml");
    let unknown = RawConfig::from_toml(path, "colour = \"blue\"").unwrap_err();
    assert!(unknown.to_string().contains("conf/flowmeter.toml"), "{unknown}");
    assert!(unknown.to_string().contains("colour"), "{unknown}");
    let syntax = RawConfig::from_toml(path, "namespace = ").unwrap_err();
    assert!(syntax.reason.contains("line 1"), "{syntax}");
    let bad_value = RawConfig::from_toml(path, "enabled = true\nmetrics_path = \"nope\"").unwrap();
    let e = resolve(&[(bad_value, Origin::File(path.into()))], false).unwrap_err();
    assert_eq!(e.field, "metrics_path");
    assert_eq!(e.origin, Origin::File(path.into()));
}

#[test]
fn port_zero_allowed_only_when_asked() {
    let raw = RawConfig { listen: Some("127.0.0.1:0".into()), ..RawConfig::default() };
    assert!(resolve(&[(raw.clone(), Origin::Builder)], false).is_err());
    assert_eq!(resolve(&[(raw, Origin::Builder)], true).unwrap().listen.port(), 0);
}

const EVERYTHING: Collectors = Collectors { process: true, system: true, tls: true };
const NO_SYSTEM_FEATURE: Collectors = Collectors { process: false, system: false, tls: false };

fn resolve_env_with(pairs: &[(&str, &str)], available: Collectors) -> Result<Config, ConfigError> {
    resolve_for(&[(env(pairs), Origin::Env("FLOWMETER_*"))], false, available)
}

#[test]
fn process_and_system_metrics_default_off() {
    let config = resolve_for(&[], false, EVERYTHING).unwrap();
    assert!(!config.process_metrics && !config.system_metrics);
}

#[test]
fn process_and_system_metrics_from_env() {
    let on = [("FLOWMETER_PROCESS_METRICS", "true"), ("FLOWMETER_SYSTEM_METRICS", "1")];
    let config = resolve_env_with(&on, EVERYTHING).unwrap();
    assert!(config.process_metrics && config.system_metrics);
    let off = [("FLOWMETER_PROCESS_METRICS", "off"), ("FLOWMETER_SYSTEM_METRICS", "no")];
    let config = resolve_env_with(&off, EVERYTHING).unwrap();
    assert!(!config.process_metrics && !config.system_metrics);
}

#[test]
fn process_and_system_metrics_from_file_with_builder_then_env_first() {
    let path = Path::new("flowmeter.toml");
    let file =
        RawConfig::from_toml(path, "process_metrics = true\nsystem_metrics = \"on\"\n").unwrap();
    let layers = [(file.clone(), Origin::File(path.into()))];
    let config = resolve_for(&layers, false, EVERYTHING).unwrap();
    assert!(config.process_metrics && config.system_metrics);

    let environment = env(&[("FLOWMETER_SYSTEM_METRICS", "false")]);
    let builder = RawConfig { process_metrics: Some("false".into()), ..RawConfig::default() };
    let layers = [
        (builder, Origin::Builder),
        (environment, Origin::Env("FLOWMETER_*")),
        (file, Origin::File(path.into())),
    ];
    let config = resolve_for(&layers, false, EVERYTHING).unwrap();
    assert!(!config.process_metrics, "the builder's false beats the file's true");
    assert!(!config.system_metrics, "the environment's false beats the file's on");
}

#[test]
fn bad_process_or_system_metrics_boolean_is_rejected() {
    for (var, field) in [
        ("FLOWMETER_PROCESS_METRICS", "process_metrics"),
        ("FLOWMETER_SYSTEM_METRICS", "system_metrics"),
    ] {
        let e = resolve_env_with(&[(var, "sometimes")], EVERYTHING).unwrap_err();
        assert_eq!((e.field, e.value.as_str()), (field, "sometimes"));
    }
}

#[test]
fn asking_without_the_system_feature_is_an_error_naming_it() {
    for (var, field) in [
        ("FLOWMETER_PROCESS_METRICS", "process_metrics"),
        ("FLOWMETER_SYSTEM_METRICS", "system_metrics"),
    ] {
        let e = resolve_env_with(&[(var, "true")], NO_SYSTEM_FEATURE).unwrap_err();
        assert_eq!((e.field, e.value.as_str()), (field, "true"));
        assert!(e.reason.contains("`system` cargo feature"), "{e}");
        assert!(e.to_string().contains(field), "{e}");
    }
    let file = RawConfig::from_toml(Path::new("f.toml"), "system_metrics = true").unwrap();
    let e = resolve_for(&[(file, Origin::File("f.toml".into()))], false, NO_SYSTEM_FEATURE)
        .unwrap_err();
    assert_eq!(e.origin, Origin::File("f.toml".into()));
}

#[test]
fn without_the_feature_off_or_disabled_is_fine() {
    let off = [("FLOWMETER_PROCESS_METRICS", "false"), ("FLOWMETER_SYSTEM_METRICS", "false")];
    assert!(resolve_env_with(&off, NO_SYSTEM_FEATURE).is_ok());
    let disabled = [
        ("FLOWMETER_ENABLED", "false"),
        ("FLOWMETER_PROCESS_METRICS", "true"),
        ("FLOWMETER_SYSTEM_METRICS", "true"),
    ];
    let config = resolve_env_with(&disabled, NO_SYSTEM_FEATURE).unwrap();
    assert!(!config.enabled && config.process_metrics && config.system_metrics);
}

#[test]
fn process_metrics_off_linux_say_so() {
    let not_linux = Collectors { process: false, system: true, tls: true };
    let e = resolve_env_with(&[("FLOWMETER_PROCESS_METRICS", "yes")], not_linux).unwrap_err();
    assert!(e.reason.contains("Linux only"), "{e}");
    assert!(resolve_env_with(&[("FLOWMETER_SYSTEM_METRICS", "yes")], not_linux).is_ok());
}

#[test]
fn exemplars_default_on_and_switch_off_from_each_source() {
    assert!(resolve(&[], false).unwrap().exemplars);
    assert!(!resolve_env(&[("FLOWMETER_EXEMPLARS", "false")]).unwrap().exemplars);
    assert!(resolve_env(&[("FLOWMETER_EXEMPLARS", "on")]).unwrap().exemplars);
    let path = Path::new("flowmeter.toml");
    let file = RawConfig::from_toml(path, "exemplars = false\n").unwrap();
    let layers = [(file.clone(), Origin::File(path.into()))];
    assert!(!resolve(&layers, false).unwrap().exemplars);
    let builder = RawConfig { exemplars: Some("true".into()), ..RawConfig::default() };
    let layers = [(builder, Origin::Builder), (file, Origin::File(path.into()))];
    assert!(resolve(&layers, false).unwrap().exemplars, "the builder's true beats the file");

    let e = rejected(&[("FLOWMETER_EXEMPLARS", "sometimes")]);
    assert_eq!((e.field, e.value.as_str()), ("exemplars", "sometimes"));
    assert!(e.to_string().contains("environment"), "{e}");
}
