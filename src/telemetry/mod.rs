//! Layer 5, assembly: the builder, the configuration and `install()`, which build one
//! `SdkMeterProvider` reading into the OpenTelemetry Prometheus bridge and one
//! `SdkTracerProvider` behind a `tracing` layer, publish them as the process's [`Pipeline`],
//! and start what serves them.

pub(crate) mod builder;
pub(crate) mod config;
pub(crate) mod guard;
mod layer;

pub use crate::pipeline::Pipeline;
pub use crate::pipeline::cardinality::{DEFAULT_CARDINALITY_LIMIT, MAX_CARDINALITY_LIMIT};
pub use crate::sampling::Sampler;
pub use config::{DEFAULT_LISTEN, DEFAULT_NAMESPACE, ENV_VARS};
pub use layer::{EXPORT_PATH_CRATES, ExportPathFilter, TracingLayer};
// The front door, `flowmeter::{Telemetry, TelemetryBuilder, Config}`, is re-exported at the
// crate root (`lib.rs`), its one public path.
