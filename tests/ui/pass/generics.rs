//! Generic functions: type parameters, where clauses, lifetimes, const generics, `impl Trait`
//! arguments; a generic return type classifies as a success whatever it is.

use std::fmt::Debug;

use flowmeter::instrumented;

#[instrumented]
fn largest<T: PartialOrd + Copy + Debug>(items: &[T]) -> Option<T> {
    let mut best = *items.first()?;
    for &item in items {
        if item > best {
            best = item;
        }
    }
    Some(best)
}

#[instrumented]
fn longest<'a, 'b: 'a>(a: &'a str, b: &'b str) -> &'a str
where
    'b: 'a,
{
    if a.len() >= b.len() { a } else { b }
}

#[instrumented]
fn convert<T, E>(value: T) -> Result<u8, E>
where
    T: TryInto<u8, Error = E> + Debug,
{
    value.try_into()
}

#[instrumented]
fn sum<const N: usize>(values: [u32; N]) -> u32 {
    values.iter().sum()
}

// Arguments without `Debug` must be skipped.
#[instrumented(skip(_with))]
fn describe(value: impl Debug, _with: impl Into<String>) -> String {
    format!("{value:?}")
}

#[instrumented]
async fn identity<T: Debug + Send>(value: T) -> T {
    value
}

struct Wrapper<T>(T);

impl<T: Clone + Debug> Wrapper<T> {
    #[instrumented]
    fn get(&self) -> T
    where
        T: Default,
    {
        self.0.clone()
    }
}

impl<T> Debug for Wrapper<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wrapper")
    }
}

fn main() {
    assert_eq!(largest(&[1, 5, 3]), Some(5));
    assert_eq!(largest::<u8>(&[]), None);
    assert_eq!(longest("ab", "a"), "ab");
    assert_eq!(convert::<u32, _>(7), Ok(7));
    assert!(convert::<u32, _>(700).is_err());
    assert_eq!(sum([1, 2, 3]), 6);
    assert_eq!(describe(1, "x"), "1");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(runtime.block_on(identity("x")), "x");
    assert_eq!(Wrapper(3u8).get(), 3);
}
