use flowmeter::instrumented;

struct NoDebug;

#[derive(Debug)]
struct NoDisplay;

// Arguments are recorded with `Debug` unless skipped: the error points at the argument.
#[instrumented]
fn argument(value: NoDebug) {
    let _ = value;
}

// `err` records the error's `Display`: the error points at `err`.
#[instrumented(err)]
fn error() -> Result<(), NoDisplay> {
    Err(NoDisplay)
}

fn main() {}
