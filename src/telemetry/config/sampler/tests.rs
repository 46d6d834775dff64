//! `traces_sampler` and `traces_sampler_arg` resolved from the environment, a config file and
//! the builder: every name, the ratio rules of the OpenTelemetry specification, the errors,
//! and the precedence of each field on its own.

use std::path::Path;

use super::*;
use crate::telemetry::config::{Config, Layer, RawConfig, resolve};

const SAMPLER: &str = "OTEL_TRACES_SAMPLER";
const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
const FILE: &str = "flowmeter.toml";

fn env(pairs: &[(&str, &str)]) -> RawConfig {
    let owned: Vec<(String, String)> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    RawConfig::from_env(move |name| owned.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

fn env_layer(pairs: &[(&str, &str)]) -> Layer {
    (env(pairs), Origin::Env("FLOWMETER_*"))
}

fn file_layer(text: &str) -> Layer {
    (RawConfig::from_toml(Path::new(FILE), text).expect("valid TOML"), Origin::File(FILE.into()))
}

fn builder_layer(name: Option<&str>, arg: Option<&str>) -> Layer {
    let raw = RawConfig {
        traces_sampler: name.map(str::to_owned),
        traces_sampler_arg: arg.map(str::to_owned),
        ..RawConfig::default()
    };
    (raw, Origin::Builder)
}

fn sampler_of(layers: &[Layer]) -> Sampler {
    resolve(layers, false).expect("valid sampler").sampler
}

fn from_env(pairs: &[(&str, &str)]) -> Sampler {
    sampler_of(&[env_layer(pairs)])
}

fn rejected(pairs: &[(&str, &str)]) -> ConfigError {
    resolve(&[env_layer(pairs)], false).expect_err("should be rejected")
}

#[test]
fn default_is_parent_based_always_on() {
    assert_eq!(sampler_of(&[]), Sampler::ParentBasedAlwaysOn);
    assert_eq!(from_env(&[]), Sampler::ParentBasedAlwaysOn);
    assert_eq!(resolve(&[], false).unwrap(), Config::default());
    // An argument alone names no sampler: the default, which takes none, stays.
    assert_eq!(from_env(&[(ARG, "0.25")]), Sampler::ParentBasedAlwaysOn);
}

#[test]
fn each_of_the_six_names_from_the_environment() {
    let expected = [
        ("always_on", Sampler::AlwaysOn),
        ("always_off", Sampler::AlwaysOff),
        ("traceidratio", Sampler::TraceIdRatio(0.25)),
        ("parentbased_always_on", Sampler::ParentBasedAlwaysOn),
        ("parentbased_always_off", Sampler::ParentBasedAlwaysOff),
        ("parentbased_traceidratio", Sampler::ParentBasedTraceIdRatio(0.25)),
    ];
    assert_eq!(expected.map(|(name, _)| name), Sampler::NAMES, "every name is covered");
    for (name, sampler) in expected {
        assert_eq!(from_env(&[(SAMPLER, name), (ARG, "0.25")]), sampler, "{name}");
    }
}

#[test]
fn names_are_case_insensitive() {
    assert_eq!(
        from_env(&[(SAMPLER, "PARENTBASED_TRACEIDRATIO"), (ARG, "0.25")]),
        Sampler::ParentBasedTraceIdRatio(0.25)
    );
    assert_eq!(from_env(&[(SAMPLER, "Always_Off")]), Sampler::AlwaysOff);
}

#[test]
fn a_ratio_sampler_without_an_argument_samples_everything() {
    assert_eq!(from_env(&[(SAMPLER, "traceidratio")]), Sampler::TraceIdRatio(1.0));
    assert_eq!(
        from_env(&[(SAMPLER, "parentbased_traceidratio")]),
        Sampler::ParentBasedTraceIdRatio(1.0)
    );
}

#[test]
fn the_ratio_bounds_are_accepted() {
    assert_eq!(from_env(&[(SAMPLER, "traceidratio"), (ARG, "0")]), Sampler::TraceIdRatio(0.0));
    assert_eq!(from_env(&[(SAMPLER, "traceidratio"), (ARG, "1")]), Sampler::TraceIdRatio(1.0));
    assert_eq!(from_env(&[(SAMPLER, "traceidratio"), (ARG, " 0.5 ")]), Sampler::TraceIdRatio(0.5));
}

#[test]
fn an_argument_is_ignored_by_a_sampler_without_a_ratio() {
    for arg in ["0.25", "1.5", "abc", "NaN"] {
        assert_eq!(from_env(&[(SAMPLER, "always_on"), (ARG, arg)]), Sampler::AlwaysOn, "{arg}");
        assert_eq!(
            from_env(&[(SAMPLER, "parentbased_always_off"), (ARG, arg)]),
            Sampler::ParentBasedAlwaysOff,
            "{arg}"
        );
    }
}

#[test]
fn an_unknown_name_is_rejected_listing_the_six() {
    let e = rejected(&[(SAMPLER, "sometimes")]);
    assert_eq!((e.field, e.value.as_str()), ("traces_sampler", "sometimes"));
    assert_eq!(e.origin, Origin::Env("FLOWMETER_*"));
    assert_eq!(
        e.reason,
        "expected one of always_on, always_off, traceidratio, parentbased_always_on, \
         parentbased_always_off, parentbased_traceidratio"
    );
    assert!(e.to_string().contains("`traces_sampler` = \"sometimes\""), "{e}");
    // The name is checked even with a valid argument beside it.
    let e = rejected(&[(SAMPLER, "sometimes"), (ARG, "0.5")]);
    assert_eq!((e.field, e.value.as_str()), ("traces_sampler", "sometimes"));
    // And an empty name is not the default.
    let e = rejected(&[(SAMPLER, "")]);
    assert_eq!((e.field, e.value.as_str()), ("traces_sampler", ""));
}

#[test]
fn samplers_flowmeter_cannot_ask_are_rejected_as_not_supported() {
    for name in ["jaeger_remote", "parentbased_jaeger_remote", "xray", "JAEGER_REMOTE"] {
        let e = rejected(&[(SAMPLER, name), (ARG, "endpoint=http://localhost:14250")]);
        assert_eq!((e.field, e.value.as_str()), ("traces_sampler", name));
        assert!(e.reason.starts_with("not supported by flowmeter"), "{e}");
        assert!(e.reason.contains("parentbased_traceidratio"), "lists the usable names: {e}");
    }
}

#[test]
fn a_bad_argument_is_rejected_naming_it() {
    for name in ["traceidratio", "parentbased_traceidratio"] {
        for arg in ["abc", "1.5", "-0.1", "NaN", "inf", "", "0.5x"] {
            let e = rejected(&[(SAMPLER, name), (ARG, arg)]);
            assert_eq!((e.field, e.value.as_str()), ("traces_sampler_arg", arg), "{name}");
            assert_eq!(e.origin, Origin::Env("FLOWMETER_*"));
            assert!(e.to_string().contains("`traces_sampler_arg`"), "{e}");
        }
    }
    let e = rejected(&[(SAMPLER, "traceidratio"), (ARG, "abc")]);
    assert_eq!(e.reason, "expected a ratio from 0 to 1, e.g. 0.25");
    let e = rejected(&[(SAMPLER, "traceidratio"), (ARG, "1.5")]);
    assert_eq!(e.reason, "the ratio 1.5 is not between 0 and 1");
    let e = rejected(&[(SAMPLER, "traceidratio"), (ARG, "NaN")]);
    assert_eq!(e.reason, "the ratio NaN is not between 0 and 1");
}

#[test]
fn parse_reports_the_origin_of_each_value() {
    let (name_origin, arg_origin) = (Origin::File(FILE.into()), Origin::Builder);
    let e = parse(("traceidratio", &name_origin), Some(("2", &arg_origin))).unwrap_err();
    assert_eq!((e.field, e.value.as_str(), &e.origin), ("traces_sampler_arg", "2", &arg_origin));
    let e = parse(("nope", &name_origin), Some(("0.5", &arg_origin))).unwrap_err();
    assert_eq!((e.field, e.value.as_str(), &e.origin), ("traces_sampler", "nope", &name_origin));
    assert_eq!(parse((" always_off ", &name_origin), None).unwrap(), Sampler::AlwaysOff);
}

#[test]
fn config_file_takes_a_bare_number_or_a_string() {
    for (arg, ratio) in [("0.1", 0.1), ("1", 1.0), ("\"0.5\"", 0.5), ("0", 0.0)] {
        let text = format!("traces_sampler = \"traceidratio\"\ntraces_sampler_arg = {arg}\n");
        let sampler = sampler_of(&[file_layer(&text)]);
        assert_eq!(sampler, Sampler::TraceIdRatio(ratio), "{arg}");
    }
    let name_only = file_layer("traces_sampler = \"parentbased_always_off\"\n");
    assert_eq!(sampler_of(&[name_only]), Sampler::ParentBasedAlwaysOff);
}

#[test]
fn config_file_rejects_an_argument_of_another_type_naming_the_line() {
    let text = "enabled = true\ntraces_sampler = \"traceidratio\"\ntraces_sampler_arg = true\n";
    let e = RawConfig::from_toml(Path::new(FILE), text).unwrap_err();
    assert_eq!((e.field, e.value.as_str()), ("traces_sampler_arg", "true"));
    assert_eq!(e.origin, Origin::File(FILE.into()));
    assert_eq!(e.reason, "line 3: expected a number, found boolean");
    // The name is a string, not a number.
    let e = RawConfig::from_toml(Path::new(FILE), "traces_sampler = 1\n").unwrap_err();
    assert_eq!(
        (e.field, e.reason.as_str()),
        ("traces_sampler", "line 1: expected a string, found integer")
    );
}

#[test]
fn config_file_value_errors_name_the_line() {
    let layer = file_layer("traces_sampler = \"traceidratio\"\n\ntraces_sampler_arg = 1.5\n");
    let e = resolve(&[layer], false).unwrap_err();
    assert_eq!((e.field, e.value.as_str()), ("traces_sampler_arg", "1.5"));
    assert_eq!(e.origin, Origin::File(FILE.into()));
    assert_eq!(e.reason, "line 3: the ratio 1.5 is not between 0 and 1");
    let layer = file_layer("namespace = \"x\"\ntraces_sampler = \"sometimes\"\n");
    let e = resolve(&[layer], false).unwrap_err();
    assert_eq!((e.field, e.value.as_str()), ("traces_sampler", "sometimes"));
    assert!(e.reason.starts_with("line 2: expected one of always_on"), "{e}");
}

#[test]
fn builder_beats_env_beats_file_for_each_field() {
    let file =
        || file_layer("traces_sampler = \"parentbased_traceidratio\"\ntraces_sampler_arg = 0.5\n");
    assert_eq!(sampler_of(&[file()]), Sampler::ParentBasedTraceIdRatio(0.5));

    // The environment sets only the argument: the file's name keeps, with the env's ratio.
    let arg_only = env_layer(&[(ARG, "0.2")]);
    assert_eq!(sampler_of(&[arg_only.clone(), file()]), Sampler::ParentBasedTraceIdRatio(0.2));

    // The environment sets only the name: the file's argument is its ratio.
    let name_only = env_layer(&[(SAMPLER, "traceidratio")]);
    assert_eq!(sampler_of(&[name_only, file()]), Sampler::TraceIdRatio(0.5));

    // The builder beats both, field by field.
    let both = builder_layer(Some("traceidratio"), Some("0.75"));
    assert_eq!(sampler_of(&[both, arg_only.clone(), file()]), Sampler::TraceIdRatio(0.75));
    let name = builder_layer(Some("traceidratio"), None);
    assert_eq!(sampler_of(&[name, arg_only.clone(), file()]), Sampler::TraceIdRatio(0.2));
    let arg = builder_layer(None, Some("0.1"));
    assert_eq!(sampler_of(&[arg, arg_only, file()]), Sampler::ParentBasedTraceIdRatio(0.1));

    // A builder's sampler without a ratio ignores every argument below it.
    let off = builder_layer(Some("always_off"), None);
    let bad_arg = env_layer(&[(SAMPLER, "sometimes"), (ARG, "abc")]);
    assert_eq!(sampler_of(&[off, bad_arg, file()]), Sampler::AlwaysOff);
}

#[test]
fn a_higher_layer_hides_an_invalid_value_below_it_but_not_its_own() {
    let bad_env = env_layer(&[(SAMPLER, "sometimes"), (ARG, "2")]);
    let builder = builder_layer(Some("parentbased_traceidratio"), Some("0.3"));
    assert_eq!(sampler_of(&[builder, bad_env.clone()]), Sampler::ParentBasedTraceIdRatio(0.3));

    let bad_builder = builder_layer(Some("traceidratio"), Some("NaN"));
    let e = resolve(&[bad_builder, bad_env], false).unwrap_err();
    assert_eq!((e.field, e.value.as_str()), ("traces_sampler_arg", "NaN"));
    assert_eq!(e.origin, Origin::Builder);
    assert!(e.to_string().contains("from the builder"), "{e}");
}
