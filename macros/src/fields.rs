//! `fields(...)`: extra span fields, in the syntax of tracing's `#[instrument(fields(...))]`.
//!
//! `fields(a = expr, b.c = ?expr, d = %expr, ?local, %local, empty)`: a value is recorded as a
//! `tracing::Value`, with `?` through `Debug` and with `%` through `Display`; a bare name with a
//! sigil records the local of that name; a bare name alone declares an empty field the body can
//! fill with `Span::current().record(..)`. Names are emitted as string literals, so dotted names
//! and keywords (`error.type`) need no escaping.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token};

/// Span fields flowmeter itself sets; a user field of the same name would be ambiguous.
pub(crate) const BUILT_IN_FIELDS: &[&str] =
    &["primitive.name", "primitive.type", "status", "error.type", "error", "otel.status_code"];

/// The parsed `fields(...)` list.
#[derive(Clone, Debug)]
pub(crate) struct Fields(pub(crate) Vec<Field>);

/// One `name [= value]` entry.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) name: Punctuated<Ident, Token![.]>,
    pub(crate) value: Option<Expr>,
    pub(crate) kind: FieldKind,
}

/// How a field's value is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Value,
    Debug,
    Display,
}

impl Field {
    /// The dotted name, as the span field is called.
    pub(crate) fn name_string(&self) -> String {
        self.name.iter().map(|ident| ident.unraw().to_string()).collect::<Vec<_>>().join(".")
    }

    /// The single identifier of an undotted name: arguments of that name are not recorded
    /// twice (the custom field wins, as in tracing).
    pub(crate) fn single_ident(&self) -> Option<&Ident> {
        (self.name.len() == 1).then(|| self.name.first()).flatten()
    }

    fn span(&self) -> Span {
        self.name.first().map_or_else(Span::call_site, Ident::span)
    }
}

impl Parse for Fields {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let content;
        syn::parenthesized!(content in input);
        let fields = content.parse_terminated(Field::parse, Token![,])?;
        let mut seen: Vec<String> = Vec::new();
        for field in &fields {
            let name = field.name_string();
            if BUILT_IN_FIELDS.contains(&name.as_str()) {
                return Err(syn::Error::new_spanned(
                    &field.name,
                    format!("`{name}` is a span field flowmeter sets itself; choose another name"),
                ));
            }
            if seen.contains(&name) {
                return Err(syn::Error::new_spanned(
                    &field.name,
                    format!("duplicate field `{name}`"),
                ));
            }
            seen.push(name);
        }
        Ok(Fields(fields.into_iter().collect()))
    }
}

impl Parse for Field {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut kind = sigil(input)?.unwrap_or(FieldKind::Value);
        let name = Punctuated::parse_separated_nonempty_with(input, Ident::parse_any)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            if let Some(sigil) = sigil(input)? {
                kind = sigil;
            }
            Some(input.parse()?)
        } else {
            None
        };
        Ok(Field { name, value, kind })
    }
}

fn sigil(input: ParseStream<'_>) -> syn::Result<Option<FieldKind>> {
    if input.peek(Token![?]) {
        input.parse::<Token![?]>()?;
        Ok(Some(FieldKind::Debug))
    } else if input.peek(Token![%]) {
        input.parse::<Token![%]>()?;
        Ok(Some(FieldKind::Display))
    } else {
        Ok(None)
    }
}

impl ToTokens for Field {
    /// `"name" = value` in the syntax of tracing's span macros.
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let name = LitStr::new(&self.name_string(), self.span());
        let sigil = match self.kind {
            FieldKind::Value => quote!(),
            FieldKind::Debug => quote!(?),
            FieldKind::Display => quote!(%),
        };
        tokens.extend(match (&self.value, self.kind) {
            (Some(value), _) => quote!(#name = #sigil #value),
            (None, FieldKind::Value) => {
                quote!(#name = ::flowmeter::__private::tracing::field::Empty)
            }
            (None, _) => {
                let local = &self.name;
                quote!(#name = #sigil #local)
            }
        });
    }
}
