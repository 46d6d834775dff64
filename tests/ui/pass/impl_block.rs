//! `#[instrumented]` on whole impl blocks, inherent and trait impls: defaults for every
//! method, per-method overrides, and `exclude`.

use flowmeter::instrumented;

#[derive(Debug, Default)]
struct Cache {
    entries: Vec<(String, u32)>,
}

#[derive(Debug)]
struct Full;

impl std::fmt::Display for Full {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("full")
    }
}

#[instrumented(kind = "cache", labels(tier = "memory"), skip(key), err)]
impl Cache {
    /// An associated function: `Cache::new`.
    fn new() -> Self {
        Cache::default()
    }

    fn get(&self, key: &str) -> Option<u32> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    // Overrides: a name of its own and a different kind; `err` and `skip(key)` still apply.
    #[instrumented(name = "cache_put", kind = "cache_write")]
    fn put(&mut self, key: &str, value: u32) -> Result<(), Full> {
        if self.entries.len() >= 2 {
            return Err(Full);
        }
        self.entries.push((key.to_owned(), value));
        Ok(())
    }

    #[instrumented(exclude)]
    const fn capacity() -> usize {
        2
    }

    #[instrumented(span = false)]
    fn len(&self) -> usize {
        self.entries.len()
    }

    async fn refresh(&mut self) -> usize {
        tokio::task::yield_now().await;
        self.entries.len()
    }

    #[flowmeter::instrumented(skip_all, buckets = [0.001, 0.01, 0.1])]
    fn clear(&mut self) {
        self.entries.clear();
    }
}

trait Named {
    fn name(&self) -> String;
    fn id() -> u32;
}

#[instrumented]
impl Named for Cache {
    fn name(&self) -> String {
        "cache".into()
    }

    fn id() -> u32 {
        7
    }
}

struct Generic<T>(T);

#[instrumented(skip(self))]
impl<T: Clone + std::fmt::Debug> Generic<T> {
    fn get(&self) -> T {
        self.0.clone()
    }
}

#[instrumented(skip_all)]
impl Named for &Generic<u8> {
    fn name(&self) -> String {
        "generic".into()
    }

    fn id() -> u32 {
        8
    }
}

fn main() {
    const CAPACITY: usize = Cache::capacity();
    let mut cache = Cache::new();
    assert!(cache.put("a", 1).is_ok());
    assert!(cache.put("b", 2).is_ok());
    assert!(cache.put("c", 3).is_err());
    assert_eq!(cache.get("a"), Some(1));
    assert_eq!(cache.len(), CAPACITY);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(runtime.block_on(cache.refresh()), 2);
    cache.clear();
    assert_eq!(cache.name(), "cache");
    assert_eq!(Cache::id(), 7);
    assert_eq!(Generic(5).get(), 5);
    assert_eq!((&Generic(1u8)).name(), "generic");
    assert_eq!(<&Generic<u8>>::id(), 8);
}
