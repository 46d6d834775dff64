//! `#[derive(ErrorType)]`: an enum's `error_type` label, one `&'static str` per variant (its
//! name, or `#[error_type(name = "...")]`). Parsing the variants' options is apart from the
//! generated `impl`, as for the attribute.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, LitStr, Variant};

use crate::validate;

/// The derive's expansion: `impl flowmeter::ErrorType` with a `match` over the variants.
pub(crate) fn derive(input: DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "`#[derive(ErrorType)]` names the variants of an enum; for a struct or union, \
             implement `flowmeter::ErrorType` by hand, or leave it out and the type's name is \
             the `error_type`",
        ));
    };
    let names = data.variants.iter().map(variant_name).collect::<syn::Result<Vec<_>>>()?;
    let arms = data.variants.iter().zip(&names).map(|(variant, name)| {
        let ident = &variant.ident;
        quote!(Self::#ident { .. } => #name,)
    });
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::flowmeter::ErrorType for #ident #type_generics #where_clause {
            fn error_type(&self) -> &'static str {
                match *self {
                    #(#arms)*
                }
            }
        }
    })
}

/// A variant's label value: `#[error_type(name = "...")]` if given (once), else its name.
fn variant_name(variant: &Variant) -> syn::Result<LitStr> {
    let mut name: Option<LitStr> = None;
    for attr in variant.attrs.iter().filter(|attr| attr.path().is_ident("error_type")) {
        attr.parse_nested_meta(|meta| {
            if !meta.path.is_ident("name") {
                return Err(meta.error("unknown `error_type` option; expected `name = \"...\"`"));
            }
            let value: LitStr = meta.value()?.parse()?;
            if name.is_some() {
                return Err(syn::Error::new(value.span(), "`name` is given twice"));
            }
            validate::error_type(&value.value())
                .map_err(|why| syn::Error::new(value.span(), why))?;
            name = Some(value);
            Ok(())
        })?;
    }
    Ok(name.unwrap_or_else(|| LitStr::new(&variant.ident.to_string(), variant.ident.span())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(source: &str) -> Result<String, String> {
        let input: DeriveInput = syn::parse_str(source).unwrap();
        derive(input).map(|tokens| tokens.to_string()).map_err(|e| e.to_string())
    }

    #[test]
    fn variants_are_named_by_their_ident_or_their_name_option() {
        let code = expand(
            r#"enum E<T> { Timeout, #[error_type(name = "http_status")] Status(u16), Other { x: T } }"#,
        )
        .unwrap();
        assert!(code.contains(r#"Self :: Timeout { .. } => "Timeout""#), "{code}");
        assert!(code.contains(r#"Self :: Status { .. } => "http_status""#), "{code}");
        assert!(code.contains(r#"Self :: Other { .. } => "Other""#), "{code}");
        assert!(code.contains("impl < T > :: flowmeter :: ErrorType for E < T >"), "{code}");
    }

    #[test]
    fn misuse_is_an_error_that_says_what_to_do() {
        assert!(expand("struct S;").unwrap_err().contains("implement `flowmeter::ErrorType`"));
        let unknown = expand("enum E { #[error_type(rename = \"x\")] A }").unwrap_err();
        assert!(unknown.contains("unknown `error_type` option"), "{unknown}");
        let empty = expand("enum E { #[error_type(name = \"\")] A }").unwrap_err();
        assert!(empty.contains("must not be empty"), "{empty}");
        let twice = expand("enum E { #[error_type(name = \"a\")] #[error_type(name = \"b\")] A }");
        assert!(twice.unwrap_err().contains("given twice"));
    }
}
