use super::*;

#[test]
fn prometheus_names_match_the_design_table() {
    let names: Vec<String> = list("ns").into_iter().map(|m| m.prometheus_name).collect();
    assert_eq!(
        names,
        [
            "ns_primitive_executions_total",
            "ns_execution_duration_seconds",
            "ns_primitive_active",
            "ns_workflow_executions_total",
            "ns_workflow_duration_seconds",
            "ns_cache_hits_total",
            "ns_cache_misses_total",
            "ns_cache_evictions_total",
            "ns_cache_entries",
            "ns_llm_cost_total",
            "ns_llm_cost_saved_total",
            "ns_llm_unpriced_calls_total",
            "ns_llm_budget_remaining",
            "ns_llm_budget_limit",
            "ns_llm_budget_period_end_timestamp_seconds",
            "ns_retry_attempts",
            "gen_ai_client_token_usage",
            "gen_ai_client_operation_duration_seconds",
            "ns_measurements_rejected_total",
            "ns_otlp_export_failures_total",
            "ns_scrape_auth_refused_total",
        ]
    );
}

#[test]
fn every_histogram_has_valid_boundaries_and_others_have_none() {
    for def in CATALOG {
        match (def.kind, def.buckets) {
            (Histogram, Some(b)) => names::validate_buckets(b).unwrap(),
            (Histogram, None) => panic!("{} has no buckets", def.name),
            (_, Some(_)) => panic!("{} is not a histogram but has buckets", def.name),
            (_, None) => {}
        }
    }
}

#[test]
fn no_label_is_reserved() {
    for def in CATALOG {
        for label in def.prometheus_labels() {
            names::validate_label(&label).unwrap();
        }
    }
}
