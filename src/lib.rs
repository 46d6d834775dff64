//! flowmeter: instrumentation for async Rust workflows.
//!
//! Put `#[instrumented]` on a function and every call is counted by status, timed into a
//! seconds histogram, tracked while in flight and traced as a span, through OpenTelemetry,
//! and served to Prometheus on `127.0.0.1:9464/metrics`.
//!
//! ```no_run
//! use flowmeter::{Telemetry, instrumented};
//!
//! #[instrumented]
//! fn parse(input: &str) -> Result<u32, std::num::ParseIntError> {
//!     input.trim().parse()
//! }
//!
//! #[instrumented(kind = "llm", span = false)]
//! async fn summarize(text: String) -> String {
//!     text.chars().take(10).collect()
//! }
//!
//! # async fn run() -> Result<(), flowmeter::Error> {
//! let telemetry = Telemetry::builder().service_name("quickstart").install()?;
//! let _ = parse("42");
//! let _ = parse("forty-two"); // counted with status="error"
//! summarize("a long text".into()).await;
//! println!("{}", telemetry.render());
//! # Ok(()) }
//! ```
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

pub mod app;
mod error;
mod execution;
pub mod exporter;
mod in_span;
pub mod llm;
#[cfg(feature = "mcp")]
pub mod mcp;
pub mod metrics;
#[cfg(feature = "otlp")]
pub mod otlp;
pub mod primitives;
#[cfg(feature = "system")]
pub mod system;
pub mod telemetry;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::{ConfigError, Error, Origin};
pub use flowmeter_macros::instrumented;
pub use metrics::Status;
pub use telemetry::{Config, Telemetry, TelemetryBuilder};

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
