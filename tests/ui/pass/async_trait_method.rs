//! `#[instrumented]` on methods of an `#[async_trait]` impl: async_trait expands first, and
//! the attribute instruments inside the boxed future it leaves.

use async_trait::async_trait;
use flowmeter::instrumented;

#[async_trait]
trait Repository {
    async fn load(&self, id: u32) -> Result<String, String>;
    async fn store(&mut self, id: u32, value: String);
    async fn count(&self) -> usize;
    async fn describe(self: Box<Self>, (a, b): (u8, u8)) -> String;
}

#[derive(Debug, Default)]
struct Memory {
    items: Vec<(u32, String)>,
}

#[async_trait]
impl Repository for Memory {
    #[instrumented(err, kind = "repository")]
    async fn load(&self, id: u32) -> Result<String, String> {
        tokio::task::yield_now().await;
        let found = self
            .items
            .iter()
            .find(|(k, _)| *k == id)
            .ok_or_else(|| format!("no {id}"))?;
        Ok(found.1.clone())
    }

    #[instrumented(skip(value))]
    async fn store(&mut self, id: u32, value: String) {
        if id == 0 {
            return;
        }
        self.items.push((id, value));
    }

    #[instrumented(name = "Memory::count", fields(items = self.items.len()))]
    async fn count(&self) -> usize {
        self.items.len()
    }

    #[instrumented]
    async fn describe(self: Box<Self>, (a, b): (u8, u8)) -> String {
        format!("{} items, {a} {b}", self.items.len())
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut memory = Memory::default();
        memory.store(0, "ignored".into()).await;
        memory.store(1, "one".into()).await;
        assert_eq!(memory.load(1).await, Ok("one".to_owned()));
        assert!(memory.load(2).await.is_err());
        assert_eq!(memory.count().await, 1);
        // The boxed futures stay `Send`: they can be spawned.
        let shared = std::sync::Arc::new(memory);
        let task = tokio::spawn(async move { shared.load(1).await });
        assert!(task.await.unwrap().is_ok());
        assert_eq!(
            Box::new(Memory::default()).describe((1, 2)).await,
            "0 items, 1 2"
        );
    });
}
