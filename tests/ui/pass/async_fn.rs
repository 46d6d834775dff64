//! Async functions: values, `?`, early `return`, borrowed arguments, a `Send` future that can
//! be spawned, and a non-`Send` one that still compiles.

use std::rc::Rc;

use flowmeter::instrumented;

#[instrumented]
async fn double(x: u64) -> u64 {
    tokio::task::yield_now().await;
    x * 2
}

#[instrumented(err)]
async fn parse(input: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = input.parse()?;
    if n == 0 {
        return Ok(1);
    }
    Ok(n)
}

#[instrumented]
async fn borrowed<'a>(text: &'a str, _other: &str) -> &'a str {
    text.trim()
}

#[instrumented]
async fn unit() {}

#[instrumented(skip_all)]
async fn not_send(value: Rc<u8>) -> u8 {
    tokio::task::yield_now().await;
    *value
}

#[instrumented]
async fn impl_trait_return(n: u32) -> impl std::fmt::Display {
    n
}

fn assert_send<T: Send>(_: &T) {}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_send(&double(1));
        assert_eq!(tokio::spawn(double(2)).await.unwrap(), 4);
        assert_eq!(parse("0").await, Ok(1));
        assert!(parse("x").await.is_err());
        assert_eq!(borrowed(" a ", "b").await, "a");
        unit().await;
        assert_eq!(not_send(Rc::new(3)).await, 3);
        assert_eq!(impl_trait_return(5).await.to_string(), "5");
        // Never polled: never runs, never counted.
        drop(double(3));
    });
}
