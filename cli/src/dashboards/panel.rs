//! Grafana panels: time series, stat, table, heatmap, text and row, with their queries,
//! units and thresholds.

use serde::Serialize;
use serde_json::{Value, json};

use super::datasource::DataSource;

/// A panel's position on the 24-column grid.
#[derive(Debug, Clone, Copy, Serialize)]
pub(super) struct GridPos {
    pub(super) h: u32,
    pub(super) w: u32,
    pub(super) x: u32,
    pub(super) y: u32,
}

/// The display unit of a panel's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    /// Seconds (`s`).
    Seconds,
    /// A ratio shown as a percentage (`percentunit`, 0.5 is 50%).
    Ratio,
    /// US dollars (`currencyUSD`).
    Dollars,
    /// Executions, runs or lookups per second (`reqps`).
    PerSecond,
    /// Other events per second (`ops`).
    OpsPerSecond,
    /// A plain number (`short`).
    Count,
}

impl Unit {
    fn grafana(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Ratio => "percentunit",
            Unit::Dollars => "currencyUSD",
            Unit::PerSecond => "reqps",
            Unit::OpsPerSecond => "ops",
            Unit::Count => "short",
        }
    }
}

/// One query of a panel.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    ref_id: String,
    datasource: DataSource,
    editor_mode: &'static str,
    expr: String,
    legend_format: String,
    range: bool,
    instant: bool,
    format: &'static str,
    /// Whether Grafana also asks Prometheus for the exemplars of the series the expression
    /// selects (`/api/v1/query_exemplars`) and draws them on the panel; written only when set.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    exemplar: bool,
}

/// `fieldConfig`: unit, bounds, thresholds and the visualization's own settings.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FieldConfig {
    defaults: Value,
    overrides: Vec<Value>,
}

/// A panel: time series, stat, table, heatmap, text or row.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Panel {
    id: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    description: String,
    datasource: DataSource,
    grid_pos: GridPos,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    targets: Vec<Target>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field_config: Option<FieldConfig>,
    options: Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    transformations: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    collapsed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    panels: Option<Vec<Panel>>,
    /// The unit, kept to fill `fieldConfig.defaults` at the end.
    #[serde(skip)]
    unit: Option<Unit>,
    #[serde(skip)]
    defaults: serde_json::Map<String, Value>,
}

impl Panel {
    fn new(kind: &'static str, title: &str, description: &str, options: Value) -> Self {
        Panel {
            id: 0,
            kind,
            title: title.to_owned(),
            description: description.to_owned(),
            datasource: DataSource::variable(),
            grid_pos: GridPos { h: 0, w: 0, x: 0, y: 0 },
            targets: Vec::new(),
            field_config: None,
            options,
            transformations: Vec::new(),
            collapsed: None,
            panels: None,
            unit: None,
            defaults: serde_json::Map::new(),
        }
    }

    fn with_unit(mut self, unit: Unit, custom: Value) -> Self {
        self.unit = Some(unit);
        self.defaults.insert("custom".into(), custom);
        self
    }

    /// A time series panel (range queries).
    pub(super) fn timeseries(title: &str, description: &str, unit: Unit) -> Self {
        let options = json!({
            "legend": { "calcs": ["mean", "max", "lastNotNull"], "displayMode": "table",
                        "placement": "bottom", "showLegend": true },
            "tooltip": { "mode": "multi", "sort": "desc" },
        });
        let custom = json!({
            "drawStyle": "line", "fillOpacity": 10, "lineWidth": 1, "showPoints": "never",
            "spanNulls": false,
        });
        Self::new("timeseries", title, description, options).with_unit(unit, custom)
    }

    /// A stat panel (instant queries), one value per series.
    pub(super) fn stat(title: &str, description: &str, unit: Unit) -> Self {
        let options = json!({
            "colorMode": "value", "graphMode": "none", "justifyMode": "auto",
            "orientation": "auto", "textMode": "auto",
            "reduceOptions": { "calcs": ["lastNotNull"], "fields": "", "values": false },
        });
        Self::new("stat", title, description, options).with_unit(unit, json!({}))
    }

    /// A table panel (instant queries), one row per series, sorted by value.
    pub(super) fn table(title: &str, description: &str, unit: Unit) -> Self {
        let options = json!({
            "showHeader": true, "sortBy": [{ "desc": true, "displayName": "Value" }],
        });
        let mut panel = Self::new("table", title, description, options)
            .with_unit(unit, json!({"align": "auto"}));
        panel.transformations =
            vec![json!({ "id": "organize", "options": { "excludeByName": { "Time": true } } })];
        panel
    }

    /// A heatmap of a histogram's buckets (queries in `heatmap` format, legend `{{le}}`).
    pub(super) fn heatmap(title: &str, description: &str, unit: Unit) -> Self {
        let options = json!({
            "calculate": false, "cellGap": 1,
            "color": { "mode": "scheme", "scheme": "Oranges", "steps": 64 },
            "yAxis": { "axisPlacement": "left", "unit": unit.grafana() },
            "tooltip": { "mode": "single", "yHistogram": false },
            "legend": { "show": true },
        });
        Self::new("heatmap", title, description, options).with_unit(unit, json!({}))
    }

    /// A text panel showing `markdown`.
    pub(super) fn text(title: &str, description: &str, markdown: &str) -> Self {
        Self::new("text", title, description, json!({ "mode": "markdown", "content": markdown }))
    }

    /// A row header spanning the grid.
    pub(super) fn row(title: &str, description: &str) -> Self {
        let mut row = Self::new("row", title, description, json!({}));
        row.collapsed = Some(false);
        row.panels = Some(Vec::new());
        row
    }

    /// Adds a query; its `legend` uses Grafana's `{{label}}` templates.
    pub(super) fn query(mut self, expr: impl Into<String>, legend: &str) -> Self {
        let instant = matches!(self.kind, "stat" | "table");
        let format = match self.kind {
            "table" => "table",
            "heatmap" => "heatmap",
            _ => "time_series",
        };
        let ref_id = char::from(b'A' + self.targets.len() as u8).to_string();
        self.targets.push(Target {
            ref_id,
            datasource: DataSource::variable(),
            editor_mode: "code",
            expr: expr.into(),
            legend_format: legend.to_owned(),
            range: !instant,
            instant,
            format,
            exemplar: false,
        });
        self
    }

    /// Shows exemplars on a time series or heatmap panel whose queries read the `_bucket`
    /// series of a duration histogram: every target so far asks for the exemplars of the
    /// series its expression selects (a sampled call's `trace_id` and `span_id`, kept per
    /// bucket), which Grafana draws as points linking to the trace through the data source's
    /// exemplar settings. Prometheus has exemplars only for raw series, so the expressions
    /// must select the buckets themselves, not a recording rule.
    ///
    /// # Panics
    /// On another kind of panel (instant queries: Grafana draws no exemplars there), or one
    /// whose targets do not all read `_bucket` series.
    pub(super) fn exemplars(mut self) -> Self {
        assert!(
            matches!(self.kind, "timeseries" | "heatmap"),
            "{}: exemplars are drawn on time series and heatmaps only",
            self.title
        );
        assert!(!self.targets.is_empty(), "{}: exemplars of no query", self.title);
        for target in &mut self.targets {
            assert!(
                target.expr.contains("_bucket"),
                "{}: {} reads no buckets",
                self.title,
                target.expr
            );
            target.exemplar = true;
        }
        self
    }

    /// Fixes the value axis (or gauge) to `min..=max`.
    pub(super) fn bounds(mut self, min: f64, max: f64) -> Self {
        self.defaults.insert("min".into(), json!(min));
        self.defaults.insert("max".into(), json!(max));
        self
    }

    /// Shows `decimals` decimals.
    pub(super) fn decimals(mut self, decimals: u8) -> Self {
        self.defaults.insert("decimals".into(), json!(decimals));
        self
    }

    /// Colours values by thresholds: `base` below the first step, then each `(value, colour)`;
    /// time series panels draw them as dashed lines.
    pub(super) fn thresholds(mut self, base: &str, steps: &[(f64, &str)]) -> Self {
        let mut list = vec![json!({ "color": base, "value": null })];
        list.extend(steps.iter().map(|(value, color)| json!({ "color": color, "value": value })));
        self.defaults.insert("thresholds".into(), json!({ "mode": "absolute", "steps": list }));
        self.defaults.insert("color".into(), json!({ "mode": "thresholds" }));
        if self.kind == "timeseries" {
            if let Some(Value::Object(custom)) = self.defaults.get_mut("custom") {
                custom.insert("thresholdsStyle".into(), json!({ "mode": "dashed" }));
            }
            self.defaults.insert("color".into(), json!({ "mode": "palette-classic" }));
        }
        self
    }

    /// Stacks the series of a time series panel.
    pub(super) fn stacked(mut self) -> Self {
        if let Some(Value::Object(custom)) = self.defaults.get_mut("custom") {
            custom.insert("stacking".into(), json!({ "group": "A", "mode": "normal" }));
        }
        self
    }

    /// Fixes `id` and position, and fills `fieldConfig` from the unit and settings.
    pub(super) fn finish(mut self, id: u32, grid_pos: GridPos) -> Self {
        self.id = id;
        self.grid_pos = grid_pos;
        if let Some(unit) = self.unit {
            let mut defaults = std::mem::take(&mut self.defaults);
            defaults.insert("unit".into(), json!(unit.grafana()));
            defaults.entry("color").or_insert_with(|| json!({ "mode": "palette-classic" }));
            self.field_config =
                Some(FieldConfig { defaults: Value::Object(defaults), overrides: Vec::new() });
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(panel: Panel) -> Vec<Value> {
        let json = serde_json::to_value(panel.finish(1, GridPos { h: 8, w: 12, x: 0, y: 0 }));
        json.unwrap()["targets"].as_array().unwrap().clone()
    }

    #[test]
    fn exemplars_are_written_only_on_the_targets_that_ask_for_them() {
        let bucket = "sum by (le) (increase(m_seconds_bucket[$__rate_interval]))";
        let plain = Panel::timeseries("t", "d", Unit::Seconds).query(bucket, "{{le}}");
        assert!(targets(plain)[0].get("exemplar").is_none(), "absent, not false");

        let with = Panel::timeseries("t", "d", Unit::Seconds)
            .query(format!("histogram_quantile(0.5, {bucket})"), "p50")
            .query(format!("histogram_quantile(0.99, {bucket})"), "p99")
            .exemplars();
        for target in targets(with) {
            assert_eq!(target["exemplar"], true, "{target}");
            assert_eq!((&target["range"], &target["instant"]), (&true.into(), &false.into()));
        }
        let heatmap = Panel::heatmap("h", "d", Unit::Seconds).query(bucket, "{{le}}").exemplars();
        assert_eq!(targets(heatmap)[0]["exemplar"], true);
    }

    #[test]
    #[should_panic(expected = "time series and heatmaps only")]
    fn an_instant_panel_refuses_exemplars() {
        let _ = Panel::stat("s", "d", Unit::Seconds).query("m_seconds_bucket", "x").exemplars();
    }

    #[test]
    #[should_panic(expected = "reads no buckets")]
    fn a_query_without_buckets_refuses_exemplars() {
        let _ = Panel::timeseries("t", "d", Unit::Seconds).query("m:p95_5m", "p95").exemplars();
    }
}
