//! How a primitive measures itself: a runtime-named call site whose executions are counted,
//! timed and traced around the primitive's own future.

use std::borrow::Cow;
use std::future::Future;

use tracing::field::{Empty, display};

use super::Error;
use crate::Status;
use crate::execution::Execution;
use crate::in_span::InSpan;
use crate::metrics::bound::Bound;
use crate::metrics::lazy_bound::{LazyBound, bind_execution};
use crate::metrics::outcome::Classified;
use crate::metrics::recording::Recording;
use crate::pipeline::Pipeline;

/// The name, kind and bound instruments of one primitive instance.
///
/// The span's OpenTelemetry name is the primitive's name (`otel.name`); the `tracing` name
/// is the constant `flowmeter.primitive`, since `tracing` span names are static.
#[derive(Debug)]
#[allow(unreachable_pub)] // pub only for the sealed `Flatten` trait; the module is private
pub struct Observed {
    name: Cow<'static, str>,
    kind: &'static str,
    bound: LazyBound,
}

impl Observed {
    pub(crate) fn new(name: impl Into<Cow<'static, str>>, kind: &'static str) -> Self {
        Observed { name: name.into(), kind, bound: LazyBound::new() }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Renames (before the first run; a bound instance keeps its first name's series).
    pub(crate) fn rename(&mut self, name: impl Into<Cow<'static, str>>) {
        self.name = name.into();
        self.bound = LazyBound::new();
    }

    /// Changes the `primitive_type` (before the first run, like `rename`).
    pub(crate) fn set_kind(&mut self, kind: &'static str) {
        self.kind = kind;
        self.bound = LazyBound::new();
    }

    /// Runs `future` as one execution of this primitive: counted by status, timed, traced
    /// in a child span of the current one. Dropping the returned future records `cancelled`.
    pub(crate) async fn run<T>(
        &self,
        future: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let span = || {
            tracing::info_span!(
                "flowmeter.primitive",
                otel.name = %self.name,
                primitive.name = %self.name,
                primitive.type = self.kind,
                status = Empty,
                error.type = Empty,
                error = Empty,
                otel.status_code = Empty,
            )
        };
        self.run_in(span, future, |_, _| {}).await
    }

    /// [`run`](Self::run) with a span of the primitive's own making (it must declare
    /// `status`, `error.type`, `error` and `otel.status_code` as `Empty`), and `on_ok` to
    /// record what a success returned on it (see [`execute`]).
    pub(crate) async fn run_in<T>(
        &self,
        span: impl FnOnce() -> tracing::Span,
        future: impl Future<Output = Result<T, Error>>,
        on_ok: impl FnOnce(&T, &tracing::Span),
    ) -> Result<T, Error> {
        let recording = self.bound.start(|pipeline| self.bind(pipeline));
        execute(recording, &self.name, span, future, on_ok).await
    }

    fn bind(&self, pipeline: &Pipeline) -> Bound {
        bind_execution(pipeline, self.name.to_string(), self.kind, &[], None)
    }
}

/// Runs `future` as one execution of `name`: `span` is built only when `recording` is on and
/// the call will be recorded in a trace; the result is classified, recorded on the span when
/// there is one (an error's text, or what `on_ok` records of a success), and both finished.
/// Shared by primitives and workflows.
pub(crate) async fn execute<T>(
    recording: Option<Recording<'_>>,
    name: &str,
    span: impl FnOnce() -> tracing::Span,
    future: impl Future<Output = Result<T, Error>>,
    on_ok: impl FnOnce(&T, &tracing::Span),
) -> Result<T, Error> {
    let execution = Execution::new(recording, name, span);
    let result = InSpan::new(execution.scope(), future).await;
    if let Some(span) = execution.span() {
        match &result {
            Ok(value) => on_ok(value, span),
            Err(error) => {
                span.record("error", display(error));
            }
        }
    }
    execution.finish(classify(&result));
    result
}

/// `Ok` is a success; an `Err` is an error with the variant as its type.
pub(crate) fn classify<T>(result: &Result<T, Error>) -> Classified {
    match result {
        Ok(_) => Classified::SUCCESS,
        Err(error) => Classified { status: Status::Error, error_type: Some(error.kind()) },
    }
}
