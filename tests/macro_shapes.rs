//! What `#[instrumented]` expansions record at run time, shape by shape: call site names
//! (`Type::method` in impl blocks, in both `#[async_trait]` orders), every status including
//! `cancelled` and never-polled futures, `ok_if` / `error_if`, static labels and kinds, and the
//! span fields (arguments, `skip`, `fields`, `err`). The trybuild cases in `tests/ui` check
//! that each shape compiles; this checks what it measures.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::{LazyLock, Mutex};
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use common::{Exposition, parse};
use flowmeter::metrics::callsites;
use flowmeter::{Telemetry, instrumented};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};

static EXPORTER: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static TELEMETRY: LazyLock<Telemetry> =
    LazyLock::new(|| common::install_with_span_exporter(&EXPORTER));
/// Tests of this binary share the pipeline; each uses call sites of its own, and this lock
/// keeps span assertions from seeing another test's spans mid-flight.
static SERIAL: Mutex<()> = Mutex::new(());

const EXECUTIONS: &str = "flowmeter_primitive_executions_total";
const ACTIVE: &str = "flowmeter_primitive_active";

fn scrape() -> Exposition {
    parse(&TELEMETRY.render())
}

fn count(scraped: &Exposition, name: &str, status: &str) -> f64 {
    scraped.sum(EXECUTIONS, &[("primitive_name", name), ("status", status)])
}

fn spans_named(name: &str) -> Vec<SpanData> {
    EXPORTER.get_finished_spans().unwrap().into_iter().filter(|s| s.name == name).collect()
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
}

/// Polls `future` once with a no-op waker.
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut future = pin!(future);
    future.as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

// --- impl blocks and async_trait ---------------------------------------------------------

#[derive(Debug, Default)]
struct Store {
    items: Vec<u32>,
}

#[instrumented(kind = "store", labels(tier = "memory"))]
impl Store {
    fn create() -> Self {
        Store::default()
    }

    fn get(&self, index: usize) -> Option<u32> {
        self.items.get(index).copied()
    }

    #[instrumented(name = "store_put", kind = "store_write")]
    fn put(&mut self, value: u32) {
        self.items.push(value);
    }

    #[instrumented(exclude)]
    fn excluded(&self) -> usize {
        self.items.len()
    }
}

#[async_trait]
trait Greeter {
    async fn greet(&self, name: &str) -> String;
}

#[derive(Debug)]
struct Before;

#[derive(Debug)]
struct After;

#[derive(Debug)]
struct MethodOnly;

#[instrumented]
#[async_trait]
impl Greeter for Before {
    async fn greet(&self, name: &str) -> String {
        format!("before {name}")
    }
}

#[async_trait]
#[instrumented]
impl Greeter for After {
    async fn greet(&self, name: &str) -> String {
        format!("after {name}")
    }
}

#[async_trait]
impl Greeter for MethodOnly {
    #[instrumented(name = "MethodOnly::greet")]
    async fn greet(&self, name: &str) -> String {
        format!("method {name}")
    }
}

/// The line of the next fn's name, which is the line its call site reports.
const GENERIC_LINE: u32 = line!() + 2;
#[instrumented]
fn generic_never_called<T: std::fmt::Debug>(_value: T) {}

#[test]
fn call_sites_are_registered_at_link_time_with_their_names() {
    let sites = callsites();
    let site = |name: &str| sites.iter().find(|s| s.name == name);
    for name in [
        "Store::create",
        "Store::get",
        "store_put",
        "Before::greet",
        "After::greet",
        "MethodOnly::greet",
    ] {
        assert!(site(name).is_some(), "{name} is not registered: {sites:#?}");
    }
    assert!(site("Store::excluded").is_none(), "excluded methods are not instrumented");
    let get = site("Store::get").unwrap();
    assert_eq!((get.kind, get.labels), ("store", &[("tier", "memory")][..]));
    assert_eq!(
        site("store_put").unwrap().kind,
        "store_write",
        "a method's options replace the block's"
    );
    let generic =
        site("generic_never_called").expect("generic fns register even if never instantiated");
    assert_eq!(generic.module_path, module_path!());
    assert!(generic.file.ends_with("macro_shapes.rs"));
    assert_eq!(generic.line, GENERIC_LINE, "the line of the fn's name");
}

#[test]
fn impl_blocks_and_async_trait_record_under_their_names() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    let mut store = Store::create();
    store.put(1);
    assert_eq!(store.get(0), Some(1));
    assert_eq!(store.excluded(), 1);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        assert_eq!(Before.greet("a").await, "before a");
        assert_eq!(After.greet("b").await, "after b");
        assert_eq!(MethodOnly.greet("c").await, "method c");
    });
    let scraped = scrape();
    for name in [
        "Store::create",
        "Store::get",
        "store_put",
        "Before::greet",
        "After::greet",
        "MethodOnly::greet",
    ] {
        assert_eq!(count(&scraped, name, "success"), 1.0, "{name}");
    }
    let get = &scraped.find(EXECUTIONS, &[("primitive_name", "Store::get")])[0];
    assert_eq!((get.label("primitive_type"), get.label("tier")), (Some("store"), Some("memory")));
    // Each async_trait order opens the span around the future's execution.
    for name in ["Before::greet", "After::greet", "MethodOnly::greet"] {
        let spans = spans_named(name);
        assert_eq!(spans.len(), 1, "{name}");
        assert_eq!(attr(&spans[0], "status"), None, "a success records no status");
        assert!(attr(&spans[0], "name").is_some(), "{name} records its argument");
    }
}

// --- statuses ------------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
enum LookupError {
    Missing,
    Broken,
}

fn is_missing(error: &LookupError) -> bool {
    *error == LookupError::Missing
}

#[instrumented(ok_if = is_missing)]
fn lookup(key: u8) -> Result<u8, LookupError> {
    match key {
        0 => Err(LookupError::Missing),
        1 => Err(LookupError::Broken),
        _ => Ok(key),
    }
}

#[instrumented(error_if = Option::is_none)]
fn optional(key: u8) -> Option<u8> {
    key.checked_sub(1)
}

#[instrumented]
fn early(key: u8) -> Result<u8, String> {
    let parsed: u8 = key.to_string().parse().map_err(|_| "unreachable".to_owned())?;
    if parsed == 0 {
        return Err("zero".into());
    }
    Ok(parsed)
}

#[instrumented]
fn panicking() {
    panic!("expected by the test");
}

#[instrumented]
async fn waits_forever() {
    std::future::pending::<()>().await;
}

#[instrumented]
async fn async_fails() -> Result<(), String> {
    Err("no".into())
}

#[test]
fn every_exit_gets_its_status() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    assert!(lookup(0).is_err() && lookup(1).is_err() && lookup(2).is_ok());
    assert_eq!((optional(0), optional(2)), (None, Some(1)));
    assert!(early(0).is_err() && early(1).is_ok());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    assert!(std::panic::catch_unwind(panicking).is_err());
    std::panic::set_hook(hook);
    // Polled once, then dropped: cancelled. Never polled: never counted.
    assert!(poll_once(waits_forever()).is_pending());
    drop(waits_forever());
    assert_eq!(poll_once(async_fails()), Poll::Ready(Err("no".to_owned())));

    let scraped = scrape();
    let statuses = |name: &str| {
        ["success", "error", "panic", "cancelled"].map(|status| count(&scraped, name, status))
    };
    assert_eq!(
        statuses("lookup"),
        [2.0, 1.0, 0.0, 0.0],
        "ok_if turns the Missing error into a success"
    );
    assert_eq!(statuses("optional"), [1.0, 1.0, 0.0, 0.0]);
    assert_eq!(statuses("early"), [1.0, 1.0, 0.0, 0.0], "`return` and `?` are classified");
    assert_eq!(statuses("panicking"), [0.0, 0.0, 1.0, 0.0]);
    assert_eq!(statuses("waits_forever"), [0.0, 0.0, 0.0, 1.0]);
    assert_eq!(statuses("async_fails"), [0.0, 1.0, 0.0, 0.0]);
    for name in ["lookup", "panicking", "waits_forever"] {
        assert_eq!(scraped.value(ACTIVE, &[("primitive_name", name)]), 0.0, "{name}");
    }
    let status =
        |name: &str| spans_named(name).iter().map(|s| attr(s, "status")).collect::<Vec<_>>();
    assert_eq!(status("panicking"), [Some("panic".to_owned())]);
    assert_eq!(status("waits_forever"), [Some("cancelled".to_owned())], "one span: the one polled");
    let cancelled = &spans_named("waits_forever")[0];
    assert_eq!(attr(cancelled, "error.type").as_deref(), Some("cancelled"));
}

// --- span fields ---------------------------------------------------------------------------

#[derive(Debug)]
struct Query {
    terms: Vec<&'static str>,
}

#[derive(Debug)]
struct SearchError;

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("index unavailable")
    }
}

#[instrumented(
    kind = "retrieval",
    skip(token),
    fields(terms = query.terms.len(), ?debugged = query.terms, http.route = "/search", later),
    err
)]
fn search(
    query: &Query,
    limit: u32,
    index: &str,
    token: String,
    status: u16,
) -> Result<u32, SearchError> {
    let _ = (token, status);
    tracing::Span::current().record("later", "filled in by the body");
    if limit == 0 { Err(SearchError) } else { Ok(limit) }
}

#[test]
fn spans_record_arguments_fields_and_errors() {
    let _serial = SERIAL.lock().unwrap();
    LazyLock::force(&TELEMETRY);
    let query = Query { terms: vec!["a", "b"] };
    assert!(search(&query, 3, "docs", "secret".into(), 200).is_ok());
    assert!(search(&query, 0, "docs", "secret".into(), 500).is_err());
    let spans = spans_named("search");
    assert_eq!(spans.len(), 2);
    let ok = spans.iter().find(|s| attr(s, "limit").as_deref() == Some("3")).expect("ok span");
    let err = spans.iter().find(|s| attr(s, "limit").as_deref() == Some("0")).expect("error span");
    assert_eq!(attr(ok, "primitive.name").as_deref(), Some("search"));
    assert_eq!(attr(ok, "primitive.type").as_deref(), Some("retrieval"));
    assert_eq!(attr(ok, "index").as_deref(), Some("docs"), "strings are recorded as values");
    assert_eq!(
        attr(ok, "query").as_deref(),
        Some(r#"Query { terms: ["a", "b"] }"#),
        "others with Debug"
    );
    assert_eq!(attr(ok, "token"), None, "skipped");
    assert_eq!(
        attr(ok, "status"),
        None,
        "an argument named status is not recorded (and a success records no status)"
    );
    assert_eq!(attr(ok, "terms").as_deref(), Some("2"));
    assert_eq!(attr(ok, "debugged").as_deref(), Some(r#"["a", "b"]"#));
    assert_eq!(attr(ok, "http.route").as_deref(), Some("/search"));
    assert_eq!(attr(ok, "later").as_deref(), Some("filled in by the body"));
    assert_eq!(attr(ok, "error"), None);
    assert_eq!(attr(err, "status").as_deref(), Some("error"));
    assert_eq!(attr(err, "error.type").as_deref(), Some("SearchError"));
    assert_eq!(attr(err, "error").as_deref(), Some("index unavailable"));
}
