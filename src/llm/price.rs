//! Prices per model and provider, and how a call's model finds its price.

use std::collections::BTreeMap;
use std::fmt;

use super::date::Date;

/// The most a rate may be: USD 1 000 000 per million tokens (a typo guard).
pub const MAX_USD_PER_MTOK: f64 = 1_000_000.0;

/// A price in USD per million tokens, held exactly as whole micro-dollars per million tokens
/// (so `0.075` is `75_000`): prices are exact to the sixth decimal and costs computed from them
/// are exact integers (see [`Cost`](super::Cost)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(u64);

impl Rate {
    /// Zero: free tokens.
    pub const ZERO: Rate = Rate(0);

    /// A rate of `usd` USD per million tokens. Rejects negative, non-finite, above
    /// [`MAX_USD_PER_MTOK`], and values with more than six decimals (they cannot be held
    /// exactly; rounding them silently would make the table lie).
    pub fn usd_per_mtok(usd: f64) -> Result<Rate, PriceError> {
        let reason = if !usd.is_finite() {
            "not a finite number"
        } else if usd < 0.0 {
            "negative"
        } else if usd > MAX_USD_PER_MTOK {
            "above the cap of USD 1000000 per million tokens"
        } else {
            let micros = (usd * 1e6).round();
            // Six decimals survive the f64 round trip to well within 1e-3 micro-dollars.
            if (usd * 1e6 - micros).abs() > 1e-3 {
                "more precise than 0.000001 USD per million tokens"
            } else {
                return Ok(Rate(micros as u64));
            }
        };
        Err(PriceError::InvalidRate { value: usd, reason })
    }

    /// The rate in USD per million tokens.
    pub fn as_usd_per_mtok(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// The rate in micro-dollars per million tokens, which is also picodollars per token.
    pub const fn micro_usd_per_mtok(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${}/Mtok", self.as_usd_per_mtok())
    }
}

/// A bad price, prefix rule or name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PriceError {
    /// A rate is unusable.
    #[error("invalid price {value} USD per million tokens: {reason}")]
    InvalidRate {
        /// The value given.
        value: f64,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A provider, model or prefix is empty.
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
}

/// The price of one model from one date on. Rates are USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModelPrice {
    /// Uncached input tokens.
    pub input: Rate,
    /// Output tokens that are not reasoning.
    pub output: Rate,
    /// Input tokens read from the prompt cache; `None` = the input rate.
    pub cache_read: Option<Rate>,
    /// Input tokens written to the prompt cache; `None` = the input rate.
    pub cache_write: Option<Rate>,
    /// Reasoning tokens; `None` = the output rate.
    pub reasoning: Option<Rate>,
    /// The first day (UTC) this price applies; `None` = always.
    pub effective_from: Option<Date>,
}

impl ModelPrice {
    /// A price with input and output rates in USD per million tokens, no cache or reasoning
    /// rates (they fall back, see [`PriceTable`]) and no effective date.
    pub fn new(input_usd_per_mtok: f64, output_usd_per_mtok: f64) -> Result<Self, PriceError> {
        Ok(ModelPrice {
            input: Rate::usd_per_mtok(input_usd_per_mtok)?,
            output: Rate::usd_per_mtok(output_usd_per_mtok)?,
            cache_read: None,
            cache_write: None,
            reasoning: None,
            effective_from: None,
        })
    }

    /// Sets the cache-read rate (USD per million tokens).
    pub fn with_cache_read(mut self, usd_per_mtok: f64) -> Result<Self, PriceError> {
        self.cache_read = Some(Rate::usd_per_mtok(usd_per_mtok)?);
        Ok(self)
    }

    /// Sets the cache-write rate (USD per million tokens).
    pub fn with_cache_write(mut self, usd_per_mtok: f64) -> Result<Self, PriceError> {
        self.cache_write = Some(Rate::usd_per_mtok(usd_per_mtok)?);
        Ok(self)
    }

    /// Sets the reasoning rate (USD per million tokens).
    pub fn with_reasoning(mut self, usd_per_mtok: f64) -> Result<Self, PriceError> {
        self.reasoning = Some(Rate::usd_per_mtok(usd_per_mtok)?);
        Ok(self)
    }

    /// Sets the first day this price applies.
    pub fn effective_from(mut self, date: Date) -> Self {
        self.effective_from = Some(date);
        self
    }

    /// The cache-read rate after the fallback to the input rate.
    pub fn cache_read_rate(&self) -> Rate {
        self.cache_read.unwrap_or(self.input)
    }

    /// The cache-write rate after the fallback to the input rate.
    pub fn cache_write_rate(&self) -> Rate {
        self.cache_write.unwrap_or(self.input)
    }

    /// The reasoning rate after the fallback to the output rate.
    pub fn reasoning_rate(&self) -> Rate {
        self.reasoning.unwrap_or(self.output)
    }
}

/// How a model name found its price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceMatch {
    /// The table has an entry for exactly this model name.
    Exact,
    /// The model name starts with this explicit prefix rule.
    Prefix(String),
}

/// The price that applies to a call, and the table model it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvedPrice {
    /// The provider.
    pub provider: String,
    /// The model name of the table entry (for a prefix match, the rule's target, e.g.
    /// `gpt-4o` for `gpt-4o-2024-08-06`). Metrics label spend with this name, which keeps the
    /// `model` label bounded by the table.
    pub model: String,
    /// Exact or by which prefix.
    pub matched: PriceMatch,
    /// The price effective on the call's date.
    pub price: ModelPrice,
}

/// Prices by `(provider, model)`, each a history ordered by effective date, plus explicit
/// prefix rules; [`PriceTable::with_toml`] gives the file format.
///
/// # Lookup
///
/// [`PriceTable::resolve`] looks up `(provider, model)`:
///
/// 1. an **exact** entry for that provider and model name (case-sensitive); otherwise
/// 2. the **longest explicit prefix rule** of that provider whose prefix starts the model name,
///    e.g. `prefix = "gpt-4o-2024-"` → `gpt-4o`; otherwise
/// 3. nothing: the call is *unpriced* (recorded at zero cost and counted, never failed).
///
/// There is no substring or fuzzy matching: `gpt-4o-mini` never prices as `gpt-4o`, and a
/// `gpt-4o-turbo-x` without a rule matching it is unpriced. Of the entries of the found model,
/// the one with the latest `effective_from` on or before the call's date applies (an entry
/// without a date applies from the beginning of time); if none is effective yet, the call is
/// unpriced. An exact entry that is not effective does not fall through to a prefix rule.
///
/// # Fallbacks
///
/// A price has required input and output rates. A missing cache-read rate means cache reads
/// cost the input rate, a missing cache-write rate means cache writes cost the input rate, and
/// a missing reasoning rate means reasoning tokens cost the output rate (how OpenAI and
/// Anthropic bill thinking). The fallbacks never make a call cheaper than the provider would
/// bill for a missing rate, except when a provider charges a cache-write premium and the table
/// omits it: set `cache_write` for such providers (the built-in Anthropic prices do).
///
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    /// `(provider, model)` → entries sorted by `effective_from` (`None` first), dates unique.
    pub(super) models: BTreeMap<(String, String), Vec<ModelPrice>>,
    /// `(provider, prefix)` → target model.
    pub(super) prefixes: BTreeMap<(String, String), String>,
}

impl PriceTable {
    /// An empty table: every model is unpriced.
    pub fn new() -> Self {
        PriceTable::default()
    }

    /// A copy of the built-in prices (see [`builtin_prices`](super::builtin_prices)).
    pub fn builtin() -> Self {
        super::builtin_prices().clone()
    }

    /// Adds a price for `(provider, model)` to its history; an entry with the same
    /// `effective_from` is replaced.
    pub fn insert(
        &mut self,
        provider: impl Into<String>,
        model: impl Into<String>,
        price: ModelPrice,
    ) -> &mut Self {
        let history = self.models.entry((provider.into(), model.into())).or_default();
        match history.binary_search_by_key(&price.effective_from, |p| p.effective_from) {
            Ok(i) => history[i] = price,
            Err(i) => history.insert(i, price),
        }
        self
    }

    /// Removes every price of `(provider, model)`; returns whether there were any.
    pub fn remove(&mut self, provider: &str, model: &str) -> bool {
        self.models.remove(&(provider.to_owned(), model.to_owned())).is_some()
    }

    /// Declares that models of `provider` whose name starts with `prefix` are priced as
    /// `model` (unless they have an exact entry or a longer prefix matches). Replaces a rule
    /// with the same provider and prefix.
    pub fn insert_prefix(
        &mut self,
        provider: impl Into<String>,
        prefix: impl Into<String>,
        model: impl Into<String>,
    ) -> Result<&mut Self, PriceError> {
        let prefix = prefix.into();
        if prefix.is_empty() {
            return Err(PriceError::Empty("prefix"));
        }
        self.prefixes.insert((provider.into(), prefix), model.into());
        Ok(self)
    }

    /// Every `(provider, model)` with a price, in order.
    pub fn models(&self) -> impl Iterator<Item = (&str, &str)> {
        self.models.keys().map(|(p, m)| (p.as_str(), m.as_str()))
    }

    /// Every prefix rule as `(provider, prefix, target model)`, in order.
    pub fn prefix_rules(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.prefixes.iter().map(|((p, x), m)| (p.as_str(), x.as_str(), m.as_str()))
    }

    /// The price of `model` of `provider` on `date` (UTC), or `None` when unpriced.
    pub fn resolve(&self, provider: &str, model: &str, date: Date) -> Option<ResolvedPrice> {
        let key = (provider.to_owned(), model.to_owned());
        let (target, matched) = if self.models.contains_key(&key) {
            (key, PriceMatch::Exact)
        } else {
            let ((_, prefix), target) = self
                .prefixes
                .iter()
                .filter(|((p, x), _)| p == provider && model.starts_with(x.as_str()))
                .max_by_key(|((_, x), _)| x.len())?;
            ((provider.to_owned(), target.clone()), PriceMatch::Prefix(prefix.clone()))
        };
        let price = *self
            .models
            .get(&target)?
            .iter()
            .rev()
            .find(|p| p.effective_from.is_none_or(|from| from <= date))?;
        let (provider, model) = target;
        Some(ResolvedPrice { provider, model, matched, price })
    }

    /// [`resolve`](Self::resolve) on today's UTC date.
    pub fn resolve_today(&self, provider: &str, model: &str) -> Option<ResolvedPrice> {
        self.resolve(provider, model, Date::today_utc())
    }
}
