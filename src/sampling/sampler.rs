//! [`Sampler`]: the standard samplers, named as `OTEL_TRACES_SAMPLER` names them.

use std::fmt;

use opentelemetry_sdk::trace::Sampler as SdkSampler;

/// Which traces are recorded: the samplers of OpenTelemetry's `OTEL_TRACES_SAMPLER`, with the
/// ratio of `OTEL_TRACES_SAMPLER_ARG` where they take one.
///
/// Metrics are never sampled: every call is counted and timed whatever the sampler decides.
/// A call the sampler drops builds no span at all where no other layer would have seen it
/// (see [`TelemetryBuilder::skip_unsampled_spans`](crate::TelemetryBuilder::skip_unsampled_spans)).
///
/// Default: [`Sampler::ParentBasedAlwaysOn`], OpenTelemetry's default.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum Sampler {
    /// `always_on`: every span is sampled, whatever its parent decided.
    AlwaysOn,
    /// `always_off`: no span is sampled.
    AlwaysOff,
    /// `traceidratio`: this share of trace ids (0 to 1) is sampled, whatever the parent
    /// decided.
    TraceIdRatio(f64),
    /// `parentbased_always_on`: a span follows its parent's decision; a root is sampled.
    #[default]
    ParentBasedAlwaysOn,
    /// `parentbased_always_off`: a span follows its parent's decision; a root is not
    /// sampled (only traces started elsewhere, sampled, are recorded).
    ParentBasedAlwaysOff,
    /// `parentbased_traceidratio`: a span follows its parent's decision; this share of roots
    /// (0 to 1) is sampled. The usual production choice: `0.01` keeps one trace in a hundred,
    /// each complete.
    ParentBasedTraceIdRatio(f64),
}

// A resolved sampler's ratio is a number from 0 to 1 (install refuses anything else, NaN
// included), so equality is reflexive.
impl Eq for Sampler {}

impl Sampler {
    /// The names `OTEL_TRACES_SAMPLER` takes, in the specification's order.
    pub const NAMES: [&'static str; 6] = [
        "always_on",
        "always_off",
        "traceidratio",
        "parentbased_always_on",
        "parentbased_always_off",
        "parentbased_traceidratio",
    ];

    /// The sampler `OTEL_TRACES_SAMPLER` names `name`, with `ratio` for the two that take
    /// one; `None` for a name that is not one of [`Sampler::NAMES`].
    pub fn from_name(name: &str, ratio: f64) -> Option<Sampler> {
        Some(match name {
            "always_on" => Sampler::AlwaysOn,
            "always_off" => Sampler::AlwaysOff,
            "traceidratio" => Sampler::TraceIdRatio(ratio),
            "parentbased_always_on" => Sampler::ParentBasedAlwaysOn,
            "parentbased_always_off" => Sampler::ParentBasedAlwaysOff,
            "parentbased_traceidratio" => Sampler::ParentBasedTraceIdRatio(ratio),
            _ => return None,
        })
    }

    /// The `OTEL_TRACES_SAMPLER` name (`parentbased_traceidratio`).
    pub fn name(&self) -> &'static str {
        match self {
            Sampler::AlwaysOn => "always_on",
            Sampler::AlwaysOff => "always_off",
            Sampler::TraceIdRatio(_) => "traceidratio",
            Sampler::ParentBasedAlwaysOn => "parentbased_always_on",
            Sampler::ParentBasedAlwaysOff => "parentbased_always_off",
            Sampler::ParentBasedTraceIdRatio(_) => "parentbased_traceidratio",
        }
    }

    /// The ratio of the two ratio samplers (`OTEL_TRACES_SAMPLER_ARG`).
    pub fn ratio(&self) -> Option<f64> {
        match self {
            Sampler::TraceIdRatio(ratio) | Sampler::ParentBasedTraceIdRatio(ratio) => Some(*ratio),
            _ => None,
        }
    }

    /// Why the sampler cannot be used, if it cannot: a ratio outside 0 to 1.
    pub(crate) fn invalid(&self) -> Option<String> {
        let ratio = self.ratio()?;
        (!(0.0..=1.0).contains(&ratio)).then(|| format!("the ratio {ratio} is not between 0 and 1"))
    }

    /// The OpenTelemetry SDK's sampler that decides the same.
    pub(crate) fn to_sdk(self) -> SdkSampler {
        match self {
            Sampler::AlwaysOn => SdkSampler::AlwaysOn,
            Sampler::AlwaysOff => SdkSampler::AlwaysOff,
            Sampler::TraceIdRatio(ratio) => SdkSampler::TraceIdRatioBased(ratio),
            Sampler::ParentBasedAlwaysOn => SdkSampler::ParentBased(Box::new(SdkSampler::AlwaysOn)),
            Sampler::ParentBasedAlwaysOff => {
                SdkSampler::ParentBased(Box::new(SdkSampler::AlwaysOff))
            }
            Sampler::ParentBasedTraceIdRatio(ratio) => {
                SdkSampler::ParentBased(Box::new(SdkSampler::TraceIdRatioBased(ratio)))
            }
        }
    }
}

/// `parentbased_traceidratio:0.25`, or the name alone for the samplers without a ratio.
impl fmt::Display for Sampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ratio() {
            Some(ratio) => write!(f, "{}:{ratio}", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for name in Sampler::NAMES {
            let sampler = Sampler::from_name(name, 0.5).expect(name);
            assert_eq!(sampler.name(), name);
        }
        assert_eq!(Sampler::from_name("sometimes", 0.5), None);
        assert_eq!(Sampler::from_name("traceidratio", 0.25).unwrap().ratio(), Some(0.25));
        assert_eq!(Sampler::from_name("always_on", 0.25).unwrap().ratio(), None);
    }

    #[test]
    fn a_ratio_outside_zero_to_one_is_invalid() {
        assert_eq!(Sampler::TraceIdRatio(0.0).invalid(), None);
        assert_eq!(Sampler::ParentBasedTraceIdRatio(1.0).invalid(), None);
        for ratio in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
            assert!(Sampler::TraceIdRatio(ratio).invalid().is_some(), "{ratio}");
        }
        assert_eq!(Sampler::AlwaysOn.invalid(), None);
    }

    #[test]
    fn displays_as_the_variables_would_set_it() {
        assert_eq!(
            Sampler::ParentBasedTraceIdRatio(0.25).to_string(),
            "parentbased_traceidratio:0.25"
        );
        assert_eq!(Sampler::default().to_string(), "parentbased_always_on");
    }
}
