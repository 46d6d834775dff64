//! Grafana dashboards generated from the metric catalog.
//!
//! Five dashboards, written as `dashboards/<slug>.json` (Grafana JSON, schema version 39):
//!
//! | file | shows |
//! |---|---|
//! | `workflow-overview.json` | workflow run rate by status, error ratio, p50/p95/p99 latency, active executions, the slowest primitives |
//! | `primitive-explorer.json` | per primitive (`$primitive`, `$primitive_type`): rate by status, error ratio, latency quantiles and heatmap, active executions, retry attempts |
//! | `cache.json` | per cache (`$cache`): hit ratio, hits and misses, evictions by cause, entries |
//! | `llm-cost.json` | per model (`$model`): spend per hour and over the range, dollars saved by caching, unpriced calls, budgets, token rates, GenAI operation latency |
//! | `slo.json` | per declared objective: SLI and error budget over its window, burn rates over 5m, 1h, 6h and 3d |
//!
//! and, when the generator knows the service's own metrics (from its `/catalog`), a sixth,
//! `app-metrics.json`: one panel per metric declared through `flowmeter::app` (see `app.rs`).
//!
//! Every query reads the catalog's own metrics, named by [`MetricNames`], so a panel cannot
//! ask for a series nothing emits; none reads recording rules, so the dashboards work without
//! them. Ratios divide two aggregations and drop series without traffic rather than showing
//! `NaN` or an invented 0 (no `or vector(0)`); quantiles interpolate over `sum by (..., le)`.
//! An error ratio counts `error` and `panic` executions: `cancelled` ones were dropped by their
//! caller (a timeout or a failing parallel sibling records the error). The SLO dashboard follows
//! [`Objective`](super::Objective): everything but `success` spends the error budget.
//!
//! The latency panels of execution and workflow durations (the p50 / p95 / p99 time series of
//! `workflow-overview` and `primitive-explorer`, and the latter's heatmap) ask for exemplars
//! (`"exemplar": true` on their targets): their queries read the duration histograms' `_bucket`
//! series, whose OpenMetrics exposition carries a sampled call's `trace_id` and `span_id` per
//! bucket, so Grafana draws them as points that open the trace (see `observability/README.md`
//! for the Prometheus flag and the data source's trace link). Stat and table panels, instant
//! queries, show none.
//!
//! Each dashboard's `uid` is `<namespace>-<slug>` (hashed when longer than Grafana's 40
//! characters), so re-importing replaces the previous version; panels query the `${datasource}`
//! variable. The output is deterministic.

mod app;
mod cache;
mod datasource;
mod llm;
mod model;
mod overview;
mod panel;
mod primitives;
mod query;
mod slo;

use super::{GenerateConfig, GeneratedFile, MetricNames};
use model::Builder;

/// The slugs of the dashboards generated for every service, in order: each is written as
/// `dashboards/<slug>.json` and ends its `uid` (`app-metrics` follows them when the service's
/// own metrics are known).
pub const DASHBOARDS: &[&str] =
    &["workflow-overview", "primitive-explorer", "cache", "llm-cost", "slo"];

/// The dashboard files for `config`.
pub(crate) fn dashboard_files(config: &GenerateConfig) -> Vec<GeneratedFile> {
    let names = MetricNames::new(&config.namespace);
    let dashboards = [
        overview::dashboard(&names),
        primitives::dashboard(&names),
        cache::dashboard(&names),
        llm::dashboard(&names),
        slo::dashboard(&names, &config.objectives),
    ];
    let app = (!config.app_metrics.is_empty())
        .then(|| (app::SLUG, app::dashboard(&names, &config.app_metrics)));
    DASHBOARDS
        .iter()
        .copied()
        .zip(dashboards)
        .chain(app)
        .map(|(slug, builder)| GeneratedFile {
            path: format!("dashboards/{slug}.json").into(),
            contents: builder.to_json(),
        })
        .collect()
}

/// A new dashboard of `names.namespace`: its uid from the namespace and `slug`, its title
/// prefixed with the namespace, tags `flowmeter` and the namespace.
fn builder(names: &MetricNames, slug: &str, title: &str, description: &str) -> Builder {
    let namespace = &names.namespace;
    let mut tags = vec!["flowmeter".to_owned()];
    if namespace != "flowmeter" {
        tags.push(namespace.clone());
    }
    Builder::new(uid(namespace, slug), format!("{namespace} / {title}"), description, tags)
}

/// The dashboard uid: `<namespace>-<slug>` with characters Grafana does not allow replaced by
/// `-`; when longer than 40 characters, its start and a hash of the whole.
pub fn uid(namespace: &str, slug: &str) -> String {
    let uid: String = format!("{namespace}-{slug}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .collect();
    if uid.len() <= 40 {
        return uid;
    }
    // FNV-1a: stable across Rust releases, unlike `DefaultHasher`.
    let hash = uid.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{}-{hash:016x}", &uid[..23])
}

/// Every PromQL expression of a dashboard's panels (`panels[].targets[].expr`, rows' nested
/// panels included), in panel order, as written: with Grafana's variables (`$__rate_interval`,
/// `$__range`, `$primitive`, ...) still in them. Template variable queries are not included
/// (see [`variable_queries`]).
///
/// # Errors
/// The text is not JSON.
pub fn panel_expressions(json: &str) -> Result<Vec<String>, serde_json::Error> {
    fn walk(panels: &serde_json::Value, out: &mut Vec<String>) {
        for panel in panels.as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str().filter(|e| !e.trim().is_empty()) {
                    out.push(expr.to_owned());
                }
            }
            walk(&panel["panels"], out);
        }
    }
    let dashboard: serde_json::Value = serde_json::from_str(json)?;
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    Ok(out)
}

/// The queries of a dashboard's query variables (`templating.list[].query` of type `query`),
/// such as `label_values(flowmeter_primitive_executions_total, primitive_name)`.
///
/// # Errors
/// The text is not JSON.
pub fn variable_queries(json: &str) -> Result<Vec<String>, serde_json::Error> {
    let dashboard: serde_json::Value = serde_json::from_str(json)?;
    let list = dashboard["templating"]["list"].as_array().cloned().unwrap_or_default();
    Ok(list
        .iter()
        .filter(|variable| variable["type"] == "query")
        .filter_map(|variable| match &variable["query"] {
            serde_json::Value::String(query) => Some(query.clone()),
            query => query["query"].as_str().map(str::to_owned),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_short_stable_and_grafana_safe() {
        assert_eq!(uid("flowmeter", "workflow-overview"), "flowmeter-workflow-overview");
        let long = uid("a_very_long_namespace_for_a_service", "primitive-explorer");
        assert_eq!(long.len(), 40);
        assert_eq!(long, uid("a_very_long_namespace_for_a_service", "primitive-explorer"));
        assert_ne!(long, uid("a_very_long_namespace_for_a_service", "workflow-overview"));
        assert_eq!(uid("a:b", "slo"), "a-b-slo");
    }
}
