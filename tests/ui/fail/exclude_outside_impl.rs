use flowmeter::instrumented;

#[instrumented(exclude)]
fn free() {}

struct Plain;

impl Plain {
    #[instrumented(exclude)]
    fn method(&self) {}
}

#[instrumented(exclude)]
impl Plain {
    fn other(&self) {}
}

struct Instrumented;

#[instrumented]
impl Instrumented {
    #[instrumented(exclude, kind = "x")]
    fn method(&self) {}
}

fn main() {}
