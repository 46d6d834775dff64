use flowmeter::instrumented;

#[instrumented]
struct NotAFunction;

struct Store;

#[instrumented(name = "store")]
impl Store {
    fn get(&self) {}
}

trait Get {
    fn get(&self);
}

#[instrumented]
impl Get for (u8, u8) {
    fn get(&self) {}
}

#[instrumented(span = "no")]
fn span_not_bool() {}

fn main() {}
