//! `cache`: hit ratio, lookups, evictions and size of the `Cached` primitives' caches.

use super::model::{Builder, Variable};
use super::panel::{Panel, Unit};
use super::query::{RANGE, RATE, Selector, label, rate, ratio, sum_by};
use crate::MetricNames;

/// The cache variable.
const CACHE: &str = "cache";

/// The dashboard.
pub(super) fn dashboard(names: &MetricNames) -> Builder {
    let mut d = super::builder(
        names,
        "cache",
        "Caches",
        "Hit ratio, hits and misses, evictions by cause and entries of the selected caches.",
    );
    d.variable(Variable::label_values(
        CACHE,
        "Cache",
        "The caches shown (cache_name).",
        &names.cache_hits,
        label::CACHE_NAME,
    ));
    let cached = |metric: &str| Selector::new(metric).var(label::CACHE_NAME, CACHE);
    let (hits, misses) = (cached(&names.cache_hits), cached(&names.cache_misses));
    let by = [label::CACHE_NAME];
    let hit_ratio = |range: &str| {
        let hits = sum_by(&by, &rate(&hits, range));
        ratio(&hits, &format!("{hits} + {}", sum_by(&by, &rate(&misses, range))))
    };

    d.row("Lookups", "Lookups of the selected caches, by cache_name.");
    d.panel(
        Panel::stat(
            "Hit ratio over the range",
            "Share of lookups in the dashboard's time range answered from the cache.",
            Unit::Ratio,
        )
        .query(hit_ratio(RANGE), "{{cache_name}}")
        .thresholds("red", &[(0.5, "orange"), (0.8, "green")])
        .decimals(1),
        8,
        8,
    );
    d.panel(
        Panel::timeseries(
            "Hit ratio",
            "Share of lookups answered from the cache. A cache without lookups in the interval \
             has no value.",
            Unit::Ratio,
        )
        .query(hit_ratio(RATE), "{{cache_name}}")
        .bounds(0.0, 1.0),
        16,
        8,
    );
    d.panel(
        Panel::timeseries(
            "Hits and misses",
            "Lookups per second answered from the cache (hits) and that ran the inner primitive \
             (misses).",
            Unit::PerSecond,
        )
        .query(sum_by(&by, &rate(&hits, RATE)), "{{cache_name}} hits")
        .query(sum_by(&by, &rate(&misses, RATE)), "{{cache_name}} misses"),
        24,
        8,
    );

    d.row("Contents", "What the selected caches hold and why entries leave.");
    d.panel(
        Panel::timeseries(
            "Evictions by cause",
            "Entries removed per second, by cause: size (capacity), expired (TTL or TTI), \
             explicit (invalidated) or replaced (overwritten).",
            Unit::OpsPerSecond,
        )
        .query(
            sum_by(
                &[label::CACHE_NAME, label::CAUSE],
                &rate(&cached(&names.cache_evictions), RATE),
            ),
            "{{cache_name}} {{cause}}",
        )
        .stacked(),
        12,
        8,
    );
    d.panel(
        Panel::timeseries(
            "Entries",
            "Entries held by each cache (summed over the scraped instances).",
            Unit::Count,
        )
        .query(sum_by(&by, &cached(&names.cache_entries).to_string()), "{{cache_name}}"),
        12,
        8,
    );
    d
}
