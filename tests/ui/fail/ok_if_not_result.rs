use flowmeter::instrumented;

fn never(_: &u8) -> bool {
    false
}

#[instrumented(ok_if = never)]
fn count() -> Option<u8> {
    None
}

#[instrumented(ok_if = never)]
async fn later() -> u8 {
    1
}

fn main() {}
