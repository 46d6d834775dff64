//! Methods with every receiver, and associated functions, with method-level attributes.

use flowmeter::instrumented;

#[derive(Debug, Default)]
struct Counter {
    count: u32,
    name: String,
}

impl Counter {
    #[instrumented]
    fn new(name: &str) -> Self {
        Counter {
            count: 0,
            name: name.to_owned(),
        }
    }

    #[instrumented]
    fn get(&self) -> u32 {
        self.count
    }

    #[instrumented]
    fn name(&self) -> &str {
        &self.name
    }

    #[instrumented]
    fn bump(&mut self) -> &mut u32 {
        // A borrow of the `&mut self` receiver escapes the wrapped body.
        self.count += 1;
        &mut self.count
    }

    #[instrumented(span = false)]
    fn bump_quietly(&mut self) -> &mut u32 {
        &mut self.count
    }

    #[instrumented]
    fn into_count(self) -> u32 {
        self.count
    }

    #[instrumented]
    async fn async_bump(&mut self) -> &mut u32 {
        self.count += 1;
        &mut self.count
    }

    #[instrumented]
    async fn async_into_name(self) -> String {
        self.name
    }
}

/// Not `Debug`: the receiver must be skipped.
struct Opaque(u8);

impl Opaque {
    #[instrumented(skip(self))]
    fn get(&self) -> u8 {
        self.0
    }

    #[instrumented(skip_all)]
    fn combine(self: Box<Self>, other: Opaque) -> u8 {
        self.0 + other.0
    }
}

fn main() {
    let mut counter = Counter::new("c");
    *counter.bump() += 10;
    *counter.bump_quietly() += 1;
    assert_eq!(counter.get(), 12);
    assert_eq!(counter.name(), "c");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        *counter.async_bump().await += 1;
    });
    assert_eq!(counter.get(), 14);
    let clone = Counter {
        count: counter.count,
        name: counter.name.clone(),
    };
    assert_eq!(runtime.block_on(clone.async_into_name()), "c");
    assert_eq!(counter.into_count(), 14);
    assert_eq!(Opaque(1).get(), 1);
    assert_eq!(Box::new(Opaque(1)).combine(Opaque(2)), 3);
}
