//! A program that composes `Telemetry::tracing_layer()` into its own subscriber keeps every
//! span by default: its other layers (a log formatter, here a layer noting span names) still
//! see the calls whose trace is not sampled, which the SDK then drops.

mod common;

#[test]
fn unsampled_calls_keep_their_spans_for_the_other_layers() {
    common::traces::composed_subscriber_scenario(None, 3);
}
