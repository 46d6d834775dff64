//! Three instances of the workflow example, one real Prometheus scraping all three with the
//! shipped rules: the rules aggregate across instances as they must.
//!
//! The instances differ on purpose: documents 1–3 every 20 ms (no timeouts, the busiest),
//! 1–6 every 300 ms (document 4 times out) and 1–9 every 300 ms (documents 4 and 9 time out),
//! so their error ratios and latency distributions differ and a rule that averaged per-instance
//! ratios or quantiles would give a different answer. After a few seconds the instances are
//! stopped, which freezes the data; then, at the evaluation time of the recorded series,
//! the test reads the per-instance series and computes in Rust what each rule must say:
//!
//! - rates sum: the workflow rate is the sum of the instances' rates;
//! - ratios come from summed numerator and denominator: errors / completions over all
//!   instances, not a mean of per-instance ratios;
//! - quantiles come from summed buckets: p50/p95/p99 are `histogram_quantile` (written here)
//!   over the bucket rates summed across instances.
//!
//! And no rule depends on `instance`: no expression names it, and no recorded series carries it.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use common::prometheus::{Prometheus, Series, query_at, wait_for};
use common::write_generated;
use common::{KillOnDrop, TempDir, free_port, tool_available};
use flowmeter_cli::{GenerateConfig, generate};

const WORKFLOW: &str = "document_pipeline";
/// (documents per batch, pause between batches in ms) of each instance.
const INSTANCES: [(u32, u32); 3] = [(3, 20), (6, 300), (9, 300)];
const PLACEHOLDER: &str = "TARGETS_PLACEHOLDER";

fn start_instance(documents: u32, interval_ms: u32) -> (KillOnDrop, SocketAddr) {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut command = common::example("workflow");
    command
        .args(["--documents", &documents.to_string()])
        .args(["--interval-ms", &interval_ms.to_string()])
        .env("FLOWMETER_LISTEN", addr.to_string());
    (common::spawn_serving(command), addr)
}

/// Writes the generated rules and a prometheus.yml scraping `targets` every second; returns
/// every rule as (name, expression).
fn write_config(dir: &std::path::Path, targets: &[SocketAddr]) -> Vec<(String, String)> {
    let config = GenerateConfig { scrape_target: PLACEHOLDER.to_owned(), ..Default::default() };
    let listed: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    let rules = write_generated(dir, &generate(&config), |prometheus_yml| {
        prometheus_yml.replace(PLACEHOLDER, &listed.join("', '"))
    });
    rules.into_iter().map(|rule| (rule.name, rule.expr)).collect()
}

/// `histogram_quantile` as Prometheus computes it for classic buckets: the rank's bucket,
/// linear interpolation inside it, the lower bound of the first bucket taken as 0, and the
/// highest finite bound when the rank falls in `+Inf`.
fn histogram_quantile(q: f64, buckets: &BTreeMap<OrderedBound, f64>) -> f64 {
    let bounds: Vec<(f64, f64)> = buckets.iter().map(|(b, c)| (b.0, *c)).collect();
    let (last_bound, total) = *bounds.last().expect("buckets");
    assert!(last_bound.is_infinite(), "a +Inf bucket");
    if total == 0.0 {
        return f64::NAN;
    }
    let rank = q * total;
    let index = bounds.iter().position(|(_, count)| *count >= rank).unwrap();
    if index == bounds.len() - 1 {
        return bounds[bounds.len() - 2].0;
    }
    let (end, count) = bounds[index];
    let (start, below) = if index == 0 { (0.0, 0.0) } else { bounds[index - 1] };
    start + (end - start) * ((rank - below) / (count - below))
}

/// A bucket bound that sorts (`le` values are finite or `+Inf`, never NaN).
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderedBound(f64);

impl Eq for OrderedBound {}

impl PartialOrd for OrderedBound {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedBound {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

/// The one series of `promql` at `time`.
fn one(prometheus: SocketAddr, promql: &str, time: f64) -> Series {
    let found = query_at(prometheus, promql, Some(time)).expect("a valid query");
    assert_eq!(found.len(), 1, "{promql} at {time}: {found:#?}");
    found.into_iter().next().unwrap()
}

/// The per-series answer of `promql` at `time`, which must come from every instance.
fn per_instance(prometheus: SocketAddr, promql: &str, time: f64) -> Vec<Series> {
    let found = query_at(prometheus, promql, Some(time)).expect("a valid query");
    let mut instances: Vec<&str> = found.iter().filter_map(|s| s.label("instance")).collect();
    instances.sort_unstable();
    instances.dedup();
    assert_eq!(instances.len(), INSTANCES.len(), "{promql}: series of every instance");
    found
}

fn sum(series: &[Series]) -> f64 {
    series.iter().map(|s| s.value).sum()
}

#[test]
fn the_shipped_rules_aggregate_correctly_across_three_instances() {
    if !tool_available("prometheus") {
        return;
    }
    let dir = TempDir::new("multi-instance");
    let mut instances: Vec<(KillOnDrop, SocketAddr)> = INSTANCES
        .iter()
        .map(|(documents, interval)| start_instance(*documents, *interval))
        .collect();
    let targets: Vec<SocketAddr> = instances.iter().map(|(_, addr)| *addr).collect();
    let rules = write_config(dir.path(), &targets);

    // No rule names `instance`: every one aggregates it away (or never selects by it).
    for (name, expr) in &rules {
        assert!(!expr.contains("instance"), "{name} depends on instance: {expr}");
    }

    let prometheus = Prometheus::start(dir.path());
    let addr = prometheus.addr;
    wait_for("Prometheus to scrape all three instances", Duration::from_secs(60), || {
        let up = query_at(addr, "sum(up{job=\"flowmeter\"})", None)?;
        (up.first()?.value == 3.0).then_some(())
    });
    // Every instance must have completed workflows in at least two scrapes (rate needs two
    // samples); then the instances stop and the data no longer changes.
    wait_for("two scrapes with workflow runs from each instance", Duration::from_secs(60), || {
        let promql = "count(count_over_time(flowmeter_workflow_executions_total{status=\"success\"}[1m]) >= 3)";
        let counted = query_at(addr, promql, None)?;
        (counted.first()?.value >= 3.0).then_some(())
    });
    std::thread::sleep(Duration::from_secs(3));
    instances.clear();
    wait_for("all three targets down", Duration::from_secs(60), || {
        let up = query_at(addr, "sum(up{job=\"flowmeter\"})", None)?;
        (up.first()?.value == 0.0).then_some(())
    });
    // Two rule evaluations after the last scrape: the recorded series see the final data.
    std::thread::sleep(Duration::from_secs(3));

    // The time of the last evaluation; every comparison is made at exactly that time.
    let rate_rule =
        format!("workflow:flowmeter_workflow_executions:rate5m{{workflow_name=\"{WORKFLOW}\"}}");
    let at = one(addr, &format!("timestamp({rate_rule})"), now()).value;
    let recorded_rate = one(addr, &rate_rule, at);

    // No recorded series carries `instance`.
    for (name, _) in rules.iter().filter(|(name, _)| name.contains(':')) {
        let series = query_at(addr, &format!("{{__name__=\"{name}\"}}"), Some(at)).unwrap();
        for s in &series {
            assert_eq!(s.label("instance"), None, "{name} keeps instance: {:?}", s.labels);
        }
    }

    // Rates sum.
    let rates = per_instance(
        addr,
        &format!("rate(flowmeter_workflow_executions_total{{workflow_name=\"{WORKFLOW}\"}}[5m])"),
        at,
    );
    assert!(
        close(recorded_rate.value, sum(&rates)),
        "rate {} vs summed {}",
        recorded_rate.value,
        sum(&rates)
    );
    assert!(recorded_rate.value > 0.0);

    // Ratios from summed numerator and denominator.
    let errors = per_instance(
        addr,
        &format!(
            "rate(flowmeter_workflow_executions_total{{workflow_name=\"{WORKFLOW}\",status=~\"error|panic\"}}[5m])"
        ),
        at,
    );
    let completions = per_instance(
        addr,
        &format!(
            "rate(flowmeter_workflow_executions_total{{workflow_name=\"{WORKFLOW}\",status!=\"cancelled\"}}[5m])"
        ),
        at,
    );
    let recorded_ratio = one(
        addr,
        &format!("workflow:flowmeter_workflow_errors:ratio_rate5m{{workflow_name=\"{WORKFLOW}\"}}"),
        at,
    );
    let expected_ratio = sum(&errors) / sum(&completions);
    assert!(
        close(recorded_ratio.value, expected_ratio),
        "ratio {} vs {expected_ratio}",
        recorded_ratio.value
    );
    let by_instance = |series: &[Series]| -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for s in series {
            *out.entry(s.label("instance").unwrap().to_owned()).or_default() += s.value;
        }
        out
    };
    let (errors_by, completions_by) = (by_instance(&errors), by_instance(&completions));
    let ratios: Vec<f64> = completions_by.iter().map(|(i, c)| errors_by[i] / c).collect();
    let spread = ratios.iter().cloned().fold(f64::MIN, f64::max)
        - ratios.iter().cloned().fold(f64::MAX, f64::min);
    assert!(
        spread > 0.05,
        "the instances' error ratios differ ({ratios:?}), so a mean would be wrong"
    );

    eprintln!(
        "rate {} = sum of {:?}; error ratio {} from summed rates, per instance {ratios:?}",
        recorded_rate.value,
        rates.iter().map(|s| s.value).collect::<Vec<_>>(),
        recorded_ratio.value
    );

    // Quantiles from summed buckets.
    let buckets = per_instance(
        addr,
        &format!(
            "rate(flowmeter_workflow_duration_seconds_bucket{{workflow_name=\"{WORKFLOW}\"}}[5m])"
        ),
        at,
    );
    let mut summed: BTreeMap<OrderedBound, f64> = BTreeMap::new();
    for s in &buckets {
        let le = s.label("le").unwrap();
        let bound = if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap() };
        *summed.entry(OrderedBound(bound)).or_default() += s.value;
    }
    for (q, rule) in [(0.5, "p50_5m"), (0.95, "p95_5m"), (0.99, "p99_5m")] {
        let recorded = one(
            addr,
            &format!(
                "workflow:flowmeter_workflow_duration_seconds:{rule}{{workflow_name=\"{WORKFLOW}\"}}"
            ),
            at,
        );
        let expected = histogram_quantile(q, &summed);
        eprintln!("{rule}: recorded {} s, from summed buckets {expected} s", recorded.value);
        assert!(
            close(recorded.value, expected),
            "{rule}: recorded {} vs {expected} from summed buckets",
            recorded.value
        );
    }
}

fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}
