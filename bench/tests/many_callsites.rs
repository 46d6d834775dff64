//! A big service: 5 000 generated `#[instrumented]` functions (see `build.rs`), each called
//! once, plus 50 workflows and 50 caches built at run time. Every call site is visible with
//! its exact count and nothing falls into an overflow series, although the pipeline default
//! (2 000 label sets per instrument) is far below what the call sites bind; and a function at
//! rest costs the series budget the README states.

use std::collections::BTreeMap;

use flowmeter::Telemetry;
use flowmeter::primitives::{Context, Primitive, Workflow, cached, step};
use flowmeter_testkit::parse;

include!(concat!(env!("OUT_DIR"), "/callsites.rs"));

const EXECUTIONS: &str = "flowmeter_primitive_executions_total";
/// Series of one `#[instrumented]` function at rest: 4 statuses on the counter, the `success`
/// duration histogram (15 boundaries, `+Inf`, `_sum`, `_count`) and the in-flight gauge.
const SERIES_AT_REST: usize = 4 + 18 + 1;

#[tokio::test]
async fn every_call_site_workflow_and_cache_is_visible_with_its_exact_count() {
    let telemetry = Telemetry::builder()
        .serve(false)
        .ignore_env()
        .install_subscriber(false)
        .install()
        .expect("install telemetry");

    // At rest: every site's series exist, and each site has exactly its budget.
    let at_rest = telemetry.render();
    let mut per_site: BTreeMap<&str, usize> = BTreeMap::new();
    for line in at_rest.lines().filter(|l| !l.starts_with('#')) {
        if let Some(site) = line.split("primitive_name=\"").nth(1).and_then(|r| r.split('"').next())
        {
            *per_site.entry(site).or_default() += 1;
        }
    }
    assert_eq!(per_site.len(), SITES.len(), "every call site exports its series at rest");
    assert!(per_site.values().all(|n| *n == SERIES_AT_REST), "{SERIES_AT_REST} series each");

    for (_, site) in &SITES {
        site();
    }
    let ctx = Context::new("many_callsites");
    for i in 0..50 {
        let workflow = Workflow::new(
            format!("workflow_{i:02}"),
            step(format!("workflow_step_{i:02}"), |n: u32, _ctx: Context| async move {
                Ok::<_, std::io::Error>(n + 1)
            }),
        );
        assert_eq!(workflow.run(i).await.unwrap(), i + 1);
        let cache = cached(
            format!("cache_{i:02}"),
            step(format!("cache_load_{i:02}"), |n: u32, _ctx: Context| async move {
                Ok::<_, std::io::Error>(n * 2)
            }),
        );
        for _ in 0..2 {
            assert_eq!(cache.run(i, &ctx).await.unwrap(), i * 2);
        }
    }

    let text = telemetry.render();
    assert!(!text.contains("otel_metric_overflow"), "no label set fell into an overflow series");
    let scraped = parse(&text);
    for (name, _) in &SITES {
        let success = [("primitive_name", *name), ("status", "success")];
        assert_eq!(scraped.value(EXECUTIONS, &success), 1.0, "{name}");
    }
    for i in 0..50 {
        let workflow = format!("workflow_{i:02}");
        let runs = [("workflow_name", workflow.as_str()), ("status", "success")];
        assert_eq!(scraped.value("flowmeter_workflow_executions_total", &runs), 1.0);
        let cache = format!("cache_{i:02}");
        let name = [("cache_name", cache.as_str())];
        assert_eq!(scraped.value("flowmeter_cache_hits_total", &name), 1.0, "{cache}");
        assert_eq!(scraped.value("flowmeter_cache_misses_total", &name), 1.0, "{cache}");
    }
}
