//! Opt-in process and host metrics (the `system` cargo feature).
//!
//! Switched on with [`TelemetryBuilder::process_metrics`](crate::TelemetryBuilder::process_metrics) and
//! [`TelemetryBuilder::system_metrics`](crate::TelemetryBuilder::system_metrics) (or `FLOWMETER_PROCESS_METRICS` /
//! `FLOWMETER_SYSTEM_METRICS`, or the config file keys `process_metrics` / `system_metrics`);
//! both are off by default. For a pipeline installed without them, the free functions
//! [`register_process_collector`] and [`register_system_metrics`] add them later.
//!
//! ```no_run
//! # fn main() -> Result<(), flowmeter::Error> {
//! let telemetry = flowmeter::Telemetry::builder()
//!     .process_metrics(true)
//!     .system_metrics(true)
//!     .install()?;
//! assert!(telemetry.render().contains("# TYPE system_memory_percent gauge"));
//! # Ok(()) }
//! ```
//!
//! # Process metrics (Linux)
//!
//! The prometheus crate's own `ProcessCollector`, registered into the pipeline's registry,
//! exports [`PROCESS_METRICS`] under the names every Prometheus client library uses, so
//! existing dashboards and alerts work unchanged. They are read from procfs at each
//! collection. That collector reports `process_cpu_seconds_total` in whole seconds (it
//! truncates the kernel's clock ticks), so it stays 0 until the process has used one second
//! of CPU.
//!
//! # Host metrics
//!
//! [`SYSTEM_METRICS`] are OpenTelemetry observable gauges on the pipeline's meter (so any
//! other reader of the meter provider sees them too), measured with `sysinfo` each time the
//! metrics are collected (a scrape, [`Telemetry::render`](crate::Telemetry::render), or
//! anything else that gathers the registry). Each is a percentage from 0 to 100:
//!
//! - `system_cpu_percent`: CPU in use over all CPUs of the host since the previous
//!   collection; the first collection measures from install. Collections less than 200 ms
//!   apart repeat the previous value (sysinfo does not refresh sooner, a shorter window says
//!   little), so one within 200 ms of install reports the average since the host booted.
//!   Use it for a trend, not for a single reading.
//! - `system_memory_percent`: RAM in use (total minus what the kernel reports available) over
//!   the host's total RAM. Container memory limits are not applied.
//! - `system_disk_percent`: space used over the total size of every mounted disk, where used
//!   is the total minus what unprivileged users can still write (all sysinfo reports), so
//!   blocks reserved for root count as used and the figure can be above `df`'s `Use%`.
//!   Pseudo and zero-size file systems (`proc`, `sysfs`, `tmpfs`, ...) are left out and a
//!   file system mounted at several places (bind mounts) counts once. With no disk left,
//!   the gauge has no sample.
//!
//! # Names and the namespace
//!
//! Neither set is prefixed with the [namespace](crate::Config::namespace): the
//! `process_*` names are a cross-library standard, and the `system_*_percent` names are the
//! ones the reference automation platform's dashboards query. Both describe the process or
//! the host rather than flowmeter's own work, and Prometheus tells services apart by their
//! `job` and `instance` labels, as it does for `process_*`.

mod host;
#[cfg(target_os = "linux")]
mod process;

pub use host::register_system_metrics;
#[cfg(target_os = "linux")]
pub use process::register_process_collector;

use crate::error::Error;
use crate::pipeline::Pipeline;

/// The Prometheus names of the process metrics, as exported.
pub const PROCESS_METRICS: [&str; 7] = [
    "process_cpu_seconds_total",
    "process_max_fds",
    "process_open_fds",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_threads",
    "process_virtual_memory_bytes",
];

/// The Prometheus names of the host gauges, as exported.
pub const SYSTEM_METRICS: [&str; 3] =
    ["system_cpu_percent", "system_disk_percent", "system_memory_percent"];

/// Registers what the pipeline's configuration asks for (at install, before the pipeline is
/// published). The configuration was checked against this build when it was resolved.
pub(crate) fn register_configured(
    pipeline: &Pipeline,
    process_metrics: bool,
    system_metrics: bool,
) -> Result<(), Error> {
    if !pipeline.is_enabled() {
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    if process_metrics {
        register_process_collector(pipeline).map_err(|e| {
            Error::OpenTelemetry(format!("cannot register the process collector: {e}"))
        })?;
    }
    if system_metrics {
        register_system_metrics(pipeline);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
