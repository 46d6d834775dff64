use flowmeter::instrumented;

#[instrumented(objective(success_rate = 1.5))]
fn above_one() {}

#[instrumented(objective(latency = 0.5))]
fn latency_without_ratio() {}

fn main() {}
