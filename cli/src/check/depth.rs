//! Bounds on how deeply an input nests, read from its text before a parser sees it.
//!
//! Parsing PromQL, walking its syntax tree and dropping it each recurse once per level, so an
//! expression nested some thousands of levels deep (`((((x))))`, `----x`, `x + x + ... + x`,
//! found by `tests/fuzz_parsers.rs`, now `cli/tests/fuzz_checker.rs`) overflows the thread's stack and aborts the whole
//! process. And YAML nested tens of thousands of flow collections deep (`[[[[...]]]]`) takes
//! the YAML parser time quadratic in the depth (100 000 levels: about 90 s in a debug build)
//! before its own recursion limit of 128 rejects it. A checker of files it did not write must
//! do neither, so such input is refused up front, with an error that says why.

/// The deepest a PromQL expression may nest to be checked: far above any real rule or panel
/// (the shipped rules and dashboards reach 22 by the bound used here), far below
/// what overflows a 2 MiB thread stack in a debug build (about 6 000 levels).
pub const MAX_EXPRESSION_DEPTH: usize = 512;

/// The deepest a rule file's YAML flow collections (`[...]`, `{...}`) may nest: the YAML
/// deserializer's own recursion limit, so nothing it would have read is refused.
pub const MAX_YAML_FLOW_DEPTH: usize = 128;

/// Why `expr` is not parsed, or `None` when its depth is within [`MAX_EXPRESSION_DEPTH`].
pub(crate) fn expression_too_deep(expr: &str) -> Option<String> {
    let bound = expression_depth_bound(expr);
    (bound > MAX_EXPRESSION_DEPTH).then(|| {
        format!(
            "the expression may nest {bound} levels deep, more than the {MAX_EXPRESSION_DEPTH} \
             the checker parses (a bound counting brackets and operators)"
        )
    })
}

/// An upper bound on the depth of `expr`'s syntax tree: one level per opening bracket and
/// per operator character or keyword (`and`, `or`, `unless`, `atan2`) outside string literals
/// and comments. Every level of the tree needs at least one of them, so the tree is never
/// deeper; it is often shallower (`(a + b) * (c + d)` counts 5 for a depth of 3).
pub(crate) fn expression_depth_bound(expr: &str) -> usize {
    let mut bound = 0;
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => skip_string(&mut chars, c),
            '#' => {
                // A comment runs to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' | '+' | '-' | '*' | '/' | '%' | '^' | '=' | '!' | '<' | '>' => {
                bound += 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek() {
                    if !(next.is_ascii_alphanumeric() || next == '_' || next == ':') {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                let word = word.to_ascii_lowercase();
                if matches!(word.as_str(), "and" | "or" | "unless" | "atan2") {
                    bound += 1;
                }
            }
            _ => {}
        }
    }
    bound
}

/// Skips to the end of a string literal opened by `quote` (backslash escapes, except in
/// backtick-quoted raw strings).
fn skip_string(chars: &mut impl Iterator<Item = char>, quote: char) {
    while let Some(c) = chars.next() {
        if c == quote {
            return;
        }
        if c == '\\' && quote != '`' {
            chars.next();
        }
    }
}

/// Why a rule file is not parsed, or `None` when its flow collections nest within
/// [`MAX_YAML_FLOW_DEPTH`]. Brackets are counted wherever they are (quotes and comments
/// included), so the depth found is an upper bound of the real one.
pub(crate) fn yaml_too_deep(text: &str) -> Option<String> {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    (deepest > MAX_YAML_FLOW_DEPTH).then(|| {
        format!(
            "brackets nest {deepest} levels deep, more than the {MAX_YAML_FLOW_DEPTH} a rule file \
             may have"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_every_kind_of_nesting() {
        assert_eq!(expression_depth_bound("up"), 0);
        assert_eq!(expression_depth_bound("sum by (a) (rate(x_total{b=\"(((\"}[5m]))"), 6);
        assert_eq!(expression_depth_bound("a or b and c unless d"), 3);
        assert_eq!(expression_depth_bound("x # ((((((\n + 1"), 1);
        assert_eq!(expression_depth_bound("x{a=`\\`} + 1"), 3);
        let deep = format!("{}x{}", "(".repeat(600), ")".repeat(600));
        assert!(expression_too_deep(&deep).is_some_and(|e| e.contains("600")));
        assert!(expression_too_deep(&"-".repeat(513)).is_some());
        assert!(expression_too_deep(&vec!["x"; 500].join(" + ")).is_none());
    }

    #[test]
    fn the_shipped_rules_and_dashboards_are_far_below_the_bound() {
        let files = crate::generate(&crate::GenerateConfig::default());
        let sources = super::super::generated_sources(&files);
        let mut deepest = 0;
        for source in &sources {
            assert!(yaml_too_deep(&source.text).is_none(), "{}", source.name);
            let queries = match source.kind {
                super::super::SourceKind::Rules => {
                    super::super::sources::rule_file(&source.text).unwrap().0
                }
                super::super::SourceKind::Dashboard => {
                    super::super::sources::dashboard(&source.text).unwrap()
                }
            };
            for query in queries {
                deepest = deepest.max(expression_depth_bound(&query.expr));
            }
        }
        assert!(deepest > 5 && deepest < MAX_EXPRESSION_DEPTH / 10, "deepest bound {deepest}");
    }

    #[test]
    fn counts_yaml_brackets() {
        assert!(yaml_too_deep("groups: [{rules: [{expr: 'x[5m]'}]}]").is_none());
        let deep = format!("groups: {}{}", "[".repeat(129), "]".repeat(129));
        assert!(yaml_too_deep(&deep).is_some_and(|e| e.contains("129")));
    }
}
