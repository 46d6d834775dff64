//! The application metrics declared so far, for `/catalog` and the rules generator: a service
//! that declares `skill.invocations` in code is described by its own endpoint, so
//! `flowmeter rules --catalog URL` can build dashboards for exactly what it has.

use std::sync::{Mutex, PoisonError};

use flowmeter_naming as names;

use super::spec::Spec;
use crate::metrics::catalog::{InstrumentKind, MetricInfo};

/// Every metric declared through [`flowmeter::app`](crate::app), first declaration of a name
/// first (it is the one the instrument is created from).
static DECLARED: Mutex<Vec<MetricInfo>> = Mutex::new(Vec::new());

/// Records a validated declaration; a later declaration of the same name is not listed again
/// (the first one's HELP, unit and buckets are what is exported).
pub(super) fn declare(spec: &Spec, buckets: Option<&[f64]>) {
    let mut declared = DECLARED.lock().unwrap_or_else(PoisonError::into_inner);
    if declared.iter().any(|m| m.name == spec.name) {
        return;
    }
    declared.push(MetricInfo {
        name: spec.name.clone(),
        prometheus_name: spec.prometheus_name(),
        kind: spec.kind,
        prometheus_type: spec.kind.prometheus_type().to_owned(),
        unit: spec.unit.clone(),
        description: spec.help.clone(),
        labels: spec.labels.iter().map(|l| names::prometheus_label(&l.name)).collect(),
        buckets: (spec.kind == InstrumentKind::Histogram)
            .then(|| buckets.unwrap_or_default().to_vec()),
    });
}

/// Every application metric declared (built) in this process so far, in declaration order:
/// name, exported Prometheus name, type, unit, HELP text, labels and, for histograms, the
/// bucket boundaries. `/catalog` serves them as `app_metrics`.
pub fn declared_metrics() -> Vec<MetricInfo> {
    DECLARED.lock().unwrap_or_else(PoisonError::into_inner).clone()
}
