use flowmeter::instrumented;

#[instrumented(labels(job = "x"))]
fn job() {}

#[instrumented(labels(instance = "x"))]
fn instance() {}

#[instrumented(labels(le = "x"))]
fn le() {}

#[instrumented(labels(quantile = "x"))]
fn quantile() {}

#[instrumented(labels(status = "x"))]
fn status() {}

#[instrumented(labels(primitive_name = "x"))]
fn primitive_name() {}

fn main() {}
