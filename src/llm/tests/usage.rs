//! Usage validation: negative, fractional, non-finite, absurd and inconsistent counts are
//! rejected with errors naming the field.

use crate::llm::usage::MAX_TOKENS_PER_CALL;
use crate::llm::{AnthropicUsage, OpenAiUsage, Usage, UsageError};

#[test]
fn negative_usage_is_rejected_naming_the_field() {
    let from_json: i64 = -5;
    let err = Usage::builder("openai", "gpt-4o").input_tokens(from_json).build().unwrap_err();
    assert_eq!(err, UsageError::Negative { field: "input_tokens", value: -5 });
    assert_eq!(err.to_string(), "LLM usage `input_tokens` is negative: -5");

    let err = Usage::openai("gpt-4o", OpenAiUsage { cached_tokens: -1, ..Default::default() })
        .unwrap_err();
    assert_eq!(err, UsageError::Negative { field: "cached_tokens", value: -1 });

    let err = Usage::anthropic(
        "claude-sonnet-4",
        AnthropicUsage { cache_creation_input_tokens: -20, ..Default::default() },
    )
    .unwrap_err();
    assert_eq!(err, UsageError::Negative { field: "cache_creation_input_tokens", value: -20 });
}

#[test]
fn absurd_values_are_rejected() {
    let b = || Usage::builder("p", "m");
    let cases: Vec<(Result<Usage, UsageError>, UsageError)> = vec![
        (
            b().output_tokens(f64::NAN).build(),
            UsageError::NonFinite { field: "output_tokens", value: f64::NAN },
        ),
        (
            b().reasoning_tokens(1.5).build(),
            UsageError::Fractional { field: "reasoning_tokens", value: 1.5 },
        ),
        (
            b().cache_read_input_tokens(u64::MAX).build(),
            UsageError::TooLarge {
                field: "cache_read_input_tokens",
                value: i128::from(u64::MAX),
                max: MAX_TOKENS_PER_CALL,
            },
        ),
        (
            b().input_tokens(100).cache_read_input_tokens(80).cache_write_input_tokens(30).build(),
            UsageError::CacheExceedsInput { input: 100, cache_read: 80, cache_write: 30 },
        ),
        (
            b().output_tokens(10).reasoning_tokens(11).build(),
            UsageError::ReasoningExceedsOutput { output: 10, reasoning: 11 },
        ),
        (Usage::builder("p", "").build(), UsageError::BadName { field: "model", len: 0 }),
    ];
    for (got, want) in cases {
        let got = got.unwrap_err();
        // NaN != NaN, so compare the messages, which carry field and value.
        assert_eq!(got.to_string(), want.to_string());
    }
    // Exactly at the cap is fine; whole floats are fine.
    let u = b().input_tokens(MAX_TOKENS_PER_CALL).output_tokens(12.0).build().unwrap();
    assert_eq!((u.input_tokens(), u.output_tokens()), (MAX_TOKENS_PER_CALL, 12));
    assert!(b().input_tokens(MAX_TOKENS_PER_CALL + 1).build().is_err());
    // OpenAI inclusive: cached above prompt is inconsistent.
    let bad = OpenAiUsage { prompt_tokens: 10, cached_tokens: 11, ..Default::default() };
    assert!(matches!(Usage::openai("m", bad), Err(UsageError::CacheExceedsInput { .. })));
}

#[test]
fn providers_are_normalised_to_inclusive_counts() {
    let openai = Usage::openai(
        "o3-mini",
        OpenAiUsage {
            prompt_tokens: 1_200,
            completion_tokens: 900,
            cached_tokens: 1_000,
            reasoning_tokens: 600,
        },
    )
    .unwrap();
    assert_eq!(openai.provider(), "openai");
    assert_eq!(openai.operation(), "chat");
    assert_eq!((openai.input_tokens(), openai.uncached_input_tokens()), (1_200, 200));
    assert_eq!((openai.output_tokens(), openai.visible_output_tokens()), (900, 300));
    assert_eq!(openai.total_tokens(), 2_100);

    let anthropic = Usage::anthropic(
        "claude-sonnet-4",
        AnthropicUsage {
            input_tokens: 50,
            output_tokens: 400,
            cache_read_input_tokens: 3_000,
            cache_creation_input_tokens: 1_000,
        },
    )
    .unwrap()
    .with_operation("text_completion");
    assert_eq!(anthropic.input_tokens(), 4_050);
    assert_eq!(anthropic.uncached_input_tokens(), 50);
    assert_eq!(anthropic.cache_write_input_tokens(), 1_000);
    assert_eq!(anthropic.reasoning_tokens(), 0);
    assert_eq!(anthropic.operation(), "text_completion");
    assert_eq!(anthropic.with_operation("").operation(), "text_completion");
}
