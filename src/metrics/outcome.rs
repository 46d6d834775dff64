//! Classifying a returned value as success or error, without the macro having to know the
//! return type: `Result<T, E>` is an error when `Err`, any other type is a success.
//!
//! This is autoref specialization: `(&Outcome(&value)).classify()` resolves to
//! [`ClassifyResult`] when the value is a `Result` (a by-reference receiver matches first)
//! and to [`ClassifyAny`] otherwise. Generic return types classify as success.

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

/// Wraps a returned value for classification.
#[derive(Debug)]
pub struct Outcome<'a, T>(pub &'a T);

/// Classification of `Result`s: `Err` is an error.
pub trait ClassifyResult {
    /// Classifies the value.
    fn classify(&self) -> Classified;
}

impl<T, E> ClassifyResult for Outcome<'_, Result<T, E>> {
    #[inline]
    fn classify(&self) -> Classified {
        match self.0 {
            Ok(_) => Classified::SUCCESS,
            Err(_) => Classified::error_of::<E>(),
        }
    }
}

/// Classification of every other type: a success.
pub trait ClassifyAny {
    /// Classifies the value.
    fn classify(&self) -> Classified;
}

impl<T> ClassifyAny for &Outcome<'_, T> {
    #[inline]
    fn classify(&self) -> Classified {
        Classified::SUCCESS
    }
}

/// `ok_if = path`: an `Err` for which `ok_if` returns true counts as a success.
#[inline]
pub fn classify_ok_if<T, E>(value: &Result<T, E>, ok_if: impl FnOnce(&E) -> bool) -> Classified {
    match value {
        Ok(_) => Classified::SUCCESS,
        Err(e) if ok_if(e) => Classified::SUCCESS,
        Err(_) => Classified::error_of::<E>(),
    }
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

    #[test]
    fn results_are_classified_by_variant_and_other_types_succeed() {
        let ok: Result<u8, MyError> = Ok(1);
        let err: Result<u8, MyError> = Err(MyError);
        assert_eq!((&Outcome(&ok)).classify(), Classified::SUCCESS);
        let c = (&Outcome(&err)).classify();
        assert_eq!((c.status, c.error_type), (Status::Error, Some("MyError")));
        assert_eq!((&Outcome(&5u32)).classify(), Classified::SUCCESS);
        let io: std::io::Result<()> = Err(std::io::Error::other("x"));
        assert_eq!((&Outcome(&io)).classify().error_type, Some("Error"));
    }

    #[test]
    fn ok_if_and_error_if_override() {
        let err: Result<u8, u16> = Err(404);
        assert_eq!(classify_ok_if(&err, |e| *e == 404), Classified::SUCCESS);
        assert_eq!(classify_ok_if(&err, |e| *e == 500).status, Status::Error);
        assert_eq!(classify_error_if(&None::<u8>, Option::is_none).status, Status::Error);
    }
}
