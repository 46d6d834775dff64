//! Price lookup: exact, explicit longest prefix, never substring; effective dates.

use super::{date, price};
use crate::llm::{PriceMatch, PriceTable, Rate, builtin_prices};

fn input_rate(table: &PriceTable, provider: &str, model: &str, on: &str) -> Option<f64> {
    table.resolve(provider, model, date(on)).map(|r| r.price.input.as_usd_per_mtok())
}

#[test]
fn builtin_table_parses_and_covers_the_common_models() {
    let models: Vec<_> = builtin_prices().models().collect();
    for want in [
        ("openai", "gpt-4o"),
        ("openai", "gpt-4o-mini"),
        ("openai", "o3-mini"),
        ("anthropic", "claude-sonnet-4"),
        ("anthropic", "claude-3-5-haiku"),
    ] {
        assert!(models.contains(&want), "{want:?} missing from {models:?}");
    }
    assert!(builtin_prices().prefix_rules().count() >= 5);
}

#[test]
fn lookup_is_exact_or_explicit_prefix_never_substring() {
    let t = PriceTable::builtin();
    let on = "2025-06-01";
    // Exact names.
    assert_eq!(input_rate(&t, "openai", "gpt-4o", on), Some(2.5));
    assert_eq!(input_rate(&t, "openai", "gpt-4o-mini", on), Some(0.15)); // not gpt-4o's 2.5
    // Dated snapshots through explicit prefix rules.
    let r = t.resolve("openai", "gpt-4o-2024-08-06", date(on)).unwrap();
    assert_eq!(
        (r.model.as_str(), &r.matched),
        ("gpt-4o", &PriceMatch::Prefix("gpt-4o-2024-".into()))
    );
    let r = t.resolve("openai", "gpt-4o-mini-2024-07-18", date(on)).unwrap();
    assert_eq!(r.model, "gpt-4o-mini");
    let r = t.resolve("anthropic", "claude-sonnet-4-20250514", date(on)).unwrap();
    assert_eq!((r.model.as_str(), r.price.input.as_usd_per_mtok()), ("claude-sonnet-4", 3.0));
    // An exact entry beats a matching prefix rule.
    let r = t.resolve("openai", "gpt-4o-2024-05-13", date(on)).unwrap();
    assert_eq!((r.matched, r.price.input.as_usd_per_mtok()), (PriceMatch::Exact, 5.0));
    // Sharing a stem is not enough: no rule matches these, so they are unpriced.
    for model in
        ["gpt-4o-turbo-x", "gpt-4", "my-gpt-4o", "gpt-4o-audio-preview", "claude-sonnet-4-5"]
    {
        assert_eq!(t.resolve("openai", model, date(on)), None, "{model}");
    }
    assert_eq!(t.resolve("anthropic", "claude-sonnet-4-5-20250929", date(on)), None);
    // Provider is part of the key.
    assert_eq!(t.resolve("azure.ai.openai", "gpt-4o", date(on)), None);
    // Unknown model.
    assert_eq!(t.resolve("openai", "unknown-model", date(on)), None);
}

#[test]
fn the_longest_explicit_prefix_wins() {
    let mut t = PriceTable::new();
    t.insert("acme", "base", price(1.0, 2.0, None, None, None));
    t.insert("acme", "large", price(10.0, 20.0, None, None, None));
    t.insert_prefix("acme", "acme-", "base").unwrap();
    t.insert_prefix("acme", "acme-large-", "large").unwrap();
    let on = "2025-01-01";
    assert_eq!(input_rate(&t, "acme", "acme-large-v2", on), Some(10.0));
    assert_eq!(input_rate(&t, "acme", "acme-small", on), Some(1.0));
    assert_eq!(input_rate(&t, "acme", "acme", on), None);
    assert!(t.insert_prefix("acme", "", "base").is_err());
    // A rule pointing at a model without a price resolves to nothing.
    t.insert_prefix("acme", "ghost-", "ghost").unwrap();
    assert_eq!(input_rate(&t, "acme", "ghost-1", on), None);
}

#[test]
fn the_latest_price_effective_on_the_call_date_applies() {
    // Built-in gpt-4o: 5.00 until 2024-10-01, 2.50 from 2024-10-02.
    let t = PriceTable::builtin();
    assert_eq!(input_rate(&t, "openai", "gpt-4o", "2024-06-01"), Some(5.0));
    assert_eq!(input_rate(&t, "openai", "gpt-4o", "2024-10-01"), Some(5.0));
    assert_eq!(input_rate(&t, "openai", "gpt-4o", "2024-10-02"), Some(2.5));

    let mut t = PriceTable::new();
    let from = |p: crate::llm::ModelPrice, d: &str| p.effective_from(date(d));
    t.insert("acme", "m", from(price(3.0, 3.0, None, None, None), "2025-03-01"));
    t.insert("acme", "m", from(price(1.0, 1.0, None, None, None), "2025-01-01"));
    t.insert("acme", "m", from(price(2.0, 2.0, None, None, None), "2025-02-01"));
    t.insert("acme", "fallback", price(9.0, 9.0, None, None, None));
    t.insert_prefix("acme", "m", "fallback").unwrap();
    assert_eq!(input_rate(&t, "acme", "m", "2024-12-31"), None); // exact, not effective yet
    assert_eq!(input_rate(&t, "acme", "m", "2025-01-31"), Some(1.0));
    assert_eq!(input_rate(&t, "acme", "m", "2025-02-01"), Some(2.0));
    assert_eq!(input_rate(&t, "acme", "m", "2030-01-01"), Some(3.0));
    // Same date replaces.
    t.insert("acme", "m", from(price(4.0, 4.0, None, None, None), "2025-03-01"));
    assert_eq!(input_rate(&t, "acme", "m", "2030-01-01"), Some(4.0));
}

#[test]
fn rates_are_exact_to_six_decimals_and_validated() {
    assert_eq!(Rate::usd_per_mtok(0.075).unwrap().micro_usd_per_mtok(), 75_000);
    assert_eq!(Rate::usd_per_mtok(0.000001).unwrap().micro_usd_per_mtok(), 1);
    for bad in [-0.5, f64::NAN, f64::INFINITY, 0.0000001, 2e6] {
        assert!(Rate::usd_per_mtok(bad).is_err(), "{bad}");
    }
    assert_eq!(Rate::usd_per_mtok(2.5).unwrap().to_string(), "$2.5/Mtok");
}
