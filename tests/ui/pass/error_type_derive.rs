//! `#[derive(ErrorType)]` on enums of every variant shape, generic and empty ones included.

use flowmeter::{ErrorType, instrumented};

#[derive(Debug, ErrorType)]
enum Shapes<T: std::fmt::Debug> {
    Unit,
    Tuple(u8, T),
    #[error_type(name = "named_fields")]
    Struct {
        code: u16,
    },
}

#[derive(Debug, ErrorType)]
enum Never {}

#[instrumented]
fn fails() -> Result<(), Shapes<String>> {
    Err(Shapes::Tuple(1, "x".into()))
}

fn main() {
    assert_eq!(Shapes::<()>::Unit.error_type(), "Unit");
    assert_eq!(Shapes::Tuple(0, ()).error_type(), "Tuple");
    assert_eq!(Shapes::<()>::Struct { code: 1 }.error_type(), "named_fields");
    let _ = fails();
    let _: Option<Never> = None;
}
