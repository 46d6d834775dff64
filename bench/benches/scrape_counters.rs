//! Scrape cost with counters: encoding time, exposition size and memory per series, flowmeter
//! against prometheus-client (see `flowmeter_bench::scrape`).
//! Run: `cargo bench -p flowmeter-bench --bench scrape_counters`.

use flowmeter_bench::{CountingAllocator, scrape};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator::new();

fn bench(c: &mut criterion::Criterion) {
    scrape::run(c, scrape::SeriesKind::Counter, &ALLOC);
}

criterion::criterion_group!(benches, bench);
criterion::criterion_main!(benches);
