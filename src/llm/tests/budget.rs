//! Budgets with an injected clock: enforce, record-only, scope, rollover.

use std::time::{Duration, UNIX_EPOCH};

use super::price;
use crate::llm::{
    Budget, BudgetError, BudgetPolicy, BudgetScope, Cost, ManualClock, Period, Usage, cost,
};

/// 2025-06-01T10:00:00Z, on the hour.
fn ten_am() -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_748_772_000)
}

/// A cost of exactly `cents` US cents: `cents` × 10 000 input tokens at USD 1/Mtok.
fn cents(cents: u64) -> Cost {
    let usage = Usage::builder("openai", "gpt-4o").input_tokens(cents * 10_000).build().unwrap();
    cost(&usage, &price(1.0, 1.0, None, None, None))
}

#[test]
fn enforce_fails_calls_once_the_period_spend_reaches_the_limit_and_resets_next_period() {
    let clock = ManualClock::new(ten_am());
    let budget =
        Budget::builder("hourly", 0.05, Period::Hour).clock(clock.clone()).build().unwrap();
    assert_eq!(budget.policy(), BudgetPolicy::Enforce);

    budget.check("openai", "gpt-4o").unwrap();
    let s = budget.charge("openai", "gpt-4o", &cents(4)).unwrap();
    assert_eq!((s.spent_usd, s.remaining_usd, s.exhausted), (0.04, 0.01, false));
    budget.check("openai", "gpt-4o").unwrap(); // $0.04 < $0.05: the next call may go

    clock.advance(Duration::from_secs(20 * 60));
    // This call crosses the limit: it was already made, so it is charged, not refused.
    let s = budget.charge("openai", "gpt-4o", &cents(2)).unwrap();
    assert_eq!((s.spent_usd, s.remaining_usd, s.exhausted), (0.06, -0.01, true));
    let err = budget.check("openai", "gpt-4o").unwrap_err();
    assert_eq!(err.budget_name, "hourly");
    assert_eq!((err.limit_usd, err.spent_usd), (0.05, 0.06));
    assert_eq!(err.resets_in, Duration::from_secs(40 * 60));
    assert_eq!(
        err.to_string(),
        "LLM budget `hourly` exceeded: spent $0.060000 of $0.050000 this period; resets in 2400s"
    );

    // 10:59:59 still the same hour; 11:00:00 a new one.
    clock.set(ten_am() + Duration::from_secs(3599));
    assert!(budget.check("openai", "gpt-4o").is_err());
    clock.advance(Duration::from_secs(1));
    budget.check("openai", "gpt-4o").unwrap();
    assert_eq!(budget.status().spent_usd, 0.0);
    assert_eq!(budget.status().remaining_usd, 0.05);

    // A clock stepping back into the old hour does not reopen it.
    budget.charge("openai", "gpt-4o", &cents(1)).unwrap();
    clock.set(ten_am());
    assert_eq!(budget.status().spent_usd, 0.01);
}

#[test]
fn exactly_at_the_limit_is_exhausted() {
    let clock = ManualClock::new(ten_am());
    let budget = Budget::builder("exact", 0.03, Period::Day).clock(clock).build().unwrap();
    budget.charge("p", "m", &cents(3)).unwrap();
    assert!(budget.check("p", "m").is_err());
}

#[test]
fn record_only_never_refuses() {
    let clock = ManualClock::new(ten_am());
    let budget = Budget::builder("observe", 0.01, Period::Day)
        .policy(BudgetPolicy::RecordOnly)
        .clock(clock)
        .build()
        .unwrap();
    for _ in 0..3 {
        budget.check("openai", "gpt-4o").unwrap();
        budget.charge("openai", "gpt-4o", &cents(1));
    }
    let s = budget.status();
    assert_eq!((s.spent_usd, s.remaining_usd, s.exhausted), (0.03, -0.02, true));
}

#[test]
fn a_model_scoped_budget_only_covers_its_model() {
    let clock = ManualClock::new(ten_am());
    let budget = Budget::builder("gpt-4o-daily", 0.01, Period::Day)
        .model("openai", "gpt-4o")
        .clock(clock)
        .build()
        .unwrap();
    assert_eq!(
        budget.scope(),
        &BudgetScope::Model { provider: "openai".into(), model: "gpt-4o".into() }
    );
    assert!(budget.charge("openai", "gpt-4o-mini", &cents(5)).is_none());
    assert!(budget.charge("anthropic", "gpt-4o", &cents(5)).is_none());
    assert_eq!(budget.status().spent_usd, 0.0);
    budget.charge("openai", "gpt-4o", &cents(1)).unwrap();
    assert!(budget.check("openai", "gpt-4o").is_err());
    budget.check("openai", "gpt-4o-mini").unwrap();
}

#[test]
fn custom_periods_align_to_the_epoch() {
    // 15-minute windows: 10:00, 10:15, ...; start at 10:14:00.
    let clock = ManualClock::new(ten_am() + Duration::from_secs(14 * 60));
    let budget = Budget::builder("quarter", 1.0, Period::Every(Duration::from_secs(900)))
        .clock(clock.clone())
        .build()
        .unwrap();
    budget.charge("p", "m", &cents(50)).unwrap();
    clock.advance(Duration::from_secs(59));
    assert_eq!(budget.status().spent_usd, 0.5);
    clock.advance(Duration::from_secs(1)); // 10:15:00
    assert_eq!(budget.status().spent_usd, 0.0);
}

#[test]
fn invalid_budgets_are_rejected() {
    let e = |r: Result<Budget, BudgetError>| r.unwrap_err();
    assert_eq!(e(Budget::builder("b", -1.0, Period::Day).build()), BudgetError::InvalidLimit(-1.0));
    assert!(matches!(
        e(Budget::builder("b", f64::INFINITY, Period::Day).build()),
        BudgetError::InvalidLimit(_)
    ));
    assert_eq!(
        e(Budget::builder("b", 1.0, Period::Every(Duration::ZERO)).build()),
        BudgetError::ZeroPeriod
    );
    assert_eq!(e(Budget::builder("", 1.0, Period::Hour).build()), BudgetError::BadName(0));
}

#[test]
fn reaching_the_limit_warns_once_per_period_and_budgets_are_shareable() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Budget>();
    let clock = ManualClock::new(ten_am());
    let budget =
        Budget::builder("warned", 0.01, Period::Hour).clock(clock.clone()).build().unwrap();
    let seen = super::capture::capture(|| {
        for _ in 0..3 {
            budget.charge("p", "m", &cents(1));
        }
        clock.advance(Duration::from_secs(3600));
        for _ in 0..3 {
            budget.charge("p", "m", &cents(1));
        }
    });
    assert_eq!(seen.warnings.len(), 2, "{:?}", seen.warnings);
    assert!(seen.warnings[0].contains("budget reached"));
}
