//! Layer 2, recording: the metric catalog, the instruments created from it, objectives, and
//! the bound handles every execution (of an `#[instrumented]` call site or of a primitive)
//! records through.

pub(crate) mod bound;
pub(crate) mod callsite;
pub mod catalog;
pub(crate) mod clock;
mod declared;
pub(crate) mod error_types;
pub(crate) mod exemplars;
pub(crate) mod failures;
mod instruments;
pub(crate) mod lazy_bound;
pub(crate) mod limits;
mod objective;
pub(crate) mod outcome;
pub(crate) mod recording;
pub(crate) mod rejected;
pub(crate) mod status;
mod stripes;
mod weak_list;

pub use callsite::{CallsiteMeta, callsites};
pub use declared::declared_objectives;
pub use flowmeter_naming::NameError;
pub use objective::{DEFAULT_WINDOW_DAYS, Goal, Objective, ObjectiveError, Target};

pub(crate) use declared::declare_objective;
pub(crate) use instruments::DomainInstruments;

use crate::pipeline::Pipeline;

/// Creates the executions' instruments, binds every registered call site and creates the
/// failure counters of the serving paths: called once when the pipeline is installed, so
/// every series is exported (at 0) from the first scrape. Other
/// domains create theirs when they first record.
pub(crate) fn warm_up(pipeline: &Pipeline) {
    if pipeline.is_enabled() {
        instruments::EXECUTIONS.of(pipeline);
        callsite::bind_all();
        failures::warm_up();
    }
}
