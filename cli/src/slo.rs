//! `rules/{ns}.slo.yml`: SLIs, SLO metadata and multi-window multi-burn-rate alerts for the
//! declared objectives, in the style of Sloth and the Google SRE workbook.
//!
//! Each objective gets its own group, `{ns}-slo-{id}`, and its series carry the labels
//! `slo` (the id: `workflow-document_pipeline-success-rate`,
//! `workflow-document_pipeline-latency-0.5s`, `primitive-fetch-success-rate`), `objective`
//! (the ratio, `0.99`) and the target's label (`workflow_name` or `primitive_name`).
//!
//! | rule | value |
//! |---|---|
//! | `slo:sli_error:ratio_rate5m` … `ratio_rate3d` (5m, 30m, 1h, 2h, 6h, 1d, 3d) | bad events / valid events over the window |
//! | `slo:sli_error:ratio_period` | the same over the objective's whole window (`window_days`, default 30d) |
//! | `slo:objective:ratio` | the objective (`0.99`) |
//! | `slo:error_budget:ratio` | `1 - objective` |
//! | `slo:time_period:days` | the objective's window in days |
//! | `slo:current_burn_rate:ratio` | 5m error ratio / error budget |
//! | `slo:period_burn_rate:ratio` | period error ratio / error budget |
//! | `slo:period_error_budget_remaining:ratio` | `1 - period burn rate`: 1 untouched, 0 spent, negative overspent |
//!
//! **Events.** Valid events are completed executions (`status!="cancelled"`, see the
//! recording rules for why). For a success-rate objective the bad ones have
//! `status=~"error|panic"`; for a latency objective the bad ones are the valid events slower
//! than the threshold: `_count − _bucket{le="<threshold>"}`, the threshold being a bucket
//! boundary (the objective's constructor guarantees it) written exactly as the exposition
//! prints it (`0.5`, `1`, `2.5`, `60`). Each ratio is `sum by (target label)` of the bad
//! rate over `sum by (target label)` of the valid rate, guarded with `/ (valid > 0)`: no
//! traffic, no SLI series (never `NaN`, never a `vector(0)`), so no burn alert either. The
//! period SLI is computed from the counters over the whole window (traffic-weighted), not
//! averaged from 5-minute ratios.
//!
//! Prometheus 3 normalizes classic-histogram `le` values on ingestion (`1` becomes `1.0`);
//! these rules match the text exposition as Prometheus 2 stores it, which is what matters
//! only for whole-number thresholds (`1`, `5`, `10`, `30`, `60`).
//!
//! **Alerts** (burn rate = error ratio / error budget), the workbook's windows for a 30-day
//! objective:
//!
//! | alert | fires when | for | severity |
//! |---|---|---|---|
//! | `{Ns}ErrorBudgetBurnFast` | 5m and 1h burn > 14.4, or 30m and 6h burn > 6 | 2m | page |
//! | `{Ns}ErrorBudgetBurnSlow` | 2h and 1d burn > 3, or 6h and 3d burn > 1 | 15m | ticket |
//!
//! The comparisons filter on purpose (no `bool`): an alert's expression is the set of SLOs
//! burning too fast, and its value is the short window's burn rate. Objectives with the same
//! id and ratio are generated once; groups are sorted by id.

use std::collections::BTreeMap;

use super::alerts::{Severity, alert};
use super::promql::{Matcher, camel, guarded_ratio, le, num, quote, rate, selector, sum_by};
use super::rule_names::RuleNames;
use crate::{Record, Rule, RuleFile, RuleGroup};
use flowmeter::metrics::catalog::keys;
use flowmeter::metrics::{Goal, Objective, Target};

/// The SLI windows, shortest first.
pub(crate) const SLI_WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

/// One multi-window condition: both windows burn faster than `factor`.
#[derive(Debug, Clone, Copy)]
struct BurnCondition {
    short: &'static str,
    long: &'static str,
    factor: f64,
}

/// Page: 2% of a 30-day budget in an hour, or 5% in six hours.
const PAGE: [BurnCondition; 2] = [
    BurnCondition { short: "5m", long: "1h", factor: 14.4 },
    BurnCondition { short: "30m", long: "6h", factor: 6.0 },
];

/// Ticket: 10% of a 30-day budget in a day, or 10% in three days.
const TICKET: [BurnCondition; 2] = [
    BurnCondition { short: "2h", long: "1d", factor: 3.0 },
    BurnCondition { short: "6h", long: "3d", factor: 1.0 },
];

/// One objective with what its rules need.
struct Slo<'a> {
    objective: &'a Objective,
    id: String,
    ratio: String,
    budget: String,
    target_label: &'static str,
}

impl<'a> Slo<'a> {
    fn new(objective: &'a Objective) -> Self {
        let (kind, target_label) = match &objective.target {
            Target::Primitive(_) => ("primitive", keys::PRIMITIVE_NAME),
            Target::Workflow(_) => ("workflow", keys::WORKFLOW_NAME),
        };
        let goal = match objective.goal {
            Goal::SuccessRate { .. } => "success-rate".to_owned(),
            Goal::Latency { threshold_seconds, .. } => {
                format!("latency-{}s", le(threshold_seconds))
            }
        };
        Slo {
            objective,
            id: format!("{kind}-{}-{goal}", objective.target.name()),
            ratio: num(objective.ratio()),
            budget: num(1.0 - objective.ratio()),
            target_label,
        }
    }

    fn labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("slo".to_owned(), self.id.clone()),
            ("objective".to_owned(), self.ratio.clone()),
        ])
    }

    /// `{slo="…", objective="…"}` for selecting this objective's recorded series.
    fn select(&self, name: &str) -> String {
        format!("{name}{{slo={}, objective={}}}", quote(&self.id), quote(&self.ratio))
    }

    fn record(&self, name: &str, expr: String) -> Rule {
        Rule::Record(Record { record: name.to_owned(), expr, labels: self.labels() })
    }

    /// A constant with the target label too, so metadata joins with the SLIs.
    fn constant(&self, name: &str, value: String) -> Rule {
        let mut labels = self.labels();
        labels.insert(self.target_label.to_owned(), self.objective.target.name().to_owned());
        Rule::Record(Record { record: name.to_owned(), expr: format!("vector({value})"), labels })
    }

    /// The error ratio over `window`: bad events / valid events, guarded.
    fn sli(&self, names: &RuleNames, window: &str) -> String {
        let by = [self.target_label];
        let target = Matcher::eq(self.target_label, self.objective.target.name());
        let level = match self.objective.target {
            Target::Primitive(_) => &names.primitive,
            Target::Workflow(_) => &names.workflow,
        };
        match self.objective.goal {
            Goal::SuccessRate { .. } => {
                let events = |status: Matcher| {
                    let sel = selector(&level.executions_metric, &[target.clone(), status]);
                    sum_by(&by, &rate(&sel, window))
                };
                guarded_ratio(&events(Matcher::errors()), &events(Matcher::finished()))
            }
            Goal::Latency { threshold_seconds, .. } => {
                let family = &level.duration_family;
                let valid = sum_by(
                    &by,
                    &rate(
                        &selector(
                            &format!("{family}_count"),
                            &[target.clone(), Matcher::finished()],
                        ),
                        window,
                    ),
                );
                let fast = sum_by(
                    &by,
                    &rate(
                        &selector(
                            &format!("{family}_bucket"),
                            &[
                                target,
                                Matcher::finished(),
                                Matcher::eq("le", &le(threshold_seconds)),
                            ],
                        ),
                        window,
                    ),
                );
                guarded_ratio(&format!("(\n{valid}\n-\n{fast}\n)"), &valid)
            }
        }
    }

    fn burn_alert(
        &self,
        name: String,
        conditions: [BurnCondition; 2],
        for_: &str,
        severity: Severity,
    ) -> Rule {
        let branch = |c: BurnCondition| {
            let over = |window: &str| {
                format!(
                    "{} / {} > {}",
                    self.select(&format!("slo:sli_error:ratio_rate{window}")),
                    self.budget,
                    num(c.factor)
                )
            };
            format!("(\n{}\nand\n{}\n)", over(c.short), over(c.long))
        };
        let [first, second] = conditions;
        let windows =
            |c: BurnCondition| format!("{} and {} above {}×", c.short, c.long, num(c.factor));
        let target = self.objective.target.describe();
        let days = self.objective.window_days;
        alert(
            name,
            format!("{}\nor\n{}", branch(first), branch(second)),
            for_,
            severity,
            &[("slo", &self.id), ("objective", &self.ratio)],
            "SLO {{ $labels.slo }} burns its error budget {{ $value | humanize }}× too fast"
                .to_owned(),
            format!(
                "{target} is using its {days}-day error budget ({budget} of events, objective \
                 {ratio}) {{{{ $value | humanize }}}} times faster than sustainable \
                 (condition: {}, or {}).",
                windows(first),
                windows(second),
                budget = self.budget,
                ratio = self.ratio,
            ),
        )
    }
}

/// `rules/{ns}.slo.yml`, or `None` without objectives.
pub(crate) fn slo_rules(names: &RuleNames, objectives: &[Objective]) -> Option<RuleFile> {
    let mut slos: Vec<Slo<'_>> = objectives.iter().map(Slo::new).collect();
    // Stable: sorted by (id, ratio); the first declaration of a duplicate wins.
    slos.sort_by(|a, b| (&a.id, &a.ratio).cmp(&(&b.id, &b.ratio)));
    slos.dedup_by(|a, b| a.id == b.id && a.ratio == b.ratio);
    if slos.is_empty() {
        return None;
    }
    let prefix = camel(names.namespace());
    let groups = slos
        .iter()
        .map(|slo| {
            let mut rules: Vec<Rule> = SLI_WINDOWS
                .iter()
                .map(|w| slo.record(&format!("slo:sli_error:ratio_rate{w}"), slo.sli(names, w)))
                .collect();
            let period = format!("{}d", slo.objective.window_days);
            rules.push(slo.record("slo:sli_error:ratio_period", slo.sli(names, &period)));
            rules.push(slo.constant("slo:objective:ratio", slo.ratio.clone()));
            rules.push(slo.constant("slo:error_budget:ratio", slo.budget.clone()));
            rules.push(slo.constant("slo:time_period:days", slo.objective.window_days.to_string()));
            rules.push(slo.record(
                "slo:current_burn_rate:ratio",
                format!("{} / {}", slo.select("slo:sli_error:ratio_rate5m"), slo.budget),
            ));
            rules.push(slo.record(
                "slo:period_burn_rate:ratio",
                format!("{} / {}", slo.select("slo:sli_error:ratio_period"), slo.budget),
            ));
            rules.push(slo.record(
                "slo:period_error_budget_remaining:ratio",
                format!("1 - {}", slo.select("slo:period_burn_rate:ratio")),
            ));
            rules.push(slo.burn_alert(
                format!("{prefix}ErrorBudgetBurnFast"),
                PAGE,
                "2m",
                Severity::Page,
            ));
            rules.push(slo.burn_alert(
                format!("{prefix}ErrorBudgetBurnSlow"),
                TICKET,
                "15m",
                Severity::Ticket,
            ));
            RuleGroup {
                name: format!("{}-slo-{}", names.namespace(), slo.id),
                interval: None,
                rules,
            }
        })
        .collect();
    Some(RuleFile { groups })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objectives() -> Vec<Objective> {
        vec![
            Objective::success_rate(Target::Workflow("document_pipeline".into()), 0.99).unwrap(),
            Objective::latency(Target::Workflow("document_pipeline".into()), 0.5, 0.95).unwrap(),
            Objective::success_rate(Target::Primitive("fetch".into()), 0.995).unwrap(),
            Objective::success_rate(Target::Primitive("fetch".into()), 0.995).unwrap(),
        ]
    }

    #[test]
    fn one_group_per_objective_sorted_and_deduplicated() {
        let file = slo_rules(&RuleNames::new("flowmeter"), &objectives()).unwrap();
        let groups: Vec<&str> = file.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            groups,
            [
                "flowmeter-slo-primitive-fetch-success-rate",
                "flowmeter-slo-workflow-document_pipeline-latency-0.5s",
                "flowmeter-slo-workflow-document_pipeline-success-rate",
            ]
        );
        assert!(slo_rules(&RuleNames::new("flowmeter"), &[]).is_none());
    }

    #[test]
    fn latency_sli_subtracts_the_threshold_bucket() {
        let file = slo_rules(&RuleNames::new("flowmeter"), &objectives()).unwrap();
        let sli = file.groups[1].rules[0].expr().to_owned();
        assert!(sli.contains(r#"le="0.5""#), "{sli}");
        assert!(sli.contains("flowmeter_workflow_duration_seconds_count"), "{sli}");
        assert!(sli.contains("> 0)"), "guarded: {sli}");
        let Rule::Alert(fast) = &file.groups[2].rules[14] else { panic!() };
        assert_eq!(fast.alert, "FlowmeterErrorBudgetBurnFast");
        assert!(fast.expr.contains(r#"slo:sli_error:ratio_rate1h{slo="workflow-document_pipeline-success-rate", objective="0.99"} / 0.01 > 14.4"#), "{}", fast.expr);
    }
}
