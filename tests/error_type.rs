//! `error_type` on the error path: an errored call is counted under `status="error"` and the
//! name of its error (an `ErrorType` enum's variant, else the error type's name, a primitive
//! error's kind), on the counter and the duration histogram alike; successes carry none; the
//! span's `error.type` says the same. Each test uses call sites of its own.

mod common;

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use common::{Exposition, parse};
use flowmeter::primitives::{Context, Primitive, step, timeout};
use flowmeter::{ErrorType, Telemetry, instrumented};
use opentelemetry_sdk::trace::InMemorySpanExporter;

static EXPORTER: LazyLock<InMemorySpanExporter> = LazyLock::new(InMemorySpanExporter::default);
static TELEMETRY: LazyLock<Telemetry> =
    LazyLock::new(|| common::install_with_span_exporter(&EXPORTER));

const EXECUTIONS: &str = "flowmeter_primitive_executions_total";
const DURATION_COUNT: &str = "flowmeter_execution_duration_seconds_count";

fn scrape() -> Exposition {
    parse(&TELEMETRY.render())
}

/// `error_type` → count of `name`'s errored executions in `family` (`""` for the series
/// without `error_type`).
fn errors_by_type(scraped: &Exposition, family: &str, name: &str) -> BTreeMap<String, f64> {
    scraped
        .find(family, &[("primitive_name", name), ("status", "error")])
        .iter()
        .map(|s| (s.label("error_type").unwrap_or_default().to_owned(), s.value))
        .collect()
}

// The fields are never read: they show that variants carrying data are named all the same.
#[allow(dead_code)]
#[derive(Debug, ErrorType)]
enum FetchError {
    Timeout,
    Refused {
        port: u16,
    },
    #[error_type(name = "bad_status")]
    Status(u16),
}

/// The result for a test's `outcome` code (not instrumented: each test's call sites are its own).
fn result_of(outcome: u8) -> Result<u8, FetchError> {
    match outcome {
        0 => Ok(0),
        1 => Err(FetchError::Timeout),
        2 => Err(FetchError::Refused { port: 443 }),
        _ => Err(FetchError::Status(503)),
    }
}

#[instrumented(name = "et_fetch")]
fn fetch(outcome: u8) -> Result<u8, FetchError> {
    result_of(outcome)
}

#[test]
fn three_variants_are_three_error_types_and_successes_have_none() {
    LazyLock::force(&TELEMETRY);
    for outcome in [0, 0, 0, 0, 1, 2, 2, 3, 3, 3] {
        let _ = fetch(outcome);
    }
    let scraped = scrape();
    let expected = BTreeMap::from([
        (String::new(), 0.0), // the zero series of status="error", bound at install
        ("Timeout".to_owned(), 1.0),
        ("Refused".to_owned(), 2.0),
        ("bad_status".to_owned(), 3.0),
    ]);
    assert_eq!(errors_by_type(&scraped, EXECUTIONS, "et_fetch"), expected);
    // Durations: the typed series only (an untyped error's duration series would appear with
    // the first error without a type).
    let mut timed = expected.clone();
    timed.remove("");
    assert_eq!(errors_by_type(&scraped, DURATION_COUNT, "et_fetch"), timed);
    let successes =
        scraped.find(EXECUTIONS, &[("primitive_name", "et_fetch"), ("status", "success")]);
    assert_eq!(successes.len(), 1, "{successes:?}");
    assert_eq!(successes[0].value, 4.0);
    assert_eq!(successes[0].label("error_type"), None, "a success has no error_type");

    let spans = EXPORTER.get_finished_spans().unwrap();
    let mut span_types: Vec<String> = spans
        .iter()
        .filter(|s| s.name == "et_fetch")
        .filter_map(|s| s.attributes.iter().find(|kv| kv.key.as_str() == "error.type"))
        .map(|kv| kv.value.to_string())
        .collect();
    span_types.sort();
    assert_eq!(
        span_types,
        ["Refused", "Refused", "Timeout", "bad_status", "bad_status", "bad_status"]
    );
}

#[derive(Debug)]
struct PlainError;

#[instrumented(name = "et_plain")]
fn plain() -> Result<(), PlainError> {
    Err(PlainError)
}

#[instrumented(name = "et_ok_if", ok_if = is_refused)]
fn tolerant(outcome: u8) -> Result<u8, FetchError> {
    result_of(outcome)
}

fn is_refused(error: &FetchError) -> bool {
    matches!(error, FetchError::Refused { .. })
}

#[test]
fn an_error_without_error_type_is_named_by_its_type_and_ok_if_keeps_the_variants() {
    LazyLock::force(&TELEMETRY);
    let _ = plain();
    let _ = plain();
    for outcome in [2, 2, 1, 3] {
        let _ = tolerant(outcome);
    }
    let scraped = scrape();
    assert_eq!(
        errors_by_type(&scraped, EXECUTIONS, "et_plain"),
        BTreeMap::from([(String::new(), 0.0), ("PlainError".to_owned(), 2.0)])
    );
    assert_eq!(
        errors_by_type(&scraped, EXECUTIONS, "et_ok_if"),
        BTreeMap::from([
            (String::new(), 0.0),
            ("Timeout".to_owned(), 1.0),
            ("bad_status".to_owned(), 1.0)
        ])
    );
    let ok = [("primitive_name", "et_ok_if"), ("status", "success")];
    assert_eq!(scraped.value(EXECUTIONS, &ok), 2.0, "ok_if counted the refusals as successes");
}

#[tokio::test]
async fn a_primitive_error_is_named_by_its_kind() {
    LazyLock::force(&TELEMETRY);
    let hang = step("et_hang", |_n: u32, _ctx: Context| async {
        std::future::pending::<Result<u32, std::io::Error>>().await
    });
    let limited = timeout("et_limit", Duration::from_millis(10), hang);
    let error = limited.run(1, &Context::new("error_type_tests")).await.unwrap_err();
    assert_eq!(error.error_type(), "timeout", "primitives::Error implements ErrorType");
    let scraped = scrape();
    assert_eq!(
        errors_by_type(&scraped, EXECUTIONS, "et_limit"),
        BTreeMap::from([(String::new(), 0.0), ("timeout".to_owned(), 1.0)])
    );
}
