use flowmeter::instrumented;

#[instrumented(kind = "LLM call")]
fn upper() {}

#[instrumented(kind = "2nd")]
fn digit() {}

fn main() {}
