use flowmeter::instrumented;

#[instrumented(buckets = [0.1, 0.5, 0.25, 1.0])]
fn decreasing() {}

#[instrumented(buckets = [0.1, 0.5, 0.5])]
fn repeated() {}

fn main() {}
