//! LLM cost accounting through a real pipeline: the rendered exposition carries exact dollars,
//! GenAI token and duration histograms with their semantic-convention labels and buckets,
//! unpriced-call counts, saved dollars and budget gauges.
//!
//! Tests run in parallel on one pipeline, so each uses its own models and budget names.
//! Amounts and durations are binary fractions so that `f64` sums are exact.

mod common;

use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};

use common::{Exposition, parse, promtool_check_metrics};
use flowmeter::Telemetry;
use flowmeter::llm::{
    self, Budget, BudgetPolicy, Date, ManualClock, Period, PriceTable, ResolvedPrice, Usage,
};

static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(common::install_metrics_only);

fn scrape() -> Exposition {
    parse(&TELEMETRY.render())
}

const COST: &str = "flowmeter_llm_cost_total";
const SAVED: &str = "flowmeter_llm_cost_saved_total";
const UNPRICED: &str = "flowmeter_llm_unpriced_calls_total";
const REMAINING: &str = "flowmeter_llm_budget_remaining";
const LIMIT: &str = "flowmeter_llm_budget_limit";
const PERIOD_END: &str = "flowmeter_llm_budget_period_end_timestamp_seconds";
const TOKENS: &str = "gen_ai_client_token_usage";
const DURATION: &str = "gen_ai_client_operation_duration_seconds";

/// input 2.00, cache read 0.50, output 8.00 (reasoning at output) USD per million tokens;
/// `itest-priced-2025-…` snapshots priced through a prefix rule.
const PRICES: &str = r#"
[[price]]
provider = "itest"
model = "itest-priced"
input = 2.0
cache_read = 0.5
output = 8.0

[[prefix]]
provider = "itest"
prefix = "itest-priced-2025-"
model = "itest-priced"

[[price]]
provider = "itest"
model = "itest-cached"
input = 4.0
output = 16.0
"#;

fn table() -> PriceTable {
    PriceTable::builtin().with_toml(PRICES, "itest.toml").expect("test prices")
}

fn resolve(usage: &Usage) -> Option<ResolvedPrice> {
    table().resolve(usage.provider(), usage.model(), Date::new(2025, 6, 1).unwrap())
}

fn usage(model: &str, input: u64, cache_read: u64, output: u64, reasoning: u64) -> Usage {
    Usage::builder("itest", model)
        .input_tokens(input)
        .cache_read_input_tokens(cache_read)
        .output_tokens(output)
        .reasoning_tokens(reasoning)
        .build()
        .unwrap()
}

fn gen_ai<'a>(model: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut m = vec![
        ("gen_ai_operation_name", "chat"),
        ("gen_ai_provider_name", "itest"),
        ("gen_ai_request_model", model),
    ];
    m.extend_from_slice(extra);
    m
}

#[test]
fn priced_calls_record_dollars_tokens_and_duration() {
    LazyLock::force(&TELEMETRY);
    let model = "itest-priced-2025-01-01";
    // Call 1: 31 250 uncached × 2.00 = 0.0625; 125 000 cache reads × 0.50 = 0.0625;
    //         15 625 output × 8.00 = 0.125. Total 0.25.
    let first = usage(model, 156_250, 125_000, 15_625, 0);
    // Call 2: 62 500 × 2.00 = 0.125; 15 625 visible output × 8 = 0.125; 15 625 reasoning × 8
    //         = 0.125. Total 0.375.
    let second = usage(model, 62_500, 0, 31_250, 15_625);
    let price = resolve(&first).expect("priced by prefix");
    assert_eq!(price.model, "itest-priced");
    assert_eq!(llm::record_call(&first, Some(&price), 0.0625, None).total_usd(), 0.25);
    assert_eq!(llm::record_call(&second, Some(&price), 0.25, None).total_usd(), 0.375);
    llm::record_failed_call("chat", "itest", model, 1.5, "Timeout");

    let e = scrape();
    // Spend is labelled with the priced model; 0.25 + 0.375.
    assert_eq!(e.value(COST, &[("model", "itest-priced"), ("provider", "itest")]), 0.625);
    assert!(e.find(COST, &[("model", model)]).is_empty());
    assert!(e.find(UNPRICED, &[("model", "itest-priced")]).is_empty());

    // Input tokens (inclusive of cache reads): 156 250 and 62 500.
    let input = gen_ai(model, &[("gen_ai_token_type", "input")]);
    let bucket = |m: &[(&str, &str)], le| {
        let mut m = m.to_vec();
        m.push(("le", le));
        e.value(&format!("{TOKENS}_bucket"), &m)
    };
    assert_eq!(e.value(&format!("{TOKENS}_count"), &input), 2.0);
    assert_eq!(e.value(&format!("{TOKENS}_sum"), &input), 218_750.0);
    for (le, n) in [("16384", 0.0), ("65536", 1.0), ("262144", 2.0), ("+Inf", 2.0)] {
        assert_eq!(bucket(&input, le), n, "input le={le}");
    }
    // Output tokens (inclusive of reasoning): 15 625 and 31 250.
    let output = gen_ai(model, &[("gen_ai_token_type", "output")]);
    assert_eq!(e.value(&format!("{TOKENS}_count"), &output), 2.0);
    assert_eq!(e.value(&format!("{TOKENS}_sum"), &output), 46_875.0);
    for (le, n) in [("4096", 0.0), ("16384", 1.0), ("65536", 2.0)] {
        assert_eq!(bucket(&output, le), n, "output le={le}");
    }
    // Exactly the semantic-convention boundaries, powers of 4 from 1 to 4^13.
    let les: Vec<String> = e
        .find(&format!("{TOKENS}_bucket"), &input)
        .iter()
        .map(|s| s.label("le").unwrap().to_owned())
        .collect();
    let mut want: Vec<String> = (0..14).map(|i| 4u64.pow(i).to_string()).collect();
    want.push("+Inf".into());
    assert_eq!(les, want);

    // Durations: successes without error_type, the failure with it.
    let ok = gen_ai(model, &[]);
    let ok_series: Vec<_> = e
        .find(&format!("{DURATION}_count"), &ok)
        .into_iter()
        .filter(|s| s.label("error_type").is_none())
        .collect();
    assert_eq!(ok_series.len(), 1);
    assert_eq!(ok_series[0].value, 2.0);
    assert_eq!(ok_series[0].labels.len(), 3, "{:?}", ok_series[0].labels);
    let ok_sum = e.find(&format!("{DURATION}_sum"), &ok);
    assert!(ok_sum.iter().any(|s| s.label("error_type").is_none() && s.value == 0.3125));
    let buckets = e.find(&format!("{DURATION}_bucket"), &gen_ai(model, &[("le", "0.08")]));
    assert!(buckets.iter().any(|s| s.label("error_type").is_none() && s.value == 1.0));
    let failed = gen_ai(model, &[("error_type", "Timeout")]);
    assert_eq!(e.value(&format!("{DURATION}_count"), &failed), 1.0);
    assert_eq!(e.value(&format!("{DURATION}_sum"), &failed), 1.5);
    let mut le = failed.clone();
    le.push(("le", "1.28"));
    assert_eq!(e.value(&format!("{DURATION}_bucket"), &le), 0.0);
    le.pop();
    le.push(("le", "2.56"));
    assert_eq!(e.value(&format!("{DURATION}_bucket"), &le), 1.0);

    assert_eq!(e.types.get(COST).map(String::as_str), Some("counter"));
    assert_eq!(e.types.get(TOKENS).map(String::as_str), Some("histogram"));
    assert_eq!(e.types.get(DURATION).map(String::as_str), Some("histogram"));
}

#[test]
fn unpriced_calls_record_tokens_zero_cost_and_a_count() {
    LazyLock::force(&TELEMETRY);
    let model = "itest-unknown";
    for _ in 0..3 {
        let u = usage(model, 1_000, 0, 10, 0);
        assert!(resolve(&u).is_none());
        assert!(llm::record_call(&u, None, 0.5, None).is_zero());
    }
    let e = scrape();
    let labels = [("model", model), ("provider", "itest")];
    assert_eq!(e.value(COST, &labels), 0.0);
    assert_eq!(e.value(UNPRICED, &labels), 3.0);
    let input = gen_ai(model, &[("gen_ai_token_type", "input")]);
    assert_eq!(e.value(&format!("{TOKENS}_count"), &input), 3.0);
    assert_eq!(e.value(&format!("{TOKENS}_sum"), &input), 3_000.0);
}

#[test]
fn cache_hits_record_saved_dollars_and_zero_spend() {
    LazyLock::force(&TELEMETRY);
    // 62 500 input × 4.00 = 0.25; 15 625 output × 16.00 = 0.25. Saved 0.5 per hit.
    let u = usage("itest-cached", 62_500, 0, 15_625, 0);
    let price = resolve(&u).unwrap();
    for _ in 0..2 {
        assert_eq!(llm::record_cache_hit(&u, Some(&price)).total_usd(), 0.5);
    }
    let e = scrape();
    let labels = [("model", "itest-cached"), ("provider", "itest")];
    assert_eq!(e.value(SAVED, &labels), 1.0);
    assert_eq!(e.value(COST, &labels), 0.0);
    assert!(
        e.find(&format!("{TOKENS}_count"), &[("gen_ai_request_model", "itest-cached")]).is_empty()
    );
}

#[test]
fn budget_remaining_is_exported_whenever_spend_or_period_changes() {
    LazyLock::force(&TELEMETRY);
    let remaining = |name| scrape().value(REMAINING, &[("budget_name", name)]);
    // 2025-06-01T10:00:00Z.
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_748_772_000));
    let budget =
        Budget::builder("itest-daily", 1.0, Period::Day).clock(clock.clone()).build().unwrap();
    assert_eq!(remaining("itest-daily"), 1.0);

    let price = resolve(&usage("itest-cached", 1, 0, 0, 0)).unwrap();
    let quarter = llm::cost(&usage("itest-cached", 62_500, 0, 0, 0), &price.price); // 0.25
    budget.check("itest", "itest-cached").unwrap();
    budget.charge("itest", "itest-cached", &quarter);
    assert_eq!(remaining("itest-daily"), 0.75);
    for _ in 0..5 {
        budget.charge("itest", "itest-cached", &quarter);
    }
    assert_eq!(remaining("itest-daily"), -0.5);
    assert!(budget.check("itest", "itest-cached").is_err());

    clock.advance(Duration::from_secs(86_400));
    budget.check("itest", "itest-cached").unwrap();
    assert_eq!(remaining("itest-daily"), 1.0);

    let observe = Budget::builder("itest-observe", 0.25, Period::Hour)
        .policy(BudgetPolicy::RecordOnly)
        .clock(clock)
        .build()
        .unwrap();
    observe.charge("itest", "itest-cached", &quarter);
    observe.charge("itest", "itest-cached", &quarter);
    observe.check("itest", "itest-cached").unwrap();
    assert_eq!(remaining("itest-observe"), -0.25);
    assert_eq!(scrape().types.get(REMAINING).map(String::as_str), Some("gauge"));
}

#[test]
fn budget_limit_and_period_end_are_exported_for_every_budget_and_follow_the_period() {
    LazyLock::force(&TELEMETRY);
    let value = |metric, name| scrape().value(metric, &[("budget_name", name)]);
    // 2025-06-01T10:00:00Z, on the hour.
    let start = 1_748_772_000_u64;
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(start));
    let daily = Budget::builder("itest-limits-daily", 2.5, Period::Day)
        .clock(clock.clone())
        .build()
        .unwrap();
    let hourly = Budget::builder("itest-limits-hourly", 0.125, Period::Hour)
        .policy(BudgetPolicy::RecordOnly)
        .clock(clock.clone())
        .build()
        .unwrap();
    let _every = Budget::builder("itest-limits-90s", 1.0, Period::Every(Duration::from_secs(90)))
        .clock(clock.clone())
        .build()
        .unwrap();
    // From the start, without a call: the limits and the ends of the current periods
    // (2025-06-02T00:00:00Z, 11:00:00Z, and the next multiple of 90 s since 1970).
    let midnight = 1_748_822_400.0;
    assert_eq!(value(LIMIT, "itest-limits-daily"), 2.5);
    assert_eq!(value(PERIOD_END, "itest-limits-daily"), midnight);
    assert_eq!(value(LIMIT, "itest-limits-hourly"), 0.125);
    assert_eq!(value(PERIOD_END, "itest-limits-hourly"), (start + 3600) as f64);
    assert_eq!(value(LIMIT, "itest-limits-90s"), 1.0);
    assert_eq!(value(PERIOD_END, "itest-limits-90s"), ((start / 90 + 1) * 90) as f64);

    // Spend within the period changes only what is left.
    let price = resolve(&usage("itest-cached", 1, 0, 0, 0)).unwrap();
    let eighth = llm::cost(&usage("itest-cached", 31_250, 0, 0, 0), &price.price); // 0.125
    hourly.charge("itest", "itest-cached", &eighth);
    assert_eq!(value(REMAINING, "itest-limits-hourly"), 0.0);
    assert_eq!(value(PERIOD_END, "itest-limits-hourly"), (start + 3600) as f64);

    // A later period moves the end on the first check or charge in it; the limit stays.
    clock.advance(Duration::from_secs(3600 + 60));
    hourly.check("itest", "itest-cached").unwrap();
    daily.check("itest", "itest-cached").unwrap();
    assert_eq!(value(PERIOD_END, "itest-limits-hourly"), (start + 7200) as f64);
    assert_eq!(value(REMAINING, "itest-limits-hourly"), 0.125);
    assert_eq!(value(PERIOD_END, "itest-limits-daily"), midnight);
    clock.advance(Duration::from_secs(86_400));
    daily.check("itest", "itest-cached").unwrap();
    assert_eq!(value(PERIOD_END, "itest-limits-daily"), midnight + 86_400.0);
    assert_eq!(value(LIMIT, "itest-limits-daily"), 2.5);
    let e = scrape();
    for metric in [LIMIT, PERIOD_END] {
        assert_eq!(e.types.get(metric).map(String::as_str), Some("gauge"), "{metric}");
    }
}

#[test]
fn the_exposition_passes_promtool() {
    LazyLock::force(&TELEMETRY);
    let u = usage("itest-promtool", 10, 0, 10, 0);
    llm::record_call(&u, None, 0.01, None);
    promtool_check_metrics(&TELEMETRY.render());
}
