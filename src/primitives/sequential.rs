//! [`Sequential`]: each step's output feeds the next; the first error stops the run.

use std::borrow::Cow;

use super::observe::Observed;
use super::{Context, Error, Primitive};

/// Two primitives in sequence, not measured on their own: the links of a [`Sequential`].
#[derive(Debug)]
pub struct Chain<A, B> {
    first: A,
    second: B,
}

impl<A, B> Chain<A, B> {
    pub(crate) fn new(first: A, second: B) -> Self {
        Chain { first, second }
    }
}

impl<I, A, B> Primitive<I> for Chain<A, B>
where
    I: Send,
    A: Primitive<I>,
    B: Primitive<A::Output>,
{
    type Output = B::Output;

    async fn run(&self, input: I, ctx: &Context) -> Result<B::Output, Error> {
        let middle = self.first.run(input, ctx).await?;
        self.second.run(middle, ctx).await
    }
}

/// A run-time list of steps, each feeding the next (all `I -> I`); not measured on its own.
impl<I, P> Primitive<I> for Vec<P>
where
    I: Send,
    P: Primitive<I, Output = I>,
{
    type Output = I;

    async fn run(&self, input: I, ctx: &Context) -> Result<I, Error> {
        let mut value = input;
        for step in self {
            value = step.run(value, ctx).await?;
        }
        Ok(value)
    }
}

/// Steps run one after the other, each output the next input; measured as one
/// `primitive_type="sequential"` execution whose span parents every step's span.
///
/// Built with `a >> b` or [`then`](super::Compose::then); sequences flatten, so
/// `a >> b >> c` is one sequential of three steps. The first error stops the run and is
/// returned as is; it names the step that failed.
#[derive(Debug)]
pub struct Sequential<C> {
    chain: C,
    observed: Observed,
}

/// The default name of a sequential primitive.
pub(crate) const DEFAULT_NAME: &str = "sequential";

impl<C> Sequential<C> {
    /// A sequence over `chain`: a [`Chain`] (as `>>` builds), or a `Vec` of primitives whose
    /// output type is their input type, for sequences whose length is known only at run time.
    pub fn new(chain: C) -> Self {
        Sequential { chain, observed: Observed::new(DEFAULT_NAME, "sequential") }
    }

    /// Names the sequence (the `primitive_name` label; default `sequential`).
    pub fn named(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.observed.rename(name);
        self
    }

    /// The sequence's name.
    pub fn name(&self) -> &str {
        self.observed.name()
    }

    pub(crate) fn into_parts(self) -> (C, Observed) {
        (self.chain, self.observed)
    }

    pub(crate) fn from_parts(chain: C, observed: Observed) -> Self {
        Sequential { chain, observed }
    }
}

impl<I, C> Primitive<I> for Sequential<C>
where
    I: Send,
    C: Primitive<I>,
{
    type Output = C::Output;

    async fn run(&self, input: I, ctx: &Context) -> Result<C::Output, Error> {
        self.observed.run(self.chain.run(input, ctx)).await
    }
}
