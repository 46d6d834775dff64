//! [`Context`]: what travels with one workflow run.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What travels with one workflow run: its name and ids, tags, baggage and checkpoints.
///
/// Cheap to clone (an `Arc`). None of the ids ever becomes a metric label (they are
/// unbounded); they go on spans and stay available to the steps. A [`child`](Self::child)
/// context, for a branch, shares the run's ids and baggage, has its own id (whose causation
/// id is its parent's id), its own tags and its own checkpoints.
#[derive(Debug, Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    workflow_name: Arc<str>,
    workflow_id: Arc<str>,
    correlation_id: Arc<str>,
    context_id: String,
    causation_id: Option<String>,
    tags: BTreeMap<String, String>,
    baggage: Arc<BTreeMap<String, String>>,
    started: Instant,
    checkpoints: Mutex<Vec<Checkpoint>>,
}

/// Numbers child contexts; a child's id is `{workflow id}.{n}`.
static NEXT_CHILD: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A named point of a run, with the time elapsed since its context started.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Checkpoint {
    /// The checkpoint's name.
    pub name: String,
    /// Time since the context was created.
    pub elapsed: Duration,
}

impl Context {
    /// A new run of `workflow_name` with a fresh random workflow id, used as the correlation
    /// id too unless [`with_correlation_id`](Self::with_correlation_id) sets one.
    pub fn new(workflow_name: impl Into<Arc<str>>) -> Self {
        let id: Arc<str> = uuid::Uuid::new_v4().to_string().into();
        Context {
            inner: Arc::new(Inner {
                workflow_name: workflow_name.into(),
                workflow_id: id.clone(),
                correlation_id: id.clone(),
                context_id: id.to_string(),
                causation_id: None,
                tags: BTreeMap::new(),
                baggage: Arc::default(),
                started: Instant::now(),
                checkpoints: Mutex::default(),
            }),
        }
    }

    fn edit(mut self, edit: impl FnOnce(&mut Inner)) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => edit(inner),
            None => {
                let mut inner = self.inner.duplicate();
                edit(&mut inner);
                self.inner = Arc::new(inner);
            }
        }
        self
    }

    /// Sets the correlation id (for example a request id from upstream).
    pub fn with_correlation_id(self, id: impl Into<Arc<str>>) -> Self {
        let id = id.into();
        self.edit(|inner| inner.correlation_id = id)
    }

    /// Sets the causation id: what caused this run (for example an upstream event id).
    pub fn with_causation_id(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.edit(|inner| inner.causation_id = Some(id))
    }

    /// Adds a tag, local to this context.
    pub fn with_tag(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        self.edit(|inner| {
            inner.tags.insert(key, value);
        })
    }

    /// Adds baggage, inherited by every child context.
    pub fn with_baggage(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        self.edit(|inner| {
            Arc::make_mut(&mut inner.baggage).insert(key, value);
        })
    }

    /// A child context for a branch: same workflow, run ids and baggage; a new context id
    /// caused by this one; no tags; its own checkpoints.
    pub fn child(&self) -> Context {
        let parent = &self.inner;
        Context {
            inner: Arc::new(Inner {
                workflow_name: parent.workflow_name.clone(),
                workflow_id: parent.workflow_id.clone(),
                correlation_id: parent.correlation_id.clone(),
                // Unique within the run without asking the OS for randomness per branch.
                context_id: format!(
                    "{}.{}",
                    parent.workflow_id,
                    NEXT_CHILD.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                ),
                causation_id: Some(parent.context_id.clone()),
                tags: BTreeMap::new(),
                baggage: parent.baggage.clone(),
                started: Instant::now(),
                checkpoints: Mutex::default(),
            }),
        }
    }

    /// Records a checkpoint with the time elapsed since this context was created.
    pub fn checkpoint(&self, name: impl Into<String>) {
        let checkpoint = Checkpoint { name: name.into(), elapsed: self.inner.started.elapsed() };
        self.inner.checkpoints.lock().unwrap_or_else(PoisonError::into_inner).push(checkpoint);
    }

    /// This context's checkpoints, in order.
    pub fn checkpoints(&self) -> Vec<Checkpoint> {
        self.inner.checkpoints.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The workflow's name.
    pub fn workflow_name(&self) -> &str {
        &self.inner.workflow_name
    }

    /// The run's id (random, per run).
    pub fn workflow_id(&self) -> &str {
        &self.inner.workflow_id
    }

    /// The correlation id (the run id unless set).
    pub fn correlation_id(&self) -> &str {
        &self.inner.correlation_id
    }

    /// This context's own id.
    pub fn context_id(&self) -> &str {
        &self.inner.context_id
    }

    /// What caused this context: the parent context's id for a child, or what was set.
    pub fn causation_id(&self) -> Option<&str> {
        self.inner.causation_id.as_deref()
    }

    /// A tag of this context.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.inner.tags.get(key).map(String::as_str)
    }

    /// All tags of this context.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.inner.tags
    }

    /// A baggage item (inherited from parents).
    pub fn baggage(&self, key: &str) -> Option<&str> {
        self.inner.baggage.get(key).map(String::as_str)
    }

    /// Time since this context was created.
    pub fn elapsed(&self) -> Duration {
        self.inner.started.elapsed()
    }
}

impl Inner {
    fn duplicate(&self) -> Inner {
        Inner {
            workflow_name: self.workflow_name.clone(),
            workflow_id: self.workflow_id.clone(),
            correlation_id: self.correlation_id.clone(),
            context_id: self.context_id.clone(),
            causation_id: self.causation_id.clone(),
            tags: self.tags.clone(),
            baggage: self.baggage.clone(),
            started: self.started,
            checkpoints: Mutex::new(
                self.checkpoints.lock().unwrap_or_else(PoisonError::into_inner).clone(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_share_run_ids_and_baggage_but_not_tags() {
        let root = Context::new("docs")
            .with_correlation_id("req-1")
            .with_tag("tenant_tier", "free")
            .with_baggage("locale", "en");
        let child = root.child();
        assert_eq!(child.workflow_name(), "docs");
        assert_eq!(child.workflow_id(), root.workflow_id());
        assert_eq!(child.correlation_id(), "req-1");
        assert_eq!(child.causation_id(), Some(root.context_id()));
        assert_ne!(child.context_id(), root.context_id());
        assert_eq!(child.baggage("locale"), Some("en"));
        assert_eq!(child.tag("tenant_tier"), None);
        assert_eq!(root.tag("tenant_tier"), Some("free"));
    }

    #[test]
    fn checkpoints_are_ordered_with_growing_elapsed_times() {
        let ctx = Context::new("docs");
        ctx.checkpoint("fetched");
        ctx.checkpoint("summarized");
        let names: Vec<_> = ctx.checkpoints().into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["fetched", "summarized"]);
        let times = ctx.checkpoints();
        assert!(times[0].elapsed <= times[1].elapsed);
        assert!(ctx.child().checkpoints().is_empty());
    }
}
