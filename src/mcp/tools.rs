//! [`MetricsTools`]: the three tools, their names, descriptions and output shapes, routed
//! by rmcp's [`ToolRouter`].

use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use rmcp::ErrorData;
use rmcp::handler::server::tool::{ToolCallContext, ToolRoute, ToolRouter};
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, Implementation, JsonObject, Tool,
    ToolAnnotations,
};
use serde_json::{Value, json};

use super::error::McpError;
use crate::exporter::{self, MetricMetadata, Summary};
use crate::pipeline::{self, Pipeline};

/// One of the three tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricsTool {
    /// The Prometheus text exposition ([`exporter::render`]). Default name
    /// `get_prometheus_metrics`.
    Exposition,
    /// Every declared or exported family's name, type, HELP text and labels
    /// ([`exporter::metadata`]): a declared metric is listed before its first series.
    /// Default name `list_metrics`.
    Metadata,
    /// The current values ([`exporter::summary`]). Default name `get_metrics_summary`.
    Summary,
}

impl MetricsTool {
    /// Every tool, in the order they are documented.
    pub const ALL: [MetricsTool; 3] =
        [MetricsTool::Exposition, MetricsTool::Metadata, MetricsTool::Summary];

    /// The name the tool has unless [`MetricsToolsBuilder::name`] changes it.
    pub fn default_name(self) -> &'static str {
        match self {
            MetricsTool::Exposition => "get_prometheus_metrics",
            MetricsTool::Metadata => "list_metrics",
            MetricsTool::Summary => "get_metrics_summary",
        }
    }

    /// The description the tool has unless [`MetricsToolsBuilder::description`] changes it.
    pub fn default_description(self) -> &'static str {
        match self {
            MetricsTool::Exposition => {
                "All metrics of this process in the Prometheus text exposition format 0.0.4 \
                 (what the /metrics endpoint serves)."
            }
            MetricsTool::Metadata => {
                "Every declared or exported metric family as JSON {\"metrics\": [...]}: its \
                 name, kind (Prometheus type), help (description) and label names, recorded \
                 yet or not."
            }
            MetricsTool::Summary => {
                "Current metric values as JSON {\"metrics\": {name: ...}}: counter totals, \
                 gauge values, histogram counts and sums, per label set."
            }
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

type MetadataOutput = Arc<dyn Fn(&[MetricMetadata]) -> Value + Send + Sync>;
type SummaryOutput = Arc<dyn Fn(&Summary) -> Value + Send + Sync>;

/// Configures [`MetricsTools`]. Created by [`MetricsTools::builder`].
#[must_use = "a builder does nothing until `build` is called"]
pub struct MetricsToolsBuilder {
    names: [String; 3],
    descriptions: [String; 3],
    metadata_output: Option<MetadataOutput>,
    summary_output: Option<SummaryOutput>,
    server_info: Implementation,
    instructions: Option<String>,
}

impl fmt::Debug for MetricsToolsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsToolsBuilder")
            .field("names", &self.names)
            .field("server_info", &self.server_info.name)
            .finish_non_exhaustive()
    }
}

impl Default for MetricsToolsBuilder {
    fn default() -> Self {
        MetricsToolsBuilder {
            names: MetricsTool::ALL.map(|t| t.default_name().to_owned()),
            descriptions: MetricsTool::ALL.map(|t| t.default_description().to_owned()),
            metadata_output: None,
            summary_output: None,
            server_info: Implementation::new("flowmeter", env!("CARGO_PKG_VERSION")),
            instructions: None,
        }
    }
}

impl MetricsToolsBuilder {
    /// Renames a tool (for example `list_session_metrics` for [`MetricsTool::Metadata`]).
    /// Default: [`MetricsTool::default_name`]. Checked by `build`: 1 to 128 characters among
    /// ASCII letters, digits, `_`, `-` and `.`, and unique.
    pub fn name(mut self, tool: MetricsTool, name: impl Into<String>) -> Self {
        self.names[tool.index()] = name.into();
        self
    }

    /// Replaces a tool's description. Default: [`MetricsTool::default_description`].
    pub fn description(mut self, tool: MetricsTool, description: impl Into<String>) -> Self {
        self.descriptions[tool.index()] = description.into();
        self
    }

    /// Shapes the [`Metadata`](MetricsTool::Metadata) tool's answer from the metadata list
    /// (for example grouped by subsystem). Default: `{"metrics": [MetricMetadata, ...]}`, the
    /// list `/metadata` serves. A JSON object is returned as structured content and as text;
    /// any other value as text only (MCP structured content must be an object).
    pub fn metadata_output<F>(mut self, output: F) -> Self
    where
        F: Fn(&[MetricMetadata]) -> Value + Send + Sync + 'static,
    {
        self.metadata_output = Some(Arc::new(output));
        self
    }

    /// Shapes the [`Summary`](MetricsTool::Summary) tool's answer from the [`Summary`] (for
    /// example an application's own totals). Default: the [`Summary`] as `/summary` serves
    /// it. Objects and other values are returned as for
    /// [`metadata_output`](Self::metadata_output).
    pub fn summary_output<F>(mut self, output: F) -> Self
    where
        F: Fn(&Summary) -> Value + Send + Sync + 'static,
    {
        self.summary_output = Some(Arc::new(output));
        self
    }

    /// The server's name and version in the `initialize` answer. Default: `flowmeter` and
    /// flowmeter's version.
    pub fn server_info(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.server_info = Implementation::new(name, version);
        self
    }

    /// The instructions in the `initialize` answer. Default: one sentence naming the three
    /// tools.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Checks the tool names and builds the tools.
    ///
    /// # Errors
    /// [`McpError::InvalidToolName`] for a name outside the MCP tool-name format,
    /// [`McpError::DuplicateToolName`] when two tools share a name.
    pub fn build(self) -> Result<MetricsTools, McpError> {
        for (i, name) in self.names.iter().enumerate() {
            validate_tool_name(name)?;
            if self.names[..i].contains(name) {
                return Err(McpError::DuplicateToolName(name.clone()));
            }
        }
        let [exposition, metadata, summary] = &self.names;
        let instructions = self.instructions.unwrap_or_else(|| {
            format!(
                "Read-only access to this process's metrics: `{exposition}` returns the \
                 Prometheus text, `{metadata}` lists every metric, `{summary}` gives current \
                 values."
            )
        });
        let mut router = ToolRouter::new();
        for tool in MetricsTool::ALL {
            let i = tool.index();
            router.add_route(route(tool, &self.names[i], &self.descriptions[i]));
        }
        Ok(MetricsTools {
            router,
            names: self.names,
            metadata_output: self.metadata_output,
            summary_output: self.summary_output,
            server_info: self.server_info,
            instructions,
        })
    }
}

/// The MCP tool-name format (the SEP that fixes it, as rmcp checks it): 1 to 128 characters
/// among ASCII letters, digits, `_`, `-` and `.`. rmcp only warns; a name clients may reject
/// is better refused when the server is built.
fn validate_tool_name(name: &str) -> Result<(), McpError> {
    let invalid = |reason| McpError::InvalidToolName { name: name.to_owned(), reason };
    if name.is_empty() {
        return Err(invalid("it is empty"));
    }
    if name.len() > 128 {
        return Err(invalid("it is longer than 128 characters"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(invalid("use only ASCII letters, digits, `_`, `-` and `.`"));
    }
    Ok(())
}

/// The route of one tool: no arguments, read-only, answered from the installed pipeline.
fn route(tool: MetricsTool, name: &str, description: &str) -> ToolRoute<MetricsTools> {
    let no_arguments: JsonObject = json!({"type": "object", "properties": {}})
        .as_object()
        .cloned()
        .expect("an object literal");
    let annotations = ToolAnnotations::new()
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false);
    let attr = Tool::new(name.to_owned(), description.to_owned(), Arc::new(no_arguments))
        .with_annotations(annotations);
    // Answers are computed synchronously (a render takes well under a millisecond).
    ToolRoute::new_dyn(attr, move |context: ToolCallContext<'_, MetricsTools>| -> ToolFuture<'_> {
        Box::pin(std::future::ready(Ok(context.service.call(tool).into())))
    })
}

/// What a tool route returns.
type ToolFuture<'a> = BoxFuture<'a, Result<CallToolResponse, ErrorData>>;

/// The metrics of the installed pipeline as three MCP tools; an rmcp
/// [`ServerHandler`](rmcp::ServerHandler). See the [module docs](super).
///
/// Each call reads the pipeline installed at that moment (like
/// [`Endpoints`](crate::exporter::Endpoints)), so the tools can be built before
/// [`Telemetry`](crate::Telemetry) is installed. While no enabled pipeline is installed every
/// tool answers with a tool error (`isError: true`) saying so, rather than failing the
/// session.
#[derive(Clone)]
pub struct MetricsTools {
    pub(super) router: ToolRouter<MetricsTools>,
    names: [String; 3],
    metadata_output: Option<MetadataOutput>,
    summary_output: Option<SummaryOutput>,
    pub(super) server_info: Implementation,
    pub(super) instructions: String,
}

impl fmt::Debug for MetricsTools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsTools")
            .field("names", &self.names)
            .field("server_info", &self.server_info.name)
            .finish_non_exhaustive()
    }
}

impl Default for MetricsTools {
    /// The three tools with their default names, descriptions and outputs.
    fn default() -> Self {
        MetricsTools::builder().build().expect("the default names are valid")
    }
}

impl MetricsTools {
    /// A builder with every default (see [`MetricsToolsBuilder`]).
    pub fn builder() -> MetricsToolsBuilder {
        MetricsToolsBuilder::default()
    }

    /// The name `tool` is served under.
    pub fn name(&self, tool: MetricsTool) -> &str {
        &self.names[tool.index()]
    }

    /// The definitions `tools/list` answers, sorted by name.
    pub fn list(&self) -> Vec<Tool> {
        self.router.list_all()
    }

    /// What calling `tool` answers right now: what a client receives, without a session.
    pub fn call(&self, tool: MetricsTool) -> CallToolResult {
        let Some(pipeline) = pipeline::get().filter(|p| p.is_enabled()) else {
            return CallToolResult::error(vec![ContentBlock::text(
                "metrics unavailable: flowmeter telemetry is not installed, is disabled, or \
                 was shut down",
            )]);
        };
        match tool {
            MetricsTool::Exposition => {
                CallToolResult::success(vec![ContentBlock::text(exporter::render(pipeline))])
            }
            MetricsTool::Metadata => json_result(self.metadata_json(pipeline)),
            MetricsTool::Summary => json_result(self.summary_json(pipeline)),
        }
    }

    fn metadata_json(&self, pipeline: &Pipeline) -> Result<Value, serde_json::Error> {
        let metadata = exporter::metadata(pipeline);
        match &self.metadata_output {
            Some(output) => Ok(output(&metadata)),
            None => Ok(json!({ "metrics": serde_json::to_value(&metadata)? })),
        }
    }

    fn summary_json(&self, pipeline: &Pipeline) -> Result<Value, serde_json::Error> {
        let summary = exporter::summary(pipeline);
        match &self.summary_output {
            Some(output) => Ok(output(&summary)),
            None => serde_json::to_value(&summary),
        }
    }
}

/// An object as structured content (with its text), anything else as text only.
fn json_result(value: Result<Value, serde_json::Error>) -> CallToolResult {
    match value {
        Ok(value @ Value::Object(_)) => CallToolResult::structured(value),
        Ok(value) => CallToolResult::success(vec![ContentBlock::text(value.to_string())]),
        Err(error) => CallToolResult::error(vec![ContentBlock::text(format!(
            "the answer could not be encoded as JSON: {error}"
        ))]),
    }
}
