//! `impl Trait` in return position, alone and inside a `Result`, sync and async.

use std::fmt::Display;

use flowmeter::instrumented;

#[instrumented]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

#[instrumented]
fn borrowing(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.split(',')
}

#[instrumented(err)]
fn parsed(input: &str) -> Result<impl Display, std::num::ParseIntError> {
    let n: u32 = input.parse()?;
    Ok(n)
}

#[instrumented(err)]
async fn parsed_later(input: &str) -> Result<impl Display, std::num::ParseIntError> {
    let n: u32 = input.parse()?;
    Ok(n)
}

#[instrumented]
fn closure(offset: u32) -> impl Fn(u32) -> u32 {
    move |x| x + offset
}

fn main() {
    assert_eq!(evens(5).collect::<Vec<_>>(), [0, 2, 4]);
    assert_eq!(borrowing("a,b").count(), 2);
    assert_eq!(parsed("4").unwrap().to_string(), "4");
    assert!(parsed("x").is_err());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(
        runtime.block_on(parsed_later("5")).unwrap().to_string(),
        "5"
    );
    assert_eq!(closure(1)(1), 2);
}
