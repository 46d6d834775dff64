//! What the expansion needs to know about a function's types: the value it produces (its
//! return type, or the `Output` of the future it returns), whether that value is a `Result`,
//! and a version of it usable as a `let` annotation.

use syn::visit_mut::VisitMut;
use syn::{GenericArgument, PathArguments, ReturnType, Token, Type, TypeParamBound};

/// Whether `ty` is written as a `Result`: any path whose last segment is `Result`
/// (`Result<T, E>`, `io::Result<T>`, `anyhow::Result<T>`). A type alias with another name is
/// not recognised; the macro only sees tokens.
pub(crate) fn is_result(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path.path.segments.last().is_some_and(|s| s.ident == "Result"),
        Type::Paren(paren) => is_result(&paren.elem),
        Type::Group(group) => is_result(&group.elem),
        _ => false,
    }
}

/// The declared return type (`None` for `()`).
pub(crate) fn returned(output: &ReturnType) -> Option<&Type> {
    match output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some(ty),
    }
}

/// The `Output = T` of the future a function returns: `impl Future<Output = T>`, or
/// `Pin<Box<dyn Future<Output = T> + Send + 'a>>` as `#[async_trait]` writes it.
pub(crate) fn future_output(output: &ReturnType) -> Option<&Type> {
    returned(output).and_then(output_of)
}

fn output_of(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Path(path) => path.path.segments.iter().find_map(|s| output_in(&s.arguments)),
        Type::ImplTrait(t) => t.bounds.iter().find_map(bound_output),
        Type::TraitObject(t) => t.bounds.iter().find_map(bound_output),
        Type::Paren(paren) => output_of(&paren.elem),
        Type::Group(group) => output_of(&group.elem),
        _ => None,
    }
}

fn bound_output(bound: &TypeParamBound) -> Option<&Type> {
    match bound {
        TypeParamBound::Trait(t) => t.path.segments.last().and_then(|s| output_in(&s.arguments)),
        _ => None,
    }
}

fn output_in(arguments: &PathArguments) -> Option<&Type> {
    let PathArguments::AngleBracketed(arguments) = arguments else {
        return None;
    };
    arguments.args.iter().find_map(|arg| match arg {
        GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
        GenericArgument::Type(ty) => output_of(ty),
        _ => None,
    })
}

/// `ty` with every `impl Trait` replaced by `_`, so it can annotate a `let` (the "fake return"
/// that tells inference what the wrapped body returns, as tracing-attributes does).
pub(crate) fn erase_impl_trait(ty: &Type) -> Type {
    struct Eraser;
    impl VisitMut for Eraser {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(t) = ty {
                *ty =
                    Type::Infer(syn::TypeInfer { underscore_token: Token![_](t.impl_token.span) });
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut ty = ty.clone();
    Eraser.visit_type_mut(&mut ty);
    ty
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens as _;
    use syn::parse_quote;

    #[test]
    fn recognises_results_and_future_outputs() {
        assert!(is_result(&parse_quote!(std::io::Result<()>)));
        assert!(!is_result(&parse_quote!(Option<u8>)));
        let boxed: ReturnType =
            parse_quote!(-> Pin<Box<dyn Future<Output = Result<u8, E>> + Send + 'async_trait>>);
        assert!(future_output(&boxed).is_some_and(is_result));
        let opaque: ReturnType = parse_quote!(-> impl Future<Output = u8> + Send);
        assert_eq!(future_output(&opaque).unwrap().to_token_stream().to_string(), "u8");
        assert!(future_output(&parse_quote!(-> u8)).is_none());
    }

    #[test]
    fn erases_impl_trait() {
        let erased = erase_impl_trait(&parse_quote!(Result<impl Iterator<Item = u8>, E>));
        assert_eq!(erased.to_token_stream().to_string(), "Result < _ , E >");
    }
}
