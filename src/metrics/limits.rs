//! Cardinality limits of flowmeter's own instruments, sized from what it knows rather than
//! the pipeline default meant for labels a user feeds.
//!
//! A program with many `#[instrumented]` functions binds every call site's series at install
//! (four statuses each, errors by type later); at the pipeline default of 2 000 label sets per
//! instrument, 500 call sites spent the whole limit before a single call, and the rest went
//! into the overflow series (issue 18). So the execution instruments' limits are sized from
//! the call sites registered at link time, and every instrument whose label values come from
//! code (call sites, primitives, workflows, caches: named in the program, not fed from data)
//! gets headroom for the ones built at run time. Instruments whose labels a user's data can
//! feed (LLM models, app metrics) keep the pipeline default.
//!
//! A limit is paid partly up front: the SDK sizes each instrument's table for it (about 40
//! bytes a slot), the series themselves as they appear.

use super::catalog::{self, MetricDef};
use crate::pipeline::cardinality;

/// Label sets an `#[instrumented]` call site can produce on the execution instruments: its
/// four statuses, and headroom for the `error_type`s its errors bring.
const SETS_PER_CALLSITE: usize = 8;

/// Label sets kept beyond the call sites for what is only named at run time: primitives,
/// workflows and caches built by the program (each with its statuses: about a thousand
/// names) and error types. Not more: the SDK sizes an instrument's table for its limit when
/// the instrument is created (about 40 bytes a slot, `tests/cardinality.rs`), so headroom is
/// paid up front by every program.
pub(crate) const RUNTIME_HEADROOM: usize = 4_000;

/// Flowmeter's instruments whose label values come from the program's code.
const OWN: [&MetricDef; 10] = [
    &catalog::PRIMITIVE_EXECUTIONS,
    &catalog::EXECUTION_DURATION,
    &catalog::PRIMITIVE_ACTIVE,
    &catalog::WORKFLOW_EXECUTIONS,
    &catalog::WORKFLOW_DURATION,
    &catalog::CACHE_HITS,
    &catalog::CACHE_MISSES,
    &catalog::CACHE_EVICTIONS,
    &catalog::CACHE_ENTRIES,
    &catalog::RETRY_ATTEMPTS,
];

/// The limit of flowmeter's own instruments with `callsites` call sites registered and the
/// pipeline default `default`: never below the default.
pub(crate) fn own_limit(callsites: usize, default: usize) -> usize {
    let sized = callsites.saturating_mul(SETS_PER_CALLSITE).saturating_add(RUNTIME_HEADROOM);
    sized.clamp(default, cardinality::MAX_CARDINALITY_LIMIT.max(default))
}

/// Declares the limits of flowmeter's own instruments under `namespace`; must run before
/// they are created (at install, before the call sites bind).
pub(crate) fn declare_own(namespace: &str, default: usize) {
    let limit = own_limit(super::callsite::CALLSITES.len(), default);
    for def in OWN {
        cardinality::declare(&def.otel_name(namespace), limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_sites_and_headroom_size_the_limit_never_below_the_default() {
        assert_eq!(own_limit(0, 2000), RUNTIME_HEADROOM);
        assert_eq!(own_limit(10_000, 2000), 10_000 * SETS_PER_CALLSITE + RUNTIME_HEADROOM);
        assert_eq!(own_limit(10, 1_000_000), 1_000_000, "a larger default wins");
        assert_eq!(own_limit(usize::MAX, 2000), cardinality::MAX_CARDINALITY_LIMIT);
    }
}
