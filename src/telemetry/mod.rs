//! Layer 5, assembly: the builder, the configuration and `install()`, which build one
//! `SdkMeterProvider` reading into the OpenTelemetry Prometheus bridge and one
//! `SdkTracerProvider` behind a `tracing` layer, publish them as the process's [`Pipeline`],
//! and start what serves them.

mod builder;
pub mod config;
mod guard;
pub mod layer;

pub use crate::pipeline::Pipeline;
pub use crate::pipeline::cardinality::{DEFAULT_CARDINALITY_LIMIT, MAX_CARDINALITY_LIMIT};
pub use builder::TelemetryBuilder;
pub use config::Config;
pub use guard::Telemetry;
