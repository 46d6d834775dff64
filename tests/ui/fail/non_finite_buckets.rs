use flowmeter::instrumented;

#[instrumented(buckets = [0.1, 1e400])]
fn infinite() {}

#[instrumented(buckets = [0.1, f64::NAN])]
fn not_a_literal() {}

#[instrumented(buckets = [])]
fn empty() {}

#[instrumented(buckets = [-1.0, 1.0])]
fn negative() {}

#[instrumented(buckets = [1.0f32])]
fn suffixed() {}

fn main() {}
