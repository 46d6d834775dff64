//! OTLP export over HTTP/protobuf to the in-process receiver: exact spans (tree, attributes,
//! status) and metric points, flushed by dropping the guard, under the catalog's OpenTelemetry
//! names, which map to the bridge's Prometheus names (see `common/otlp_scenario.rs`).
#![cfg(feature = "otlp")]

mod common;

use common::otlp_receiver::Transport;

#[test]
fn spans_and_metrics_arrive_exactly_and_map_to_the_bridge_names() {
    common::otlp_scenario::run(Transport::HttpProtobuf);
}
