//! [`Conditional`]: one of two branches, chosen per run.

use std::borrow::Cow;

use super::observe::Observed;
use super::{Context, Error, Primitive};

/// Runs `then` when a predicate holds for the input and `otherwise` when it does not,
/// measured as `primitive_type="conditional"`; created by [`when`]. Both branches have the
/// same output type; the branch that runs is a child of the conditional's span, the other
/// does not run and records nothing.
///
/// ```
/// use flowmeter::primitives::{Context, Primitive, step, when};
///
/// let short = step("short_path", |text: String, _ctx: Context| async move { Ok::<_, std::io::Error>(text) });
/// let long = step("summarize", |text: String, _ctx: Context| async move {
///     Ok::<_, std::io::Error>(text[..10].to_owned())
/// });
/// let shorten = when("needs_summary", |text: &String, _ctx: &Context| text.len() > 10, long, short);
/// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # runtime.block_on(async {
/// let ctx = Context::new("doc");
/// assert_eq!(shorten.run("a long piece of text".to_owned(), &ctx).await.unwrap(), "a long pie");
/// assert_eq!(shorten.run("short".to_owned(), &ctx).await.unwrap(), "short");
/// # });
/// ```
#[derive(Debug)]
pub struct Conditional<C, T, E> {
    predicate: C,
    then: T,
    otherwise: E,
    observed: Observed,
}

/// A conditional named `name` (the `primitive_name` label): `then` when `predicate(input,
/// ctx)` is true, `otherwise` when it is false.
pub fn when<I, C, T, E>(
    name: impl Into<Cow<'static, str>>,
    predicate: C,
    then: T,
    otherwise: E,
) -> Conditional<C, T, E>
where
    C: Fn(&I, &Context) -> bool + Send + Sync,
{
    Conditional { predicate, then, otherwise, observed: Observed::new(name, "conditional") }
}

impl<C, T, E> Conditional<C, T, E> {
    /// The conditional's name.
    pub fn name(&self) -> &str {
        self.observed.name()
    }
}

impl<I, C, T, E> Primitive<I> for Conditional<C, T, E>
where
    I: Send,
    C: Fn(&I, &Context) -> bool + Send + Sync,
    T: Primitive<I>,
    E: Primitive<I, Output = T::Output>,
{
    type Output = T::Output;

    async fn run(&self, input: I, ctx: &Context) -> Result<T::Output, Error> {
        self.observed
            .run(async move {
                if (self.predicate)(&input, ctx) {
                    self.then.run(input, ctx).await
                } else {
                    self.otherwise.run(input, ctx).await
                }
            })
            .await
    }
}

crate::primitives::ops::leaf_primitives!(Conditional<C, T, E>);
crate::primitives::ops::operators!(Conditional<C, T, E>);
