//! The settings of the generated alerts: thresholds, windows, `for` durations and the scrape
//! job, with the values flowmeter ships as defaults.

use std::fmt;
use std::time::Duration;

/// Thresholds, windows, `for` durations and the scrape job of the generated alerts
/// (`rules/{ns}.alerts.yml`, and the job of `prometheus.yml`).
///
/// [`AlertSettings::default`] gives the shipped values; [`AlertSettings::builder`] changes
/// some of them and checks every value when it builds, so an `AlertSettings` is always valid:
///
/// ```
/// use std::time::Duration;
/// use flowmeter_cli::{AlertSettings, GenerateConfig};
///
/// let alerts = AlertSettings::builder()
///     .error_ratio_threshold(0.01)
///     .budget_remaining_share(0.1)
///     .budget_burn_for(Duration::from_secs(30 * 60))
///     .scrape_job("checkout")
///     .build()?;
/// let config = GenerateConfig { alerts, ..GenerateConfig::default() };
/// # let _ = config;
/// assert!(AlertSettings::builder().budget_remaining_share(1.5).build().is_err());
/// # Ok::<(), flowmeter_cli::AlertSettingsError>(())
/// ```
///
/// | setting | default | alerts |
/// |---|---|---|
/// | [`error_ratio_threshold`](Self::error_ratio_threshold) | 0.05 (5%) | `…PrimitiveErrorRatioHigh`, `…WorkflowErrorRatioHigh` |
/// | [`error_ratio_for`](Self::error_ratio_for) | 10m | the same |
/// | [`latency_p95_threshold_seconds`](Self::latency_p95_threshold_seconds) | 10 | `…PrimitiveLatencyHigh`, `…WorkflowLatencyHigh` |
/// | [`latency_for`](Self::latency_for) | 15m | the same |
/// | [`cache_hit_ratio_drop`](Self::cache_hit_ratio_drop) | 0.5 | `…CacheHitRatioFalling` |
/// | [`cache_hit_ratio_for`](Self::cache_hit_ratio_for) | 30m | the same |
/// | [`llm_spend_dollars_per_hour`](Self::llm_spend_dollars_per_hour) | 10 | `…LlmSpendHigh` |
/// | [`llm_spend_for`](Self::llm_spend_for) | 15m | the same |
/// | [`budget_remaining_share`](Self::budget_remaining_share) | 0.2 (20%) | `…LlmBudgetLow` |
/// | [`budget_low_for`](Self::budget_low_for) | 5m | the same |
/// | [`budget_burn_window`](Self::budget_burn_window) | 1h | `…LlmBudgetBurnRateHigh` |
/// | [`budget_burn_for`](Self::budget_burn_for) | 15m | the same |
/// | [`target_down_for`](Self::target_down_for) | 5m | `…TargetDown` |
/// | [`metrics_absent_for`](Self::metrics_absent_for) | 15m | `…MetricsAbsent` |
/// | [`scrape_job`](Self::scrape_job) | `flowmeter` | `…TargetDown` and the job of `prometheus.yml` |
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSettings {
    error_ratio_threshold: f64,
    error_ratio_for: Duration,
    latency_p95_threshold_seconds: f64,
    latency_for: Duration,
    cache_hit_ratio_drop: f64,
    cache_hit_ratio_for: Duration,
    llm_spend_dollars_per_hour: f64,
    llm_spend_for: Duration,
    budget_remaining_share: f64,
    budget_low_for: Duration,
    budget_burn_window: Duration,
    budget_burn_for: Duration,
    target_down_for: Duration,
    metrics_absent_for: Duration,
    scrape_job: String,
}

const fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

/// The shortest burn-rate window: the spend rate is a `rate()` over a subquery sampled every
/// minute, which needs at least two samples.
const MIN_BURN_WINDOW: Duration = minutes(2);

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            error_ratio_threshold: 0.05,
            error_ratio_for: minutes(10),
            latency_p95_threshold_seconds: 10.0,
            latency_for: minutes(15),
            cache_hit_ratio_drop: 0.5,
            cache_hit_ratio_for: minutes(30),
            llm_spend_dollars_per_hour: 10.0,
            llm_spend_for: minutes(15),
            budget_remaining_share: 0.2,
            budget_low_for: minutes(5),
            budget_burn_window: minutes(60),
            budget_burn_for: minutes(15),
            target_down_for: minutes(5),
            metrics_absent_for: minutes(15),
            scrape_job: "flowmeter".to_owned(),
        }
    }
}

impl AlertSettings {
    /// Starts from the defaults.
    pub fn builder() -> AlertSettingsBuilder {
        AlertSettingsBuilder(AlertSettings::default())
    }

    /// The error ratio (errors and panics over completed executions, 5m) above which a
    /// primitive's or workflow's `…ErrorRatioHigh` fires. Default 0.05; in `[0, 1)`.
    pub fn error_ratio_threshold(&self) -> f64 {
        self.error_ratio_threshold
    }

    /// How long the error ratio must stay high. Default 10m.
    pub fn error_ratio_for(&self) -> Duration {
        self.error_ratio_for
    }

    /// The p95 duration (5m), in seconds, above which `…LatencyHigh` fires. Default 10; above
    /// 0.
    pub fn latency_p95_threshold_seconds(&self) -> f64 {
        self.latency_p95_threshold_seconds
    }

    /// How long the p95 must stay high. Default 15m.
    pub fn latency_for(&self) -> Duration {
        self.latency_for
    }

    /// `…CacheHitRatioFalling` fires when a cache's 5m hit ratio is below this fraction of its
    /// hit ratio over a day. Default 0.5 (it halved); in `(0, 1]`.
    pub fn cache_hit_ratio_drop(&self) -> f64 {
        self.cache_hit_ratio_drop
    }

    /// How long the hit ratio must stay low. Default 30m.
    pub fn cache_hit_ratio_for(&self) -> Duration {
        self.cache_hit_ratio_for
    }

    /// Total LLM spend, in dollars per hour (5m rate), above which `…LlmSpendHigh` fires.
    /// Default 10; 0 or more.
    pub fn llm_spend_dollars_per_hour(&self) -> f64 {
        self.llm_spend_dollars_per_hour
    }

    /// How long spend must stay high. Default 15m.
    pub fn llm_spend_for(&self) -> Duration {
        self.llm_spend_for
    }

    /// `…LlmBudgetLow` fires for a budget whose remaining amount is below this share of its
    /// limit in its current period. Default 0.2; in `[0, 1]`.
    pub fn budget_remaining_share(&self) -> f64 {
        self.budget_remaining_share
    }

    /// How long a budget must stay low. Default 5m.
    pub fn budget_low_for(&self) -> Duration {
        self.budget_low_for
    }

    /// The window over which `…LlmBudgetBurnRateHigh` measures a budget's spend rate.
    /// Default 1h; at least 2m.
    pub fn budget_burn_window(&self) -> Duration {
        self.budget_burn_window
    }

    /// How long the forecast must say "exhausted before the period ends". Default 15m.
    pub fn budget_burn_for(&self) -> Duration {
        self.budget_burn_for
    }

    /// How long a target must be down before `…TargetDown` pages. Default 5m.
    pub fn target_down_for(&self) -> Duration {
        self.target_down_for
    }

    /// How long flowmeter's metrics must be absent. Default 15m.
    pub fn metrics_absent_for(&self) -> Duration {
        self.metrics_absent_for
    }

    /// The scrape job: the `job_name` of the generated `prometheus.yml` and the job
    /// `…TargetDown` selects. Default `flowmeter`; letters, digits and `_ . : / -`, starting
    /// with a letter, a digit or `_`.
    pub fn scrape_job(&self) -> &str {
        &self.scrape_job
    }
}

/// Changes [`AlertSettings`]; [`build`](Self::build) checks every value.
#[derive(Debug, Clone)]
#[must_use]
pub struct AlertSettingsBuilder(AlertSettings);

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.0.$name = value;
                self
            }
        )*
    };
}

impl AlertSettingsBuilder {
    setters! {
        /// See [`AlertSettings::error_ratio_threshold`].
        error_ratio_threshold: f64,
        /// See [`AlertSettings::error_ratio_for`].
        error_ratio_for: Duration,
        /// See [`AlertSettings::latency_p95_threshold_seconds`].
        latency_p95_threshold_seconds: f64,
        /// See [`AlertSettings::latency_for`].
        latency_for: Duration,
        /// See [`AlertSettings::cache_hit_ratio_drop`].
        cache_hit_ratio_drop: f64,
        /// See [`AlertSettings::cache_hit_ratio_for`].
        cache_hit_ratio_for: Duration,
        /// See [`AlertSettings::llm_spend_dollars_per_hour`].
        llm_spend_dollars_per_hour: f64,
        /// See [`AlertSettings::llm_spend_for`].
        llm_spend_for: Duration,
        /// See [`AlertSettings::budget_remaining_share`].
        budget_remaining_share: f64,
        /// See [`AlertSettings::budget_low_for`].
        budget_low_for: Duration,
        /// See [`AlertSettings::budget_burn_window`].
        budget_burn_window: Duration,
        /// See [`AlertSettings::budget_burn_for`].
        budget_burn_for: Duration,
        /// See [`AlertSettings::target_down_for`].
        target_down_for: Duration,
        /// See [`AlertSettings::metrics_absent_for`].
        metrics_absent_for: Duration,
    }

    /// See [`AlertSettings::scrape_job`].
    pub fn scrape_job(mut self, job: impl Into<String>) -> Self {
        self.0.scrape_job = job.into();
        self
    }

    /// Checks every value: the first one out of range is the error.
    pub fn build(self) -> Result<AlertSettings, AlertSettingsError> {
        let s = self.0;
        let check = |setting, value: f64, ok: bool, expected| {
            if value.is_finite() && ok {
                Ok(())
            } else {
                Err(AlertSettingsError::OutOfRange { setting, value, expected })
            }
        };
        let error = s.error_ratio_threshold;
        check("error_ratio_threshold", error, (0.0..1.0).contains(&error), "in [0, 1)")?;
        let latency = s.latency_p95_threshold_seconds;
        check("latency_p95_threshold_seconds", latency, latency > 0.0, "above 0")?;
        let drop = s.cache_hit_ratio_drop;
        check("cache_hit_ratio_drop", drop, drop > 0.0 && drop <= 1.0, "in (0, 1]")?;
        let spend = s.llm_spend_dollars_per_hour;
        check("llm_spend_dollars_per_hour", spend, spend >= 0.0, "0 or more")?;
        let share = s.budget_remaining_share;
        check("budget_remaining_share", share, (0.0..=1.0).contains(&share), "in [0, 1]")?;
        let durations = [
            ("error_ratio_for", s.error_ratio_for),
            ("latency_for", s.latency_for),
            ("cache_hit_ratio_for", s.cache_hit_ratio_for),
            ("llm_spend_for", s.llm_spend_for),
            ("budget_low_for", s.budget_low_for),
            ("budget_burn_window", s.budget_burn_window),
            ("budget_burn_for", s.budget_burn_for),
            ("target_down_for", s.target_down_for),
            ("metrics_absent_for", s.metrics_absent_for),
        ];
        for (setting, value) in durations {
            // Prometheus durations count whole milliseconds.
            if value.is_zero() || !value.subsec_nanos().is_multiple_of(1_000_000) {
                let value = format!("{value:?}");
                return Err(AlertSettingsError::BadDuration { setting, value });
            }
        }
        if s.budget_burn_window < MIN_BURN_WINDOW {
            return Err(AlertSettingsError::BurnWindow(s.budget_burn_window));
        }
        if !valid_job(&s.scrape_job) {
            return Err(AlertSettingsError::ScrapeJob(s.scrape_job));
        }
        Ok(s)
    }
}

/// Safe unquoted in YAML and in a PromQL string: a job name as people write them.
fn valid_job(job: &str) -> bool {
    let mut chars = job.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.:/-".contains(c))
}

/// An [`AlertSettings`] value out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AlertSettingsError {
    /// A threshold, ratio or share outside its range (or not finite).
    #[error("alert setting {setting} must be {expected}, got {value}")]
    OutOfRange {
        /// The setting, as named by the builder.
        setting: &'static str,
        /// The value given.
        value: f64,
        /// The accepted range.
        expected: &'static str,
    },
    /// A duration of zero or with a fraction of a millisecond.
    #[error("alert setting {setting} must be a positive whole number of milliseconds, got {value}")]
    BadDuration {
        /// The setting, as named by the builder.
        setting: &'static str,
        /// The value given.
        value: String,
    },
    /// A burn-rate window under two minutes.
    #[error("alert setting budget_burn_window must be at least 2m, got {}", Prometheus(*.0))]
    BurnWindow(Duration),
    /// An empty or unusual scrape job name.
    #[error(
        "alert setting scrape_job must be letters, digits and `_ . : / -`, starting with a \
         letter, a digit or `_`, got {0:?}"
    )]
    ScrapeJob(String),
}

impl AlertSettingsError {
    /// The setting whose value is refused, as the builder names it (`budget_remaining_share`).
    pub fn setting(&self) -> &'static str {
        match self {
            AlertSettingsError::OutOfRange { setting, .. }
            | AlertSettingsError::BadDuration { setting, .. } => setting,
            AlertSettingsError::BurnWindow(_) => "budget_burn_window",
            AlertSettingsError::ScrapeJob(_) => "scrape_job",
        }
    }
}

/// A duration written the way Prometheus reads it (`90s` → `1m30s`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prometheus(pub(crate) Duration);

impl fmt::Display for Prometheus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&promql_parser::util::display_duration(&self.0))
    }
}
