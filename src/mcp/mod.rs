//! The metrics as tools of an MCP server (`mcp` feature), built with rmcp, the official Rust
//! MCP SDK: an assistant connected to the program can read its metrics the way Prometheus
//! scrapes them.
//!
//! | tool (default name) | answers | same as |
//! |---|---|---|
//! | `get_prometheus_metrics` | the text exposition (format 0.0.4) | [`exporter::render`](crate::exporter::render), `/metrics` |
//! | `list_metrics` | `{"metrics": [{"name", "kind", "help", "labels"}, ...]}` | [`exporter::metadata`](crate::exporter::metadata), `/metadata` |
//! | `get_metrics_summary` | `{"metrics": {name: {"kind", "total" / "count", "sum", "series"}}}` | [`exporter::summary`](crate::exporter::summary), `/summary` |
//!
//! The tools take no arguments and are annotated read-only and idempotent. JSON answers come
//! as structured content and as text. An application names the tools its own way and shapes
//! the JSON answers with [`MetricsToolsBuilder`]: rename a tool with
//! [`name`](MetricsToolsBuilder::name), replace an answer with
//! [`summary_output`](MetricsToolsBuilder::summary_output) (`Fn(&Summary) -> Value`) or
//! [`metadata_output`](MetricsToolsBuilder::metadata_output) (`Fn(&[MetricMetadata]) ->
//! Value`).
//!
//! [`serve_stdio`] runs the server over stdin and stdout until the client disconnects, which
//! is how an MCP client starts a local server. In that mode stdout belongs to JSON-RPC:
//! install telemetry without its HTTP endpoint (`serve(false)`) if nothing should listen, and
//! log to stderr.
//!
//! ```no_run
//! use flowmeter::Telemetry;
//! use flowmeter::mcp::{MetricsTool, MetricsTools, serve_stdio};
//! use serde_json::json;
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let _telemetry = Telemetry::builder().serve(false).service_name("sessions").install()?;
//!     // ... the application records its metrics ...
//!     let tools = MetricsTools::builder()
//!         .server_info("sessions", "1.0.0")
//!         .name(MetricsTool::Metadata, "list_session_metrics")
//!         .summary_output(|summary| {
//!             json!({ "sessions_started": summary.counter_total("session_start_total") })
//!         })
//!         .build()?;
//!     serve_stdio(tools).await?; // returns when the client closes stdin
//!     Ok(())
//! }
//! ```

mod error;
mod server;
mod tools;

pub use error::McpError;
pub use server::serve_stdio;
pub use tools::{MetricsTool, MetricsTools, MetricsToolsBuilder};

// Re-exported for the signatures of `metadata_output` and `summary_output`.

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tools_are_listed_sorted_with_descriptions_and_no_arguments() {
        let tools = MetricsTools::default().list();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["get_metrics_summary", "get_prometheus_metrics", "list_metrics"]);
        for tool in &tools {
            assert!(tool.description.as_deref().is_some_and(|d| !d.is_empty()));
            assert_eq!(tool.input_schema.get("type").and_then(|t| t.as_str()), Some("object"));
            let annotations = tool.annotations.as_ref().unwrap();
            assert_eq!(annotations.read_only_hint, Some(true));
        }
    }

    #[test]
    fn tools_can_be_renamed_and_described() {
        let tools = MetricsTools::builder()
            .name(MetricsTool::Metadata, "list_session_metrics")
            .description(MetricsTool::Metadata, "Session metrics, grouped")
            .build()
            .unwrap();
        assert_eq!(tools.name(MetricsTool::Metadata), "list_session_metrics");
        assert_eq!(tools.name(MetricsTool::Summary), "get_metrics_summary");
        let renamed = tools.list().into_iter().find(|t| t.name == "list_session_metrics");
        assert_eq!(renamed.unwrap().description.as_deref(), Some("Session metrics, grouped"));
        assert!(tools.instructions.contains("`list_session_metrics`"));
    }

    #[test]
    fn the_tools_and_the_error_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<MetricsTools>();
        send_sync::<McpError>();
    }

    #[test]
    fn invalid_and_duplicate_names_are_typed_errors() {
        for bad in ["", "has space", "semi;colon", &"x".repeat(129)] {
            let error = MetricsTools::builder().name(MetricsTool::Summary, bad).build();
            assert!(matches!(error, Err(McpError::InvalidToolName { .. })), "{bad:?}");
        }
        let error =
            MetricsTools::builder().name(MetricsTool::Summary, "list_metrics").build().unwrap_err();
        assert!(matches!(&error, McpError::DuplicateToolName(name) if name == "list_metrics"));
        assert!(error.to_string().contains("list_metrics"), "{error}");
        let ok = MetricsTools::builder().name(MetricsTool::Summary, "metrics.summary-v2").build();
        assert!(ok.is_ok());
    }
}
