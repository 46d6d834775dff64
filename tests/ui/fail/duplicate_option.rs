use flowmeter::instrumented;

#[instrumented(name = "a", name = "b")]
fn named_twice() {}

#[instrumented(err, kind = "step", err)]
fn err_twice() -> Result<(), String> {
    Ok(())
}

#[instrumented(skip(_x), skip_all)]
fn skip_and_skip_all(_x: u8) {}

#[instrumented(ok_if = f, error_if = g)]
fn ok_if_and_error_if() -> Result<(), String> {
    Ok(())
}

#[instrumented(skip(_x, _x))]
fn skipped_twice(_x: u8) {}

fn main() {}
