//! Spend limits per period, per model or per workflow.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, UNIX_EPOCH};

use opentelemetry::KeyValue;

use super::clock::{Clock, SystemClock};
use super::cost::Cost;
use crate::metrics::catalog::keys;

const PICO_PER_USD: f64 = 1e12;
/// The largest limit accepted, USD 10¹².
const MAX_LIMIT_USD: f64 = 1e12;

/// The length of a budget's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// One hour, starting on the hour (UTC).
    Hour,
    /// One day, starting at 00:00 UTC.
    Day,
    /// Any non-zero length, windows aligned to the Unix epoch.
    Every(Duration),
}

impl Period {
    /// The window length.
    pub fn length(self) -> Duration {
        match self {
            Period::Hour => Duration::from_secs(3600),
            Period::Day => Duration::from_secs(86_400),
            Period::Every(d) => d,
        }
    }
}

/// What crossing the limit does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BudgetPolicy {
    /// Refuse covered calls with [`BudgetExceeded`] once the period's spend reached the limit.
    /// The default.
    #[default]
    Enforce,
    /// Only track, export and warn; never refuse a call.
    RecordOnly,
}

/// Which calls a budget covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BudgetScope {
    /// Every call checked and charged through this budget: attach one budget to a workflow's
    /// LLM steps for a per-workflow limit. The default.
    #[default]
    All,
    /// Only calls to this provider and model. The model is compared with the name the caller
    /// passes, which for the LLM primitive is the priced model (`ResolvedPrice::model`, e.g.
    /// `gpt-4o` for `gpt-4o-2024-08-06`) or, when unpriced, the requested model.
    Model {
        /// The provider, e.g. `openai`.
        provider: String,
        /// The model, e.g. `gpt-4o`.
        model: String,
    },
}

/// A call refused because its budget is spent for the current period.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "LLM budget `{budget_name}` exceeded: spent ${spent_usd:.6} of ${limit_usd:.6} this period; resets in {}s",
    resets_in.as_secs()
)]
#[non_exhaustive]
pub struct BudgetExceeded {
    /// The budget's name.
    pub budget_name: String,
    /// Its limit per period, USD.
    pub limit_usd: f64,
    /// Spent so far in the current period, USD.
    pub spent_usd: f64,
    /// Time until the next period starts.
    pub resets_in: Duration,
}

/// An invalid budget configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BudgetError {
    /// The limit is negative, not finite or above USD 10¹².
    #[error("budget limit must be a finite amount between 0 and 1e12 USD, got {0}")]
    InvalidLimit(f64),
    /// [`Period::Every`] with a zero length.
    #[error("budget period must not be zero")]
    ZeroPeriod,
    /// The name is empty or longer than 256 bytes.
    #[error("budget name must be 1..=256 bytes, got {0}")]
    BadName(usize),
}

/// Where a budget stands in its current period.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct BudgetStatus {
    /// The limit per period, USD.
    pub limit_usd: f64,
    /// Spent in the current period, USD.
    pub spent_usd: f64,
    /// Limit − spent, USD; negative when overspent.
    pub remaining_usd: f64,
    /// Whether spend has reached the limit.
    pub exhausted: bool,
}

struct State {
    window: u128,
    spent: u128,
    warned: bool,
    /// Whether the limit and this window's end were exported. They change only when a window
    /// starts, so checks and charges within a window record one gauge, not three.
    exported: bool,
}

/// A spend limit per period; share it with `Arc`.
///
/// A [`Budget`] has a user-chosen name (the `budget_name` label: one value per budget, so
/// keep names few and fixed), a limit in USD per [`Period`], a [`BudgetScope`] saying which
/// calls it covers, and a [`BudgetPolicy`].
///
/// ```
/// use std::time::Duration;
/// use flowmeter::llm::{self, Budget, BudgetPolicy, ManualClock, Period, PriceTable, Usage};
///
/// let clock = ManualClock::new(std::time::UNIX_EPOCH + Duration::from_secs(1_748_772_000));
/// let budget = Budget::builder("summarizer-daily", 0.01, Period::Day)
///     .policy(BudgetPolicy::Enforce)
///     .clock(clock.clone())
///     .build()?;
/// let price = PriceTable::builtin().resolve_today("openai", "gpt-4o-mini").unwrap();
///
/// budget.check("openai", &price.model)?; // before the call
/// let usage =
///     Usage::builder("openai", "gpt-4o-mini").input_tokens(50_000).output_tokens(5_000).build()?;
/// budget.charge("openai", &price.model, &llm::cost(&usage, &price.price)); // after: $0.0105
/// assert!(budget.check("openai", &price.model).is_err()); // spent; refused until tomorrow
/// clock.advance(Duration::from_secs(86_400));
/// assert!(budget.check("openai", &price.model).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # When the limit is checked
///
/// A call's cost is only known after it returns, so the LLM primitive calls
/// [`Budget::check`] **before** the call, against the spend so far in the current period, and
/// [`Budget::charge`] **after** it. Under [`BudgetPolicy::Enforce`], once the period's spend
/// has reached the limit every further covered call fails with [`BudgetExceeded`] without
/// being made (no money is spent on a call that is refused); the call that crosses the limit
/// was already paid for, so it succeeds and is charged, and the overshoot is at most what the
/// calls in flight at that moment cost. [`BudgetPolicy::RecordOnly`] never refuses a call.
/// Either way, crossing the limit logs one warning per period.
///
/// # Periods
///
/// Periods are fixed windows aligned to the Unix epoch in UTC: [`Period::Hour`] starts on the
/// hour, [`Period::Day`] at 00:00 UTC, [`Period::Every`] at multiples of its length since
/// 1970-01-01T00:00:00Z. Spend resets when the clock enters a later window; a clock that steps
/// back stays in the current window. The clock is injectable ([`BudgetBuilder::clock`]).
///
/// # Metric
///
/// `ns.llm.budget.remaining{budget_name}` is set to limit − spend (negative when overspent)
/// on every check and charge, i.e. whenever spend or the period changes, while telemetry is
/// installed and enabled. `ns.llm.budget.limit{budget_name}` (USD per period) and
/// `ns.llm.budget.period_end.timestamp{budget_name}` (when the current period ends, seconds
/// since the Unix epoch by the budget's clock) are set on the first check or charge of each
/// period, so alerts can compare any budget's remaining amount and spend rate with its limit
/// and the time left. Spend is tracked and enforced with or without telemetry.
///
pub struct Budget {
    name: String,
    attrs: [KeyValue; 1],
    limit: u128,
    period: Period,
    policy: BudgetPolicy,
    scope: BudgetScope,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

/// Configures a [`Budget`]; defaults: [`BudgetPolicy::Enforce`], [`BudgetScope::All`], the
/// system clock.
#[must_use]
pub struct BudgetBuilder {
    name: String,
    limit_usd: f64,
    period: Period,
    policy: BudgetPolicy,
    scope: BudgetScope,
    clock: Arc<dyn Clock>,
}

impl BudgetBuilder {
    /// Sets the policy (default [`BudgetPolicy::Enforce`]).
    pub fn policy(mut self, policy: BudgetPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets the scope (default [`BudgetScope::All`]).
    pub fn scope(mut self, scope: BudgetScope) -> Self {
        self.scope = scope;
        self
    }

    /// Covers only `model` of `provider` (shorthand for [`BudgetScope::Model`]).
    pub fn model(self, provider: impl Into<String>, model: impl Into<String>) -> Self {
        self.scope(BudgetScope::Model { provider: provider.into(), model: model.into() })
    }

    /// Sets the clock (default the system clock); tests pass a
    /// [`ManualClock`](super::ManualClock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<Budget, BudgetError> {
        let l = self.limit_usd;
        if !l.is_finite() || !(0.0..=MAX_LIMIT_USD).contains(&l) {
            return Err(BudgetError::InvalidLimit(l));
        }
        if self.period.length().is_zero() {
            return Err(BudgetError::ZeroPeriod);
        }
        if !(1..=256).contains(&self.name.len()) {
            return Err(BudgetError::BadName(self.name.len()));
        }
        let budget = Budget {
            attrs: [KeyValue::new(keys::BUDGET_NAME, self.name.clone())],
            name: self.name,
            limit: (l * PICO_PER_USD).round() as u128,
            period: self.period,
            policy: self.policy,
            scope: self.scope,
            clock: self.clock,
            state: Mutex::new(State { window: 0, spent: 0, warned: false, exported: false }),
        };
        budget.status(); // exports the full remaining amount from the start
        Ok(budget)
    }
}

impl Budget {
    /// Starts a budget named `name` (the `budget_name` label) of `limit_usd` per `period`.
    /// The limit must be finite and between 0 and USD 10¹² (checked by
    /// [`build`](BudgetBuilder::build)); a limit of 0 refuses every covered call under
    /// [`BudgetPolicy::Enforce`].
    pub fn builder(name: impl Into<String>, limit_usd: f64, period: Period) -> BudgetBuilder {
        BudgetBuilder {
            name: name.into(),
            limit_usd,
            period,
            policy: BudgetPolicy::default(),
            scope: BudgetScope::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The limit per period, USD.
    pub fn limit_usd(&self) -> f64 {
        self.limit as f64 / PICO_PER_USD
    }

    /// The period.
    pub fn period(&self) -> Period {
        self.period
    }

    /// The policy.
    pub fn policy(&self) -> BudgetPolicy {
        self.policy
    }

    /// The scope.
    pub fn scope(&self) -> &BudgetScope {
        &self.scope
    }

    /// Whether calls to `model` of `provider` are covered by this budget.
    pub fn covers(&self, provider: &str, model: &str) -> bool {
        match &self.scope {
            BudgetScope::All => true,
            BudgetScope::Model { provider: p, model: m } => p == provider && m == model,
        }
    }

    /// Before a call: `Err` when the budget enforces, covers the call and the current
    /// period's spend has reached the limit; `Ok` otherwise.
    pub fn check(&self, provider: &str, model: &str) -> Result<(), BudgetExceeded> {
        if !self.covers(provider, model) {
            return Ok(());
        }
        let (status, resets_in) = self.update(0);
        if status.exhausted && self.policy == BudgetPolicy::Enforce {
            return Err(BudgetExceeded {
                budget_name: self.name.clone(),
                limit_usd: status.limit_usd,
                spent_usd: status.spent_usd,
                resets_in,
            });
        }
        Ok(())
    }

    /// After a call: adds `cost` to the current period's spend if the call is covered, and
    /// returns the new status (`None` when not covered).
    pub fn charge(&self, provider: &str, model: &str, cost: &Cost) -> Option<BudgetStatus> {
        self.covers(provider, model).then(|| self.update(cost.total_picodollars()).0)
    }

    /// The current period's status (rolling over if a new period began).
    pub fn status(&self) -> BudgetStatus {
        self.update(0).0
    }

    /// Rolls over if needed, adds `pico`, exports the gauge, warns once per period when the
    /// limit is reached, and returns the status and the time left in the period.
    fn update(&self, pico: u128) -> (BudgetStatus, Duration) {
        let now = self.clock.now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        let len = self.period.length().as_nanos();
        let window = now / len;
        let resets_in =
            Duration::from_nanos(u64::try_from((window + 1) * len - now).unwrap_or(u64::MAX));
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if window > state.window {
            *state = State { window, spent: 0, warned: false, exported: false };
        }
        state.spent = state.spent.saturating_add(pico);
        let spent = state.spent;
        let remaining = if spent >= self.limit {
            -((spent - self.limit) as f64 / PICO_PER_USD)
        } else {
            (self.limit - spent) as f64 / PICO_PER_USD
        };
        let status = BudgetStatus {
            limit_usd: self.limit_usd(),
            spent_usd: spent as f64 / PICO_PER_USD,
            remaining_usd: remaining,
            exhausted: spent >= self.limit,
        };
        if let Some(instruments) = super::instruments::LLM.get() {
            // Under the lock, so the last value exported is the latest.
            instruments.budget_remaining.record(remaining, &self.attrs);
            if !state.exported {
                state.exported = true;
                let end = (state.window + 1) * len;
                // Whole seconds exactly (an f64 of the nanoseconds since 1970 would round).
                let end = (end / 1_000_000_000) as f64 + (end % 1_000_000_000) as f64 / 1e9;
                instruments.budget_limit.record(self.limit_usd(), &self.attrs);
                instruments.budget_period_end.record(end, &self.attrs);
            }
        }
        if status.exhausted && pico > 0 && !state.warned {
            state.warned = true;
            tracing::warn!(
                budget_name = %self.name,
                limit_usd = status.limit_usd,
                spent_usd = status.spent_usd,
                policy = ?self.policy,
                "flowmeter: LLM budget reached for this period"
            );
        }
        (status, resets_in)
    }
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("name", &self.name)
            .field("limit_usd", &self.limit_usd())
            .field("period", &self.period)
            .field("policy", &self.policy)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for BudgetBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BudgetBuilder")
            .field("name", &self.name)
            .field("limit_usd", &self.limit_usd)
            .field("period", &self.period)
            .field("policy", &self.policy)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}
