//! Cost math against hand-computed values. Rates are USD per million tokens, so each part is
//! tokens × rate / 1 000 000.

use super::{date, price};
use crate::llm::{AnthropicUsage, OpenAiUsage, PriceTable, Usage, cost};

struct Case {
    name: &'static str,
    usage: Usage,
    /// input, cache read, cache write, output, reasoning, total (USD).
    expect: [f64; 6],
}

fn builtin(provider: &str, model: &str) -> crate::llm::ModelPrice {
    PriceTable::builtin().resolve(provider, model, date("2025-06-01")).unwrap().price
}

#[test]
fn cost_of_builtin_models_matches_hand_computed_values() {
    let b = |p, m| Usage::builder(p, m);
    let cases = [
        // gpt-4o: input 2.50, cache read 1.25, output 10.00.
        // uncached 10 000 − 4 000 = 6 000 × 2.50 = 15 000 µ$ → 0.015
        // cache read 4 000 × 1.25 = 5 000 µ$ → 0.005;  output 2 000 × 10 = 20 000 µ$ → 0.02
        // total 0.04
        Case {
            name: "gpt-4o",
            usage: b("openai", "gpt-4o")
                .input_tokens(10_000)
                .cache_read_input_tokens(4_000)
                .output_tokens(2_000)
                .build()
                .unwrap(),
            expect: [0.015, 0.005, 0.0, 0.02, 0.0, 0.04],
        },
        // gpt-4o-mini: input 0.15, cache read 0.075, output 0.60.
        // uncached 100 000 − 60 000 = 40 000 × 0.15 = 6 000 µ$ → 0.006
        // cache read 60 000 × 0.075 = 4 500 µ$ → 0.0045;  output 10 000 × 0.60 = 6 000 µ$
        // total 0.0165
        Case {
            name: "gpt-4o-mini",
            usage: b("openai", "gpt-4o-mini")
                .input_tokens(100_000)
                .cache_read_input_tokens(60_000)
                .output_tokens(10_000)
                .build()
                .unwrap(),
            expect: [0.006, 0.0045, 0.0, 0.006, 0.0, 0.0165],
        },
        // o3-mini: input 1.10, cache read 0.55, output 4.40, reasoning = output 4.40.
        // uncached 20 000 − 8 000 = 12 000 × 1.10 = 13 200 µ$ → 0.0132
        // cache read 8 000 × 0.55 = 4 400 µ$ → 0.0044
        // visible output 5 000 − 3 000 = 2 000 × 4.40 = 8 800 µ$ → 0.0088
        // reasoning 3 000 × 4.40 = 13 200 µ$ → 0.0132 (not again as output)
        // total 0.0132 + 0.0044 + 0.0088 + 0.0132 = 0.0396
        Case {
            name: "o3-mini",
            usage: b("openai", "o3-mini")
                .input_tokens(20_000)
                .cache_read_input_tokens(8_000)
                .output_tokens(5_000)
                .reasoning_tokens(3_000)
                .build()
                .unwrap(),
            expect: [0.0132, 0.0044, 0.0, 0.0088, 0.0132, 0.0396],
        },
        // claude-sonnet-4: input 3.00, cache write 3.75, cache read 0.30, output 15.00.
        // Anthropic counts: 1 000 uncached, 10 000 cache read, 2 000 cache creation.
        // 1 000 × 3 = 3 000 µ$ → 0.003;  10 000 × 0.30 = 3 000 µ$ → 0.003
        // 2 000 × 3.75 = 7 500 µ$ → 0.0075;  500 × 15 = 7 500 µ$ → 0.0075;  total 0.021
        Case {
            name: "claude-sonnet-4",
            usage: Usage::anthropic(
                "claude-sonnet-4",
                AnthropicUsage {
                    input_tokens: 1_000,
                    output_tokens: 500,
                    cache_read_input_tokens: 10_000,
                    cache_creation_input_tokens: 2_000,
                },
            )
            .unwrap(),
            expect: [0.003, 0.003, 0.0075, 0.0075, 0.0, 0.021],
        },
        // claude-3-5-haiku: input 0.80, cache write 1.00, cache read 0.08, output 4.00.
        // 2 500 × 0.80 = 2 000 µ$ → 0.002;  50 000 × 0.08 = 4 000 µ$ → 0.004
        // 3 000 × 1.00 = 3 000 µ$ → 0.003;  1 000 × 4 = 4 000 µ$ → 0.004;  total 0.013
        Case {
            name: "claude-3-5-haiku",
            usage: Usage::anthropic(
                "claude-3-5-haiku",
                AnthropicUsage {
                    input_tokens: 2_500,
                    output_tokens: 1_000,
                    cache_read_input_tokens: 50_000,
                    cache_creation_input_tokens: 3_000,
                },
            )
            .unwrap(),
            expect: [0.002, 0.004, 0.003, 0.004, 0.0, 0.013],
        },
    ];
    for case in cases {
        let c = cost(&case.usage, &builtin(case.usage.provider(), case.name));
        let got = [
            c.input_usd(),
            c.cache_read_usd(),
            c.cache_write_usd(),
            c.output_usd(),
            c.reasoning_usd(),
            c.total_usd(),
        ];
        assert_eq!(got, case.expect, "{}", case.name);
    }
}

#[test]
fn reasoning_has_its_own_rate_and_is_not_also_output() {
    // input 1.00, output 10.00, reasoning 20.00.
    // 1 000 × 1 = 0.001;  visible 1 000 − 400 = 600 × 10 = 0.006;  400 × 20 = 0.008
    // total 0.015 (had reasoning also been billed as output: 0.019)
    let p = price(1.0, 10.0, None, None, Some(20.0));
    let u = Usage::builder("acme", "thinker")
        .input_tokens(1_000)
        .output_tokens(1_000)
        .reasoning_tokens(400)
        .build()
        .unwrap();
    let c = cost(&u, &p);
    assert_eq!((c.output_usd(), c.reasoning_usd(), c.total_usd()), (0.006, 0.008, 0.015));
}

#[test]
fn missing_rates_fall_back_to_input_and_output() {
    // Every rate unset but input 2.00 and output 8.00: cache read and write at 2.00, reasoning
    // at 8.00. 100 + 200 + 300 input tokens at 2 = 1 200 µ$; 50 + 150 output at 8 = 1 600 µ$.
    let p = price(2.0, 8.0, None, None, None);
    let u = Usage::builder("acme", "plain")
        .input_tokens(600)
        .cache_read_input_tokens(200)
        .cache_write_input_tokens(300)
        .output_tokens(200)
        .reasoning_tokens(150)
        .build()
        .unwrap();
    let c = cost(&u, &p);
    assert_eq!(
        [c.input_usd(), c.cache_read_usd(), c.cache_write_usd(), c.output_usd(), c.reasoning_usd()],
        [0.0002, 0.0004, 0.0006, 0.0004, 0.0012]
    );
    assert_eq!(c.total_usd(), 0.0028);
}

#[test]
fn openai_and_anthropic_shapes_of_the_same_token_mix_cost_the_same() {
    // 1 000 uncached + 3 000 cache-read input tokens, 700 output tokens.
    let openai = Usage::openai(
        "m",
        OpenAiUsage {
            prompt_tokens: 4_000,
            completion_tokens: 700,
            cached_tokens: 3_000,
            reasoning_tokens: 0,
        },
    )
    .unwrap();
    let anthropic = Usage::anthropic(
        "m",
        AnthropicUsage {
            input_tokens: 1_000,
            output_tokens: 700,
            cache_read_input_tokens: 3_000,
            cache_creation_input_tokens: 0,
        },
    )
    .unwrap();
    let builder = Usage::builder("x", "m")
        .input_tokens(4_000)
        .cache_read_input_tokens(3_000)
        .output_tokens(700)
        .build()
        .unwrap();
    for u in [&openai, &anthropic, &builder] {
        assert_eq!(
            (u.input_tokens(), u.uncached_input_tokens(), u.cache_read_input_tokens()),
            (4_000, 1_000, 3_000)
        );
    }
    let p = price(3.0, 15.0, Some(0.3), Some(3.75), None);
    // 1 000 × 3 = 0.003;  3 000 × 0.30 = 0.0009;  700 × 15 = 0.0105;  total 0.0144
    assert_eq!(cost(&openai, &p).total_usd(), 0.0144);
    assert_eq!(cost(&openai, &p), cost(&anthropic, &p));
    assert_eq!(cost(&openai, &p), cost(&builder, &p));
}

#[test]
fn costs_add_exactly_and_display_in_dollars() {
    let p = price(0.1, 0.3, None, None, None);
    let u = Usage::builder("acme", "m").input_tokens(1).output_tokens(1).build().unwrap();
    // 1 × 0.1 + 1 × 0.3 = 0.4 µ$ per call; ten calls are exactly 4 µ$ (f64 sums of 1e-7 are not).
    let ten: crate::llm::Cost = (0..10).map(|_| cost(&u, &p)).sum();
    assert_eq!(ten.total_picodollars(), 4_000_000);
    assert_eq!(ten.total_usd(), 0.000004);
    assert_eq!(
        format!("{}", cost(&builder_usage(), &price(2.5, 10.0, None, None, None))),
        "$0.012500"
    );
    assert!(crate::llm::Cost::ZERO.is_zero());
}

fn builder_usage() -> Usage {
    // 1 000 × 2.5 + 1 000 × 10 = 12 500 µ$.
    Usage::builder("acme", "m").input_tokens(1_000).output_tokens(1_000).build().unwrap()
}
