//! What one LLM call consumed: token counts by kind, plus the model, provider and operation.

use std::fmt;

/// The sanity cap on every token count of one call: 100 million tokens. No model accepts or
/// produces that much in one request; a larger count is a bug upstream and is rejected.
pub const MAX_TOKENS_PER_CALL: u64 = 100_000_000;

/// The most bytes a provider, model or operation name may have (they become label values).
pub const MAX_NAME_LEN: usize = 256;

/// The default GenAI operation name (`gen_ai.operation.name`): `chat`.
pub const DEFAULT_OPERATION: &str = "chat";

/// A token count as a caller has it: any primitive integer, or a float (as JSON numbers
/// sometimes arrive). Validated when a [`Usage`] is built; see [`UsageError`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenCount(Raw);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Raw {
    Int(i128),
    Float(f64),
}

macro_rules! token_count_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for TokenCount {
            fn from(n: $t) -> Self {
                TokenCount(Raw::Int(n as i128))
            }
        }
    )*};
}
token_count_from_int!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl From<f64> for TokenCount {
    fn from(n: f64) -> Self {
        TokenCount(Raw::Float(n))
    }
}

impl From<f32> for TokenCount {
    fn from(n: f32) -> Self {
        TokenCount(Raw::Float(f64::from(n)))
    }
}

impl TokenCount {
    /// Validates the count for `field`: whole, non-negative, at most [`MAX_TOKENS_PER_CALL`].
    pub fn validate(self, field: &'static str) -> Result<u64, UsageError> {
        let int = match self.0 {
            Raw::Float(v) if !v.is_finite() => {
                return Err(UsageError::NonFinite { field, value: v });
            }
            Raw::Float(v) if v.fract() != 0.0 => {
                return Err(UsageError::Fractional { field, value: v });
            }
            // In range of i128 for every finite whole f64 that can pass the cap below; larger
            // values saturate and are rejected as too large.
            Raw::Float(v) => v as i128,
            Raw::Int(v) => v,
        };
        if int < 0 {
            return Err(UsageError::Negative { field, value: int });
        }
        if int > i128::from(MAX_TOKENS_PER_CALL) {
            return Err(UsageError::TooLarge { field, value: int, max: MAX_TOKENS_PER_CALL });
        }
        Ok(int as u64)
    }
}

/// Why usage numbers were rejected. Every variant names the offending field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// A count was negative.
    #[error("LLM usage `{field}` is negative: {value}")]
    Negative {
        /// The field, as the caller named it (`prompt_tokens`, `input_tokens`, ...).
        field: &'static str,
        /// The value given.
        value: i128,
    },
    /// A count was NaN or infinite.
    #[error("LLM usage `{field}` is not a finite number: {value}")]
    NonFinite {
        /// The field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A count had a fractional part.
    #[error("LLM usage `{field}` is not a whole number of tokens: {value}")]
    Fractional {
        /// The field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A count exceeded [`MAX_TOKENS_PER_CALL`].
    #[error("LLM usage `{field}` = {value} is above the sanity cap of {max} tokens per call")]
    TooLarge {
        /// The field.
        field: &'static str,
        /// The value given.
        value: i128,
        /// The cap, [`MAX_TOKENS_PER_CALL`].
        max: u64,
    },
    /// Cache reads plus cache writes exceed the (inclusive) input count.
    #[error(
        "LLM usage cache tokens exceed the input: cache_read_input_tokens {cache_read} + cache_write_input_tokens {cache_write} > input_tokens {input} (input must include cached tokens)"
    )]
    CacheExceedsInput {
        /// Total input tokens.
        input: u64,
        /// Cache-read input tokens.
        cache_read: u64,
        /// Cache-write input tokens.
        cache_write: u64,
    },
    /// Reasoning tokens exceed the (inclusive) output count.
    #[error(
        "LLM usage reasoning_tokens {reasoning} > output_tokens {output} (output must include reasoning tokens)"
    )]
    ReasoningExceedsOutput {
        /// Total output tokens.
        output: u64,
        /// Reasoning tokens.
        reasoning: u64,
    },
    /// A name (`provider`, `model`, `operation`) was empty or longer than [`MAX_NAME_LEN`].
    #[error("LLM usage `{field}` must be 1..={max} bytes, got {len}", max = MAX_NAME_LEN)]
    BadName {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
}

/// The validated usage of one LLM call.
///
/// # Conventions
///
/// flowmeter uses the **inclusive** convention of the OpenTelemetry GenAI semantic conventions
/// (and of OpenAI's API):
///
/// - [`Usage::input_tokens`] counts *every* input token, including the ones read from a prompt
///   cache ([`Usage::cache_read_input_tokens`]) and the ones written to it
///   ([`Usage::cache_write_input_tokens`]). The uncached remainder is
///   [`Usage::uncached_input_tokens`] = input − cache reads − cache writes.
/// - [`Usage::output_tokens`] counts *every* generated token, including reasoning ("thinking")
///   tokens ([`Usage::reasoning_tokens`]). The visible remainder is
///   [`Usage::visible_output_tokens`] = output − reasoning.
///
/// Providers differ, so normalise at the edge: OpenAI's `prompt_tokens` already includes
/// `cached_tokens` and `completion_tokens` includes `reasoning_tokens` ([`OpenAiUsage`](super::OpenAiUsage));
/// Anthropic's `input_tokens` *excludes* `cache_read_input_tokens` and
/// `cache_creation_input_tokens` ([`AnthropicUsage`](super::AnthropicUsage) adds them up).
///
/// # Validation
///
/// Every count must be a whole, non-negative number no larger than [`MAX_TOKENS_PER_CALL`],
/// cache reads + cache writes may not exceed the input, and reasoning may not exceed the
/// output. Anything else is a [`UsageError`] naming the field and the value: a provider bug
/// or a mis-mapped field must never turn into a plausible-looking dollar figure.
///
///
/// Build it with [`Usage::builder`], or normalise a provider's numbers with [`Usage::openai`] /
/// [`Usage::anthropic`]. Fields are private so the invariants (cache ≤ input, reasoning ≤
/// output, every count ≤ [`MAX_TOKENS_PER_CALL`]) always hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Usage {
    provider: String,
    model: String,
    operation: String,
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
    reasoning: u64,
}

impl Usage {
    /// Starts a usage record for `model` of `provider`: every count 0, operation `chat`.
    pub fn builder(provider: impl Into<String>, model: impl Into<String>) -> UsageBuilder {
        UsageBuilder {
            provider: provider.into(),
            model: model.into(),
            operation: DEFAULT_OPERATION.to_owned(),
            counts: [TokenCount(Raw::Int(0)); 5],
        }
    }

    /// Replaces the GenAI operation name (`gen_ai.operation.name`, e.g. `chat`, `embeddings`,
    /// `text_completion`). An empty name, or one longer than [`MAX_NAME_LEN`], keeps the
    /// current one. Keep the set of operation names small: it is a metric label.
    pub fn with_operation(mut self, operation: impl Into<String>) -> Self {
        let operation = operation.into();
        if (1..=MAX_NAME_LEN).contains(&operation.len()) {
            self.operation = operation;
        }
        self
    }

    /// The provider (`gen_ai.provider.name`), e.g. `openai`.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The requested model (`gen_ai.request.model`), e.g. `gpt-4o-mini`.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The GenAI operation name; `chat` unless set.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// All input tokens, **including** cache reads and cache writes.
    pub fn input_tokens(&self) -> u64 {
        self.input
    }

    /// All output tokens, **including** reasoning tokens.
    pub fn output_tokens(&self) -> u64 {
        self.output
    }

    /// Input tokens served from the provider's prompt cache (part of [`Self::input_tokens`]).
    pub fn cache_read_input_tokens(&self) -> u64 {
        self.cache_read
    }

    /// Input tokens written to the provider's prompt cache, a.k.a. cache creation (part of
    /// [`Self::input_tokens`]).
    pub fn cache_write_input_tokens(&self) -> u64 {
        self.cache_write
    }

    /// Reasoning tokens (part of [`Self::output_tokens`]).
    pub fn reasoning_tokens(&self) -> u64 {
        self.reasoning
    }

    /// Input tokens neither read from nor written to a cache: input − cache reads − cache
    /// writes.
    pub fn uncached_input_tokens(&self) -> u64 {
        self.input - self.cache_read - self.cache_write
    }

    /// Output tokens that are not reasoning: output − reasoning.
    pub fn visible_output_tokens(&self) -> u64 {
        self.output - self.reasoning
    }

    /// Input plus output tokens.
    pub fn total_tokens(&self) -> u64 {
        self.input + self.output
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}: {} input ({} cache read, {} cache write), {} output ({} reasoning)",
            self.operation,
            self.provider,
            self.model,
            self.input,
            self.cache_read,
            self.cache_write,
            self.output,
            self.reasoning
        )
    }
}

/// Builds a [`Usage`] in flowmeter's inclusive convention, validating on [`build`](Self::build).
#[derive(Debug, Clone)]
#[must_use]
pub struct UsageBuilder {
    provider: String,
    model: String,
    operation: String,
    /// input, output, cache read, cache write, reasoning.
    counts: [TokenCount; 5],
}

impl UsageBuilder {
    /// All input tokens, including cache reads and writes. Default 0.
    pub fn input_tokens(mut self, n: impl Into<TokenCount>) -> Self {
        self.counts[0] = n.into();
        self
    }

    /// All output tokens, including reasoning tokens. Default 0.
    pub fn output_tokens(mut self, n: impl Into<TokenCount>) -> Self {
        self.counts[1] = n.into();
        self
    }

    /// Input tokens read from the prompt cache (included in the input). Default 0.
    pub fn cache_read_input_tokens(mut self, n: impl Into<TokenCount>) -> Self {
        self.counts[2] = n.into();
        self
    }

    /// Input tokens written to the prompt cache (included in the input). Default 0.
    pub fn cache_write_input_tokens(mut self, n: impl Into<TokenCount>) -> Self {
        self.counts[3] = n.into();
        self
    }

    /// Reasoning tokens (included in the output). Default 0.
    pub fn reasoning_tokens(mut self, n: impl Into<TokenCount>) -> Self {
        self.counts[4] = n.into();
        self
    }

    /// The GenAI operation name. Default `chat`.
    pub fn operation(mut self, operation: impl Into<String>) -> Self {
        self.operation = operation.into();
        self
    }

    /// Validates and builds. See [`UsageError`] for what is rejected.
    pub fn build(self) -> Result<Usage, UsageError> {
        for (field, name) in
            [("provider", &self.provider), ("model", &self.model), ("operation", &self.operation)]
        {
            if !(1..=MAX_NAME_LEN).contains(&name.len()) {
                return Err(UsageError::BadName { field, len: name.len() });
            }
        }
        const FIELDS: [&str; 5] = [
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_write_input_tokens",
            "reasoning_tokens",
        ];
        let mut v = [0u64; 5];
        for (i, count) in self.counts.into_iter().enumerate() {
            v[i] = count.validate(FIELDS[i])?;
        }
        let [input, output, cache_read, cache_write, reasoning] = v;
        if cache_read + cache_write > input {
            return Err(UsageError::CacheExceedsInput { input, cache_read, cache_write });
        }
        if reasoning > output {
            return Err(UsageError::ReasoningExceedsOutput { output, reasoning });
        }
        Ok(Usage {
            provider: self.provider,
            model: self.model,
            operation: self.operation,
            input,
            output,
            cache_read,
            cache_write,
            reasoning,
        })
    }
}
