use flowmeter::instrumented;

#[instrumented(span = false, err)]
fn err() -> Result<(), String> {
    Ok(())
}

#[instrumented(span = false, skip(_x))]
fn skip(_x: u8) {}

#[instrumented(fields(a = 1), span = false)]
fn fields() {}

struct Quiet;

// The block turns spans off; a method cannot configure the span it no longer has.
#[instrumented(span = false)]
impl Quiet {
    #[instrumented(err)]
    fn fallible(&self) -> Result<(), String> {
        Ok(())
    }
}

fn main() {}
