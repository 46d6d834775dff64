//! The reference's JSON shapes, computed from flowmeter's generic ones: the
//! `get_metrics_summary` answer from a [`Summary`], and the grouped `list_session_metrics`
//! answer from the [`MetricMetadata`] list.

use flowmeter::exporter::{MetricKind, MetricMetadata, Summary};
use serde_json::{Map, Value, json};

use crate::metrics::GROUPS;

/// The reference's summary:
///
/// ```json
/// {"total_sessions_started": 6, "total_sessions_ended": 4,
///  "active_sessions": {"mahavishnu": 1, "session-buddy": 1},
///  "quality_scores": {"mahavishnu": 85.5, "session-buddy": 92.0},
///  "mcp_events_success": 8, "mcp_events_failure": 2}
/// ```
///
/// Counts are integers, as in the reference; a metric with no series yet counts 0.
pub fn session_summary(summary: &Summary) -> Value {
    // Counters are `u64` sums exported as floats: exact below 2^53.
    let total = |family: &str| summary.counter_total(family).unwrap_or(0.0) as u64;
    json!({
        "total_sessions_started": total("session_start_total"),
        "total_sessions_ended": total("session_end_total"),
        "active_sessions": by_component(summary, "active_sessions", |v| json!(v as i64)),
        "quality_scores": by_component(summary, "session_quality_score", |v| json!(v)),
        "mcp_events_success": total("mcp_event_emit_success_total"),
        "mcp_events_failure": total("mcp_event_emit_failure_total"),
    })
}

/// `{component_name: value}` for a gauge family.
fn by_component(summary: &Summary, family: &str, number: fn(f64) -> Value) -> Value {
    let Some(metric) = summary.get(family) else {
        return Value::Object(Map::new());
    };
    let values = metric
        .series
        .iter()
        .filter_map(|s| Some((s.labels.get("component_name")?.clone(), number(s.value?))));
    Value::Object(values.collect())
}

/// The reference's metric list, grouped (`session_lifecycle_metrics`, `mcp_event_metrics`,
/// `system_health_metrics`), each metric with `type` (`Counter`, `Histogram`, `Gauge`),
/// `description` (the HELP text) and `labels`. Every declared metric is listed, recorded yet
/// or not: the example builds all eight at startup ([`declare_all`](crate::metrics::declare_all)).
pub fn session_metric_list(metadata: &[MetricMetadata]) -> Value {
    let mut groups = Map::new();
    for (group, family) in GROUPS {
        let Some(metric) = metadata.iter().find(|m| m.name == family) else { continue };
        let entry = json!({
            "type": kind_name(metric.kind),
            "description": metric.help,
            "labels": metric.labels,
        });
        let group = groups.entry(group).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(members) = group {
            members.insert(family.to_owned(), entry);
        }
    }
    Value::Object(groups)
}

/// The reference's (`prometheus_client`'s) spelling of a metric type.
fn kind_name(kind: MetricKind) -> &'static str {
    match kind {
        MetricKind::Counter => "Counter",
        MetricKind::Gauge => "Gauge",
        MetricKind::Histogram => "Histogram",
        MetricKind::Summary => "Summary",
        MetricKind::Untyped => "Untyped",
    }
}
