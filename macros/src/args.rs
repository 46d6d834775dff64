//! Parsing of the attribute's options, apart from code generation (as in tracing-attributes).
//!
//! Every check that needs only the options themselves happens here, and every error points
//! at the user's offending token: the option's keyword for misplaced or conflicting options,
//! the literal for an invalid value. Checks that need the function (does it return a
//! `Result`? does a skipped argument exist?) happen in `expand`.

use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, LitBool, LitStr, Token, UnOp};

use crate::fields::Fields;
use crate::objective::Objectives;
use crate::validate;

/// Every option, for the "unknown option" error.
const OPTIONS: &str = "name, kind, labels, buckets, span, skip, skip_all, fields, err, ok_if, error_if, objective, exclude";

/// The options of one `#[instrumented(...)]`. `None` means "not given": the default applies,
/// or, for a method of an instrumented impl block, the impl's option.
#[derive(Clone, Debug, Default)]
pub(crate) struct Args {
    pub(crate) name: Option<LitStr>,
    pub(crate) kind: Option<LitStr>,
    pub(crate) labels: Option<Vec<(LitStr, LitStr)>>,
    pub(crate) buckets: Option<Vec<f64>>,
    pub(crate) span: Option<LitBool>,
    pub(crate) record: Option<Record>,
    pub(crate) fields: Option<Fields>,
    /// The `err` keyword, kept for error spans.
    pub(crate) err: Option<Ident>,
    pub(crate) classify: Option<Classify>,
    /// `objective(...)`: service-level objectives for the rules generator.
    pub(crate) objective: Option<Objectives>,
    /// The `exclude` keyword, kept for error spans.
    pub(crate) exclude: Option<Ident>,
    /// The option keywords in the order given, for checks that span several options.
    keys: Vec<Ident>,
}

/// Which arguments the span records: `skip(...)` or `skip_all` (one option group, so a method
/// setting either replaces the impl block's).
#[derive(Clone, Debug)]
pub(crate) enum Record {
    Skip(Vec<Ident>),
    SkipAll,
}

/// How the returned value is classified, when not by the default rule (`Err` is an error).
#[derive(Clone, Debug)]
pub(crate) enum Classify {
    /// `ok_if = f`: an `Err(e)` with `f(&e)` true is a success.
    OkIf(Ident, Expr),
    /// `error_if = f`: the value `v` is an error when `f(&v)` is true.
    ErrorIf(Expr),
}

impl Args {
    /// Whether a span is created (`span = false` turns it off).
    pub(crate) fn span_enabled(&self) -> bool {
        self.span.as_ref().is_none_or(LitBool::value)
    }

    /// The keyword of option `key`, if it was given.
    pub(crate) fn key(&self, key: &str) -> Option<&Ident> {
        self.keys.iter().find(|k| *k == key)
    }

    /// A method's options inside an instrumented impl block: its own where given, the
    /// impl's (`defaults`) otherwise. Options replace, never merge: a method's `labels(...)`
    /// replaces the impl's whole list, its `skip(...)` the impl's `skip`/`skip_all`.
    pub(crate) fn or(self, defaults: Args) -> Args {
        Args {
            name: self.name.or(defaults.name),
            kind: self.kind.or(defaults.kind),
            labels: self.labels.or(defaults.labels),
            buckets: self.buckets.or(defaults.buckets),
            span: self.span.or(defaults.span),
            record: self.record.or(defaults.record),
            fields: self.fields.or(defaults.fields),
            err: self.err.or(defaults.err),
            classify: self.classify.or(defaults.classify),
            objective: self.objective.or(defaults.objective),
            exclude: self.exclude,
            keys: self.keys,
        }
    }

    /// Checks combinations of options that are each valid alone.
    fn check_combinations(&self) -> syn::Result<()> {
        if let Some(exclude) = self.exclude.as_ref().filter(|_| self.keys.len() > 1) {
            return Err(syn::Error::new(
                exclude.span(),
                "`exclude` takes no other options: it leaves the method uninstrumented",
            ));
        }
        if !self.span_enabled() {
            for key in &self.keys {
                if ["skip", "skip_all", "fields", "err"].contains(&key.to_string().as_str()) {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "`{key}` configures the span, and `span = false` turns the span off"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            let key = input.call(Ident::parse_any)?;
            let key_str = key.to_string();
            if args.keys.iter().any(|k| *k == key_str) {
                return Err(syn::Error::new(key.span(), format!("duplicate option `{key}`")));
            }
            for (a, b) in [("skip", "skip_all"), ("ok_if", "error_if")] {
                let other = if key_str == a {
                    b
                } else if key_str == b {
                    a
                } else {
                    continue;
                };
                if args.key(other).is_some() {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("`{key}` cannot be combined with `{other}`"),
                    ));
                }
            }
            match key_str.as_str() {
                "name" => {
                    let name: LitStr = value(input)?;
                    validate::primitive_name(&name.value())
                        .map_err(|e| syn::Error::new(name.span(), e))?;
                    args.name = Some(name);
                }
                "kind" => {
                    let kind: LitStr = value(input)?;
                    validate::kind(&kind.value()).map_err(|e| syn::Error::new(kind.span(), e))?;
                    args.kind = Some(kind);
                }
                "labels" => args.labels = Some(labels(input)?),
                "buckets" => {
                    input.parse::<Token![=]>()?;
                    args.buckets = Some(buckets(input)?);
                }
                "span" => args.span = Some(value(input)?),
                "skip" => args.record = Some(Record::Skip(skips(input)?)),
                "skip_all" => args.record = Some(Record::SkipAll),
                "fields" => args.fields = Some(input.parse()?),
                "err" => args.err = Some(key.clone()),
                "ok_if" => args.classify = Some(Classify::OkIf(key.clone(), value(input)?)),
                "error_if" => args.classify = Some(Classify::ErrorIf(value(input)?)),
                "objective" => args.objective = Some(Objectives::parse(input, &key)?),
                "exclude" => args.exclude = Some(key.clone()),
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown option `{key}`; expected one of: {OPTIONS}"),
                    ));
                }
            }
            args.keys.push(key);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        args.check_combinations()?;
        Ok(args)
    }
}

/// `= value`.
fn value<T: Parse>(input: ParseStream<'_>) -> syn::Result<T> {
    input.parse::<Token![=]>()?;
    input.parse()
}

/// `labels(key = "value", ...)`: static labels, validated as Prometheus label names.
fn labels(input: ParseStream<'_>) -> syn::Result<Vec<(LitStr, LitStr)>> {
    let content;
    syn::parenthesized!(content in input);
    let mut labels: Vec<(LitStr, LitStr)> = Vec::new();
    while !content.is_empty() {
        let key = content.call(Ident::parse_any)?;
        let key_str = key.unraw().to_string();
        validate::label_key(&key_str).map_err(|e| syn::Error::new(key.span(), e))?;
        if labels.iter().any(|(k, _)| k.value() == key_str) {
            return Err(syn::Error::new(key.span(), format!("duplicate label `{key_str}`")));
        }
        let value: LitStr = self::value(&content)?;
        validate::label_value(&value.value()).map_err(|e| {
            syn::Error::new(value.span(), format!("invalid value of label `{key_str}`: {e}"))
        })?;
        labels.push((LitStr::new(&key_str, key.span()), value));
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(labels)
}

/// `[0.005, 0.1, 1, 10]`: number literals, finite, non-negative, strictly increasing. The
/// error points at the first literal that breaks a rule.
fn buckets(input: ParseStream<'_>) -> syn::Result<Vec<f64>> {
    let content;
    let brackets = syn::bracketed!(content in input);
    let exprs = content.parse_terminated(Expr::parse, Token![,])?;
    if exprs.is_empty() {
        return Err(syn::Error::new(brackets.span.join(), "`buckets` needs at least one boundary"));
    }
    let mut values: Vec<f64> = Vec::with_capacity(exprs.len());
    for expr in &exprs {
        let value = number(expr)?;
        validate::bucket(value, values.last().copied())
            .map_err(|e| syn::Error::new_spanned(expr, e))?;
        values.push(value);
    }
    Ok(values)
}

/// The value of a number literal, optionally negated (so a negative boundary gets the
/// "cannot be negative" error rather than a confusing "expected a literal").
fn number(expr: &Expr) -> syn::Result<f64> {
    let not_a_number =
        || syn::Error::new_spanned(expr, "expected a number literal (seconds), such as `0.25`");
    let (lit, negative) = match expr {
        Expr::Lit(ExprLit { lit, .. }) => (lit, false),
        Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr: inner, .. }) => match &**inner {
            Expr::Lit(ExprLit { lit, .. }) => (lit, true),
            _ => return Err(not_a_number()),
        },
        _ => return Err(not_a_number()),
    };
    let (value, suffix) = match lit {
        Lit::Float(f) => (f.base10_parse::<f64>()?, f.suffix()),
        Lit::Int(i) => (i.base10_parse::<f64>()?, i.suffix()),
        _ => return Err(not_a_number()),
    };
    if !matches!(suffix, "" | "f64") {
        return Err(syn::Error::new(
            lit.span(),
            format!("boundaries are `f64` seconds; drop the `{suffix}` suffix"),
        ));
    }
    Ok(if negative { -value } else { value })
}

/// `skip(a, b, self)`.
fn skips(input: ParseStream<'_>) -> syn::Result<Vec<Ident>> {
    let content;
    syn::parenthesized!(content in input);
    let names = content.parse_terminated(Ident::parse_any, Token![,])?;
    let mut skips: Vec<Ident> = Vec::new();
    for name in names {
        if skips.contains(&name) {
            return Err(syn::Error::new(name.span(), format!("`{name}` is already skipped")));
        }
        skips.push(name);
    }
    Ok(skips)
}
