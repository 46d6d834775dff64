//! Sync functions: unit, values, `Result` with `?` and early `return`, `-> !`-free divergence.

use flowmeter::instrumented;

#[instrumented]
fn unit() {}

#[instrumented]
fn value(x: u32) -> u32 {
    x + 1
}

#[instrumented]
fn parse(input: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = input.trim().parse()?;
    if n == 0 {
        return Ok(1);
    }
    Ok(n * 2)
}

#[instrumented]
fn boxed_error(input: &str) -> Result<u32, Box<dyn std::error::Error>> {
    // `?` converts through `From` into the declared error type.
    Ok(input.parse::<u32>()?)
}

#[instrumented]
fn early_return(flag: bool) -> &'static str {
    if flag {
        return "early";
    }
    "late"
}

#[instrumented]
fn borrowed(text: &str) -> &str {
    text.trim()
}

#[instrumented]
fn destructured((a, b): (u8, u8), Pair { left, .. }: Pair) -> u8 {
    a + b + left
}

#[derive(Debug)]
struct Pair {
    left: u8,
    #[allow(dead_code)]
    right: u8,
}

#[instrumented]
fn wildcard(_: u8, _unused: u8) {}

#[instrumented]
fn with_inner_attribute() -> u8 {
    #![allow(clippy::let_and_return)]
    let x = 3;
    x
}

#[instrumented]
fn never_returns_normally() -> u8 {
    panic!("never called")
}

#[instrumented]
fn panics() {
    panic!("expected by the test");
}

fn main() {
    unit();
    assert_eq!(value(1), 2);
    assert_eq!(parse("0"), Ok(1));
    assert_eq!(parse("21"), Ok(42));
    assert!(parse("x").is_err());
    assert!(boxed_error("x").is_err());
    assert_eq!(early_return(true), "early");
    assert_eq!(early_return(false), "late");
    assert_eq!(borrowed("  a "), "a");
    assert_eq!(destructured((1, 2), Pair { left: 3, right: 4 }), 6);
    wildcard(1, 2);
    assert_eq!(with_inner_attribute(), 3);
    let _ = never_returns_normally as fn() -> u8;
    std::panic::set_hook(Box::new(|_| {}));
    assert!(std::panic::catch_unwind(panics).is_err());
}
