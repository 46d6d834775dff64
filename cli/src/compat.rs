//! `rules/{ns}.compat.yml`: the recording rule names of the workflow-primitives system
//! flowmeter replaces, computed from flowmeter's metrics, so existing dashboards keep working.
//! With `ns = tta` the names are exactly the seed's (`tta:workflow_rate_5m`, …).
//!
//! | rule | value | labels |
//! |---|---|---|
//! | `{ns}:workflow_rate_5m` | workflow runs per second, every status | `workflow_name` |
//! | `{ns}:request_rate_5m` | primitive executions per second, every status | `primitive_name`, `primitive_type` |
//! | `{ns}:success_rate_5m` | successes / completed executions (0..1) | `primitive_name`, `primitive_type` |
//! | `{ns}:error_rate_5m` | errors and panics / completed executions (0..1, a ratio, not per second) | `primitive_name`, `primitive_type` |
//! | `{ns}:latency_p95_5m` | p95 execution duration in seconds | `primitive_name`, `primitive_type` |
//! | `{ns}:cache_hit_rate_5m` | hits / (hits + misses) (0..1) | `cache_name` |
//! | `{ns}:cost_per_hour_dollars` | total LLM spend in dollars per hour (`rate(…[5m]) * 3600`) | none |
//!
//! Each is computed from the raw metrics (not from the `{ns}.rules.yml` rules), so this file
//! works loaded on its own; the ratios and the quantile carry the same low-traffic guards as
//! the recording rules (no series in a quiet period, never `vector(0)`). Sum any of them for a
//! total, e.g. `sum(tta:request_rate_5m)`.

use super::promql::{Matcher, guarded_quantile, guarded_ratio, num, rate, selector, sum_by};
use super::rule_names::{RuleNames, SECONDS_PER_HOUR, WINDOW};
use crate::{Rule, RuleFile, RuleGroup};

/// `rules/{ns}.compat.yml`.
pub(crate) fn compat_rules(names: &RuleNames) -> RuleFile {
    let ns = names.namespace();
    let m = &names.metrics;
    let p = &names.primitive;
    let executions = |matchers: &[Matcher]| {
        sum_by(&p.labels, &rate(&selector(&p.executions_metric, matchers), WINDOW))
    };
    let finished = executions(&[Matcher::finished()]);
    let cache = &names.cache_labels;
    let hits = sum_by(cache, &rate(&m.cache_hits, WINDOW));
    let misses = sum_by(cache, &rate(&m.cache_misses, WINDOW));
    let rules = vec![
        Rule::record(
            format!("{ns}:workflow_rate_5m"),
            sum_by(&names.workflow.labels, &rate(&m.workflow_executions, WINDOW)),
        ),
        Rule::record(format!("{ns}:request_rate_5m"), executions(&[])),
        Rule::record(
            format!("{ns}:success_rate_5m"),
            guarded_ratio(&executions(&[Matcher::success()]), &finished),
        ),
        Rule::record(
            format!("{ns}:error_rate_5m"),
            guarded_ratio(&executions(&[Matcher::errors()]), &finished),
        ),
        Rule::record(
            format!("{ns}:latency_p95_5m"),
            guarded_quantile(0.95, &p.duration_family, &p.labels, WINDOW),
        ),
        Rule::record(
            format!("{ns}:cache_hit_rate_5m"),
            guarded_ratio(&hits, &format!("({hits} + {misses})")),
        ),
        Rule::record(
            format!("{ns}:cost_per_hour_dollars"),
            format!("{} * {}", sum_by(&[], &rate(&m.llm_cost, WINDOW)), num(SECONDS_PER_HOUR)),
        ),
    ];
    RuleFile { groups: vec![RuleGroup { name: format!("{ns}-compat"), interval: None, rules }] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_names_for_tta() {
        let file = compat_rules(&RuleNames::new("tta"));
        let names: Vec<&str> = file.rules().map(Rule::name).collect();
        assert_eq!(
            names,
            [
                "tta:workflow_rate_5m",
                "tta:request_rate_5m",
                "tta:success_rate_5m",
                "tta:error_rate_5m",
                "tta:latency_p95_5m",
                "tta:cache_hit_rate_5m",
                "tta:cost_per_hour_dollars",
            ]
        );
        assert!(file.rules().all(|r| r.expr().contains("tta_")));
    }
}
