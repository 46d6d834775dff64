use flowmeter::instrumented;

#[instrumented(level = "info")]
fn step() {}

#[instrumented(kind = "step", errors)]
fn other() {}

fn main() {}
