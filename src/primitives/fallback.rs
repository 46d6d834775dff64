//! [`Fallback`]: ordered alternatives, the first success wins.

use std::borrow::Cow;
use std::future::Future;

use super::observe::Observed;
use super::{BoxPrimitive, Context, DynPrimitive as _, Error, Primitive};

/// Ordered alternatives, measured as `primitive_type="fallback"`; created by [`fallback`]
/// and extended with [`or`](Self::or).
///
/// Each alternative runs, in order, on a clone of the input, until one succeeds; its output
/// is the result. Each alternative records its own execution and span (children of the
/// fallback's span), so a failed alternative shows as an `error` before the one that
/// succeeded. If every alternative fails, the result is [`Error::AllFailed`] naming the
/// fallback and listing, in order, each alternative tried with its error; an alternative is
/// named by its error's [`origin`](Error::origin) (for a step, the step's name).
///
/// The alternatives are static (`Fallback<Or<Or<(), A>, B>>`, no boxing); for a list built
/// at run time, [`Fallback::boxed`] takes a `Vec` of [`BoxPrimitive`]s.
///
/// ```
/// use flowmeter::primitives::{Context, Primitive, fallback, step};
///
/// let primary = step("primary", |q: String, _ctx: Context| async move {
///     Err::<String, _>(std::io::Error::other("primary is down"))
/// });
/// let replica = step("replica", |q: String, _ctx: Context| async move {
///     Ok::<_, std::io::Error>(format!("answer to {q}"))
/// });
/// let answer = fallback("answer", primary).or(replica);
/// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # runtime.block_on(async {
/// assert_eq!(answer.run("q".to_owned(), &Context::new("doc")).await.unwrap(), "answer to q");
/// # });
/// ```
#[derive(Debug)]
pub struct Fallback<A> {
    alternatives: A,
    observed: Observed,
}

/// Alternatives `A`, then `P`: the static list of a [`Fallback`]. The first is `Or<(), P>`.
#[derive(Debug)]
pub struct Or<A, P>(A, P);

/// A fallback named `name` (the `primitive_name` label) whose first alternative is `first`;
/// add more with [`Fallback::or`].
pub fn fallback<P>(name: impl Into<Cow<'static, str>>, first: P) -> Fallback<Or<(), P>> {
    Fallback { alternatives: Or((), first), observed: Observed::new(name, "fallback") }
}

impl<A> Fallback<A> {
    /// Adds `next`, tried after every alternative so far has failed.
    pub fn or<P>(self, next: P) -> Fallback<Or<A, P>> {
        Fallback { alternatives: Or(self.alternatives, next), observed: self.observed }
    }

    /// The fallback's name.
    pub fn name(&self) -> &str {
        self.observed.name()
    }
}

impl<I, O> Fallback<Vec<BoxPrimitive<I, O>>> {
    /// A fallback over a list of alternatives built at run time, tried in order. An empty
    /// list fails with an empty [`Error::AllFailed`].
    pub fn boxed(
        name: impl Into<Cow<'static, str>>,
        alternatives: Vec<BoxPrimitive<I, O>>,
    ) -> Self {
        Fallback { alternatives, observed: Observed::new(name, "fallback") }
    }
}

/// The alternatives of a [`Fallback`], tried in order.
pub trait Alternatives<I>: Send + Sync {
    /// What every alternative produces.
    type Output: Send;

    /// Runs the alternatives in order, each on a clone of `input`, until one succeeds;
    /// pushes each failure, named by its error's origin, on `tried`. Gives the input back
    /// when all failed.
    fn attempt<'a>(
        &'a self,
        input: I,
        ctx: &'a Context,
        tried: &'a mut Vec<(String, Error)>,
    ) -> impl Future<Output = Result<Self::Output, I>> + Send + 'a
    where
        I: 'a;
}

/// Runs `alternative` on a clone of `input`; on failure records it in `tried` and gives the
/// input back.
async fn try_one<I, P>(
    alternative: &P,
    input: I,
    ctx: &Context,
    tried: &mut Vec<(String, Error)>,
) -> Result<P::Output, I>
where
    I: Clone + Send,
    P: Primitive<I> + ?Sized,
{
    match alternative.run(input.clone(), ctx).await {
        Ok(output) => Ok(output),
        Err(error) => {
            failed(tried, error);
            Err(input)
        }
    }
}

/// Records a failed alternative, named by its error's origin.
fn failed(tried: &mut Vec<(String, Error)>, error: Error) {
    tracing::debug!(alternative = error.origin(), error = %error, "alternative failed");
    tried.push((error.origin().to_owned(), error));
}

impl<I, P> Alternatives<I> for Or<(), P>
where
    I: Clone + Send,
    P: Primitive<I>,
{
    type Output = P::Output;

    async fn attempt<'a>(
        &'a self,
        input: I,
        ctx: &'a Context,
        tried: &'a mut Vec<(String, Error)>,
    ) -> Result<P::Output, I>
    where
        I: 'a,
    {
        try_one(&self.1, input, ctx, tried).await
    }
}

impl<I, A, B, P> Alternatives<I> for Or<Or<A, B>, P>
where
    I: Clone + Send,
    Or<A, B>: Alternatives<I>,
    P: Primitive<I, Output = <Or<A, B> as Alternatives<I>>::Output>,
{
    type Output = P::Output;

    async fn attempt<'a>(
        &'a self,
        input: I,
        ctx: &'a Context,
        tried: &'a mut Vec<(String, Error)>,
    ) -> Result<P::Output, I>
    where
        I: 'a,
    {
        let input = match self.0.attempt(input, ctx, tried).await {
            Ok(output) => return Ok(output),
            Err(input) => input,
        };
        try_one(&self.1, input, ctx, tried).await
    }
}

impl<I, O> Alternatives<I> for Vec<BoxPrimitive<I, O>>
where
    I: Clone + Send + 'static,
    O: Send + 'static,
{
    type Output = O;

    async fn attempt<'a>(
        &'a self,
        input: I,
        ctx: &'a Context,
        tried: &'a mut Vec<(String, Error)>,
    ) -> Result<O, I>
    where
        I: 'a,
    {
        for alternative in self {
            match alternative.run_boxed(input.clone(), ctx).await {
                Ok(output) => return Ok(output),
                Err(error) => failed(tried, error),
            }
        }
        Err(input)
    }
}

impl<I, A> Primitive<I> for Fallback<A>
where
    I: Send,
    A: Alternatives<I>,
{
    type Output = A::Output;

    async fn run(&self, input: I, ctx: &Context) -> Result<A::Output, Error> {
        self.observed
            .run(async move {
                let mut tried = Vec::new();
                match self.alternatives.attempt(input, ctx, &mut tried).await {
                    Ok(output) => Ok(output),
                    Err(_input) => {
                        Err(Error::AllFailed { step: self.observed.name().to_owned(), tried })
                    }
                }
            })
            .await
    }
}

crate::primitives::ops::leaf_primitives!(Fallback<A>);
crate::primitives::ops::operators!(Fallback<A>);
