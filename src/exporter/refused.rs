//! Refused requests: counted in `ns.scrape.auth.refused{reason}` (the counter is the
//! recording layer's, [`crate::metrics::failures`]) and logged once per reason, so a scraper
//! left with an old token shows on `/metrics` and in the generated alert, not only as a stale
//! target.

use std::sync::atomic::{AtomicBool, Ordering};

use super::auth::Refusal;
use crate::metrics::failures;

/// Whether each reason was logged yet, in [`Refusal::ALL`] order.
static LOGGED: [AtomicBool; 3] = [const { AtomicBool::new(false) }; 3];

/// Counts one refused request, and logs the first of each reason. Counts nothing while no
/// enabled pipeline is installed (an [`Endpoints`](super::Endpoints) made before install).
pub(super) fn count(reason: Refusal) {
    failures::count_refusal(reason.as_str());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_declared_reason() {
        let reasons = Refusal::ALL.map(Refusal::as_str);
        assert_eq!(reasons, failures::REFUSAL_REASONS);
    }
}
