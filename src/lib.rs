//! flowmeter: instrumentation for async Rust workflows.
//!
//! Put `#[instrumented]` on a function and every call is counted by status, timed into a
//! seconds histogram, tracked while in flight and traced as a span, through OpenTelemetry,
//! and served to Prometheus on `127.0.0.1:9464/metrics`. Spans are sampled the OpenTelemetry
//! way ([`telemetry::Sampler`], `OTEL_TRACES_SAMPLER`); a call in a trace that will not be
//! recorded builds no span, and is measured all the same.
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
//!
//! # Crates and layers
//!
//! This crate is the runtime a program links. The `#[instrumented]` attribute is
//! `flowmeter-macros` (re-exported here), the naming rules shared by the attribute, the runtime
//! and the generator are `flowmeter-naming`, and the rules, alerts, SLO and dashboard generator,
//! the checker and the `flowmeter` binary are `flowmeter-cli`, which a service never links.
//!
//! Inside the runtime, modules import one way, down this table, and no two modules import each
//! other (`tests/layers.rs` reads the sources and fails on an upward or circular import):
//!
//! | layer | modules | may use |
//! |---|---|---|
//! | 5 assembly | [`telemetry`] | everything below |
//! | 4 serving | [`exporter`], `otlp`, `mcp`, `system` | 1–3, and `mcp` may use `exporter` |
//! | 3 domains | [`primitives`], [`llm`], [`app`] | 1–2, and `primitives` may use `llm` |
//! | 2 recording | [`metrics`], the execution path | 1 |
//! | 1 pipeline | the installed [`Pipeline`](telemetry::Pipeline), errors, the sampling decision | nothing above |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms, unreachable_pub)]

pub mod app;
mod error;
mod execution;
pub mod exporter;
mod in_span;
pub mod llm;
#[cfg(feature = "mcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "mcp")))]
pub mod mcp;
pub mod metrics;
#[cfg(feature = "otlp")]
#[cfg_attr(docsrs, doc(cfg(feature = "otlp")))]
pub mod otlp;
mod pipeline;
pub mod primitives;
mod sampling;
#[cfg(feature = "system")]
#[cfg_attr(docsrs, doc(cfg(feature = "system")))]
pub mod system;
pub mod telemetry;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::{ConfigError, Error, Origin};
pub use flowmeter_macros::{ErrorType, instrumented};
pub use metrics::outcome::ErrorType;
pub use metrics::status::Status;
pub use telemetry::builder::TelemetryBuilder;
pub use telemetry::config::Config;
pub use telemetry::guard::Telemetry;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
