//! Composition: `>>` and [`Compose::then`] build sequences, `|` and [`Compose::and`] build
//! parallels, flattening as they go.

use super::observe::Observed;
use super::parallel::{self, Branch, Fork, Mode, Parallel, Settled};
use super::sequential::{self, Chain, Sequential};
use super::step::{FromFn, Step};

mod sealed {
    use super::*;

    /// A parallel's mode, limit and observation, kept when it is extended.
    #[allow(unreachable_pub)] // part of the sealed trait's signature
    pub type Settings = (Mode, Option<usize>, Observed);

    /// How a primitive takes part in a sequence or a parallel. Sequences contribute their
    /// links and parallels their branches, so compositions flatten.
    pub trait Flatten: Sized {
        /// What this contributes to a sequence.
        type Link;
        /// What this contributes to a parallel.
        type Branches;
        /// The links, and the sequence's own observation if this is a sequence.
        fn into_link(self) -> (Self::Link, Option<Observed>);
        /// The branches, and the parallel's settings if this is a parallel.
        fn into_branches(self) -> (Self::Branches, Option<Settings>);
    }
}

pub(crate) use sealed::{Flatten, Settings};

/// Composition of flowmeter's primitives.
///
/// `a.then(b)` (or `a >> b`) runs `b` on `a`'s output; `a.and(b)` (or `a | b`) runs both on
/// clones of the input. Composition flattens: extending a sequence or a parallel adds to it
/// (keeping its name, mode and limit) instead of nesting a new one, so the span tree has one
/// sequential or parallel span per composition, not one per operator.
pub trait Compose: Flatten {
    /// A sequence: `self`, then `next` on its output.
    fn then<N: Compose>(self, next: N) -> Sequential<Chain<Self::Link, N::Link>> {
        let (first, observed) = self.into_link();
        let (second, next_observed) = next.into_link();
        let observed = observed
            .or(next_observed)
            .unwrap_or_else(|| Observed::new(sequential::DEFAULT_NAME, "sequential"));
        Sequential::from_parts(Chain::new(first, second), observed)
    }

    /// A parallel: `self` and `other` on clones of the same input.
    fn and<O: Compose>(self, other: O) -> Parallel<Fork<Self::Branches, O::Branches>> {
        let (left, settings) = self.into_branches();
        let (right, other_settings) = other.into_branches();
        let (mode, limit, observed) = settings.or(other_settings).unwrap_or_else(|| {
            (Mode::FailFast, None, Observed::new(parallel::DEFAULT_NAME, "parallel"))
        });
        Parallel::from_parts(Fork(left, right), mode, limit, observed)
    }
}

impl<T: Flatten> Compose for T {}

/// Implements `Flatten` for primitives that are neither sequences nor parallels, and the
/// `>>` and `|` operators for every flowmeter primitive type.
macro_rules! leaf_primitives {
    ($($ty:ident<$($g:ident),*>),* $(,)?) => {$(
        impl<$($g),*> $crate::primitives::ops::Flatten for $ty<$($g),*> {
            type Link = Self;
            type Branches = $crate::primitives::Branch<Self>;
            fn into_link(self) -> (Self, Option<$crate::primitives::observe::Observed>) {
                (self, None)
            }
            fn into_branches(
                self,
            ) -> ($crate::primitives::Branch<Self>, Option<$crate::primitives::ops::Settings>) {
                ($crate::primitives::Branch(self), None)
            }
        }
    )*};
}

macro_rules! operators {
    ($($ty:ident<$($g:ident),*>),* $(,)?) => {$(
        impl<$($g,)* Rhs: $crate::primitives::Compose> ::core::ops::Shr<Rhs> for $ty<$($g),*> {
            type Output = $crate::primitives::Sequential<$crate::primitives::Chain<
                <Self as $crate::primitives::ops::Flatten>::Link,
                <Rhs as $crate::primitives::ops::Flatten>::Link,
            >>;
            fn shr(self, next: Rhs) -> Self::Output {
                $crate::primitives::Compose::then(self, next)
            }
        }

        impl<$($g,)* Rhs: $crate::primitives::Compose> ::core::ops::BitOr<Rhs> for $ty<$($g),*> {
            type Output = $crate::primitives::Parallel<$crate::primitives::Fork<
                <Self as $crate::primitives::ops::Flatten>::Branches,
                <Rhs as $crate::primitives::ops::Flatten>::Branches,
            >>;
            fn bitor(self, other: Rhs) -> Self::Output {
                $crate::primitives::Compose::and(self, other)
            }
        }
    )*};
}

#[allow(unused_imports)] // used by the primitives of later modules
pub(crate) use {leaf_primitives, operators};

leaf_primitives!(Step<F>, FromFn<F>, Settled<B>);
operators!(Step<F>, FromFn<F>, Settled<B>, Sequential<C>, Parallel<B>);

/// Boxed primitives compose with `then` and `and` (operators cannot be implemented on `Box`).
impl<I, O> Flatten for super::BoxPrimitive<I, O> {
    type Link = Self;
    type Branches = Branch<Self>;
    fn into_link(self) -> (Self, Option<Observed>) {
        (self, None)
    }
    fn into_branches(self) -> (Branch<Self>, Option<Settings>) {
        (Branch(self), None)
    }
}

impl<C> Flatten for Sequential<C> {
    type Link = C;
    type Branches = Branch<Self>;
    fn into_link(self) -> (C, Option<Observed>) {
        let (chain, observed) = self.into_parts();
        (chain, Some(observed))
    }
    fn into_branches(self) -> (Branch<Self>, Option<Settings>) {
        (Branch(self), None)
    }
}

impl<B> Flatten for Parallel<B> {
    type Link = Self;
    type Branches = B;
    fn into_link(self) -> (Self, Option<Observed>) {
        (self, None)
    }
    fn into_branches(self) -> (B, Option<Settings>) {
        let (branches, mode, limit, observed) = self.into_parts();
        (branches, Some((mode, limit, observed)))
    }
}
