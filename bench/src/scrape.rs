//! The scrape benchmark's driver: the same series held by flowmeter (OpenTelemetry SDK +
//! Prometheus bridge) and by prometheus-client, grown 100 → 1 000 → 10 000, encoded at each
//! size: flowmeter to the text format 0.0.4 (`flowmeter`) and to OpenMetrics 1.0
//! (`flowmeter_openmetrics`, what a Prometheus asking for OpenMetrics gets), prometheus-client
//! to OpenMetrics (its only text encoding).
//!
//! One family per kind, grown in place, so at every size both libraries hold exactly the same
//! series (flowmeter also exports its one `target_info` line). Each benchmark binary measures
//! one kind, because flowmeter's pipeline is one per process and would otherwise carry the
//! other kind's series into the exposition.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use flowmeter::Telemetry;
use flowmeter::app::{self, AppCounter, AppHistogram};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::CountingAllocator;

/// The series counts measured.
pub const SIZES: [usize; 3] = [100, 1_000, 10_000];

/// flowmeter's default duration buckets, given to prometheus-client too.
const BUCKETS: [f64; 15] =
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];

/// What each series is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    /// A counter per series (one sample line each).
    Counter,
    /// A histogram per series with 15 buckets (18 sample lines each).
    Histogram,
}

type Labels = Vec<(String, String)>;

enum Flowmeter {
    Counter(AppCounter),
    Histogram(AppHistogram),
}

enum Client {
    Counter(Family<Labels, Counter>),
    Histogram(Family<Labels, Histogram>),
}

/// Both libraries' copies of the series.
struct Side {
    flowmeter: Flowmeter,
    client: Client,
    registry: Registry,
}

impl Side {
    fn new(kind: SeriesKind) -> Self {
        let mut registry = Registry::default();
        let (flowmeter, client) = match kind {
            SeriesKind::Counter => {
                let c = app::counter("scrape.bench")
                    .help("Series for the scrape benchmark")
                    .labels(["operation", "series"])
                    .cardinality_limit(2 * SIZES[2])
                    .build()
                    .expect("declare counter");
                let family = Family::<Labels, Counter>::default();
                registry.register(
                    "scrape_bench",
                    "Series for the scrape benchmark",
                    family.clone(),
                );
                (Flowmeter::Counter(c), Client::Counter(family))
            }
            SeriesKind::Histogram => {
                let h = app::histogram("scrape.bench.duration")
                    .help("Series for the scrape benchmark")
                    .unit("s")
                    .labels(["operation", "series"])
                    .buckets(BUCKETS)
                    .cardinality_limit(2 * SIZES[2])
                    .build()
                    .expect("declare histogram");
                let family = Family::<Labels, Histogram>::new_with_constructor(
                    (|| Histogram::new(BUCKETS)) as fn() -> Histogram,
                );
                registry.register_with_unit(
                    "scrape_bench_duration",
                    "Series for the scrape benchmark",
                    prometheus_client::registry::Unit::Seconds,
                    family.clone(),
                );
                (Flowmeter::Histogram(h), Client::Histogram(family))
            }
        };
        Side { flowmeter, client, registry }
    }

    fn add_flowmeter(&self, series: &str) {
        let labels = ["scrape", series];
        match &self.flowmeter {
            Flowmeter::Counter(c) => c.add(3, &labels).expect("record"),
            Flowmeter::Histogram(h) => h.record(0.042, &labels).expect("record"),
        }
    }

    fn add_client(&self, series: &str) {
        let labels = vec![("operation".into(), "scrape".into()), ("series".into(), series.into())];
        match &self.client {
            Client::Counter(f) => {
                f.get_or_create(&labels).inc_by(3);
            }
            Client::Histogram(f) => f.get_or_create(&labels).observe(0.042),
        }
    }
}

/// Runs the scrape benchmark for `kind`: per size, the live bytes each library holds per
/// series (printed), the exposition size (printed), and the time to encode it (criterion).
/// Installs flowmeter's pipeline, so call it once per process; `alloc` must be the
/// process's global allocator.
pub fn run(c: &mut Criterion, kind: SeriesKind, alloc: &CountingAllocator) {
    let telemetry = &Telemetry::builder()
        .serve(false)
        .ignore_env()
        .install_subscriber(false)
        .install()
        .expect("install flowmeter");
    let side = Side::new(kind);
    let mut group = c.benchmark_group(match kind {
        SeriesKind::Counter => "scrape_counters",
        SeriesKind::Histogram => "scrape_histograms",
    });
    let mut have = 0;
    let (mut flowmeter_text, mut client_text) = (String::new(), String::new());
    let mut openmetrics_text = String::new();
    for size in SIZES {
        let names: Vec<String> = (have..size).map(|i| format!("series-{i:05}")).collect();
        // A scrape first, so lazily created bridge state is not counted as per-series memory.
        render_flowmeter(telemetry, &mut flowmeter_text);
        let before = alloc.live_bytes();
        names.iter().for_each(|n| side.add_flowmeter(n));
        let flowmeter_bytes = alloc.live_bytes() - before;
        let before = alloc.live_bytes();
        names.iter().for_each(|n| side.add_client(n));
        let client_bytes = alloc.live_bytes() - before;
        let added = (size - have) as isize;
        have = size;

        render_flowmeter(telemetry, &mut flowmeter_text);
        render_openmetrics(telemetry, &mut openmetrics_text);
        render_client(&side.registry, &mut client_text);
        println!(
            "{kind:?} series={size}: memory per series flowmeter={} B prometheus_client={} B; \
             exposition flowmeter={} B flowmeter_openmetrics={} B prometheus_client={} B",
            flowmeter_bytes / added,
            client_bytes / added,
            flowmeter_text.len(),
            openmetrics_text.len(),
            client_text.len(),
        );

        group.bench_with_input(BenchmarkId::new("flowmeter", size), &size, |b, _| {
            b.iter(|| render_flowmeter(telemetry, black_box(&mut flowmeter_text)))
        });
        group.bench_with_input(BenchmarkId::new("flowmeter_openmetrics", size), &size, |b, _| {
            b.iter(|| render_openmetrics(telemetry, black_box(&mut openmetrics_text)))
        });
        group.bench_with_input(BenchmarkId::new("prometheus_client", size), &size, |b, _| {
            b.iter(|| render_client(&side.registry, black_box(&mut client_text)))
        });
    }
    group.finish();
}

fn render_flowmeter(telemetry: &Telemetry, out: &mut String) {
    out.clear();
    flowmeter::exporter::render_into(telemetry.pipeline(), out);
}

fn render_openmetrics(telemetry: &Telemetry, out: &mut String) {
    out.clear();
    flowmeter::exporter::render_openmetrics_into(telemetry.pipeline(), out);
}

fn render_client(registry: &Registry, out: &mut String) {
    out.clear();
    prometheus_client::encoding::text::encode(out, registry).expect("encode");
}
