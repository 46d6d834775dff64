//! `#[instrumented]` on a whole `#[async_trait]` impl block, in both orders.

use async_trait::async_trait;
use flowmeter::instrumented;

#[async_trait]
trait Greeter {
    async fn greet(&self, name: &str) -> String;
    async fn check(&self, name: &str) -> Result<(), String>;
    fn sync_too(&self) -> u8;
}

#[derive(Debug)]
struct English;

#[derive(Debug)]
struct French;

// `#[instrumented]` first: it instruments the `async fn`s, then async_trait boxes them.
#[instrumented(kind = "greeter", err)]
#[async_trait]
impl Greeter for English {
    async fn greet(&self, name: &str) -> String {
        tokio::task::yield_now().await;
        format!("hello {name}")
    }

    async fn check(&self, name: &str) -> Result<(), String> {
        if name.is_empty() {
            return Err("empty".into());
        }
        Ok(())
    }

    #[instrumented(exclude)]
    fn sync_too(&self) -> u8 {
        1
    }
}

// async_trait first: `#[instrumented]` sees the boxed futures and instruments inside them.
#[async_trait]
#[instrumented(kind = "greeter", err)]
impl Greeter for French {
    #[instrumented(name = "bonjour", skip(name))]
    async fn greet(&self, name: &str) -> String {
        tokio::task::yield_now().await;
        format!("bonjour {name}")
    }

    async fn check(&self, name: &str) -> Result<(), String> {
        if name.is_empty() {
            return Err("vide".into());
        }
        Ok(())
    }

    fn sync_too(&self) -> u8 {
        2
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(English.greet("a").await, "hello a");
        assert_eq!(French.greet("b").await, "bonjour b");
        assert!(English.check("").await.is_err());
        assert!(French.check("x").await.is_ok());
        assert_eq!(English.sync_too() + French.sync_too(), 3);
        let boxed: Box<dyn Greeter + Send + Sync> = Box::new(French);
        assert_eq!(
            tokio::spawn(async move { boxed.greet("c").await })
                .await
                .unwrap(),
            "bonjour c"
        );
    });
}
