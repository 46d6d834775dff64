//! Strategies for fuzzing the parsers of files users give flowmeter: arbitrary text,
//! structured mutations of valid files, and deeply nested input.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// 64 cases, or `PROPTEST_CASES`; failing seeds are kept in (and replayed first from)
/// `regressions`, a file checked in beside the test.
pub fn config(regressions: &'static str) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok());
    ProptestConfig {
        cases: cases.unwrap_or(64),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        ..ProptestConfig::default()
    }
}

/// Text of any kind: arbitrary characters (control and non-BMP included), arbitrary bytes
/// decoded lossily, and strings over the punctuation of TOML, YAML and PromQL.
pub fn arbitrary_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..200).prop_map(String::from_iter),
        prop::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        "[\\[\\]{}()=:,\"'`#\n\t .a-z0-9_+*/^!~<>@$\\\\-]{0,300}",
    ]
}

/// One edit of a valid file.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(prop::sample::Index, usize),
    Insert(prop::sample::Index, String),
    Duplicate(prop::sample::Index, usize),
}

fn mutation(dictionary: &'static [&'static str]) -> impl Strategy<Value = Mutation> {
    let token = prop_oneof![
        4 => prop::sample::select(dictionary).prop_map(str::to_owned),
        1 => prop::collection::vec(any::<char>(), 1..4).prop_map(String::from_iter),
    ];
    prop_oneof![
        (any::<prop::sample::Index>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<prop::sample::Index>(), token).prop_map(|(i, t)| Mutation::Insert(i, t)),
        (any::<prop::sample::Index>(), 1usize..200).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for m in mutations {
        let at = |i: &prop::sample::Index, len: usize| if len == 0 { 0 } else { i.index(len + 1) };
        match m {
            Mutation::Delete(i, n) => {
                let start = at(i, chars.len()).min(chars.len());
                chars.drain(start..(start + n).min(chars.len()));
            }
            Mutation::Insert(i, token) => {
                let start = at(i, chars.len());
                chars.splice(start..start, token.chars());
            }
            Mutation::Duplicate(i, n) => {
                let start = at(i, chars.len()).min(chars.len());
                let span: Vec<char> = chars[start..(start + n).min(chars.len())].to_vec();
                chars.splice(start..start, span);
            }
        }
    }
    chars.into_iter().collect()
}

/// A valid file of `seeds` edited by up to 8 mutations drawn from `dictionary`.
pub fn mutated(
    seeds: Vec<String>,
    dictionary: &'static [&'static str],
) -> impl Strategy<Value = String> {
    (prop::sample::select(seeds), prop::collection::vec(mutation(dictionary), 0..8))
        .prop_map(|(seed, mutations)| apply(&seed, &mutations))
}

/// Input nested `depth` levels: `open` repeated, `middle`, `close` repeated.
pub fn nested(
    forms: &'static [(&'static str, &'static str, &'static str)],
) -> impl Strategy<Value = String> {
    (prop::sample::select(forms), 0usize..20_000).prop_map(|((open, middle, close), depth)| {
        format!("{}{middle}{}", open.repeat(depth), close.repeat(depth))
    })
}
