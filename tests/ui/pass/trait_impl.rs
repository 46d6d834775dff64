//! Functions in trait impls, including a native `async fn` in a trait, and a trait's own
//! associated function.

use flowmeter::instrumented;

trait Shape {
    fn area(&self) -> f64;
    fn name() -> &'static str;
    fn scale(&mut self, by: f64) -> Result<(), String>;
}

#[derive(Debug)]
struct Square(f64);

impl Shape for Square {
    #[instrumented]
    fn area(&self) -> f64 {
        self.0 * self.0
    }

    #[instrumented]
    fn name() -> &'static str {
        "square"
    }

    #[instrumented(err, ok_if = is_noop)]
    fn scale(&mut self, by: f64) -> Result<(), String> {
        if by == 1.0 {
            return Err("no-op".into());
        }
        if by <= 0.0 {
            return Err(format!("cannot scale by {by}"));
        }
        self.0 *= by;
        Ok(())
    }
}

fn is_noop(error: &String) -> bool {
    error == "no-op"
}

trait Fetch {
    async fn fetch(&self, key: u32) -> Option<u32>;
}

#[derive(Debug)]
struct Store;

impl Fetch for Store {
    #[instrumented(error_if = Option::is_none)]
    async fn fetch(&self, key: u32) -> Option<u32> {
        tokio::task::yield_now().await;
        (key < 10).then_some(key * 2)
    }
}

impl std::fmt::Display for Square {
    #[instrumented(skip_all)]
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "square {}", self.0)
    }
}

fn main() {
    let mut square = Square(2.0);
    assert_eq!(square.area(), 4.0);
    assert_eq!(Square::name(), "square");
    assert!(square.scale(1.0).is_err());
    assert!(square.scale(-1.0).is_err());
    assert!(square.scale(2.0).is_ok());
    assert_eq!(square.to_string(), "square 4");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(runtime.block_on(Store.fetch(2)), Some(4));
    assert_eq!(runtime.block_on(Store.fetch(20)), None);
}
