//! The platform's web app (the reference's Flask app with `register_flask_metrics`): its own
//! routes `/` and `/status`, with flowmeter's endpoints merged in on a path of its choosing.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use flowmeter::exporter::{self, Endpoints};
use flowmeter::telemetry::Pipeline;
use serde_json::json;

/// The app's own routes; the metrics path may not take one of them.
pub const APP_ROUTES: [&str; 2] = ["/", "/status"];

/// What the app's handlers share: the pipeline (to read current values) and where the
/// metrics are.
#[derive(Debug, Clone)]
struct AppState {
    pipeline: &'static Pipeline,
    metrics_path: String,
}

/// The app: `/`, `/status`, and the exposition on `metrics_path` (plus `/catalog`,
/// `/metadata`, `/summary` and `/health` from flowmeter's router). Any other path, `/metrics`
/// included when the exposition is elsewhere, is the app's 404.
pub fn app(pipeline: &'static Pipeline, metrics_path: &str) -> Router {
    let state = AppState { pipeline, metrics_path: metrics_path.to_owned() };
    Router::new()
        .route("/", get(index))
        .route("/status", get(status))
        .merge(exporter::axum::router(Endpoints::new(metrics_path)))
        .with_state(state)
}

async fn index(State(state): State<AppState>) -> String {
    format!(
        "automation platform: file watcher, audit agent, API client, SafeAsyncBridge\n\
         status: /status\nmetrics: {}\n",
        state.metrics_path
    )
}

/// The components' state as JSON, read back from the metrics themselves (the pipeline's
/// [`Summary`](flowmeter::exporter::Summary)), so the page and a scrape always agree.
async fn status(State(state): State<AppState>) -> impl IntoResponse {
    let now = exporter::summary(state.pipeline);
    let value = |name| now.value(name, &[]);
    let total = |name| now.counter_total(name);
    let body = json!({
        "file_watcher": {
            "running": value("test_watcher_is_running") == Some(1.0),
            "files_processed": total("test_watcher_files_processed_total"),
            "tests_run": total("test_watcher_tests_run_total"),
            "changed_files": value("test_watcher_changed_files_current"),
        },
        "audit_agent": {
            "runs": total("audit_agent_runs_total"),
            "coverage_percent": value("audit_agent_coverage_percent"),
            "active_tasks": value("audit_agent_active_tasks"),
        },
        "api_client": {
            "deepseek_calls": total("api_deepseek_calls_total"),
            "perplexity_calls": total("api_perplexity_calls_total"),
            "rate_limits": total("api_rate_limits_total"),
        },
        "safe_async_bridge": {
            "calls": total("safe_async_bridge_calls_total"),
            "pending_tasks": value("safe_async_bridge_pending_tasks"),
            "active_loops": value("safe_async_bridge_active_loops"),
        },
    });
    ([(header::CONTENT_TYPE, "application/json")], body.to_string())
}
