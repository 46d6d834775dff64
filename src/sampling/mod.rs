//! Layer 1, sampling before a span exists: which sampler decides, and whether a call that
//! will not be recorded may go without its `tracing` span.
//!
//! tracing-opentelemetry asks the sampler only when the OpenTelemetry span starts, after
//! `tracing` has made the span, the registry has stored it and the layer has copied every
//! attribute: a dropped span costs nearly what a recorded one does. flowmeter asks the same
//! sampler first, from the current OpenTelemetry context (which tracing-opentelemetry keeps
//! in step with the entered span), and builds no span for a call that would be dropped.
//!
//! The two askings agree because they ask the same sampler the same question:
//!
//! - with a parent, both pass the parent's context and its trace id;
//! - for a root, flowmeter decides on the trace id the next root started on this thread will
//!   get ([`ids`]), and the tracer provider's id generator hands out exactly that id. An
//!   unsampled root keeps the id for the unsampled context its call runs in, so spans made
//!   inside it (by any code) are unsampled children of that trace, never new roots.
//!
//! OpenTelemetry's samplers decide from the parent and the trace id alone, so for them the
//! effective rate is exactly the configured one. A custom sampler must do the same.

mod decide;
pub(crate) mod ids;
mod sampler;
mod standard;

pub(crate) use decide::{Decision, SpanPolicy};
pub use sampler::Sampler;
