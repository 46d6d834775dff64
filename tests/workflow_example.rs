//! Runs the workflow example with `--once`: it prints each run's trace tree and an exposition
//! with workflow, cache, LLM cost and GenAI token series that passes `promtool check metrics`.

mod common;

use common::{parse, promtool_check_metrics};

#[test]
fn once_prints_trace_trees_and_a_valid_exposition() {
    let output = common::example("workflow").arg("--once").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let (report, exposition) = stdout.split_at(stdout.find("# HELP").expect("an exposition"));

    // Trees: the workflow at the root, the sequence under it, the steps under that.
    assert!(report.lines().any(|l| l.starts_with("document_pipeline ")), "{report}");
    assert!(report.lines().any(|l| l.starts_with("  pipeline ")), "{report}");
    assert!(report.lines().any(|l| l.starts_with("    annotate ")), "{report}");
    assert!(
        report.lines().any(|l| l.starts_with("      fetch ") && l.ends_with("error")),
        "a retried attempt"
    );
    assert!(
        report
            .lines()
            .any(|l| l.trim_start().starts_with("chat gpt-4o-mini") && l.ends_with("cancelled")),
        "the timed-out call"
    );
    assert!(report.contains("spent so far: $"), "{report}");

    let scraped = parse(exposition);
    let runs = |status| {
        scraped.value(
            "flowmeter_workflow_executions_total",
            &[("workflow_name", "document_pipeline"), ("status", status)],
        )
    };
    assert_eq!((runs("success"), runs("error")), (5.0, 1.0), "document 4 times out");
    assert_eq!(scraped.value("flowmeter_cache_hits_total", &[("cache_name", "enrich")]), 3.0);
    assert!(
        scraped
            .value("flowmeter_llm_cost_total", &[("model", "gpt-4o-mini"), ("provider", "openai")])
            > 0.0
    );
    assert!(
        !scraped
            .find("gen_ai_client_token_usage_bucket", &[("gen_ai_token_type", "input")])
            .is_empty()
    );
    promtool_check_metrics(exposition);
}
