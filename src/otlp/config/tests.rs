use std::collections::HashMap;
use std::time::Duration;

use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name| map.get(name).cloned()
}

fn resolved(builder: Option<&OtlpConfig>, pairs: &[(&str, &str)]) -> Option<ResolvedOtlp> {
    resolve(builder, &env(pairs)).unwrap()
}

fn error(builder: Option<&OtlpConfig>, pairs: &[(&str, &str)]) -> ConfigError {
    resolve(builder, &env(pairs)).unwrap_err()
}

#[test]
fn off_unless_the_builder_or_an_endpoint_variable_asks() {
    assert_eq!(resolved(None, &[]), None);
    assert_eq!(resolved(None, &[("OTEL_EXPORTER_OTLP_ENDPOINT", "  ")]), None);
    let only_traces = resolved(None, &[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:1/t")]);
    let only_traces = only_traces.unwrap();
    assert_eq!(only_traces.traces.unwrap().endpoint, "http://c:1/t");
    assert_eq!(only_traces.metrics, None);
    let by_exporter = resolved(None, &[("OTEL_METRICS_EXPORTER", "otlp")]).unwrap();
    assert_eq!(by_exporter.traces, None);
    assert_eq!(by_exporter.metrics.unwrap().endpoint, "http://localhost:4318/v1/metrics");
    let none = [("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), ("OTEL_TRACES_EXPORTER", "none")];
    assert_eq!(resolved(None, &none).unwrap().traces, None);
}

#[test]
fn defaults_follow_the_specification() {
    let config = resolved(Some(&OtlpConfig::new()), &[]).unwrap();
    let traces = config.traces.unwrap();
    assert_eq!(traces.protocol, Protocol::HttpProtobuf);
    assert_eq!(traces.endpoint, "http://localhost:4318/v1/traces");
    assert_eq!(traces.timeout, Duration::from_secs(10));
    assert_eq!(config.metric_export_interval, Duration::from_secs(60));
    let grpc = resolved(Some(&OtlpConfig::new().protocol(Protocol::Grpc)), &[]).unwrap();
    assert_eq!(grpc.metrics.unwrap().endpoint, "http://localhost:4317");
}

#[test]
fn signal_variables_beat_generic_ones_and_the_builder_beats_both() {
    let pairs = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318/"),
        ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://metrics:9/custom"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "700"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=two%20words"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "1500"),
    ];
    let config = resolved(None, &pairs).unwrap();
    let (traces, metrics) = (config.traces.unwrap(), config.metrics.unwrap());
    assert_eq!(
        (traces.protocol, traces.endpoint.as_str()),
        (Protocol::Grpc, "http://generic:4318/")
    );
    assert_eq!(traces.timeout, Duration::from_millis(700));
    assert_eq!(metrics.endpoint, "http://metrics:9/custom");
    assert_eq!(metrics.timeout, Duration::from_millis(2500));
    assert_eq!(metrics.headers, [("a".into(), "1".into()), ("b".into(), "two words".into())]);
    assert_eq!(config.metric_export_interval, Duration::from_millis(1500));

    let builder = OtlpConfig::new()
        .endpoint("http://builder:4318")
        .timeout(Duration::from_secs(1))
        .header("b", "mine")
        .metrics(false);
    let config = resolved(Some(&builder), &pairs).unwrap();
    let traces = config.traces.unwrap();
    // Traces are gRPC (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL): a gRPC endpoint takes no path.
    assert_eq!(
        (traces.protocol, traces.endpoint.as_str()),
        (Protocol::Grpc, "http://builder:4318")
    );
    assert_eq!(traces.timeout, Duration::from_secs(1));
    assert_eq!(traces.headers, [("a".into(), "1".into()), ("b".into(), "mine".into())]);
    assert_eq!(config.metrics, None);
}

#[test]
fn bad_values_name_the_variable_and_hide_header_values() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "10s", "otlp.timeout", "whole milliseconds"),
        ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "0", "otlp.timeout", "at least 1"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "otlp.protocol", "not supported"),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "udp", "otlp.protocol", "grpc or http/protobuf"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317", "otlp.endpoint", "http://"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4317", "otlp.endpoint", "TLS"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret,broken", "otlp.headers", "entry 2"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "-5", "otlp.metric_export_interval", "milliseconds"),
        ("OTEL_TRACES_EXPORTER", "jaeger", "otlp.exporter", "otlp or none"),
    ];
    for (var, value, field, reason) in cases {
        let mut pairs = vec![(*var, *value)];
        if !var.contains("ENDPOINT") {
            pairs.push(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"));
        }
        let error = error(None, &pairs);
        assert_eq!(error.field, *field, "{var}");
        assert_eq!(error.origin, Origin::Env(var), "{var}");
        assert!(error.reason.contains(reason), "{var}: {}", error.reason);
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }
}

#[test]
fn bad_builder_values_are_errors_too() {
    let zero = OtlpConfig::new().timeout(Duration::ZERO);
    assert_eq!(error(Some(&zero), &[]).field, "otlp.timeout");
    let header = OtlpConfig::new().header("bad header", "x");
    assert_eq!(error(Some(&header), &[]).field, "otlp.headers");
    // A bad value fails whichever the protocol (HTTP/protobuf here, the default), and the
    // error names the header without showing the value.
    let value = OtlpConfig::new().header("api-key", "s3cret\nx");
    let value = error(Some(&value), &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]);
    assert_eq!(value.field, "otlp.headers");
    assert!(value.reason.contains("not a valid header value"), "{value}");
    assert!(value.to_string().contains("api-key") && !value.to_string().contains("s3cret"));
    let queue = OtlpConfig::new().max_queue_size(0);
    assert_eq!(error(Some(&queue), &[]).field, "otlp.max_queue_size");
    let endpoint = OtlpConfig::new().endpoint("ftp://c");
    let endpoint = error(Some(&endpoint), &[]);
    assert_eq!((endpoint.field, endpoint.origin), ("otlp.endpoint", Origin::Builder));
}
