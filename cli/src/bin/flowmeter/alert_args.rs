//! `flowmeter rules`' alert settings: one flag per [`AlertSettings`] value, its default shown
//! in `--help` from [`AlertSettings::default`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use clap::Args;
use flowmeter_cli::AlertSettings;

fn defaults() -> AlertSettings {
    AlertSettings::default()
}

/// The default of a duration setting, e.g. `duration(AlertSettings::latency_for)`.
fn duration(setting: fn(&AlertSettings) -> Duration) -> PromDuration {
    PromDuration(setting(&defaults()))
}

/// A duration as Prometheus writes it (`90s`, `1m30s`, `2h`, `1d`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PromDuration(Duration);

impl FromStr for PromDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        // promql-parser also reads a bare number as seconds; a unit is clearer on a command line.
        if s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(format!("`{s}` needs a unit, e.g. {s}s or {s}m"));
        }
        promql_parser::util::parse_duration(s).map(PromDuration)
    }
}

impl fmt::Display for PromDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&promql_parser::util::display_duration(&self.0))
    }
}

/// The alerts' thresholds, windows, `for` durations and scrape job.
#[derive(Debug, Args)]
#[command(next_help_heading = "Alert settings")]
pub(crate) struct AlertArgs {
    /// Error ratio (errors and panics / completed, 5m) above which a primitive's or
    /// workflow's ErrorRatioHigh alert fires; in [0, 1).
    #[arg(long, value_name = "RATIO", default_value_t = defaults().error_ratio_threshold())]
    error_ratio_threshold: f64,
    /// How long the error ratio must stay above the threshold.
    #[arg(long, value_name = "DURATION")]
    #[arg(default_value_t = duration(AlertSettings::error_ratio_for))]
    error_ratio_for: PromDuration,
    /// p95 duration (5m), in seconds, above which LatencyHigh fires.
    #[arg(long, value_name = "SECONDS")]
    #[arg(default_value_t = defaults().latency_p95_threshold_seconds())]
    latency_p95_threshold_seconds: f64,
    /// How long the p95 must stay above the threshold.
    #[arg(long, value_name = "DURATION", default_value_t = duration(AlertSettings::latency_for))]
    latency_for: PromDuration,
    /// CacheHitRatioFalling fires when a cache's 5m hit ratio is under this fraction of its
    /// hit ratio over a day; in (0, 1].
    #[arg(long, value_name = "FRACTION", default_value_t = defaults().cache_hit_ratio_drop())]
    cache_hit_ratio_drop: f64,
    /// How long the hit ratio must stay low.
    #[arg(long, value_name = "DURATION")]
    #[arg(default_value_t = duration(AlertSettings::cache_hit_ratio_for))]
    cache_hit_ratio_for: PromDuration,
    /// Total LLM spend, dollars per hour (5m rate), above which LlmSpendHigh fires.
    #[arg(long, value_name = "DOLLARS", default_value_t = defaults().llm_spend_dollars_per_hour())]
    llm_spend_dollars_per_hour: f64,
    /// How long spend must stay above it.
    #[arg(long, value_name = "DURATION", default_value_t = duration(AlertSettings::llm_spend_for))]
    llm_spend_for: PromDuration,
    /// LlmBudgetLow fires for any budget with less than this share of its limit left in its
    /// current period; in [0, 1].
    #[arg(long, value_name = "SHARE", default_value_t = defaults().budget_remaining_share())]
    budget_remaining_share: f64,
    /// How long a budget must stay under that share.
    #[arg(long, value_name = "DURATION", default_value_t = duration(AlertSettings::budget_low_for))]
    budget_low_for: PromDuration,
    /// The window of a budget's spend rate for LlmBudgetBurnRateHigh (fires when what is left
    /// would run out before the period ends); at least 2m.
    #[arg(long, value_name = "DURATION")]
    #[arg(default_value_t = duration(AlertSettings::budget_burn_window))]
    budget_burn_window: PromDuration,
    /// How long that forecast must hold.
    #[arg(long, value_name = "DURATION")]
    #[arg(default_value_t = duration(AlertSettings::budget_burn_for))]
    budget_burn_for: PromDuration,
    /// How long a target must be down before TargetDown pages.
    #[arg(long, value_name = "DURATION")]
    #[arg(default_value_t = duration(AlertSettings::target_down_for))]
    target_down_for: PromDuration,
    /// How long flowmeter's metrics must be absent before MetricsAbsent fires.
    #[arg(long, value_name = "DURATION")]
    #[arg(default_value_t = duration(AlertSettings::metrics_absent_for))]
    metrics_absent_for: PromDuration,
    /// The scrape job: job_name in prometheus.yml and the job TargetDown selects.
    #[arg(long, value_name = "JOB", default_value_t = defaults().scrape_job().to_owned())]
    scrape_job: String,
}

impl AlertArgs {
    /// The settings, or an error naming the flag whose value is out of range (each flag is
    /// its setting's name).
    pub(crate) fn settings(&self) -> Result<AlertSettings, String> {
        AlertSettings::builder()
            .error_ratio_threshold(self.error_ratio_threshold)
            .error_ratio_for(self.error_ratio_for.0)
            .latency_p95_threshold_seconds(self.latency_p95_threshold_seconds)
            .latency_for(self.latency_for.0)
            .cache_hit_ratio_drop(self.cache_hit_ratio_drop)
            .cache_hit_ratio_for(self.cache_hit_ratio_for.0)
            .llm_spend_dollars_per_hour(self.llm_spend_dollars_per_hour)
            .llm_spend_for(self.llm_spend_for.0)
            .budget_remaining_share(self.budget_remaining_share)
            .budget_low_for(self.budget_low_for.0)
            .budget_burn_window(self.budget_burn_window.0)
            .budget_burn_for(self.budget_burn_for.0)
            .target_down_for(self.target_down_for.0)
            .metrics_absent_for(self.metrics_absent_for.0)
            .scrape_job(self.scrape_job.clone())
            .build()
            .map_err(|e| format!("--{}: {e}", e.setting().replace('_', "-")))
    }
}
