//! Call sites: one static per `#[instrumented]` function, registered at link time, holding
//! the bound instruments its calls record through.
//!
//! The attribute set of a call site is known at compile time, so each status gets its own
//! pre-bound counter and histogram (`experimental_metrics_bound_instruments`): a call does no
//! attribute lookup, hashing or allocation, and never waits for a lock (it writes to its
//! thread's own stripe, see `stripes.rs`). Binding happens once, when the pipeline
//! is installed (so every series exists at 0 before the first call) or, for a call site that
//! runs before that, on its first call after it.

use serde::Serialize;

use super::bound::Bound;
use super::lazy_bound::{LazyBound, bind_execution};
use super::objective::Goal;
use super::recording::Recording;
use crate::pipeline::Pipeline;

/// What the macro knows about a call site at compile time.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CallsiteMeta {
    /// The `primitive_name` label: `name = "..."`, else the fn name (`Type::method` in an
    /// instrumented impl block).
    pub name: &'static str,
    /// The `primitive_type` label: `kind = "..."`, default `function`.
    pub kind: &'static str,
    /// Static extra labels from `labels(key = "value", ...)`.
    pub labels: &'static [(&'static str, &'static str)],
    /// Duration boundaries from `buckets = [...]`, else the catalog's.
    pub buckets: Option<&'static [f64]>,
    /// Whether the call site opens a span.
    pub span: bool,
    /// Service-level objectives declared with `objective(...)`, for the rules generator.
    pub objectives: &'static [Goal],
    /// The module the function is defined in.
    pub module_path: &'static str,
    /// The source file.
    pub file: &'static str,
    /// The source line.
    pub line: u32,
}

/// One instrumented call site. Created by `#[instrumented]` as a `static`.
#[derive(Debug)]
pub struct Callsite {
    meta: CallsiteMeta,
    bound: LazyBound,
}

/// Every call site of the program, collected by the linker.
#[linkme::distributed_slice]
pub static CALLSITES: [&'static Callsite];

impl Callsite {
    /// A call site with its compile-time metadata; not yet bound.
    pub const fn new(meta: CallsiteMeta) -> Self {
        Callsite { meta, bound: LazyBound::new() }
    }

    /// The call site's metadata.
    pub fn meta(&self) -> &CallsiteMeta {
        &self.meta
    }

    /// Starts recording one execution, or `None` when telemetry is disabled or not installed
    /// (the call then runs uninstrumented).
    #[inline]
    pub fn start(&'static self) -> Option<Recording<'static>> {
        self.bound.start(|pipeline| bind(&self.meta, pipeline))
    }
}

/// Binds every registered call site so their series exist (at 0) from startup.
pub(crate) fn bind_all() {
    for callsite in CALLSITES {
        callsite.bound.bind(|pipeline| bind(&callsite.meta, pipeline));
    }
}

/// Every `#[instrumented]` call site of the program (registered at link time, called or not),
/// as `/catalog` lists them: sorted by name, one entry per call site.
pub fn callsites() -> Vec<CallsiteMeta> {
    let mut sites: Vec<CallsiteMeta> = CALLSITES.iter().map(|c| c.meta).collect();
    sites.sort_by(|a, b| (a.name, a.file, a.line).cmp(&(b.name, b.file, b.line)));
    sites
}

/// Binds a call site's handles: its name, kind and static labels, with its own duration
/// boundaries when it declares some.
fn bind(meta: &CallsiteMeta, pipeline: &Pipeline) -> Bound {
    bind_execution(pipeline, meta.name, meta.kind, meta.labels, meta.buckets)
}
