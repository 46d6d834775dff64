//! Drives `session_tracker --mcp` as an MCP client would: spawns the example binary, connects
//! rmcp's client over the child's stdin and stdout, initializes, lists the tools and calls
//! each one, checking the answers against the example's deterministic workload (and, with no
//! workload, that every reference metric is listed before any event); then closes stdin and
//! sees the child exit 0. Every line the child writes to stdout is checked to be a
//! JSON-RPC message on its way to the client, and no HTTP listener is started.
#![cfg(feature = "mcp")]

mod common;

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// A guard against a hang, not a timing assertion: the child normally exits at once.
const EXIT_GRACE: Duration = Duration::from_secs(60);

/// The example in MCP mode, with a client connected to it.
struct Session {
    child: Child,
    client: RunningService<RoleClient, ()>,
    /// Counts the JSON-RPC lines relayed from the child's stdout.
    relay: JoinHandle<usize>,
}

async fn connect(args: &[&str], envs: &[(&str, &str)]) -> Session {
    let mut command = Command::from(common::example("session_tracker"));
    command.arg("--mcp").args(args).envs(envs.iter().copied());
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.kill_on_drop(true).spawn().unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();

    // The client reads the child's stdout through this relay, which fails the test on any
    // line that is not a JSON-RPC 2.0 message (a stray print would corrupt the protocol).
    let (client_side, mut relay_side) = tokio::io::duplex(1 << 20);
    let relay = tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        let mut relayed = 0;
        while let Some(line) = lines.next_line().await.expect("read the child's stdout") {
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
            assert_eq!(message["jsonrpc"], "2.0", "not JSON-RPC: {line}");
            relayed += 1;
            let forwarded = async {
                relay_side.write_all(line.as_bytes()).await?;
                relay_side.write_all(b"\n").await
            };
            if forwarded.await.is_err() {
                break; // the client is gone
            }
        }
        relayed
    });
    let client = ().serve((client_side, stdin)).await.expect("initialize");
    Session { child, client, relay }
}

impl Session {
    async fn call(&self, tool: &str) -> CallToolResult {
        self.client.call_tool(CallToolRequestParams::new(tool.to_owned())).await.unwrap()
    }

    /// Closes the connection (the child's stdin) and waits for the child to exit.
    async fn close(mut self) -> (ExitStatus, String, usize) {
        self.client.cancel().await.unwrap();
        let status = tokio::time::timeout(EXIT_GRACE, self.child.wait())
            .await
            .expect("the server exits once stdin closes")
            .unwrap();
        let mut stderr = String::new();
        let mut pipe = self.child.stderr.take().unwrap();
        tokio::io::AsyncReadExt::read_to_string(&mut pipe, &mut stderr).await.unwrap();
        (status, stderr, self.relay.await.unwrap())
    }
}

/// One metric of the reference's `list_session_metrics` answer.
fn entry(ty: &str, description: &str, labels: &[&str]) -> Value {
    json!({"type": ty, "description": description, "labels": labels})
}

fn text(result: &CallToolResult) -> &str {
    assert_eq!(result.is_error, Some(false), "{result:?}");
    result.content.first().and_then(|c| c.as_text()).map(|t| t.text.as_str()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_three_tools_answer_with_the_workloads_values() {
    let port = common::free_port();
    let listen = format!("127.0.0.1:{port}");
    // The fixed workload only: its values stay as the assertions below expect.
    let session = connect(&["--workload", "fixed"], &[("FLOWMETER_LISTEN", &listen)]).await;

    let info = session.client.peer_info().expect("initialized");
    let server = info.server_info.as_ref().unwrap();
    assert_eq!((server.name.as_str(), server.version.as_str()), ("session-buddy", "0.1.0"));
    assert!(info.capabilities.tools.is_some());

    let tools = session.client.list_all_tools().await.unwrap();
    let mut listed: Vec<(&str, &str)> = tools
        .iter()
        .map(|t| (t.name.as_ref(), t.description.as_deref().unwrap_or_default()))
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("get_metrics_summary", "Get summary statistics of session metrics"),
            (
                "get_prometheus_metrics",
                "Export all Session-Buddy metrics in Prometheus text format"
            ),
            ("list_session_metrics", "List all available session metrics with descriptions"),
        ]
    );

    // get_prometheus_metrics: the exposition, with the workload's values.
    let exposition = session.call("get_prometheus_metrics").await;
    let scraped = common::parse(text(&exposition));
    let m = ("component_name", "mahavishnu");
    let s = ("component_name", "session-buddy");
    assert_eq!(scraped.types["session_start_total"], "counter");
    assert_eq!(scraped.value("session_start_total", &[m]), 4.0);
    assert_eq!(scraped.value("session_start_total", &[s]), 2.0);
    assert_eq!(scraped.value("session_end_total", &[m, ("status", "error")]), 1.0);
    assert_eq!(scraped.value("session_duration_seconds_sum", &[m]), 4545.5);
    assert_eq!(scraped.value("session_duration_seconds_bucket", &[s, ("le", "7200")]), 1.0);
    let failures = [m, ("event_type", "session_start"), ("error_type", "ValidationError")];
    assert_eq!(scraped.value("mcp_event_emit_failure_total", &failures), 1.0);
    assert_eq!(scraped.value("active_sessions", &[s]), 1.0);
    assert_eq!(scraped.value("session_quality_score", &[m]), 85.5);
    common::promtool_check_metrics(text(&exposition));

    // list_session_metrics: every session metric, grouped, with type, description and labels.
    let listed = session.call("list_session_metrics").await;
    let grouped = listed.structured_content.clone().expect("structured content");
    assert_eq!(serde_json::from_str::<Value>(text(&listed)).unwrap(), grouped);
    assert_eq!(grouped, all_session_metrics());

    // get_metrics_summary: the reference's shape, with the workload's numbers.
    let summary = session.call("get_metrics_summary").await;
    assert_eq!(
        summary.structured_content,
        Some(json!({
            "total_sessions_started": 6,
            "total_sessions_ended": 4,
            "active_sessions": {"mahavishnu": 1, "session-buddy": 1},
            "quality_scores": {"mahavishnu": 85.5, "session-buddy": 92.0},
            "mcp_events_success": 8,
            "mcp_events_failure": 2,
        }))
    );

    // MCP mode serves no HTTP: the configured address is still free.
    std::net::TcpListener::bind(&listen).expect("nothing listens in MCP mode");

    let (status, stderr, relayed) = session.close().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("Error"), "{stderr}");
    // initialize, tools/list and three tools/call answers, at least.
    assert!(relayed >= 5, "{relayed} messages");
}

/// The reference's `list_session_metrics` answer: all eight metrics, grouped, with type,
/// description and labels.
fn all_session_metrics() -> Value {
    let (component, event) = ("component_name", "event_type");
    json!({
    "session_lifecycle_metrics": {
        "session_start_total": entry(
            "Counter",
            "Total number of session start events tracked",
            &[component, "shell_type"],
        ),
        "session_end_total": entry(
            "Counter",
            "Total number of session end events tracked",
            &[component, "status"],
        ),
        "session_duration_seconds":
            entry("Histogram", "Session duration in seconds", &[component]),
    },
    "mcp_event_metrics": {
        "mcp_event_emit_success_total": entry(
            "Counter",
            "Total number of successful MCP event emissions",
            &[component, event],
        ),
        "mcp_event_emit_failure_total": entry(
            "Counter",
            "Total number of failed MCP event emissions",
            &[component, "error_type", event],
        ),
        "mcp_event_emit_duration_seconds": entry(
            "Histogram",
            "MCP event emission duration in seconds",
            &[component, event],
        ),
    },
    "system_health_metrics": {
        "active_sessions":
            entry("Gauge", "Number of currently active sessions", &[component]),
        "session_quality_score":
            entry("Gauge", "Session quality score (0-100)", &[component]),
    },
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn before_any_event_every_session_metric_is_listed() {
    let session = connect(&["--workload", "none"], &[]).await;
    // Nothing was recorded: no reference metric has a series yet ...
    let exposition = session.call("get_prometheus_metrics").await;
    let scraped = common::parse(text(&exposition));
    for family in ["session_start_total", "session_duration_seconds", "active_sessions"] {
        assert!(!scraped.types.contains_key(family), "{family} is exported already");
    }
    let recorded = scraped.samples.iter().find(|s| s.name.starts_with("session_"));
    assert!(recorded.is_none(), "{}", text(&exposition));
    let summary = session.call("get_metrics_summary").await;
    assert_eq!(summary.structured_content.as_ref().unwrap()["total_sessions_started"], 0);
    // ... yet all eight are listed, exactly as after the workload.
    let listed = session.call("list_session_metrics").await;
    assert_eq!(listed.structured_content, Some(all_session_metrics()));
    let (status, stderr, _) = session.close().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_metrics_disabled_the_tools_answer_with_a_tool_error() {
    let session = connect(&[], &[("FLOWMETER_ENABLED", "false")]).await;
    for tool in ["get_prometheus_metrics", "list_session_metrics", "get_metrics_summary"] {
        let result = session.call(tool).await;
        assert_eq!(result.is_error, Some(true), "{tool}: {result:?}");
        let message = result.content.first().and_then(|c| c.as_text()).unwrap();
        assert!(message.text.contains("metrics unavailable"), "{tool}: {}", message.text);
    }
    let (status, stderr, _) = session.close().await;
    assert!(status.success(), "{status}; stderr: {stderr}");
}
