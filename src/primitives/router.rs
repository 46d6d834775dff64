//! [`Router`]: a function picks which named route runs.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use super::observe::Observed;
use super::{BoxPrimitive, Context, Error, Primitive, boxed};

/// Named routes and a function that picks one per run, measured as `primitive_type="router"`;
/// created by [`router`].
///
/// The function sees the input and the run's [`Context`] and returns a route name (any
/// `AsRef<str>`: `&'static str`, `String`, ...). The route of that name runs on the input; its
/// execution and span are children of the router's. A name with no route runs the
/// [`default_route`](Self::default_route) if there is one, and otherwise fails with
/// [`Error::UnknownRoute`] (recorded as an `error`). Route names stay out of the router's
/// labels: each route is a primitive with its own, user-chosen, bounded name.
///
/// Routes are [`BoxPrimitive`]s (a router holds primitives of different types), so a routed
/// run costs one allocation for the boxed future.
///
/// | option | default |
/// |---|---|
/// | [`route`](Self::route) | no routes |
/// | [`default_route`](Self::default_route) | none: an unknown route is [`Error::UnknownRoute`] |
///
/// ```
/// use flowmeter::primitives::{Context, Primitive, router, step};
///
/// let small = step("small_model", |q: String, _ctx: Context| async move { Ok::<_, std::io::Error>(1) });
/// let large = step("large_model", |q: String, _ctx: Context| async move { Ok::<_, std::io::Error>(2) });
/// let pick = router("model_router", |q: &String, _ctx: &Context| if q.len() > 10 { "large" } else { "small" })
///     .route("small", small)
///     .route("large", large);
/// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # runtime.block_on(async {
/// assert_eq!(pick.run("hi".to_owned(), &Context::new("doc")).await.unwrap(), 1);
/// # });
/// ```
pub struct Router<I, O, F> {
    select: F,
    routes: HashMap<Cow<'static, str>, BoxPrimitive<I, O>>,
    default: Option<BoxPrimitive<I, O>>,
    observed: Observed,
}

/// A router named `name` (the `primitive_name` label) that picks routes with `select`; add
/// routes with [`Router::route`].
pub fn router<I, O, F, R>(name: impl Into<Cow<'static, str>>, select: F) -> Router<I, O, F>
where
    F: Fn(&I, &Context) -> R + Send + Sync,
    R: AsRef<str>,
{
    Router {
        select,
        routes: HashMap::new(),
        default: None,
        observed: Observed::new(name, "router"),
    }
}

impl<I: Send + 'static, O: Send + 'static, F> Router<I, O, F> {
    /// Adds (or replaces) the route called `name`.
    pub fn route<P>(mut self, name: impl Into<Cow<'static, str>>, primitive: P) -> Self
    where
        P: Primitive<I, Output = O> + 'static,
    {
        self.routes.insert(name.into(), boxed(primitive));
        self
    }

    /// Runs `primitive` when the chosen route does not exist (default: none, an error).
    pub fn default_route<P>(mut self, primitive: P) -> Self
    where
        P: Primitive<I, Output = O> + 'static,
    {
        self.default = Some(boxed(primitive));
        self
    }
}

impl<I, O, F> Router<I, O, F> {
    /// The router's name.
    pub fn name(&self) -> &str {
        self.observed.name()
    }

    /// The route names, in no particular order.
    pub fn routes(&self) -> impl Iterator<Item = &str> {
        self.routes.keys().map(|name| &**name)
    }
}

impl<I, O, F, R> Primitive<I> for Router<I, O, F>
where
    I: Send + 'static,
    O: Send + 'static,
    F: Fn(&I, &Context) -> R + Send + Sync,
    R: AsRef<str>,
{
    type Output = O;

    async fn run(&self, input: I, ctx: &Context) -> Result<O, Error> {
        self.observed
            .run(async move {
                // The chosen name is dropped before the route runs: it need not be `Send`.
                let route = {
                    let chosen = (self.select)(&input, ctx);
                    let chosen = chosen.as_ref();
                    match self.routes.get(chosen).or(self.default.as_ref()) {
                        Some(route) => route,
                        None => {
                            let router = self.observed.name().to_owned();
                            return Err(Error::UnknownRoute { router, route: chosen.to_owned() });
                        }
                    }
                };
                route.run(input, ctx).await
            })
            .await
    }
}

impl<I, O, F> fmt::Debug for Router<I, O, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut routes: Vec<&str> = self.routes().collect();
        routes.sort_unstable();
        f.debug_struct("Router")
            .field("name", &self.observed.name())
            .field("routes", &routes)
            .field("default", &self.default.is_some())
            .finish_non_exhaustive()
    }
}

crate::primitives::ops::leaf_primitives!(Router<I, O, F>);
crate::primitives::ops::operators!(Router<I, O, F>);
