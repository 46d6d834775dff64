use flowmeter::instrumented;

#[instrumented(skip(nope))]
fn missing(_present: u8) {}

#[instrumented(fields(status = 1))]
fn built_in_field() {}

#[instrumented(fields(error.type = "x"))]
fn built_in_dotted_field() {}

#[instrumented(fields(a = 1, a = 2))]
fn duplicate_field() {}

fn main() {}
