use flowmeter::instrumented;

#[instrumented(name = "")]
fn empty() {}

#[instrumented(name = "two\nlines")]
fn control() {}

fn main() {}
