//! Normalising provider-shaped usage numbers into flowmeter's inclusive [`Usage`].
//!
//! Providers disagree on whether cached input is part of the input count and whether
//! reasoning is part of the output count; these types carry each provider's numbers as it
//! reports them (signed, so a bad value can be represented and rejected) and convert them.

use super::usage::{TokenCount, Usage, UsageError};

/// Well-known `gen_ai.provider.name` values (OpenTelemetry GenAI semantic conventions).
pub mod providers {
    /// OpenAI.
    pub const OPENAI: &str = "openai";
    /// Anthropic.
    pub const ANTHROPIC: &str = "anthropic";
}

/// The provider-shaped constructors, here with the shapes they read (so `usage` needs nothing
/// of this module).
impl Usage {
    /// Normalises OpenAI-shaped counts for `model` under provider `openai`.
    pub fn openai(model: impl Into<String>, counts: OpenAiUsage) -> Result<Usage, UsageError> {
        counts.into_usage(providers::OPENAI, model)
    }

    /// Normalises Anthropic-shaped counts for `model` under provider `anthropic`.
    pub fn anthropic(
        model: impl Into<String>,
        counts: AnthropicUsage,
    ) -> Result<Usage, UsageError> {
        counts.into_usage(providers::ANTHROPIC, model)
    }
}

/// Counts as OpenAI's Chat Completions / Responses APIs report them (signed, so a bad value
/// can be represented and rejected). Inclusive, like flowmeter's convention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenAiUsage {
    /// `usage.prompt_tokens` (Responses API: `input_tokens`); includes `cached_tokens`.
    pub prompt_tokens: i64,
    /// `usage.completion_tokens` (Responses API: `output_tokens`); includes `reasoning_tokens`.
    pub completion_tokens: i64,
    /// `usage.prompt_tokens_details.cached_tokens`.
    pub cached_tokens: i64,
    /// `usage.completion_tokens_details.reasoning_tokens`.
    pub reasoning_tokens: i64,
}

impl OpenAiUsage {
    /// Normalises to a [`Usage`] under any provider that speaks OpenAI's usage shape (e.g.
    /// `azure.ai.openai`). Errors name OpenAI's fields. OpenAI reports no cache writes.
    pub fn into_usage(
        self,
        provider: impl Into<String>,
        model: impl Into<String>,
    ) -> Result<Usage, UsageError> {
        let input = TokenCount::from(self.prompt_tokens).validate("prompt_tokens")?;
        let output = TokenCount::from(self.completion_tokens).validate("completion_tokens")?;
        let cached = TokenCount::from(self.cached_tokens).validate("cached_tokens")?;
        let reasoning = TokenCount::from(self.reasoning_tokens).validate("reasoning_tokens")?;
        Usage::builder(provider, model)
            .input_tokens(input)
            .output_tokens(output)
            .cache_read_input_tokens(cached)
            .reasoning_tokens(reasoning)
            .build()
    }
}

/// Counts as Anthropic's Messages API reports them. **Exclusive**: `input_tokens` does not
/// include the cache reads or the cache creation, so they are added up on normalisation.
/// Anthropic bills extended-thinking tokens as output and does not report them apart, so the
/// normalised usage has 0 reasoning tokens and thinking is priced as output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnthropicUsage {
    /// `usage.input_tokens`: input after the last cache breakpoint (uncached).
    pub input_tokens: i64,
    /// `usage.output_tokens`.
    pub output_tokens: i64,
    /// `usage.cache_read_input_tokens`.
    pub cache_read_input_tokens: i64,
    /// `usage.cache_creation_input_tokens`.
    pub cache_creation_input_tokens: i64,
}

impl AnthropicUsage {
    /// Normalises to a [`Usage`] under `provider` (e.g. `aws.bedrock` serving Claude): the
    /// total input is `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`.
    pub fn into_usage(
        self,
        provider: impl Into<String>,
        model: impl Into<String>,
    ) -> Result<Usage, UsageError> {
        let uncached = TokenCount::from(self.input_tokens).validate("input_tokens")?;
        let output = TokenCount::from(self.output_tokens).validate("output_tokens")?;
        let read =
            TokenCount::from(self.cache_read_input_tokens).validate("cache_read_input_tokens")?;
        let write = TokenCount::from(self.cache_creation_input_tokens)
            .validate("cache_creation_input_tokens")?;
        Usage::builder(provider, model)
            .input_tokens(uncached + read + write)
            .output_tokens(output)
            .cache_read_input_tokens(read)
            .cache_write_input_tokens(write)
            .build()
    }
}
