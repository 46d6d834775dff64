//! [`Workflow`]: a named run of a primitive, one trace per run.

use std::sync::Arc;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram};
use tracing::field::Empty;

use super::observe::execute;
use super::{Context, Error, Primitive};
use crate::metrics::bound::Bound;
use crate::metrics::catalog::{self, keys};
use crate::metrics::exemplars::HistogramTarget;
use crate::metrics::lazy_bound::LazyBound;
use crate::metrics::{DomainInstruments, Goal, Objective, ObjectiveError, Target};

/// The workflows' instruments, created when the first workflow runs.
#[derive(Debug)]
struct WorkflowInstruments {
    executions: Counter<u64>,
    duration: Histogram<f64>,
}

static WORKFLOWS: DomainInstruments<WorkflowInstruments> =
    DomainInstruments::new(|f| WorkflowInstruments {
        executions: f.u64_counter(&catalog::WORKFLOW_EXECUTIONS),
        duration: f.f64_histogram(&catalog::WORKFLOW_DURATION, None),
    });

/// A named workflow: each [`run`](Self::run) is one trace rooted at the workflow's span, and
/// records `ns_workflow_executions_total{workflow_name,status}` and
/// `ns_workflow_duration_seconds{workflow_name,status}` under the name given here (never a
/// type name). The run's [`Context`] carries the name and a fresh workflow id.
#[derive(Debug)]
pub struct Workflow<P> {
    name: Arc<str>,
    primitive: P,
    bound: LazyBound,
}

impl<P> Workflow<P> {
    /// A workflow called `name` running `primitive`.
    pub fn new(name: impl Into<Arc<str>>, primitive: P) -> Self {
        Workflow { name: name.into(), primitive, bound: LazyBound::new() }
    }

    /// The workflow's name (the `workflow_name` label).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Declares a service-level objective for this workflow: checked now (a latency threshold
    /// must be a bucket boundary of the workflow duration histogram) and listed by
    /// by [`declared_objectives`](crate::metrics::declared_objectives) and `/catalog` for the
    /// rules generator.
    ///
    /// # Errors
    /// [`ObjectiveError`](crate::metrics::ObjectiveError) naming the threshold and the
    /// boundaries, or a ratio outside (0, 1).
    pub fn objective(self, goal: Goal) -> Result<Self, ObjectiveError> {
        let target = Target::Workflow(self.name.to_string());
        let objective = match goal {
            Goal::SuccessRate { ratio } => Objective::success_rate(target, ratio)?,
            Goal::Latency { threshold_seconds, ratio } => {
                Objective::latency(target, threshold_seconds, ratio)?
            }
        };
        crate::metrics::declare_objective(objective);
        Ok(self)
    }

    /// The primitive the workflow runs.
    pub fn primitive(&self) -> &P {
        &self.primitive
    }

    /// Runs once with a new [`Context`].
    pub async fn run<I>(&self, input: I) -> Result<P::Output, Error>
    where
        I: Send,
        P: Primitive<I>,
    {
        self.run_with(input, Context::new(self.name.clone())).await
    }

    /// Runs once in `ctx` (for example one carrying an upstream correlation id).
    pub async fn run_with<I>(&self, input: I, ctx: Context) -> Result<P::Output, Error>
    where
        I: Send,
        P: Primitive<I>,
    {
        let recording = self.bound.start(|pipeline| {
            let instruments = WORKFLOWS.of(pipeline);
            let attrs = vec![KeyValue::new(keys::WORKFLOW_NAME, self.name.to_string())];
            let exemplars = HistogramTarget::of(pipeline, &catalog::WORKFLOW_DURATION, None);
            Bound::new(&instruments.executions, &instruments.duration, None, attrs, exemplars)
        });
        let span = || {
            tracing::info_span!(
                "flowmeter.workflow",
                otel.name = %self.name,
                workflow.name = %self.name,
                workflow.id = ctx.workflow_id(),
                correlation.id = ctx.correlation_id(),
                status = Empty,
                error.type = Empty,
                error = Empty,
                otel.status_code = Empty,
            )
        };
        execute(recording, &self.name, span, self.primitive.run(input, &ctx), |_, _| {}).await
    }
}
