//! The standard `process_*` metrics: the prometheus crate's Linux process collector.

use prometheus::process_collector::ProcessCollector;

use crate::pipeline::Pipeline;

/// Registers the prometheus crate's `ProcessCollector` for this process into the pipeline's
/// registry, so the exposition carries [`PROCESS_METRICS`](super::PROCESS_METRICS). Linux
/// only (the collector reads procfs).
///
/// Registering twice is harmless (the second call does nothing), and so is calling it on a
/// pipeline installed with `enabled(false)`, which collects nothing.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let telemetry = flowmeter::Telemetry::builder().install()?;
/// flowmeter::system::register_process_collector(telemetry.pipeline())?;
/// assert!(telemetry.render().contains("# TYPE process_open_fds gauge"));
/// # Ok(()) }
/// ```
///
/// # Errors
/// The registry's error when another collector already exports one of these names with a
/// different help text or labels.
pub fn register_process_collector(pipeline: &Pipeline) -> Result<(), prometheus::Error> {
    if !pipeline.is_enabled() {
        return Ok(());
    }
    match pipeline.registry().register(Box::new(ProcessCollector::for_self())) {
        Ok(()) | Err(prometheus::Error::AlreadyReg) => Ok(()),
        Err(e) => Err(e),
    }
}
