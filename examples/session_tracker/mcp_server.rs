//! `--mcp`: the reference's three MCP tools, served over stdio with `flowmeter::mcp`.
//!
//! | reference tool | here | answer |
//! |---|---|---|
//! | `get_prometheus_metrics` | same name | the text exposition |
//! | `list_session_metrics` | flowmeter's `list_metrics`, renamed | grouped as the reference groups it |
//! | `get_metrics_summary` | same name | the reference's summary shape |

use flowmeter::mcp::{McpError, MetricsTool, MetricsTools, serve_stdio};

use crate::reference;

/// The tools, named and shaped as the reference's.
pub fn tools() -> Result<MetricsTools, McpError> {
    MetricsTools::builder()
        .server_info("session-buddy", env!("CARGO_PKG_VERSION"))
        .name(MetricsTool::Metadata, "list_session_metrics")
        .description(
            MetricsTool::Exposition,
            "Export all Session-Buddy metrics in Prometheus text format",
        )
        .description(MetricsTool::Metadata, "List all available session metrics with descriptions")
        .description(MetricsTool::Summary, "Get summary statistics of session metrics")
        .metadata_output(reference::session_metric_list)
        .summary_output(reference::session_summary)
        .build()
}

/// Serves the tools until the client closes stdin.
pub async fn serve() -> Result<(), McpError> {
    serve_stdio(tools()?).await
}
