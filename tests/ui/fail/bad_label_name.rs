use flowmeter::instrumented;

#[instrumented(labels(__meta = "x"))]
fn internal() {}

#[instrumented(labels(naïve = "x"))]
fn non_ascii() {}

#[instrumented(labels(team = "a", team = "b"))]
fn duplicate() {}

#[instrumented(labels(team = ""))]
fn empty_value() {}

fn main() {}
