//! Application-defined metrics: counters, gauges, up-down counters and histograms that you
//! declare yourself, recorded through the same OpenTelemetry pipeline and Prometheus bridge
//! as flowmeter's own metrics (meter scope [`SCOPE_NAME`]; scope labels are off, so the scope
//! does not show in `/metrics`).
//!
//! A declaration is validated once, at [`build`](CounterBuilder::build): the HELP text (required), the name (dot- or
//! underscore-separated identifiers, not repeating the suffix the bridge appends), the labels
//! (not `job`, `instance`, `le`, `quantile` or `__*`), declared label value sets, histogram
//! buckets and gauge ranges. Every recording then checks its label values (arity and
//! declared sets) and its value (finite; inside a gauge's range; non-negative for
//! histograms), and returns a typed [`AppMetricError`] naming the metric and the offending
//! label or value, recording nothing.
//!
//! | Builder | Exported as | Name mapping |
//! |---|---|---|
//! | [`counter`] | `counter` | `skill.invocations` → `skill_invocations_total` |
//! | [`histogram`] `.unit("s")` | `histogram` | `skill.duration` → `skill_duration_seconds` |
//! | [`gauge`] | `gauge` | `skill.completion.rate` → `skill_completion_rate` |
//! | [`up_down_counter`] | `gauge` | `active.sessions.total` → `active_sessions_total` |
//!
//! Each metric's `prometheus_name()` gives the exact exported name.
//!
//! Instruments are created lazily, on the first recording after an enabled pipeline is
//! installed, so metrics can live in a `static LazyLock` defined before
//! [`Telemetry`](crate::Telemetry) is installed. With telemetry off or not installed,
//! recordings are validated the same way and return the same results, but record nothing.
//! `bind` returns a handle for one known series whose `inc`/`add`/`set`/`record` are
//! lock-free (OpenTelemetry bound instruments). A histogram's `start_timer` returns a guard
//! that observes the elapsed seconds when dropped.
//!
//! Each metric name should be declared once per process: two declarations of one name share
//! one OpenTelemetry instrument (the first declaration's HELP text, unit and buckets win),
//! and a name that collides with one of flowmeter's own metrics is exported twice.
//!
//! ```
//! use std::sync::LazyLock;
//!
//! use flowmeter::Telemetry;
//! use flowmeter::app::{self, AppCounter, AppGauge, AppHistogram, AppMetricError};
//!
//! static INVOCATIONS: LazyLock<AppCounter> = LazyLock::new(|| {
//!     app::counter("skill.invocations")
//!         .help("Total skill invocations")
//!         .labels(["skill_name", "completed"])
//!         .label_values("completed", ["true", "false"])
//!         .build()
//!         .unwrap()
//! });
//! static DURATION: LazyLock<AppHistogram> = LazyLock::new(|| {
//!     app::histogram("skill.duration")
//!         .help("Skill execution duration")
//!         .unit("s")
//!         .labels(["skill_name"])
//!         .buckets([0.1, 0.5, 1.0, 2.0, 5.0])
//!         .build()
//!         .unwrap()
//! });
//! static RATE: LazyLock<AppGauge> = LazyLock::new(|| {
//!     app::gauge("skill.completion.rate")
//!         .help("Skill completion rate")
//!         .labels(["skill_name"])
//!         .range(0.0..=1.0)
//!         .build()
//!         .unwrap()
//! });
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Without a pipeline, recordings are validated but record nothing.
//! INVOCATIONS.add(1, &["search", "true"])?;
//!
//! let telemetry = Telemetry::builder()
//!     .serve(false)
//!     .ignore_env()
//!     .install_subscriber(false)
//!     .install()?;
//!
//! INVOCATIONS.add(1, &["search", "true"])?;
//! let search = INVOCATIONS.bind(&["search", "false"])?;
//! search.inc();
//! {
//!     let _timer = DURATION.start_timer(&["search"])?; // observes on drop
//! }
//! RATE.set(0.75, &["search"])?;
//! assert!(matches!(RATE.set(1.5, &["search"]), Err(AppMetricError::OutOfRange { .. })));
//! assert!(matches!(
//!     INVOCATIONS.add(1, &["search", "maybe"]),
//!     Err(AppMetricError::LabelValue { .. })
//! ));
//!
//! assert_eq!(INVOCATIONS.prometheus_name(), "skill_invocations_total");
//! assert_eq!(DURATION.prometheus_name(), "skill_duration_seconds");
//! let text = telemetry.render();
//! assert!(text.contains(r#"skill_invocations_total{completed="true",skill_name="search"} 1"#));
//! assert!(text.contains(r#"skill_duration_seconds_count{skill_name="search"} 1"#));
//! assert!(text.contains(r#"skill_completion_rate{skill_name="search"} 0.75"#));
//! # Ok(()) }
//! ```

mod counter;
mod declared;
mod error;
mod gauge;
mod histogram;
mod labels;
mod spec;
mod updown;

pub use counter::{AppCounter, BoundAppCounter, CounterBuilder, counter};
pub use declared::declared_metrics;
pub use error::AppMetricError;
pub use gauge::{AppGauge, BoundAppGauge, GaugeBuilder, gauge};
pub use histogram::{
    AppHistogram, BoundAppHistogram, DEFAULT_BUCKETS, HistogramBuilder, HistogramTimer, histogram,
};
pub use spec::SCOPE_NAME;

pub use updown::{AppUpDownCounter, BoundAppUpDownCounter, UpDownCounterBuilder, up_down_counter};
