//! Property tests: cost is additive and never counts a token twice or not at all.

use proptest::prelude::*;

use super::price;
use crate::llm::{AnthropicUsage, ModelPrice, OpenAiUsage, Usage, cost};

/// (uncached input, cache read, cache write, visible output, reasoning).
fn mix() -> impl Strategy<Value = (u64, u64, u64, u64, u64)> {
    let n = 0u64..5_000_000;
    (n.clone(), n.clone(), n.clone(), n.clone(), n)
}

fn rates() -> impl Strategy<Value = ModelPrice> {
    // Micro-dollar rates up to USD 100 per million tokens.
    let r = || (0u64..100_000_000).prop_map(|m| m as f64 / 1e6);
    (r(), r(), r(), r(), r())
        .prop_map(|(i, o, cr, cw, re)| price(i, o, Some(cr), Some(cw), Some(re)))
}

fn usage((u, cr, cw, o, r): (u64, u64, u64, u64, u64)) -> Usage {
    Usage::builder("p", "m")
        .input_tokens(u + cr + cw)
        .cache_read_input_tokens(cr)
        .cache_write_input_tokens(cw)
        .output_tokens(o + r)
        .reasoning_tokens(r)
        .build()
        .unwrap()
}

proptest! {
    #[test]
    fn cost_is_additive_over_token_mixes(a in mix(), b in mix(), p in rates()) {
        let sum = (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3, a.4 + b.4);
        prop_assert_eq!(cost(&usage(a), &p) + cost(&usage(b), &p), cost(&usage(sum), &p));
    }

    #[test]
    fn with_one_rate_every_token_is_billed_exactly_once(m in mix(), rate in 0u64..100_000_000) {
        let r = rate as f64 / 1e6;
        let p = price(r, r, Some(r), Some(r), Some(r));
        let u = usage(m);
        let c = cost(&u, &p);
        prop_assert_eq!(c.total_picodollars(), u128::from(u.total_tokens()) * u128::from(rate));
    }

    #[test]
    fn openai_and_anthropic_shapes_agree(
        (uncached, read, out, reasoning) in (0i64..5_000_000, 0i64..5_000_000, 0i64..5_000_000, 0i64..5_000_000),
        p in rates(),
    ) {
        let openai = Usage::openai("m", OpenAiUsage {
            prompt_tokens: uncached + read,
            completion_tokens: out + reasoning,
            cached_tokens: read,
            reasoning_tokens: reasoning,
        }).unwrap();
        // Anthropic reports no reasoning split: price it at the output rate on both sides.
        let p = ModelPrice { reasoning: None, ..p };
        let anthropic = Usage::anthropic("m", AnthropicUsage {
            input_tokens: uncached,
            output_tokens: out + reasoning,
            cache_read_input_tokens: read,
            cache_creation_input_tokens: 0,
        }).unwrap();
        // The split between output and reasoning differs (Anthropic reports none); the total not.
        prop_assert_eq!(cost(&openai, &p).total_picodollars(), cost(&anthropic, &p).total_picodollars());
    }
}
