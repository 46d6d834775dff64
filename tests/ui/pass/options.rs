//! Every option, alone and combined.

use flowmeter::instrumented;

#[derive(Debug)]
enum FetchError {
    NotFound,
    Timeout,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

fn is_not_found(error: &FetchError) -> bool {
    matches!(error, FetchError::NotFound)
}

#[instrumented(
    name = "fetch document",
    kind = "retrieval",
    labels(index = "docs", r#type = "primary"),
    buckets = [0.001, 0.01, 1, 10.5],
    skip(token),
    fields(query.len = query.len(), ?debugged = query, %displayed = query, empty, ?query),
    err,
    ok_if = is_not_found,
)]
fn fetch(query: &str, token: String, status: u16) -> Result<String, FetchError> {
    let _ = (token, status);
    match query {
        "missing" => Err(FetchError::NotFound),
        "slow" => Err(FetchError::Timeout),
        _ => Ok(format!("doc for {query}")),
    }
}

#[instrumented(error_if = |n: &u32| *n == 0, span = false, kind = "count")]
fn count(n: u32) -> u32 {
    n
}

#[instrumented(error_if = Option::is_none)]
fn maybe(n: u8) -> Option<u8> {
    n.checked_sub(1)
}

#[instrumented(ok_if = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound)]
fn read(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

#[instrumented(span = true, skip_all, fields(constant = 1, error.kind = "none"))]
fn with_fields(_secret: &str) {}

#[instrumented()]
fn empty_parens() {}

#[instrumented(labels())]
fn empty_labels() {}

fn main() {
    assert!(fetch("q", "t".into(), 200).is_ok());
    assert!(fetch("missing", "t".into(), 404).is_err());
    assert!(fetch("slow", "t".into(), 504).is_err());
    assert_eq!(count(0), 0);
    assert_eq!(maybe(0), None);
    assert!(read("/definitely/not/here").is_err());
    with_fields("s");
    empty_parens();
    empty_labels();
}
