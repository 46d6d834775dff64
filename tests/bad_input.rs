//! Bad input everywhere: NaN, infinite, negative and huge measurements (application metrics,
//! flowmeter's own durations, LLM usage, prices and budgets), malformed config files,
//! environment variables and price files. Measurements are rejected with a typed error and
//! record nothing, or are skipped where the API documents it; either way they are counted in
//! `flowmeter_measurements_rejected_total{metric_name, reason}` and logged once per metric and
//! reason. Configuration errors name the field (or key), the file and the line.

mod common;

use std::path::Path;
use std::sync::LazyLock;

use common::capture::Capture;
use flowmeter::app::{self, AppMetricError};
use flowmeter::llm::{
    self, Budget, BudgetError, ModelPrice, Period, PriceError, PriceTable, Usage, UsageError,
};
use flowmeter::{ConfigError, Error, Telemetry, instrumented};

/// The pipeline, and the global subscriber that keeps flowmeter's warnings.
static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    LazyLock::force(&LOG);
    common::install_metrics_only()
});
static LOG: LazyLock<Capture> = LazyLock::new(Capture::install_global);

/// `flowmeter_measurements_rejected_total` of `metric` for `reason`, 0 when absent.
fn rejected(exposition: &common::Exposition, metric: &str, reason: &str) -> f64 {
    let labels = [("metric_name", metric), ("reason", reason)];
    exposition.find("flowmeter_measurements_rejected_total", &labels).iter().map(|s| s.value).sum()
}

fn scrape() -> common::Exposition {
    common::parse(&TELEMETRY.render())
}

const NOT_FINITE: [f64; 3] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];

#[test]
fn nan_and_infinite_measurements_are_rejected_and_record_nothing() {
    LazyLock::force(&TELEMETRY);
    // Counters and up-down counters take integers (`u64`, `i64`): NaN cannot be expressed.
    let gauge = app::gauge("bad.input.level").help("h").labels(["k"]).build().unwrap();
    let histogram =
        app::histogram("bad.input.size").help("h").labels(["k"]).buckets([1.0]).build().unwrap();
    let bound_gauge = gauge.bind(&["bound"]).unwrap();
    let bound_histogram = histogram.bind(&["bound"]).unwrap();
    gauge.set(1.5, &["kept"]).unwrap();
    histogram.record(0.5, &["kept"]).unwrap();

    for value in NOT_FINITE {
        let is_not_finite = |r: Result<(), AppMetricError>| {
            matches!(r, Err(AppMetricError::NotFinite { metric, value: v })
                if (metric == "bad.input.level" || metric == "bad.input.size")
                    && (v.to_bits() == value.to_bits()))
        };
        assert!(is_not_finite(gauge.set(value, &["kept"])), "gauge {value}");
        assert!(is_not_finite(gauge.set(value, &["new"])), "gauge {value}");
        assert!(is_not_finite(bound_gauge.set(value)), "bound gauge {value}");
        assert!(is_not_finite(histogram.record(value, &["kept"])), "histogram {value}");
        assert!(is_not_finite(histogram.record(value, &["new"])), "histogram {value}");
        assert!(is_not_finite(bound_histogram.record(value)), "bound histogram {value}");
    }
    let error = gauge.set(f64::NAN, &["kept"]).unwrap_err().to_string();
    assert!(error.contains("bad.input.level") && error.contains("NaN"), "{error}");

    let exposition = scrape();
    assert_eq!(exposition.value("bad_input_level", &[("k", "kept")]), 1.5);
    assert_eq!(exposition.value("bad_input_size_count", &[("k", "kept")]), 1.0);
    assert_eq!(exposition.value("bad_input_size_sum", &[("k", "kept")]), 0.5);
    for (family, labels) in [("bad_input_level", "new"), ("bad_input_level", "bound")] {
        assert!(exposition.find(family, &[("k", labels)]).is_empty(), "{family}{{k={labels}}}");
    }
    for labels in ["new", "bound"] {
        assert!(exposition.find("bad_input_size_count", &[("k", labels)]).is_empty());
    }
    // Every refusal is counted: 3 values × 3 series, and the gauge's extra NaN.
    assert_eq!(rejected(&exposition, "bad.input.level", "not_finite"), 10.0);
    assert_eq!(rejected(&exposition, "bad.input.size", "not_finite"), 9.0);
}

#[test]
fn every_kind_of_refusal_is_counted_by_reason_and_logged_once() {
    LazyLock::force(&TELEMETRY);
    let rate =
        app::gauge("bad.input.rate").help("h").labels(["k"]).range(0.0..=1.0).build().unwrap();
    let latency = app::histogram("bad.input.latency").help("h").buckets([1.0]).build().unwrap();
    let calls = app::counter("bad.input.calls")
        .help("h")
        .labels(["kind"])
        .label_values("kind", ["a", "b"])
        .build()
        .unwrap();
    for _ in 0..5 {
        assert!(rate.set(1.5, &["x"]).is_err());
        assert!(rate.set(-0.1, &["x"]).is_err());
        assert!(latency.record(-1.0, &[]).is_err());
        assert!(calls.add(1, &["c"]).is_err());
        assert!(calls.add(1, &[]).is_err());
        assert!(calls.add(1, &["a", "b"]).is_err());
    }
    rate.set(0.5, &["x"]).unwrap();
    calls.add(1, &["a"]).unwrap();

    let exposition = scrape();
    assert_eq!(rejected(&exposition, "bad.input.rate", "out_of_range"), 10.0);
    assert_eq!(rejected(&exposition, "bad.input.latency", "negative"), 5.0);
    assert_eq!(rejected(&exposition, "bad.input.calls", "label_value"), 5.0);
    assert_eq!(rejected(&exposition, "bad.input.calls", "label_count"), 10.0);
    // Accepted measurements are not counted as refused, and are recorded.
    for reason in ["not_finite", "negative", "label_value", "label_count"] {
        assert_eq!(rejected(&exposition, "bad.input.rate", reason), 0.0, "{reason}");
    }
    assert_eq!(exposition.value("bad_input_rate", &[("k", "x")]), 0.5);
    assert_eq!(exposition.value("bad_input_calls_total", &[("kind", "a")]), 1.0);

    // One warning per metric and reason, however often it repeats, naming both.
    for (metric, reason) in [
        ("bad.input.rate", "out_of_range"),
        ("bad.input.latency", "negative"),
        ("bad.input.calls", "label_value"),
        ("bad.input.calls", "label_count"),
    ] {
        let warnings: Vec<_> = LOG
            .with_field("metric_name", metric)
            .into_iter()
            .filter(|w| w.field("reason") == Some(reason))
            .collect();
        assert_eq!(warnings.len(), 1, "{metric} {reason}: {warnings:?}");
        assert!(warnings[0].message.contains("refused"), "{:?}", warnings[0]);
    }
}

#[instrumented(span = false)]
fn quick_step() -> u32 {
    7
}

#[test]
fn flowmeter_durations_are_finite_and_never_negative() {
    LazyLock::force(&TELEMETRY);
    for _ in 0..100 {
        quick_step();
    }
    // Durations are differences of a monotonic clock, converted from integer nanoseconds: no
    // NaN, no infinity, no negative value can come out of them.
    let exposition = scrape();
    let step = [("primitive_name", "quick_step"), ("status", "success")];
    let sum = exposition.value("flowmeter_execution_duration_seconds_sum", &step);
    assert!(sum.is_finite() && sum >= 0.0, "{sum}");
    assert_eq!(exposition.value("flowmeter_execution_duration_seconds_count", &step), 100.0);
    for sample in exposition.find("flowmeter_execution_duration_seconds_bucket", &step) {
        assert!(sample.value.is_finite() && sample.value >= 0.0, "{sample:?}");
    }
}

fn usage_with(field: &str, value: f64) -> Result<Usage, UsageError> {
    let builder = Usage::builder("openai", "gpt-4o").input_tokens(10).output_tokens(10);
    match field {
        "input_tokens" => builder.input_tokens(value),
        "output_tokens" => builder.output_tokens(value),
        "cache_read_input_tokens" => builder.cache_read_input_tokens(value),
        "cache_write_input_tokens" => builder.cache_write_input_tokens(value),
        _ => builder.reasoning_tokens(value),
    }
    .build()
}

#[test]
fn llm_usage_prices_and_budgets_reject_nan_negative_and_huge_values() {
    for field in [
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_write_input_tokens",
        "reasoning_tokens",
    ] {
        for value in NOT_FINITE {
            let error = usage_with(field, value).unwrap_err();
            assert!(matches!(error, UsageError::NonFinite { field: f, .. } if f == field));
            assert!(error.to_string().contains(field), "{error}");
        }
        assert!(matches!(usage_with(field, -1.0), Err(UsageError::Negative { .. })));
        assert!(matches!(usage_with(field, 0.5), Err(UsageError::Fractional { .. })));
        assert!(matches!(usage_with(field, 1e300), Err(UsageError::TooLarge { .. })));
    }
    let too_many = Usage::builder("openai", "gpt-4o").input_tokens(u64::MAX).build();
    assert!(matches!(too_many, Err(UsageError::TooLarge { field: "input_tokens", .. })));
    let negative = Usage::builder("openai", "gpt-4o").output_tokens(-5i64).build();
    assert!(matches!(negative, Err(UsageError::Negative { field: "output_tokens", value: -5 })));
    let long_model = Usage::builder("openai", "m".repeat(10_000)).build();
    assert!(matches!(long_model, Err(UsageError::BadName { field: "model", len: 10_000 })));

    for value in [f64::NAN, f64::INFINITY, -1.0, 1e7, 0.000_000_1] {
        let error = ModelPrice::new(value, 1.0).unwrap_err();
        assert!(matches!(error, PriceError::InvalidRate { .. }), "{value}: {error}");
        assert!(ModelPrice::new(1.0, 1.0).unwrap().with_cache_read(value).is_err(), "{value}");
    }
    for limit in [f64::NAN, f64::INFINITY, -0.01, 1e13] {
        let budget = Budget::builder("monthly", limit, Period::Day).build();
        assert!(matches!(budget, Err(BudgetError::InvalidLimit(_))), "{limit}: {budget:?}");
    }

    // The largest usage at the highest price is a finite number of dollars: money is exact
    // integer picodollars inside (10^8 tokens × 10^12 pUSD per token fits a u128).
    let max = flowmeter::llm::MAX_TOKENS_PER_CALL;
    let usage = Usage::builder("openai", "gpt-4o").input_tokens(max).output_tokens(max).build();
    let top = ModelPrice::new(llm::MAX_USD_PER_MTOK, llm::MAX_USD_PER_MTOK).unwrap();
    let cost = llm::cost(&usage.unwrap(), &top);
    assert_eq!(cost.total_usd(), 200_000_000.0);
}

#[test]
fn llm_calls_with_a_nan_or_negative_duration_skip_only_the_duration() {
    LazyLock::force(&TELEMETRY);
    let mut table = PriceTable::new();
    table.insert("openai", "bad-duration-model", ModelPrice::new(1.0, 2.0).unwrap());
    let price = table.resolve_today("openai", "bad-duration-model").expect("priced");
    let usage = Usage::builder("openai", "bad-duration-model")
        .input_tokens(1_000_000)
        .output_tokens(500_000)
        .build()
        .unwrap();
    // Documented on `record_call`: the duration is skipped unless finite and ≥ 0; tokens and
    // dollars are still recorded.
    for duration in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, 0.5] {
        let cost = llm::record_call(&usage, Some(&price), duration, None);
        assert_eq!(cost.total_usd(), 2.0);
    }
    llm::record_failed_call("chat", "openai", "bad-duration-model", f64::NAN, "Timeout");

    let exposition = scrape();
    let model = [("gen_ai_request_model", "bad-duration-model")];
    let durations = exposition.find("gen_ai_client_operation_duration_seconds_count", &model);
    assert_eq!(durations.len(), 1, "only the successful call's series: {durations:?}");
    assert_eq!(durations[0].value, 1.0, "only the one finite, non-negative duration");
    let tokens = exposition.find("gen_ai_client_token_usage_count", &model);
    assert_eq!(tokens.iter().map(|s| s.value).sum::<f64>(), 10.0, "5 calls × input and output");
    let cost = exposition.value("flowmeter_llm_cost_total", &[("model", "bad-duration-model")]);
    assert_eq!(cost, 10.0);
    // The skipped durations are counted: NaN, ±inf and the failed call's NaN; and -1.
    let metric = "gen_ai.client.operation.duration";
    assert_eq!(rejected(&exposition, metric, "not_finite"), 4.0);
    assert_eq!(rejected(&exposition, metric, "negative"), 1.0);
    for sample in &exposition.samples {
        assert!(sample.value.is_finite(), "no sample is NaN or infinite: {sample:?}");
    }
}

/// Installs with `file` as the config file and returns the configuration error. The file
/// holds an error, so nothing is installed (or served) whatever other test ran first.
fn config_error(dir: &Path, name: &str, contents: &[u8]) -> ConfigError {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    let builder = Telemetry::builder().ignore_env().install_subscriber(false).config_file(&path);
    // A builder value hides the file's: leave the field under test to the file, and keep the
    // endpoint off either way.
    let builder =
        if name.starts_with("serve") { builder.enabled(false) } else { builder.serve(false) };
    let result = builder.install();
    match result {
        Err(Error::Config(error)) => {
            let message = error.to_string();
            assert!(message.contains(&path.display().to_string()), "names the file: {message}");
            error
        }
        other => panic!("{name}: expected a configuration error, got {other:?}"),
    }
}

#[test]
fn malformed_config_files_name_the_field_and_the_line() {
    let dir = common::TempDir::new("bad-config");
    let dir = dir.path();
    // (file name, contents, field, value, line, reason)
    let cases: &[(&str, &str, &str, &str, usize, &str)] = &[
        (
            "syntax.toml",
            "enabled = true\nnamespace = \n",
            "config_file",
            "syntax.toml",
            2,
            "not valid TOML",
        ),
        (
            "duplicate.toml",
            "namespace = \"a\"\nnamespace = \"b\"\n",
            "config_file",
            "duplicate.toml",
            2,
            "duplicate key",
        ),
        (
            "unknown.toml",
            "namespace = \"a\"\n\n[server]\nport = 1\n",
            "config_file",
            "server",
            3,
            "unknown key",
        ),
        (
            "enabled_type.toml",
            "# comment\n\nenabled = [true]\n",
            "enabled",
            "[true]",
            3,
            "expected a boolean, found array",
        ),
        ("listen_type.toml", "listen = 9464\n", "listen", "9464", 1, "expected a string"),
        (
            "enabled_float.toml",
            "namespace = \"a\"\nenabled = 1.0\n",
            "enabled",
            "1.0",
            2,
            "found float",
        ),
        (
            "path_value.toml",
            "namespace = \"ok\"\nmetrics_path = \"metrics\"\n",
            "metrics_path",
            "metrics",
            2,
            "must start with `/`",
        ),
        (
            "listen_value.toml",
            "\n\n\nlisten = \"127.0.0.1:70000\"\n",
            "listen",
            "127.0.0.1:70000",
            4,
            "above 65535",
        ),
        ("serve_value.toml", "serve = \"perhaps\"\n", "serve", "perhaps", 1, "expected true/false"),
        ("enabled_int.toml", "enabled = 2\n", "enabled", "2", 1, "expected true/false"),
    ];
    for (name, contents, field, value, line, reason) in cases {
        let error = config_error(dir, name, contents.as_bytes());
        let message = error.to_string();
        assert_eq!(error.field, *field, "{message}");
        assert!(error.value.ends_with(value), "value {:?}: {message}", error.value);
        assert!(message.contains(&format!("line {line}")), "line {line}: {message}");
        assert!(error.reason.contains(reason), "{reason}: {message}");
    }

    let error = config_error(dir, "utf8.toml", b"namespace = \"\xff\"\n");
    assert_eq!(error.field, "config_file");
    assert!(error.reason.contains("UTF-8"), "{error}");

    let missing = Telemetry::builder().ignore_env().config_file(dir.join("absent.toml")).install();
    let Err(Error::Config(error)) = missing else { panic!("{missing:?}") };
    assert_eq!(error.field, "config_file");
    assert!(error.reason.contains("cannot read"), "{error}");
}

#[test]
fn malformed_price_files_name_the_field_and_the_line() {
    let dir = common::TempDir::new("bad-prices");
    let entry = "[[price]]\nprovider = \"openai\"\nmodel = \"m\"\n";
    // (tail after one entry's header lines, field named, line)
    let cases: &[(&str, &str, usize)] = &[
        ("input = nan\noutput = 1.0\n", "`input`", 4),
        ("input = 1.0\noutput = inf\n", "`output`", 5),
        ("input = -inf\noutput = 1.0\n", "`input`", 4),
        ("input = 1.0\noutput = 1.0\ncache_read = -0.5\n", "`cache_read`", 6),
        ("input = 1e7\noutput = 1.0\n", "`input`", 4),
        ("input = 1.0000001\noutput = 1.0\n", "`input`", 4),
        ("input = 1.0\noutput = 1.0\nreasoning = \"free\"\n", "f64", 6),
        ("input = 1.0\noutput = 1.0\neffective_from = \"yesterday\"\n", "`effective_from`", 6),
        ("input = 1.0\noutput = 1.0\ncurrency = \"EUR\"\n", "`currency`", 6),
        ("input = 1e999\noutput = 1.0\n", "", 4),
    ];
    for (tail, field, line) in cases {
        let path = dir.path().join("prices.toml");
        std::fs::write(&path, format!("{entry}{tail}")).unwrap();
        let error = PriceTable::builtin().with_file(&path).unwrap_err();
        let message = error.to_string();
        assert_eq!(error.line(), Some(*line), "{message}");
        assert!(message.contains(field), "{field}: {message}");
        assert!(message.contains("prices.toml"), "{message}");
    }
    let json = dir.path().join("prices.json");
    std::fs::write(&json, "{\"price\": [\n{\"provider\": \"openai\", \"model\": \"m\",\n\"input\": NaN, \"output\": 1}]}").unwrap();
    let error = PriceTable::builtin().with_file(&json).unwrap_err();
    assert_eq!(error.line(), Some(3), "{error}");
}
