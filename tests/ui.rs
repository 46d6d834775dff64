//! The `#[instrumented]` attribute's accepted shapes (each compiles and runs) and its
//! compile errors (each with the expected message, pointing at the offending token).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
