use flowmeter::instrumented;

#[instrumented]
const fn answer() -> u8 {
    42
}

struct Config;

#[instrumented]
impl Config {
    const fn default_port() -> u16 {
        9464
    }
}

fn main() {}
