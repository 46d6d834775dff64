//! The objectives a program declares in code, gathered for `/catalog` and the generator: those
//! of `#[instrumented(objective(...))]` call sites (registered at link time) and those of
//! workflows (registered as they are built).

use super::callsite;
use super::objective::{DEFAULT_WINDOW_DAYS, Objective, Target};

/// Objectives declared in code on workflows ([`Workflow::objective`](crate::primitives::Workflow::objective)).
static DECLARED: std::sync::Mutex<Vec<Objective>> = std::sync::Mutex::new(Vec::new());

/// Registers an objective declared in code.
pub(crate) fn declare_objective(objective: Objective) {
    let mut declared = DECLARED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !declared.contains(&objective) {
        declared.push(objective);
    }
}

/// Every objective declared in this program: on `#[instrumented(objective(...))]` call sites
/// (registered at link time) and on workflows created so far. `/catalog` lists them;
/// `flowmeter-cli` generates SLO rules for them.
pub fn declared_objectives() -> Vec<Objective> {
    // The macro validated the call sites' ratios and thresholds at compile time.
    let mut objectives: Vec<Objective> = callsite::callsites()
        .into_iter()
        .flat_map(|site| {
            site.objectives.iter().map(move |&goal| Objective {
                target: Target::Primitive(site.name.to_owned()),
                goal,
                window_days: DEFAULT_WINDOW_DAYS,
            })
        })
        .collect();
    for objective in DECLARED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
        if !objectives.contains(objective) {
            objectives.push(objective.clone());
        }
    }
    objectives
}
