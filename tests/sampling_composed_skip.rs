//! A program that composes `Telemetry::tracing_layer()` into its own subscriber and opts in
//! with `skip_unsampled_spans(true)`: calls whose trace is not sampled build no span, so its
//! other layers do not see them either; sampled calls are seen and exported as before.

mod common;

#[test]
fn unsampled_calls_skip_their_spans_when_the_program_opts_in() {
    common::traces::composed_subscriber_scenario(Some(true), 0);
}
