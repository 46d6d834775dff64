//! `traces_sampler` and `traces_sampler_arg` (`OTEL_TRACES_SAMPLER[_ARG]`): the sampler named,
//! with its ratio.
//!
//! As OpenTelemetry specifies: names are case-insensitive, a ratio sampler without an
//! argument samples everything (ratio 1), and an argument is read only by the samplers that
//! take one. Unlike the SDK, which falls back to its default and says nothing, a name or a
//! ratio that cannot be used is an error naming the variable: a sampler silently replaced
//! records a different share of traces from the one asked for.

use super::error;
use crate::error::{ConfigError, Origin};
use crate::sampling::Sampler;

/// Samplers OpenTelemetry names that flowmeter cannot ask before a span exists.
const UNSUPPORTED: &[&str] = &["jaeger_remote", "parentbased_jaeger_remote", "xray"];

/// The sampler `name` names, with the ratio `arg` gives it (each with where it came from).
pub(super) fn parse(
    (name, name_origin): (&str, &Origin),
    arg: Option<(&str, &Origin)>,
) -> Result<Sampler, ConfigError> {
    let lower = name.trim().to_ascii_lowercase();
    let known = Sampler::NAMES.join(", ");
    if UNSUPPORTED.contains(&lower.as_str()) {
        let reason = format!(
            "not supported by flowmeter (it asks the sampler before a span exists); use one of {known}"
        );
        return Err(error("traces_sampler", name, name_origin, reason));
    }
    // The ratio is read only when the sampler takes one (a placeholder otherwise).
    let Some(sampler) = Sampler::from_name(&lower, 1.0) else {
        return Err(error("traces_sampler", name, name_origin, format!("expected one of {known}")));
    };
    let (Some(_), Some((arg, arg_origin))) = (sampler.ratio(), arg) else {
        return Ok(sampler);
    };
    let ratio: f64 = arg.trim().parse().map_err(|_| {
        error("traces_sampler_arg", arg, arg_origin, "expected a ratio from 0 to 1, e.g. 0.25")
    })?;
    let sampler = Sampler::from_name(&lower, ratio).expect("a known name");
    match sampler.invalid() {
        Some(reason) => Err(error("traces_sampler_arg", arg, arg_origin, reason)),
        None => Ok(sampler),
    }
}

#[cfg(test)]
mod tests;
