//! Test support shared by the integration tests of `flowmeter` and `flowmeter-cli`: child
//! processes and temporary directories that clean up after themselves, a plain HTTP/1.1
//! client over loopback, an independent parser of the Prometheus text format, `promtool`,
//! a real Prometheus started on a free loopback port, and ([`openmetrics`]) a strict
//! OpenMetrics 1.0 parser that is not ours: the Prometheus project's Python reference parser
//! (`prometheus_client`), one long-lived process answering what it read from each body.
//!
//! Tools from outside the workspace (promtool, prometheus, Python with `prometheus_client`)
//! are required under CI (`CI` set: a missing one fails the test) and skipped locally with a
//! printed reason; `scripts/test.sh` installs them from Debian.
//!
//! Not published and not a dependency of anything but tests: what only tests need is kept
//! out of the crates users link.
#![warn(missing_docs, missing_debug_implementations)]

mod exposition;
pub mod fuzz;
pub mod hostile;
mod http;
pub mod openmetrics;
#[cfg(feature = "otlp")]
pub mod otlp_receiver;
mod process;
pub mod prometheus;
mod promtool;

pub use exposition::{Exposition, Sample, parse};
pub use http::{Response, http_get, http_head, http_request, try_http_get};
pub use process::{
    KillOnDrop, TempDir, example, free_port, free_port_outside_ephemeral_range, spawn_serving,
    tool_available,
};
pub use promtool::{promtool_check_metrics, promtool_report};
