//! `promtool check metrics` on an exposition.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::tool_available;

/// Runs `promtool check metrics` on `text`: `Some(output)` when promtool ran (asserting exit
/// 0), `None` when promtool is missing outside CI. Under CI a missing promtool is a failure.
pub fn promtool_check_metrics(text: &str) -> Option<String> {
    let (code, stdout, stderr) = promtool_report(text)?;
    let report = format!("{stdout}{stderr}");
    assert_eq!(code, 0, "promtool check metrics failed:\n{report}\n---\n{text}");
    Some(report)
}

/// `promtool check metrics` on `text` whatever it finds: exit code, stdout and stderr; `None`
/// when promtool is missing outside CI (under CI a missing promtool is a failure).
pub fn promtool_report(text: &str) -> Option<(i32, String, String)> {
    if !tool_available("promtool") {
        return None;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn promtool");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    Some((output.status.code().unwrap_or(-1), text(output.stdout), text(output.stderr)))
}
