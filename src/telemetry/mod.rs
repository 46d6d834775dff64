//! The telemetry pipeline: one `SdkMeterProvider` reading into the OpenTelemetry Prometheus
//! bridge, one `SdkTracerProvider` behind a `tracing` layer, their resource, and the
//! configuration they are built from.

mod builder;
pub mod cardinality;
pub mod config;
mod guard;
pub mod layer;
pub mod pipeline;

pub use builder::TelemetryBuilder;
pub use config::{Config, ConfigError, Origin};
pub use guard::Telemetry;
pub use pipeline::Pipeline;
