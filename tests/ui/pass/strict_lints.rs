//! The expansion compiles warning-free under strict crate lints, including `unsafe_code`
//! (linkme's registration contains unsafe code), and instrumented functions nest.
#![deny(
    warnings,
    unsafe_code,
    unused,
    unused_qualifications,
    unused_results,
    missing_docs
)]
#![deny(
    unreachable_pub,
    trivial_casts,
    trivial_numeric_casts,
    single_use_lifetimes
)]

use flowmeter::instrumented;

/// An instrumented function defining another inside its body.
#[instrumented]
pub fn outer(x: u32) -> u32 {
    #[instrumented(kind = "inner")]
    fn inner(x: u32) -> u32 {
        x + 1
    }
    inner(x) * 2
}

/// An async one.
#[instrumented(err)]
pub async fn fallible(x: u32) -> Result<u32, String> {
    if x == 0 {
        return Err("zero".to_owned());
    }
    Ok(x)
}

/// A type with an instrumented impl block.
#[derive(Debug)]
pub struct Thing;

#[instrumented]
impl Thing {
    /// A method.
    pub fn get(&self) -> u8 {
        1
    }
}

fn main() {
    assert_eq!(outer(1), 4);
    assert_eq!(Thing.get(), 1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(runtime.block_on(fallible(0)).is_err());
}
