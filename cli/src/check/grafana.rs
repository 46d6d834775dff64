//! Grafana's additions to PromQL: template variables, and the variable query functions.

/// Replaces Grafana variables so the expression parses as PromQL:
///
/// - `$__rate_interval`, `$__interval`, `$__range` (and `${...}` forms) become `5m`, their
///   `_s` / `_ms` variants `300` / `300000`;
/// - any other `$var`, `${var}`, `${var:format}` or `[[var]]` becomes `.*` (they stand in
///   label matchers), or `5m` where it stands right after `[` (a range or subquery).
pub(crate) fn substitute_variables(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(i) = rest.find(['$', '[']) {
        let (before, at) = rest.split_at(i);
        out.push_str(before);
        let (name, len) = if let Some(inner) = at.strip_prefix("${") {
            match inner.find('}') {
                Some(end) => (inner[..end].split(':').next().unwrap_or(""), end + 3),
                None => ("", 0),
            }
        } else if let Some(inner) = at.strip_prefix("[[") {
            match inner.find("]]") {
                Some(end) if is_identifier(inner[..end].split(':').next().unwrap_or("")) => {
                    (inner[..end].split(':').next().unwrap_or(""), end + 4)
                }
                _ => ("", 0),
            }
        } else if let Some(inner) = at.strip_prefix('$') {
            let end = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            (&inner[..end], end + 1)
        } else {
            ("", 0)
        };
        if name.is_empty() {
            // Not a variable: copy one character and go on.
            let c = at.chars().next().unwrap_or_default();
            out.push(c);
            rest = &at[c.len_utf8()..];
            continue;
        }
        let in_range = out.trim_end().ends_with('[');
        out.push_str(replacement(name, in_range));
        rest = &at[len..];
    }
    out.push_str(rest);
    out
}

fn replacement(name: &str, in_range: bool) -> &'static str {
    match name {
        "__rate_interval" | "__interval" | "__range" => "5m",
        "__interval_s" | "__range_s" | "__rate_interval_s" => "300",
        "__interval_ms" | "__range_ms" | "__rate_interval_ms" => "300000",
        _ if in_range => "5m",
        _ => ".*",
    }
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A query variable's PromQL: `label_values(selector, label)` gives the selector and the label
/// it must carry, `query_result(expr)` the expression; `label_values(label)`, `metrics(...)`
/// and anything else give `None` (nothing to check against one metric).
pub(crate) fn label_values(query: &str) -> Option<(String, Option<String>)> {
    let query = query.trim();
    if let Some(inner) = call_argument(query, "query_result") {
        return Some((inner.trim().to_owned(), None));
    }
    let inner = call_argument(query, "label_values")?;
    let comma = last_top_level_comma(inner)?;
    let (selector, label) = (inner[..comma].trim(), inner[comma + 1..].trim());
    (!selector.is_empty() && is_identifier(label))
        .then(|| (selector.to_owned(), Some(label.to_owned())))
}

/// `name( ... )` → the text between the parentheses.
fn call_argument<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.strip_prefix(name)?.trim_start().strip_prefix('(')?.strip_suffix(')')
}

/// The last comma outside braces, brackets, parentheses and quotes.
fn last_top_level_comma(text: &str) -> Option<usize> {
    let (mut depth, mut quote, mut escaped, mut found) = (0i32, None, false, None);
    for (i, c) in text.char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '{' | '(' | '[' => depth += 1,
                '}' | ')' | ']' => depth -= 1,
                ',' if depth == 0 => found = Some(i),
                _ => {}
            },
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_builtins_and_user_variables() {
        assert_eq!(
            substitute_variables(
                "sum(rate(x{p=~\"$primitive\",q=\"${q:regex}\"}[$__rate_interval]))"
            ),
            "sum(rate(x{p=~\".*\",q=\".*\"}[5m]))"
        );
        assert_eq!(substitute_variables("x{a=\"[[a]]\"}[ $window ]"), "x{a=\".*\"}[ 5m ]");
        assert_eq!(
            substitute_variables("increase(x[${__range}]) / $__range_s"),
            "increase(x[5m]) / 300"
        );
        assert_eq!(substitute_variables("x[5m:1m] * 2 $"), "x[5m:1m] * 2 $");
    }

    #[test]
    fn reads_variable_queries() {
        assert_eq!(
            label_values("label_values(x{a=\"1,2\", b=\"c\"}, primitive_name)"),
            Some(("x{a=\"1,2\", b=\"c\"}".to_owned(), Some("primitive_name".to_owned())))
        );
        assert_eq!(label_values("label_values(job)"), None);
        assert_eq!(label_values("query_result(topk(5, x))"), Some(("topk(5, x)".into(), None)));
        assert_eq!(label_values("metrics(flowmeter_.*)"), None);
    }
}
