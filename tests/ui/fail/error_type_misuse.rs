use flowmeter::ErrorType;

#[derive(Debug, ErrorType)]
struct NotAnEnum;

#[derive(Debug, ErrorType)]
enum UnknownOption {
    #[error_type(rename = "x")]
    A,
}

#[derive(Debug, ErrorType)]
enum EmptyName {
    #[error_type(name = "")]
    A,
}

fn main() {}
