//! Generates `callsites.rs` in `OUT_DIR`: `FLOWMETER_CALLSITES` (default 5 000) functions
//! with `#[flowmeter::instrumented(span = false)]`, `site_00000` .., and `SITES`, their names
//! and function pointers, for the scale test (`tests/many_callsites.rs`) and the scale
//! measurement (`examples/scale.rs`). Generated rather than checked in: thousands of
//! identical functions are data, not code anyone reads. For the 10 000-site figures:
//! `FLOWMETER_CALLSITES=10000 cargo run --release -p flowmeter-bench --example scale`.

use std::fmt::Write as _;
use std::path::PathBuf;

const DEFAULT_CALLSITES: usize = 5_000;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=FLOWMETER_CALLSITES");
    let count = match std::env::var("FLOWMETER_CALLSITES") {
        Ok(value) => value.parse().unwrap_or_else(|_| {
            panic!("FLOWMETER_CALLSITES={value:?}: expected a number of call sites")
        }),
        Err(_) => DEFAULT_CALLSITES,
    };
    let mut code = String::new();
    for i in 0..count {
        writeln!(code, "#[::flowmeter::instrumented(span = false)]\nfn site_{i:05}() {{}}")
            .unwrap();
    }
    writeln!(code, "/// Every generated call site: its name and the function.").unwrap();
    writeln!(code, "pub static SITES: [(&str, fn()); {count}] = [").unwrap();
    for i in 0..count {
        writeln!(code, "    (\"site_{i:05}\", site_{i:05}),").unwrap();
    }
    writeln!(code, "];").unwrap();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("callsites.rs"), code).expect("write callsites.rs");
}
