//! The spanned and span-free contestants both per-call benches run (`per_call.rs` and
//! `sampling_ratio.rs`), each compiled into its bench binary (one pipeline per process).

use flowmeter::instrumented;
use flowmeter_bench::work;

#[instrumented(span = false)]
#[inline(never)]
pub fn flowmeter_span_false(x: u64) -> u64 {
    work(x)
}

#[instrumented]
#[inline(never)]
pub fn flowmeter_span(x: u64) -> u64 {
    work(x)
}

#[tracing::instrument]
#[inline(never)]
pub fn tracing_instrument(x: u64) -> u64 {
    work(x)
}

#[instrumented(span = false)]
pub async fn flowmeter_span_false_async(x: u64) -> u64 {
    work(x)
}

#[instrumented]
pub async fn flowmeter_span_async(x: u64) -> u64 {
    work(x)
}

#[tracing::instrument]
pub async fn tracing_instrument_async(x: u64) -> u64 {
    work(x)
}
