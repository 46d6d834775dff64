//! Metrics: the catalog, the instruments created from it, and the per-call-site bound
//! handles that `#[instrumented]` records through.

pub(crate) mod bound;
pub mod callsite;
pub mod catalog;
pub(crate) mod clock;
mod instruments;
mod objective;
pub(crate) mod outcome;
pub(crate) mod recording;
pub(crate) mod rejected;
mod status;
mod stripes;

use std::sync::OnceLock;

pub use callsite::CallsiteMeta;
pub use catalog::{CATALOG, InstrumentKind, MetricDef, MetricInfo, keys};
pub use flowmeter_naming::NameError;
pub use instruments::Instruments;
pub use objective::{
    DEFAULT_WINDOW_DAYS, Goal, Objective, ObjectiveError, Target, declared_objectives,
};
pub use status::Status;

pub(crate) use objective::declare_objective;

use crate::pipeline::Pipeline;

static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();

/// The catalog instruments of the installed pipeline (there is at most one per process).
pub(crate) fn instruments_of(pipeline: &Pipeline) -> &'static Instruments {
    INSTRUMENTS.get_or_init(|| Instruments::new(pipeline.meter(), pipeline.namespace()))
}

/// The catalog instruments, if an enabled pipeline is installed. Primitives record through these.
pub fn instruments() -> Option<&'static Instruments> {
    let pipeline = crate::pipeline::get()?;
    pipeline.is_enabled().then(|| instruments_of(pipeline))
}

/// Creates the catalog instruments and binds every registered call site: called once when the
/// pipeline is installed, so every series is exported (at 0) from the first scrape.
pub(crate) fn warm_up(pipeline: &Pipeline) {
    if pipeline.is_enabled() {
        instruments_of(pipeline);
        callsite::bind_all();
    }
}
