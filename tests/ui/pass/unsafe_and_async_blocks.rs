//! `unsafe fn`, `extern "C" fn`, and functions that return an async block without being
//! `async` (instrumented inside the block).

use std::future::Future;
use std::pin::Pin;

use flowmeter::instrumented;

#[instrumented]
unsafe fn read(pointer: *const u8) -> u8 {
    unsafe { *pointer }
}

#[instrumented]
extern "C" fn callback(x: i32) -> i32 {
    x + 1
}

#[instrumented(err)]
fn later(x: u32) -> impl Future<Output = Result<u32, String>> {
    async move {
        tokio::task::yield_now().await;
        if x == 0 {
            return Err("zero".into());
        }
        Ok(x)
    }
}

#[instrumented]
fn boxed(x: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move { x * 2 })
}

#[instrumented]
fn borrowing(text: &str) -> impl Future<Output = usize> + '_ {
    async { text.len() }
}

fn main() {
    let byte = 7u8;
    assert_eq!(unsafe { read(&byte) }, 7);
    assert_eq!(callback(1), 2);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(runtime.block_on(later(3)), Ok(3));
    assert!(runtime.block_on(later(0)).is_err());
    assert_eq!(runtime.block_on(boxed(2)), 4);
    assert_eq!(runtime.block_on(borrowing("abc")), 3);
}
