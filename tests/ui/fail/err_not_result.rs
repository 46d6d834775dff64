use flowmeter::instrumented;

#[instrumented(err)]
fn count() -> Option<u8> {
    None
}

#[instrumented(err)]
fn unit() {}

fn main() {}
