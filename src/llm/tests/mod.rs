//! Unit tests of the LLM accounting: cost math, usage validation, price lookup and files,
//! budgets, and recording on spans and logs.

mod budget;
mod capture;
mod cost;
mod price;
mod price_file;
mod props;
mod record;
mod usage;

use super::{Date, ModelPrice};

/// A date, for tests.
fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// A price from rates in USD per million tokens: input, output, then optional cache read,
/// cache write and reasoning.
fn price(
    input: f64,
    output: f64,
    cache_read: Option<f64>,
    cache_write: Option<f64>,
    reasoning: Option<f64>,
) -> ModelPrice {
    let mut p = ModelPrice::new(input, output).unwrap();
    if let Some(r) = cache_read {
        p = p.with_cache_read(r).unwrap();
    }
    if let Some(r) = cache_write {
        p = p.with_cache_write(r).unwrap();
    }
    if let Some(r) = reasoning {
        p = p.with_reasoning(r).unwrap();
    }
    p
}
