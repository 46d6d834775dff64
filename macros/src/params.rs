//! Which arguments the span records, and how (tracing-attributes' rules).
//!
//! Every argument is recorded unless skipped, `self` included: primitive types, `str` and
//! `String` (and references to them) as `tracing::Value`s, everything else through `Debug`.
//! Arguments destructured by a pattern are recorded by the names the pattern binds. An
//! argument with the same name as a `fields(...)` entry is left to that entry, and arguments
//! called `status` or `error` are not recorded (flowmeter sets span fields of those names).

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::punctuated::Punctuated;
use syn::{FnArg, Ident, LitStr, Pat, PatType, Token, Type, TypePath};

use crate::args::{Args, Record};
use crate::fields::BUILT_IN_FIELDS;

/// How an argument is recorded.
#[derive(Clone, Copy)]
enum Recorded {
    /// As a `tracing::Value` (numbers, booleans, strings).
    Value,
    /// Through `Debug`.
    Debug,
}

/// Last path segments of the types recorded as values (as in tracing-attributes).
const VALUE_TYPES: &[&str] = &[
    "bool",
    "str",
    "u8",
    "i8",
    "u16",
    "i16",
    "u32",
    "i32",
    "u64",
    "i64",
    "u128",
    "i128",
    "f32",
    "f64",
    "usize",
    "isize",
    "String",
    "NonZeroU8",
    "NonZeroI8",
    "NonZeroU16",
    "NonZeroI16",
    "NonZeroU32",
    "NonZeroI32",
    "NonZeroU64",
    "NonZeroI64",
    "NonZeroU128",
    "NonZeroI128",
    "NonZeroUsize",
    "NonZeroIsize",
    "Wrapping",
];

impl Recorded {
    fn of(ty: &Type) -> Self {
        match ty {
            Type::Path(TypePath { path, .. })
                if path
                    .segments
                    .last()
                    .is_some_and(|s| VALUE_TYPES.iter().any(|t| s.ident == t)) =>
            {
                Recorded::Value
            }
            Type::Reference(reference) => Recorded::of(&reference.elem),
            Type::Paren(paren) => Recorded::of(&paren.elem),
            Type::Group(group) => Recorded::of(&group.elem),
            _ => Recorded::Debug,
        }
    }
}

/// The span fields recording the arguments of `inputs` under `args`. Errors on a `skip` of
/// an argument that does not exist.
pub(crate) fn span_fields(
    inputs: &Punctuated<FnArg, Token![,]>,
    args: &Args,
) -> syn::Result<Vec<TokenStream>> {
    let params = names(inputs);
    let skips: &[Ident] = match &args.record {
        Some(Record::SkipAll) => return Ok(Vec::new()),
        Some(Record::Skip(skips)) => skips,
        None => &[],
    };
    if let Some(missing) = skips.iter().find(|skip| !params.iter().any(|(name, _)| name == *skip)) {
        return Err(syn::Error::new(
            missing.span(),
            format!("there is no argument `{missing}` to skip"),
        ));
    }
    let custom: Vec<&Ident> = args
        .fields
        .iter()
        .flat_map(|fields| fields.0.iter().filter_map(|f| f.single_ident()))
        .collect();
    Ok(params
        .into_iter()
        .filter(|(name, _)| {
            !skips.contains(name)
                && !custom.contains(&name)
                && !BUILT_IN_FIELDS.contains(&name.to_string().as_str())
        })
        .map(|(name, recorded)| {
            let field = LitStr::new(&name.to_string(), name.span());
            match recorded {
                // Spanned at the argument, so a missing `Debug` is reported there.
                Recorded::Value => quote_spanned!(name.span()=> #field = #name),
                Recorded::Debug => quote_spanned! {name.span()=>
                    #field = ::flowmeter::__private::tracing::field::debug(&#name)
                },
            }
        })
        .collect())
}

/// The names an argument list binds, in order, with how each is recorded.
fn names(inputs: &Punctuated<FnArg, Token![,]>) -> Vec<(Ident, Recorded)> {
    let mut names = Vec::new();
    for input in inputs {
        match input {
            FnArg::Receiver(receiver) => {
                names.push((Ident::new("self", receiver.self_token.span), Recorded::Debug));
            }
            FnArg::Typed(PatType { pat, ty, .. }) => bind(pat, Recorded::of(ty), &mut names),
        }
    }
    names
}

/// The names a pattern binds. Fields of destructured structs and tuples are recorded through
/// `Debug`: their types are not written in the signature.
fn bind(pat: &Pat, recorded: Recorded, names: &mut Vec<(Ident, Recorded)>) {
    match pat {
        Pat::Ident(ident) => names.push((ident.ident.clone(), recorded)),
        Pat::Reference(reference) => bind(&reference.pat, recorded, names),
        Pat::Paren(paren) => bind(&paren.pat, recorded, names),
        Pat::Struct(s) => s.fields.iter().for_each(|f| bind(&f.pat, Recorded::Debug, names)),
        Pat::Tuple(t) => t.elems.iter().for_each(|p| bind(p, Recorded::Debug, names)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| bind(p, Recorded::Debug, names)),
        // `_`, rest patterns and anything else bind no name worth recording.
        _ => {}
    }
}

/// The names an argument list binds: what `skip(...)` may name.
pub(crate) fn arg_names(inputs: &Punctuated<FnArg, Token![,]>) -> Vec<Ident> {
    names(inputs).into_iter().map(|(name, _)| name).collect()
}
