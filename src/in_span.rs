//! Where a call runs ([`Scope`]: its span, or the unsampled context of a call that built
//! none) and [`InSpan`], a future run inside a scope it borrows.
//!
//! `tracing::Instrument` takes the span by value, so an execution that keeps its span (to
//! record the outcome on it afterwards) has to clone it for the future: a clone and a second
//! close, each a call into the subscriber and a span lookup. `InSpan` borrows the execution's
//! scope instead. It also drops the inner future inside the scope, as `Instrument` does, but
//! only when the future is dropped before it finished: a finished future is dropped in its
//! last poll, still inside the scope, so finishing does not enter it a second time.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use opentelemetry::ContextGuard;

/// Where one call runs: inside its span, or, for a call that starts a trace that is not
/// sampled and built no span, in that trace's unsampled OpenTelemetry context (so that spans
/// made inside it are unsampled children of the trace, not new roots). Neither, for a call
/// without a span (`span = false`, telemetry off, or a parent context that already says "not
/// sampled").
///
/// One of the three, not a span and a context side by side: an execution without a span (the
/// most frequent, and the cheapest to keep cheap) then holds and drops only a tag.
#[derive(Debug)]
pub struct Scope(Where);

#[derive(Debug)]
enum Where {
    Nothing,
    Span(tracing::Span),
    Context(opentelemetry::Context),
}

/// A scope entered: exits the span or detaches the context when dropped.
#[derive(Debug)]
pub struct Entered<'a>(#[allow(dead_code)] EnteredWhere<'a>);

#[derive(Debug)]
enum EnteredWhere<'a> {
    Nothing,
    Span(#[allow(dead_code)] tracing::span::Entered<'a>),
    Context(#[allow(dead_code)] ContextGuard),
}

impl Scope {
    /// No span, no context of its own.
    #[inline]
    pub fn none() -> Self {
        Scope(Where::Nothing)
    }

    /// Inside `span`.
    #[inline]
    pub(crate) fn span(span: tracing::Span) -> Self {
        Scope(Where::Span(span))
    }

    /// In `context`, without a span.
    #[inline]
    pub(crate) fn context(context: opentelemetry::Context) -> Self {
        Scope(Where::Context(context))
    }

    /// The span, when the call built one.
    #[inline]
    pub fn tracing_span(&self) -> Option<&tracing::Span> {
        match &self.0 {
            Where::Span(span) => Some(span),
            Where::Nothing | Where::Context(_) => None,
        }
    }

    /// Enters the scope until the guard is dropped.
    #[inline]
    pub fn enter(&self) -> Entered<'_> {
        Entered(match &self.0 {
            Where::Nothing => EnteredWhere::Nothing,
            Where::Span(span) => EnteredWhere::Span(span.enter()),
            Where::Context(cx) => EnteredWhere::Context(cx.clone().attach()),
        })
    }

    /// Runs `f` inside the scope, once: a context of its own is moved in rather than cloned
    /// (the scope of a sync call is entered once). (An `FnOnce` parameter, so a body may
    /// return a borrow of a captured `&mut` argument.)
    #[inline]
    pub fn run_once<R>(&mut self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            Where::Nothing => f(),
            Where::Span(span) => span.in_scope(f),
            Where::Context(_) => {
                let Where::Context(cx) = std::mem::replace(&mut self.0, Where::Nothing) else {
                    unreachable!("matched above")
                };
                let _attached = cx.attach();
                f()
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// Polls `inner` inside `scope`; see the module documentation.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct InSpan<'a, F> {
        scope: &'a Scope,
        // `None` once finished (or dropped).
        #[pin]
        inner: Option<F>,
    }

    impl<'a, F> PinnedDrop for InSpan<'a, F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.inner.is_some() {
                // Dropped before it finished (cancelled): drop it inside the scope, so what
                // its destructors log or record belongs to the execution.
                let _entered = this.scope.enter();
                this.inner.set(None);
            }
        }
    }
}

impl<'a, F> InSpan<'a, F> {
    /// `future`, to be polled inside `scope`.
    #[inline]
    pub fn new(scope: &'a Scope, future: F) -> Self {
        InSpan { scope, inner: Some(future) }
    }
}

impl<F: Future> Future for InSpan<'_, F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let _entered = this.scope.enter();
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            panic!("InSpan polled after it finished");
        };
        let output = std::task::ready!(inner.poll(cx));
        this.inner.set(None);
        Poll::Ready(output)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing::Subscriber;
    use tracing::span::{Attributes, Id};
    use tracing_subscriber::Registry;
    use tracing_subscriber::layer::{Context as LayerContext, Layer, SubscriberExt as _};
    use tracing_subscriber::registry::LookupSpan;

    use super::*;

    /// Records "enter" and "exit" of every span, and "drop" when the test future is dropped.
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<&'static str>>>);

    impl Log {
        fn push(&self, entry: &'static str) {
            self.0.lock().unwrap().push(entry);
        }
        fn take(&self) -> Vec<&'static str> {
            std::mem::take(&mut self.0.lock().unwrap())
        }
    }

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Log {
        fn on_new_span(&self, _: &Attributes<'_>, _: &Id, _: LayerContext<'_, S>) {}
        fn on_enter(&self, _: &Id, _: LayerContext<'_, S>) {
            self.push("enter");
        }
        fn on_exit(&self, _: &Id, _: LayerContext<'_, S>) {
            self.push("exit");
        }
    }

    /// Logs whether its span is current when dropped.
    struct Probe(Log);

    impl Drop for Probe {
        fn drop(&mut self) {
            let inside = !tracing::Span::current().is_disabled();
            self.0.push(if inside { "drop inside" } else { "drop outside" });
        }
    }

    /// A subscriber that logs to the returned `Log` (this thread's default while the guard
    /// lives), a span of it, and a probe logging to the same `Log`.
    fn logged_span() -> (Log, tracing::subscriber::DefaultGuard, Scope, Probe) {
        let log = Log::default();
        let default = tracing::subscriber::set_default(Registry::default().with(log.clone()));
        let span = Scope::span(tracing::info_span!("execution"));
        (log.clone(), default, span, Probe(log))
    }

    fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(std::task::Waker::noop()))
    }

    #[test]
    fn polls_inside_the_span_and_finishing_enters_it_once() {
        let (log, _default, span, probe) = logged_span();
        let mut future = Box::pin(InSpan::new(&span, async move {
            let _probe = probe;
            assert!(!tracing::Span::current().is_disabled(), "the body runs in the span");
            7
        }));
        assert_eq!(poll_once(future.as_mut()), Poll::Ready(7));
        // Dropping the finished future does not enter the span again.
        drop(future);
        assert_eq!(log.take(), ["enter", "drop inside", "exit"]);
    }

    #[test]
    fn a_future_dropped_before_it_finished_is_dropped_inside_the_span() {
        let (log, _default, span, probe) = logged_span();
        let mut future = Box::pin(InSpan::new(&span, async move {
            let _probe = probe;
            std::future::pending::<()>().await;
        }));
        assert_eq!(poll_once(future.as_mut()), Poll::Pending);
        drop(future);
        assert_eq!(log.take(), ["enter", "exit", "enter", "drop inside", "exit"]);
    }

    #[test]
    fn a_context_scope_is_current_in_every_poll_and_only_then() {
        use opentelemetry::trace::{
            SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
        };
        let trace_id = TraceId::from(7_u128);
        let unsampled = SpanContext::new(
            trace_id,
            SpanId::from(9_u64),
            TraceFlags::default(),
            false,
            TraceState::default(),
        );
        let scope =
            Scope::context(opentelemetry::Context::new().with_remote_span_context(unsampled));
        let current =
            || opentelemetry::Context::map_current(|cx| cx.span().span_context().trace_id());
        let mut future = Box::pin(InSpan::new(&scope, async move {
            assert_eq!(current(), trace_id);
            let mut yielded = false;
            std::future::poll_fn(|_| {
                if std::mem::replace(&mut yielded, true) { Poll::Ready(()) } else { Poll::Pending }
            })
            .await;
            assert_eq!(current(), trace_id, "attached again in the second poll");
            3
        }));
        assert_eq!(poll_once(future.as_mut()), Poll::Pending);
        assert_eq!(current(), TraceId::INVALID, "detached between polls");
        assert_eq!(poll_once(future.as_mut()), Poll::Ready(3));
        drop(future);
        let mut scope = scope;
        assert_eq!(scope.run_once(current), trace_id);
        assert_eq!(scope.run_once(current), TraceId::INVALID, "moved in, once");
        assert_eq!(current(), TraceId::INVALID);
    }
}
