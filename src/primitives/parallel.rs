//! [`Parallel`]: the same input to every branch at once, outputs in branch order.

use std::borrow::Cow;

use futures_util::StreamExt as _;
use futures_util::stream;

use super::observe::Observed;
use super::{BoxFuture, Context, Error, Primitive};

/// The branches of a parallel primitive, flattened: one [`Branch`] or a [`Fork`] of more.
pub trait Branches<I>: Send + Sync {
    /// The output of every branch.
    type Output: Send;

    /// How many branches there are.
    fn count(&self) -> usize;

    /// Pushes one future per branch, each with a clone of `input` and the next context.
    fn start<'a>(
        &'a self,
        input: &I,
        contexts: &mut std::slice::Iter<'a, Context>,
        futures: &mut Vec<BoxFuture<'a, Result<Self::Output, Error>>>,
    ) where
        I: 'a;
}

/// One primitive as a parallel branch.
#[derive(Debug)]
pub struct Branch<P>(pub(crate) P);

/// Two sets of branches side by side.
#[derive(Debug)]
pub struct Fork<L, R>(pub(crate) L, pub(crate) R);

impl<I, P> Branches<I> for Branch<P>
where
    I: Clone + Send,
    P: Primitive<I>,
{
    type Output = P::Output;

    fn count(&self) -> usize {
        1
    }

    fn start<'a>(
        &'a self,
        input: &I,
        contexts: &mut std::slice::Iter<'a, Context>,
        futures: &mut Vec<BoxFuture<'a, Result<Self::Output, Error>>>,
    ) where
        I: 'a,
    {
        let ctx = contexts.next().expect("one context per branch");
        futures.push(Box::pin(self.0.run(input.clone(), ctx)));
    }
}

impl<I, L, R> Branches<I> for Fork<L, R>
where
    L: Branches<I>,
    R: Branches<I, Output = L::Output>,
{
    type Output = L::Output;

    fn count(&self) -> usize {
        self.0.count() + self.1.count()
    }

    fn start<'a>(
        &'a self,
        input: &I,
        contexts: &mut std::slice::Iter<'a, Context>,
        futures: &mut Vec<BoxFuture<'a, Result<Self::Output, Error>>>,
    ) where
        I: 'a,
    {
        self.0.start(input, contexts, futures);
        self.1.start(input, contexts, futures);
    }
}

/// A run-time list of branches of one type.
impl<I, P> Branches<I> for Vec<P>
where
    I: Clone + Send,
    P: Primitive<I>,
{
    type Output = P::Output;

    fn count(&self) -> usize {
        self.len()
    }

    fn start<'a>(
        &'a self,
        input: &I,
        contexts: &mut std::slice::Iter<'a, Context>,
        futures: &mut Vec<BoxFuture<'a, Result<Self::Output, Error>>>,
    ) where
        I: 'a,
    {
        for branch in self {
            let ctx = contexts.next().expect("one context per branch");
            futures.push(Box::pin(branch.run(input.clone(), ctx)));
        }
    }
}

/// When a parallel primitive succeeds, and what happens to the other branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Every branch must succeed; the first error cancels the rest (recorded `cancelled`)
    /// and is returned. The default.
    #[default]
    FailFast,
    /// Succeeds as soon as this many branches succeed, cancelling the rest; the outputs are
    /// those successes, in branch order. Fails when too many branches fail to reach it.
    Quorum(usize),
}

/// Branches run concurrently on clones of one input, each in a child context; measured as
/// one `primitive_type="parallel"` execution whose span parents the branch spans (siblings).
///
/// Built with `a | b` or [`and`](super::Compose::and); parallels flatten, so `a | b | c` has
/// three branches. Every branch has the same output type; the output is a `Vec` in branch
/// order. Modes: [`Mode::FailFast`] (default) and [`Mode::Quorum`]; [`settle_all`](Self::settle_all)
/// returns every result instead. [`limit`](Self::limit) caps how many run at once (default:
/// all); a branch not started when the run ends is never started and never counted.
#[derive(Debug)]
pub struct Parallel<B> {
    branches: B,
    mode: Mode,
    limit: Option<usize>,
    observed: Observed,
}

/// The default name of a parallel primitive.
pub(crate) const DEFAULT_NAME: &str = "parallel";

impl<B> Parallel<B> {
    /// A parallel over `branches`: a [`Fork`] (as `|` builds) or a `Vec` of primitives of one
    /// type, for branch counts known only at run time. Fail-fast, no limit, named `parallel`.
    pub fn new(branches: B) -> Self {
        Parallel {
            branches,
            mode: Mode::FailFast,
            limit: None,
            observed: Observed::new(DEFAULT_NAME, "parallel"),
        }
    }

    pub(crate) fn into_parts(self) -> (B, Mode, Option<usize>, Observed) {
        (self.branches, self.mode, self.limit, self.observed)
    }

    pub(crate) fn from_parts(
        branches: B,
        mode: Mode,
        limit: Option<usize>,
        observed: Observed,
    ) -> Self {
        Parallel { branches, mode, limit, observed }
    }

    /// Names the parallel (the `primitive_name` label; default `parallel`).
    pub fn named(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.observed.rename(name);
        self
    }

    /// Sets the mode (default [`Mode::FailFast`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Succeeds once `n` branches succeed; see [`Mode::Quorum`].
    pub fn quorum(self, n: usize) -> Self {
        self.mode(Mode::Quorum(n))
    }

    /// Runs at most `n` branches at once (at least 1). Default: all at once.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n.max(1));
        self
    }

    /// Runs every branch to completion and returns every result, in branch order.
    pub fn settle_all(self) -> Settled<B> {
        Settled { inner: self }
    }

    /// The parallel's name.
    pub fn name(&self) -> &str {
        self.observed.name()
    }

    /// Starts the branches and yields `(branch index, result)` in completion order, at most
    /// `limit` at a time. Dropping the stream cancels the branches still running.
    fn completions<'a, I>(
        &'a self,
        input: &I,
        contexts: &'a [Context],
    ) -> impl futures_util::Stream<Item = (usize, Result<B::Output, Error>)> + Send + use<'a, I, B>
    where
        I: 'a,
        B: Branches<I>,
    {
        let mut futures = Vec::with_capacity(contexts.len());
        self.branches.start(input, &mut contexts.iter(), &mut futures);
        let limit = self.limit.unwrap_or(futures.len()).max(1);
        stream::iter(futures.into_iter().enumerate().map(|(i, f)| async move { (i, f.await) }))
            .buffer_unordered(limit)
    }

    async fn run_fail_fast<I>(&self, input: I, ctx: &Context) -> Result<Vec<B::Output>, Error>
    where
        I: Send,
        B: Branches<I>,
    {
        let contexts = child_contexts(ctx, self.branches.count());
        let mut outputs: Vec<Option<B::Output>> = (0..contexts.len()).map(|_| None).collect();
        let mut done = std::pin::pin!(self.completions(&input, &contexts));
        while let Some((i, result)) = done.next().await {
            outputs[i] = Some(result?);
        }
        Ok(outputs.into_iter().map(|o| o.expect("every branch finished")).collect())
    }

    async fn run_quorum<I>(
        &self,
        needed: usize,
        input: I,
        ctx: &Context,
    ) -> Result<Vec<B::Output>, Error>
    where
        I: Send,
        B: Branches<I>,
    {
        let contexts = child_contexts(ctx, self.branches.count());
        let total = contexts.len();
        let mut successes: Vec<(usize, B::Output)> = Vec::with_capacity(needed);
        let mut errors = Vec::new();
        let mut done = std::pin::pin!(self.completions(&input, &contexts));
        while successes.len() < needed && total - errors.len() >= needed {
            match done.next().await {
                Some((i, Ok(output))) => successes.push((i, output)),
                Some((_, Err(error))) => errors.push(error),
                None => break,
            }
        }
        if successes.len() < needed {
            let step = self.observed.name().to_owned();
            return Err(Error::Quorum { step, needed, succeeded: successes.len(), errors });
        }
        successes.sort_by_key(|(i, _)| *i);
        Ok(successes.into_iter().map(|(_, output)| output).collect())
    }
}

fn child_contexts(ctx: &Context, n: usize) -> Vec<Context> {
    (0..n).map(|_| ctx.child()).collect()
}

impl<I, B> Primitive<I> for Parallel<B>
where
    I: Send,
    B: Branches<I>,
{
    type Output = Vec<B::Output>;

    async fn run(&self, input: I, ctx: &Context) -> Result<Self::Output, Error> {
        match self.mode {
            Mode::FailFast => self.observed.run(self.run_fail_fast(input, ctx)).await,
            Mode::Quorum(n) => self.observed.run(self.run_quorum(n, input, ctx)).await,
        }
    }
}

/// A parallel primitive that runs every branch to completion and returns every result in
/// branch order; it fails only if it is itself cancelled. See [`Parallel::settle_all`].
#[derive(Debug)]
pub struct Settled<B> {
    inner: Parallel<B>,
}

impl<I, B> Primitive<I> for Settled<B>
where
    I: Send,
    B: Branches<I>,
{
    type Output = Vec<Result<B::Output, Error>>;

    async fn run(&self, input: I, ctx: &Context) -> Result<Self::Output, Error> {
        let parallel = &self.inner;
        parallel
            .observed
            .run(async move {
                let contexts = child_contexts(ctx, parallel.branches.count());
                let mut results: Vec<Option<Result<B::Output, Error>>> =
                    (0..contexts.len()).map(|_| None).collect();
                let mut done = std::pin::pin!(parallel.completions(&input, &contexts));
                while let Some((i, result)) = done.next().await {
                    results[i] = Some(result);
                }
                Ok(results.into_iter().map(|r| r.expect("every branch finished")).collect())
            })
            .await
    }
}
