//! `objective(success_rate = 0.99)` / `objective(latency = 0.5, ratio = 0.95)`: service-level
//! objectives declared on a call site, for the rules generator.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ext::IdentExt as _;
use syn::parse::ParseStream;
use syn::{Ident, LitFloat, Token};

/// The parsed objectives of one call site.
#[derive(Clone, Debug, Default)]
pub(crate) struct Objectives {
    pub(crate) success_rate: Option<f64>,
    /// Threshold (with its literal's span, for the boundary check) and ratio.
    pub(crate) latency: Option<(f64, Span, f64)>,
}

impl Objectives {
    /// `(success_rate = r, latency = s, ratio = r)`: either or both goals.
    pub(crate) fn parse(input: ParseStream<'_>, keyword: &Ident) -> syn::Result<Self> {
        let content;
        syn::parenthesized!(content in input);
        let (mut success_rate, mut latency, mut ratio) = (None, None, None);
        while !content.is_empty() {
            let key = content.call(Ident::parse_any)?;
            content.parse::<Token![=]>()?;
            let literal: LitFloat = content.parse()?;
            let value: f64 = literal.base10_parse()?;
            match key.to_string().as_str() {
                "success_rate" | "ratio" => {
                    if !(value > 0.0 && value < 1.0) {
                        return Err(syn::Error::new(
                            literal.span(),
                            format!("`{key}` is a ratio strictly between 0 and 1, e.g. 0.99"),
                        ));
                    }
                    if key == "ratio" { ratio = Some(value) } else { success_rate = Some(value) }
                }
                "latency" => latency = Some((value, literal.span())),
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown objective `{key}`; expected success_rate, latency, ratio"),
                    ));
                }
            }
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
        }
        let latency = match (latency, ratio) {
            (Some((threshold, span)), Some(ratio)) => Some((threshold, span, ratio)),
            (None, None) => None,
            _ => {
                return Err(syn::Error::new(
                    keyword.span(),
                    "a latency objective needs both `latency = <seconds>` and `ratio = <0..1>`",
                ));
            }
        };
        if success_rate.is_none() && latency.is_none() {
            return Err(syn::Error::new(
                keyword.span(),
                "`objective(...)` needs `success_rate = r` and/or `latency = s, ratio = r`",
            ));
        }
        Ok(Objectives { success_rate, latency })
    }

    /// Checks the latency threshold against the call site's boundaries.
    pub(crate) fn check(&self, buckets: Option<&[f64]>) -> syn::Result<()> {
        let Some((threshold, span, _)) = self.latency else { return Ok(()) };
        let boundaries = buckets.unwrap_or(flowmeter_naming::DURATION_BUCKETS);
        if boundaries.contains(&threshold) {
            return Ok(());
        }
        Err(syn::Error::new(
            span,
            format!(
                "latency objective threshold {threshold} s is not a bucket boundary of this call site's duration histogram {boundaries:?}: a histogram cannot measure between its boundaries"
            ),
        ))
    }

    /// The `&[Goal]` of the call site's metadata.
    pub(crate) fn tokens(objectives: Option<&Objectives>) -> TokenStream {
        let Some(objectives) = objectives else { return quote!(&[]) };
        let success = objectives
            .success_rate
            .map(|ratio| quote!(::flowmeter::__private::Goal::SuccessRate { ratio: #ratio }));
        let latency = objectives.latency.map(|(threshold_seconds, _, ratio)| {
            quote!(::flowmeter::__private::Goal::Latency {
                threshold_seconds: #threshold_seconds,
                ratio: #ratio,
            })
        });
        let all = success.into_iter().chain(latency);
        quote!(&[#(#all),*])
    }
}
