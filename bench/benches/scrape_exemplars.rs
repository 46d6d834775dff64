//! Scrape cost when the duration histograms carry exemplars: primitives (one `step` each, its
//! own `primitive_name` series) grown 100 → 1 000 → 10 000, each run once inside a sampled
//! remote parent, so every series has an exemplar on the bucket its call fell in; encoded to
//! the text format 0.0.4 (`flowmeter`, which carries none) and to OpenMetrics with them
//! (`flowmeter_openmetrics`: the exemplar index copied, each series looked up).
//! A process of its own: the pipeline is one per process (see `flowmeter_bench::scrape`).
//! Run: `cargo bench -p flowmeter-bench --bench scrape_exemplars`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use flowmeter::Telemetry;
use flowmeter::primitives::{Context, Error, Primitive as _, step};
use flowmeter_bench::{DiscardExporter, remote_parent};

fn bench(c: &mut Criterion) {
    let telemetry = &Telemetry::builder()
        .serve(false)
        .ignore_env()
        // Every step's series kept (the default limit, 2 000 per instrument, would fold the
        // rest into the overflow series, which has no exemplars to show).
        .cardinality_limit(50_000)
        .with_span_exporter(DiscardExporter)
        .install()
        .expect("install flowmeter");
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let ctx = Context::new("scrape_exemplars");
    let mut steps = Vec::new();
    let mut group = c.benchmark_group("scrape_exemplars");
    let (mut text, mut openmetrics) = (String::new(), String::new());
    for size in flowmeter_bench::scrape::SIZES {
        let parent = remote_parent(true).attach();
        while steps.len() < size {
            let name = format!("series-{:05}", steps.len());
            let primitive = step(name, |n: u64, _ctx: Context| async move { Ok::<_, Error>(n) });
            runtime.block_on(primitive.run(1, &ctx)).expect("runs");
            steps.push(primitive);
        }
        drop(parent);
        flowmeter::exporter::render_into(telemetry.pipeline(), &mut text);
        flowmeter::exporter::render_openmetrics_into(telemetry.pipeline(), &mut openmetrics);
        let exemplars = openmetrics.matches(" # {trace_id=").count();
        assert!(exemplars >= size, "every step's series has its exemplar: {exemplars}");
        println!(
            "primitives={size}: exposition flowmeter={} B flowmeter_openmetrics={} B \
             ({exemplars} exemplars)",
            text.len(),
            openmetrics.len()
        );
        group.bench_with_input(BenchmarkId::new("flowmeter", size), &size, |b, _| {
            b.iter(|| {
                text.clear();
                flowmeter::exporter::render_into(telemetry.pipeline(), black_box(&mut text));
            })
        });
        group.bench_with_input(BenchmarkId::new("flowmeter_openmetrics", size), &size, |b, _| {
            b.iter(|| {
                openmetrics.clear();
                flowmeter::exporter::render_openmetrics_into(
                    telemetry.pipeline(),
                    black_box(&mut openmetrics),
                );
            })
        });
        text.clear();
        openmetrics.clear();
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
