//! Alerts on every LLM budget a program declares, without knowing any by name: each reads the
//! per-budget gauges the runtime exports, matched one to one by their labels (`budget_name`
//! and the target's).
//!
//! - `remaining` (limit − spend in the current period; negative when overspent) and `limit`
//!   change together for one budget, so `limit − remaining` is the period's spend: it grows
//!   with every charge and drops back when a period starts, like a counter that resets, so
//!   `rate()` over it (a subquery sampled every minute) is the spend rate across period
//!   boundaries too.
//! - `period_end.timestamp` is when the current period ends. The runtime updates the gauges
//!   on a budget's checks and charges only, so after a quiet rollover `remaining` still shows
//!   the ended period's low value: both alerts hold only while that period is current
//!   (`period_end > time()`), so they resolve when the period ends even if no call comes.

use super::{AlertSettings, Prometheus, Severity, alert};
use crate::promql::num;
use crate::{MetricNames, Rule};

/// `…LlmBudgetLow` and `…LlmBudgetBurnRateHigh`.
pub(super) fn alerts(prefix: &str, m: &MetricNames, settings: &AlertSettings) -> [Rule; 2] {
    let remaining = &m.llm_budget_remaining;
    let limit = &m.llm_budget_limit;
    let end = &m.llm_budget_period_end;
    let share = settings.budget_remaining_share();
    let window = Prometheus(settings.budget_burn_window());
    let budget = "LLM budget {{ $labels.budget_name }}";
    [
        alert(
            format!("{prefix}LlmBudgetLow"),
            // `limit > 0`: a zero limit (refuse everything) has no share to fall under.
            format!("{remaining}\n/ ({limit} > 0)\n< {}\nand {end} > time()", num(share)),
            &Prometheus(settings.budget_low_for()).to_string(),
            Severity::Warning,
            &[],
            format!("{budget} has {{{{ $value | humanizePercentage }}}} of its limit left"),
            format!(
                "{budget} has {{{{ $value | humanizePercentage }}}} of its limit left in its \
                 current period (threshold {}%). Under the enforce policy its calls are refused \
                 once nothing is left, until the period ends. See {remaining} and {limit}.",
                num(share * 100.0)
            ),
        ),
        alert(
            format!("{prefix}LlmBudgetBurnRateHigh"),
            // Seconds until what is left is spent at the recent rate, against seconds until
            // the period ends. A budget not spending divides by 0: +Inf, never below.
            format!(
                "({remaining} > 0)\n/ rate(({limit} - {remaining})[{window}:1m])\n< {end} - time()"
            ),
            &Prometheus(settings.budget_burn_for()).to_string(),
            Severity::Ticket,
            &[],
            format!(
                "{budget} runs out in {{{{ $value | humanizeDuration }}}}, before its period ends"
            ),
            format!(
                "At its spend rate over the last {window}, {budget} spends what it has left in \
                 {{{{ $value | humanizeDuration }}}}, before its current period ends; under the \
                 enforce policy its calls are then refused until the period ends. See \
                 {remaining} and {limit}."
            ),
        ),
    ]
}
