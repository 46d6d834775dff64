//! A small typed model of the Grafana dashboard JSON (schema version 39, Grafana 10.2 and
//! later), and a builder that numbers panels and lays them out on the 24-column grid.
//!
//! Only what the generated dashboards use is modelled. Every panel and target queries the
//! `${datasource}` variable (type `prometheus`), so importing a dashboard asks for nothing
//! and any Prometheus data source can be picked afterwards.

use serde::Serialize;
use serde_json::{Value, json};

use super::datasource::{DATASOURCE_VARIABLE, DataSource};
use super::panel::{GridPos, Panel};

/// The dashboard JSON schema version written.
pub(super) const SCHEMA_VERSION: u32 = 39;

/// A whole dashboard, as imported into Grafana.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Dashboard {
    id: Option<u32>,
    uid: String,
    title: String,
    description: String,
    tags: Vec<String>,
    editable: bool,
    graph_tooltip: u8,
    timezone: &'static str,
    refresh: &'static str,
    schema_version: u32,
    version: u32,
    time: Value,
    annotations: Value,
    links: Vec<Value>,
    templating: Templating,
    panels: Vec<Panel>,
}

/// `templating.list`.
#[derive(Debug, Serialize)]
struct Templating {
    list: Vec<Variable>,
}

/// A template variable.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Variable {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    label: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    datasource: Option<DataSource>,
    query: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<String>,
    current: Value,
    hide: u8,
    include_all: bool,
    multi: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    all_value: Option<String>,
    options: Vec<Value>,
    refresh: u8,
    regex: String,
    sort: u8,
    skip_url_sync: bool,
}

impl Variable {
    /// The `datasource` variable: any Prometheus data source.
    fn datasource() -> Self {
        Variable {
            kind: "datasource",
            name: DATASOURCE_VARIABLE.to_owned(),
            label: "Data source".to_owned(),
            description: "The Prometheus that scrapes the instrumented services.".to_owned(),
            datasource: None,
            query: "prometheus".to_owned(),
            definition: None,
            current: json!({}),
            hide: 0,
            include_all: false,
            multi: false,
            all_value: None,
            options: Vec::new(),
            refresh: 1,
            regex: String::new(),
            sort: 0,
            skip_url_sync: false,
        }
    }

    /// A multi-value variable over the values of `label` on the series of `selector`
    /// (`label_values(selector, label)`), refreshed with the time range, "All" meaning `.*`
    /// (so series that appear later are included). Use it as `label=~"$name"`.
    pub(super) fn label_values(
        name: &str,
        display: &str,
        description: &str,
        selector: &str,
        label: &str,
    ) -> Self {
        let query = format!("label_values({selector}, {label})");
        Variable {
            kind: "query",
            name: name.to_owned(),
            label: display.to_owned(),
            description: description.to_owned(),
            datasource: Some(DataSource::variable()),
            query: query.clone(),
            definition: Some(query),
            current: json!({ "selected": true, "text": ["All"], "value": ["$__all"] }),
            hide: 0,
            include_all: true,
            multi: true,
            all_value: Some(".*".to_owned()),
            options: Vec::new(),
            refresh: 2,
            regex: String::new(),
            sort: 1,
            skip_url_sync: false,
        }
    }
}

/// Builds a dashboard: numbers panels from 1 and places them left to right, wrapping at 24
/// columns; a row starts a new line.
#[derive(Debug)]
pub(super) struct Builder {
    dashboard: Dashboard,
    next_id: u32,
    x: u32,
    y: u32,
    line_height: u32,
}

impl Builder {
    /// An empty dashboard with the `datasource` variable.
    pub(super) fn new(uid: String, title: String, description: &str, tags: Vec<String>) -> Self {
        let annotations = json!({ "list": [{
            "builtIn": 1, "datasource": { "type": "grafana", "uid": "-- Grafana --" },
            "enable": true, "hide": true, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard",
        }]});
        let dashboard = Dashboard {
            id: None,
            uid,
            title,
            description: description.to_owned(),
            tags,
            editable: true,
            graph_tooltip: 1,
            timezone: "browser",
            refresh: "30s",
            schema_version: SCHEMA_VERSION,
            version: 1,
            time: json!({ "from": "now-6h", "to": "now" }),
            annotations,
            links: Vec::new(),
            templating: Templating { list: vec![Variable::datasource()] },
            panels: Vec::new(),
        };
        Builder { dashboard, next_id: 1, x: 0, y: 0, line_height: 0 }
    }

    /// Adds a template variable after the data source.
    pub(super) fn variable(&mut self, variable: Variable) -> &mut Self {
        self.dashboard.templating.list.push(variable);
        self
    }

    /// Starts a new line with a row header.
    pub(super) fn row(&mut self, title: &str, description: &str) -> &mut Self {
        self.new_line();
        self.place(Panel::row(title, description), 24, 1)
    }

    /// Places `panel`, `width` columns wide (of 24) and `height` units high.
    pub(super) fn panel(&mut self, panel: Panel, width: u32, height: u32) -> &mut Self {
        if self.x + width > 24 {
            self.new_line();
        }
        self.place(panel, width, height)
    }

    fn new_line(&mut self) {
        if self.x > 0 {
            self.y += self.line_height;
            self.x = 0;
            self.line_height = 0;
        }
    }

    fn place(&mut self, panel: Panel, width: u32, height: u32) -> &mut Self {
        let position = GridPos { h: height, w: width, x: self.x, y: self.y };
        self.dashboard.panels.push(panel.finish(self.next_id, position));
        self.next_id += 1;
        self.x += width;
        self.line_height = self.line_height.max(height);
        if self.x >= 24 {
            self.new_line();
        }
        self
    }

    /// The dashboard as pretty-printed JSON with a final newline.
    pub(super) fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(&self.dashboard).expect("dashboards serialize");
        json.push('\n');
        json
    }
}
