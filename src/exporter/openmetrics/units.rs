//! The units behind the `# UNIT` lines: what the program declares for each family.

use flowmeter_naming as names;

use crate::metrics::catalog;
use crate::pipeline::{self, Pipeline};

/// The unit word (`seconds`, `bytes`, `ratio`, ...) of each family a declaration gives one,
/// by exported (Prometheus) name: flowmeter's catalog under the pipeline's namespace, and, for
/// the installed pipeline, every [`flowmeter::app`](crate::app) metric declared so far (they
/// record into that one, as [`metadata`](crate::exporter::metadata()) also assumes).
///
/// The word is the suffix the bridge appends for the declared UCUM unit
/// ([`unit_suffix`](flowmeter_naming::unit_suffix): `s` → `seconds`); annotations such as
/// `{USD}` or `{token}` have none, so those families get no `# UNIT`. Families nothing declares
/// (`process_*`, `target_info`, collectors registered by hand) get none either: a unit
/// guessed from a name would be a claim nobody made.
#[derive(Debug, Default)]
pub(super) struct Units {
    /// Sorted by name, one entry per name.
    by_name: Vec<(String, &'static str)>,
}

impl Units {
    /// The declared units for `pipeline`'s exposition. Built per body: a few dozen entries,
    /// and application metrics may be declared at any time.
    pub(super) fn of(pipeline: &Pipeline) -> Self {
        let namespace = pipeline.namespace();
        let own = catalog::CATALOG.iter().filter_map(|def| {
            names::unit_suffix(def.unit).map(|word| (def.prometheus_name(namespace), word))
        });
        let installed = pipeline::get().is_some_and(|p| std::ptr::eq(p, pipeline));
        let app = installed.then(crate::app::declared_metrics).into_iter().flatten();
        let app = app.filter_map(|info| {
            names::unit_suffix(&info.unit).map(|word| (info.prometheus_name, word))
        });
        Units::from_iter(own.chain(app))
    }

    /// The unit word declared for the family exported as `prometheus_name`.
    pub(super) fn get(&self, prometheus_name: &str) -> Option<&'static str> {
        let i = self.by_name.binary_search_by(|(name, _)| name.as_str().cmp(prometheus_name));
        i.ok().map(|i| self.by_name[i].1)
    }
}

impl FromIterator<(String, &'static str)> for Units {
    /// The first declaration of a name wins (the catalog before application metrics).
    fn from_iter<I: IntoIterator<Item = (String, &'static str)>>(entries: I) -> Self {
        let mut by_name: Vec<_> = entries.into_iter().collect();
        by_name.sort_by(|a, b| a.0.cmp(&b.0));
        by_name.dedup_by(|later, first| later.0 == first.0);
        Units { by_name }
    }
}

/// The `# UNIT` word for a family written as `om_name` (the name of its `# TYPE` line) and
/// exported as `prometheus_name`: the declared unit, if `om_name` ends in `_<unit>` as
/// OpenMetrics requires (a metric whose declared unit the bridge did not append, because the
/// name already carried it differently, gets none rather than an invalid line).
pub(super) fn unit_line(
    units: &Units,
    prometheus_name: &str,
    om_name: &str,
) -> Option<&'static str> {
    let word = units.get(prometheus_name)?;
    let stem = om_name.strip_suffix(word)?;
    stem.ends_with('_').then_some(word)
}
