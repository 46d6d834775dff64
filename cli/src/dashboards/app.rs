//! `app-metrics`: the metrics a service declares through `flowmeter::app`, one panel each.
//!
//! Written only when the generator knows them, that is from a service's `/catalog`
//! (`flowmeter rules --catalog URL`); the checked-in `observability/` has none. Each panel
//! queries the metric under its exported name, grouped by every label it declares:
//!
//! | kind | panel |
//! |---|---|
//! | counter | per-second rate, `sum by (labels)` |
//! | up-down counter | current value, `sum by (labels)` (a count spread over instances adds up) |
//! | gauge | current value, `max by (labels)` (a level does not add up over instances) |
//! | histogram | p50, p95 and p99 over `sum by (labels, le)`, absent while there are no observations |

use flowmeter::metrics::catalog::{InstrumentKind, MetricInfo};

use super::model::Builder;
use super::panel::{Panel, Unit};
use super::query::{RATE, Selector, aggregate, percentile, quantile, rate, sum_by};
use crate::MetricNames;

/// The dashboard's slug: `dashboards/app-metrics.json`, uid `<namespace>-app-metrics`.
pub(crate) const SLUG: &str = "app-metrics";

/// The quantiles shown for a histogram.
const QUANTILES: [f64; 3] = [0.5, 0.95, 0.99];

/// The dashboard of `metrics`.
pub(super) fn dashboard(names: &MetricNames, metrics: &[MetricInfo]) -> Builder {
    let mut d = super::builder(
        names,
        SLUG,
        "Application metrics",
        "The metrics the service declares through flowmeter::app, one panel each, by their labels.",
    );
    d.row("Declared metrics", "One panel per metric, in declaration order.");
    for metric in metrics {
        d.panel(panel(metric), 12, 8);
    }
    d
}

fn panel(metric: &MetricInfo) -> Panel {
    let labels: Vec<&str> = metric.labels.iter().map(String::as_str).collect();
    let legend = legend(&labels, &metric.prometheus_name);
    let name = &metric.prometheus_name;
    let title = metric.name.as_str();
    match metric.kind {
        InstrumentKind::Counter => Panel::timeseries(
            title,
            &format!("{} Per second, by {}.", metric.description, by(&labels)),
            Unit::OpsPerSecond,
        )
        .query(sum_by(&labels, &rate(&Selector::new(name), RATE)), &legend),
        InstrumentKind::UpDownCounter => Panel::timeseries(
            title,
            &format!("{} Summed over instances, by {}.", metric.description, by(&labels)),
            unit(&metric.unit),
        )
        .query(sum_by(&labels, &Selector::new(name).to_string()), &legend),
        InstrumentKind::Gauge => Panel::timeseries(
            title,
            &format!("{} The highest over instances, by {}.", metric.description, by(&labels)),
            unit(&metric.unit),
        )
        .query(aggregate("max", &labels, &Selector::new(name).to_string()), &legend),
        InstrumentKind::Histogram => {
            let mut panel = Panel::timeseries(
                title,
                &format!("{} p50, p95 and p99, by {}.", metric.description, by(&labels)),
                unit(&metric.unit),
            );
            for q in QUANTILES {
                let expr = quantile(q, &labels, &Selector::bucket(name), RATE);
                panel = panel.query(expr, &format!("{} {legend}", percentile(q)));
            }
            panel
        }
    }
}

/// `{{a}} {{b}}`, or the metric's name for a metric without labels.
fn legend(labels: &[&str], name: &str) -> String {
    if labels.is_empty() {
        return name.to_owned();
    }
    labels.iter().map(|l| format!("{{{{{l}}}}}")).collect::<Vec<_>>().join(" ")
}

fn by(labels: &[&str]) -> String {
    if labels.is_empty() { "no label".to_owned() } else { labels.join(", ") }
}

/// The panel unit of a UCUM unit.
fn unit(ucum: &str) -> Unit {
    match ucum {
        "s" => Unit::Seconds,
        "1" => Unit::Ratio,
        "{USD}" => Unit::Dollars,
        _ => Unit::Count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboards::panel_expressions;

    fn info(name: &str, prometheus_name: &str, kind: InstrumentKind, unit: &str) -> MetricInfo {
        let json = serde_json::json!({
            "name": name, "prometheus_name": prometheus_name, "kind": kind,
            "type": "x", "unit": unit, "description": "Declared.", "labels": ["skill_name"],
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn one_panel_per_metric_by_kind() {
        let metrics = [
            info("skill.invocations", "skill_invocations_total", InstrumentKind::Counter, ""),
            info("skill.duration", "skill_duration_seconds", InstrumentKind::Histogram, "s"),
            info("skill.rate", "skill_rate", InstrumentKind::Gauge, "1"),
            info("active", "active", InstrumentKind::UpDownCounter, ""),
        ];
        let json = dashboard(&MetricNames::new("tta"), &metrics).to_json();
        let exprs = panel_expressions(&json).unwrap();
        assert_eq!(exprs.len(), 1 + 3 + 1 + 1, "{exprs:#?}");
        assert_eq!(
            exprs[0],
            "sum by (skill_name) (rate(skill_invocations_total[$__rate_interval]))"
        );
        assert!(exprs[1].contains(
            "histogram_quantile(0.5, sum by (skill_name, le) (rate(skill_duration_seconds_bucket"
        ));
        assert_eq!(exprs[4], "max by (skill_name) (skill_rate)");
        assert_eq!(exprs[5], "sum by (skill_name) (active)");
        assert!(json.contains("tta-app-metrics"), "the uid: {json}");
    }
}
