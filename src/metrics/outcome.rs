//! Classifying a returned value as success or error, without the macro having to know the
//! return type: `Result<T, E>` is an error when `Err`, any other type is a success.
//!
//! This is autoref specialization: `(&&Outcome(&value)).classify()` resolves to
//! [`ClassifyTyped`] when the value is a `Result` whose error implements [`ErrorType`] (its
//! variant names the `error_type`), else to [`ClassifyResult`] when it is a `Result` (the
//! type's name is the `error_type`), and to [`ClassifyAny`] otherwise. Method lookup tries the
//! receiver `&&Outcome` as is, then with one more reference, then with one less, and the
//! methods take `&self`: so the impls sit on `&Outcome` ([`ClassifyTyped`]), `&&Outcome`
//! ([`ClassifyResult`]) and `Outcome` ([`ClassifyAny`]), in that order of preference. Generic return types
//! classify as success.

use super::status::Status;

/// How a returned value was classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classified {
    /// `success` or `error`.
    pub status: Status,
    /// The error's type name (last path segment), for errors.
    pub error_type: Option<&'static str>,
}

impl Classified {
    /// A success.
    pub const SUCCESS: Classified = Classified { status: Status::Success, error_type: None };

    /// An error of type `E`.
    pub fn error_of<E: ?Sized>() -> Classified {
        Classified { status: Status::Error, error_type: Some(short_type_name::<E>()) }
    }
}

/// Names the `error_type` label of an errored call by the error's value: one
/// `&'static str` per variant, so the label stays bounded by construction.
///
/// Without it, an errored call's `error_type` is the error type's name (`IoError`, `Error`).
/// With it, an enum's variants are told apart: `status="error", error_type="Timeout"` can be
/// counted and alerted on. Derive it for an enum (each variant's name, or the name given with
/// `#[error_type(name = "...")]`), or implement it by hand:
///
/// ```
/// use flowmeter::{ErrorType, instrumented};
///
/// #[derive(Debug, ErrorType)]
/// enum FetchError {
///     Timeout,
///     #[error_type(name = "http_status")]
///     Status(u16),
///     Parse { line: usize },
/// }
///
/// #[instrumented]
/// fn fetch(code: u16) -> Result<String, FetchError> {
///     Err(FetchError::Status(code)) // counted with error_type="http_status"
/// }
/// # assert_eq!(FetchError::Parse { line: 1 }.error_type(), "Parse");
/// # let _ = fetch(503);
/// ```
pub trait ErrorType {
    /// The `error_type` label value of this error. Return a name from a fixed set (a
    /// variant's name), never data of the error (a message, an id): every distinct value is
    /// a series. A call site keeps at most 32 distinct values; later ones count as `other`.
    fn error_type(&self) -> &'static str;
}

/// Wraps a returned value for classification.
#[derive(Debug)]
pub struct Outcome<'a, T>(pub &'a T);

/// Classification of `Result`s: `Err` is an error.
pub trait ClassifyResult {
    /// Classifies the value.
    fn classify(&self) -> Classified;
}

impl<T, E> ClassifyResult for &&Outcome<'_, Result<T, E>> {
    #[inline]
    fn classify(&self) -> Classified {
        match self.0 {
            Ok(_) => Classified::SUCCESS,
            Err(_) => Classified::error_of::<E>(),
        }
    }
}

/// Classification of `Result`s whose error names itself ([`ErrorType`]): `Err` is an error
/// with the error's own `error_type`.
pub trait ClassifyTyped {
    /// Classifies the value.
    fn classify(&self) -> Classified;
}

impl<T, E: ErrorType> ClassifyTyped for &Outcome<'_, Result<T, E>> {
    #[inline]
    fn classify(&self) -> Classified {
        match self.0 {
            Ok(_) => Classified::SUCCESS,
            Err(error) => {
                Classified { status: Status::Error, error_type: Some(error.error_type()) }
            }
        }
    }
}

/// Classification of every other type: a success.
pub trait ClassifyAny {
    /// Classifies the value.
    fn classify(&self) -> Classified;
}

impl<T> ClassifyAny for Outcome<'_, T> {
    #[inline]
    fn classify(&self) -> Classified {
        Classified::SUCCESS
    }
}

/// `ok_if = path`: whether `value` is an `Err` that `ok_if` counts as a success (the
/// expansion classifies every other value as it would without `ok_if`).
#[inline]
pub fn is_ok_if<T, E>(value: &Result<T, E>, ok_if: impl FnOnce(&E) -> bool) -> bool {
    matches!(value, Err(e) if ok_if(e))
}

/// `error_if = path`: the value is an error when `error_if` returns true.
#[inline]
pub fn classify_error_if<T>(value: &T, error_if: impl FnOnce(&T) -> bool) -> Classified {
    if error_if(value) { Classified::error_of::<T>() } else { Classified::SUCCESS }
}

/// `std::any::type_name` without the module path or generic arguments: bounded, readable.
pub(crate) fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

#[cfg(test)]
// The borrows mirror the macro expansion, which must work whatever the value's type.
#[allow(clippy::needless_borrow)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct MyError;

    #[derive(Debug)]
    enum Variants {
        Timeout,
    }

    impl ErrorType for Variants {
        fn error_type(&self) -> &'static str {
            match self {
                Variants::Timeout => "Timeout",
            }
        }
    }

    #[test]
    fn results_are_classified_by_variant_and_other_types_succeed() {
        let ok: Result<u8, MyError> = Ok(1);
        let err: Result<u8, MyError> = Err(MyError);
        assert_eq!((&&Outcome(&ok)).classify(), Classified::SUCCESS);
        let c = (&&Outcome(&err)).classify();
        assert_eq!((c.status, c.error_type), (Status::Error, Some("MyError")));
        assert_eq!((&&Outcome(&5u32)).classify(), Classified::SUCCESS);
        let io: std::io::Result<()> = Err(std::io::Error::other("x"));
        assert_eq!((&&Outcome(&io)).classify().error_type, Some("Error"));
    }

    #[test]
    fn an_error_that_names_itself_is_classified_by_its_value() {
        let err: Result<u8, Variants> = Err(Variants::Timeout);
        let c = (&&Outcome(&err)).classify();
        assert_eq!((c.status, c.error_type), (Status::Error, Some("Timeout")));
        let ok: Result<u8, Variants> = Ok(1);
        assert_eq!((&&Outcome(&ok)).classify(), Classified::SUCCESS);
    }

    #[test]
    fn ok_if_and_error_if_override() {
        let err: Result<u8, u16> = Err(404);
        assert!(is_ok_if(&err, |e| *e == 404));
        assert!(!is_ok_if(&err, |e| *e == 500));
        assert!(!is_ok_if(&Ok::<u8, u16>(1), |_| true));
        assert_eq!(classify_error_if(&None::<u8>, Option::is_none).status, Status::Error);
    }
}
