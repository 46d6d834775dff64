//! Recording without a pipeline: the cost is returned, spans get usage attributes, unpriced
//! models warn once. (Metric values are asserted in `tests/llm_cost.rs`.)

use tracing::field::Empty;

use super::capture::capture;
use super::date;
use crate::llm::{
    PriceTable, USAGE_SPAN_FIELDS, Usage, record_cache_hit, record_call, record_span_usage,
};

fn usage(model: &str) -> Usage {
    Usage::builder("openai", model)
        .input_tokens(1_000)
        .cache_read_input_tokens(400)
        .output_tokens(300)
        .reasoning_tokens(100)
        .build()
        .unwrap()
}

#[test]
fn usage_is_recorded_on_the_declared_span_fields() {
    let seen = capture(|| {
        let span = tracing::info_span!(
            "chat o3-mini",
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            gen_ai.usage.cache_read.input_tokens = Empty,
            gen_ai.usage.cache_creation.input_tokens = Empty,
            gen_ai.usage.reasoning.output_tokens = Empty,
        );
        record_span_usage(&span, &usage("o3-mini"));
    });
    let got: Vec<(&str, &str)> =
        seen.span_fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        got,
        [
            ("gen_ai.usage.cache_creation.input_tokens", "0"),
            ("gen_ai.usage.cache_read.input_tokens", "400"),
            ("gen_ai.usage.input_tokens", "1000"),
            ("gen_ai.usage.output_tokens", "300"),
            ("gen_ai.usage.reasoning.output_tokens", "100"),
        ]
    );
    let mut names = USAGE_SPAN_FIELDS.to_vec();
    names.sort();
    assert_eq!(names, got.iter().map(|(k, _)| *k).collect::<Vec<_>>());
}

#[test]
fn unpriced_models_cost_nothing_and_warn_once_per_provider_and_model() {
    let table = PriceTable::builtin();
    let seen = capture(|| {
        for _ in 0..3 {
            let u = usage("unit-test-unknown-model");
            let price = table.resolve(u.provider(), u.model(), date("2025-06-01"));
            assert!(price.is_none());
            assert!(record_call(&u, price.as_ref(), 0.5, None).is_zero());
        }
        record_call(&usage("unit-test-other-unknown"), None, 0.5, None);
    });
    assert_eq!(seen.warnings.len(), 2, "{:?}", seen.warnings);
    assert!(seen.warnings[0].contains("no price"), "{:?}", seen.warnings);
}

#[test]
fn priced_calls_and_cache_hits_return_their_cost() {
    let table = PriceTable::builtin();
    let u = usage("o3-mini");
    let price = table.resolve("openai", "o3-mini", date("2025-06-01")).unwrap();
    // 600 × 1.10 + 400 × 0.55 + 200 × 4.40 + 100 × 4.40 µ$ = 660 + 220 + 880 + 440 = 2 200 µ$
    let seen = capture(|| {
        assert_eq!(record_call(&u, Some(&price), 2.0, None).total_usd(), 0.0022);
        assert_eq!(record_cache_hit(&u, Some(&price)).total_usd(), 0.0022);
        assert!(record_cache_hit(&u, None).is_zero());
    });
    assert!(seen.warnings.is_empty(), "{:?}", seen.warnings);
}
