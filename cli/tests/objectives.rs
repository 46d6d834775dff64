//! Objectives declared in code: on `#[instrumented(objective(...))]` call sites (checked at
//! compile time, see tests/ui/fail/objective_*.rs) and on workflows (checked when declared),
//! listed for the rules generator, which turns them into SLO rules.

use flowmeter::instrumented;
use flowmeter::metrics::{Goal, ObjectiveError, Target, declared_objectives};
use flowmeter::primitives::{Context, Workflow, step};
use flowmeter_cli::{GenerateConfig, generate};

#[instrumented(objective(success_rate = 0.999, latency = 0.25, ratio = 0.9))]
fn lookup(key: u32) -> u32 {
    key
}

#[instrumented(buckets = [0.1, 0.3, 0.9], objective(latency = 0.3, ratio = 0.95))]
fn custom_buckets() {}

#[test]
fn call_site_and_workflow_objectives_are_listed_for_the_generator() {
    let workflow = Workflow::new(
        "objective_flow",
        step("objective_step", |x: u32, _ctx: Context| async move { Ok::<_, std::io::Error>(x) }),
    )
    .objective(Goal::SuccessRate { ratio: 0.99 })
    .unwrap()
    .objective(Goal::Latency { threshold_seconds: 1.0, ratio: 0.95 })
    .unwrap();
    assert_eq!(workflow.name(), "objective_flow");

    let declared = declared_objectives();
    let of = |target: &Target| {
        declared.iter().filter(|o| &o.target == target).map(|o| o.goal).collect::<Vec<_>>()
    };
    assert_eq!(
        of(&Target::Primitive("lookup".into())),
        [Goal::SuccessRate { ratio: 0.999 }, Goal::Latency { threshold_seconds: 0.25, ratio: 0.9 }]
    );
    assert_eq!(
        of(&Target::Primitive("custom_buckets".into())),
        [Goal::Latency { threshold_seconds: 0.3, ratio: 0.95 }]
    );
    assert_eq!(
        of(&Target::Workflow("objective_flow".into())),
        [Goal::SuccessRate { ratio: 0.99 }, Goal::Latency { threshold_seconds: 1.0, ratio: 0.95 }]
    );
    let _ = (lookup(1), custom_buckets());

    // The generator writes SLO rules naming them.
    let files = generate(&GenerateConfig { objectives: declared, ..GenerateConfig::default() });
    let slo =
        files.iter().find(|f| f.path.to_string_lossy().contains("slo")).map(|f| f.contents.clone());
    if let Some(slo) = slo {
        assert!(slo.contains("objective_flow") && slo.contains("lookup"), "{slo}");
    }
}

#[test]
fn a_workflow_latency_objective_off_the_boundaries_is_rejected_naming_both() {
    let error = Workflow::new(
        "objective_reject",
        step("s", |x: u32, _ctx: Context| async move { Ok::<_, std::io::Error>(x) }),
    )
    .objective(Goal::Latency { threshold_seconds: 0.3, ratio: 0.99 })
    .err()
    .expect("0.3 is not a boundary");
    assert!(matches!(error, ObjectiveError::NotABoundary { threshold, .. } if threshold == 0.3));
    let message = error.to_string();
    assert!(
        message.contains("0.3") && message.contains("objective_reject") && message.contains("0.25"),
        "{message}"
    );
}
