use flowmeter::instrumented;

#[instrumented(objective(latency = 0.3, ratio = 0.99))]
fn between_boundaries() {}

#[instrumented(buckets = [0.1, 0.5], objective(latency = 0.25, ratio = 0.99))]
fn not_in_custom_buckets() {}

fn main() {}
