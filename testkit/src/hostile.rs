//! Hostile text for the escaping property tests of both exposition formats: label values
//! and HELP texts with anything in them (quotes, backslashes, newlines, tabs, control
//! characters, non-BMP characters, the replacement character that invalid UTF-8 decodes to,
//! strings of 10 KB, and runs of escape-like sequences).

use proptest::prelude::*;

/// One character an encoder might get wrong, or any character.
pub fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec!['"', '\\', '\n', '\t', '\r', '\0', '\u{1}', '\u{7f}', ',', '=']),
        prop::sample::select(vec!['}', '{', ' ', '#', '\u{fffd}', '\u{feff}', '\u{2028}', 'é']),
        prop::sample::select(vec!['\u{10000}', '\u{1f600}', '\u{10ffff}', '\u{e000}', 'n']),
        any::<char>(),
    ]
}

/// A label value: short strings of tricky and arbitrary characters, backslash-escape look-
/// alikes written out literally, text decoded from arbitrary bytes (invalid UTF-8 becomes
/// U+FFFD, the only way such bytes can reach a `&str` label), and ~10 KB strings.
pub fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(tricky_char(), 0..40).prop_map(String::from_iter),
        2 => prop::collection::vec(
            prop::sample::select(vec!["\\n", "\\\"", "\\\\", "\\x", "\\u{0}", "\\xff", "\"\"", "\\"]),
            0..10,
        )
        .prop_map(|parts| parts.concat()),
        2 => prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        1 => (prop::collection::vec(tricky_char(), 1..8), 10_000usize..10_240).prop_map(
            |(chunk, len)| {
                let chunk: String = chunk.into_iter().collect();
                chunk.chars().cycle().take(len).collect()
            }
        ),
    ]
}

/// HELP text: not empty once trimmed (the app API requires one).
pub fn help_text() -> impl Strategy<Value = String> {
    (label_value(), prop::collection::vec(tricky_char(), 0..8)).prop_map(|(value, extra)| {
        let text: String = value.chars().chain(extra).collect();
        format!("help {text}")
    })
}
