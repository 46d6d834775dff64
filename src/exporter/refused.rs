//! `ns.scrape.auth.refused{reason}`: requests the endpoint refused for missing or wrong
//! credentials, counted (DESIGN: a failure inside flowmeter is logged once and counted), so a
//! scraper left with an old token shows on `/metrics` and in the generated alert, not only as
//! a stale target.
//!
//! The three reasons exist at 0 from the first permitted request of an endpoint that requires
//! credentials, so `rate()` and `increase()` see the first refusal.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::KeyValue;
use opentelemetry::metrics::Counter;

use super::auth::Refusal;
use crate::metrics::DomainInstruments;
use crate::metrics::catalog::{self, keys};

static REFUSED: DomainInstruments<Counter<u64>> = DomainInstruments::new(|f| {
    let counter = f.u64_counter(&catalog::SCRAPE_AUTH_REFUSED);
    for reason in Refusal::ALL {
        counter.add(0, &[KeyValue::new(keys::REASON, reason.as_str())]);
    }
    counter
});

/// Whether each reason was logged yet, in [`Refusal::ALL`] order.
static LOGGED: [AtomicBool; 3] = [const { AtomicBool::new(false) }; 3];

/// Counts one refused request, and logs the first of each reason. Counts nothing while no
/// enabled pipeline is installed (an [`Endpoints`](super::Endpoints) made before install).
pub(super) fn count(reason: Refusal) {
    if let Some(counter) = REFUSED.get() {
        counter.add(1, &[KeyValue::new(keys::REASON, reason.as_str())]);
    }
    let index = Refusal::ALL.iter().position(|r| *r == reason).expect("listed");
    if !LOGGED[index].swap(true, Ordering::Relaxed) {
        tracing::warn!(
            reason = reason.as_str(),
            "flowmeter's metrics endpoint refused a request for missing or wrong credentials \
             (answered 401); later refusals for this reason are only counted in \
             scrape_auth_refused_total"
        );
    }
}

/// Creates the zero series (once): called when an endpoint that requires credentials lets a
/// request through.
pub(super) fn prepare() {
    REFUSED.get();
}
