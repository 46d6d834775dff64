//! [`Cached`]: a primitive's outputs kept in a moka cache, loaded once per key.

mod metrics;

use std::borrow::Cow;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use self::metrics::CacheMetrics;
use super::observe::Observed;
use super::{Context, Error, Primitive};

/// The default [`max_capacity`](Cached::max_capacity): 10 000 entries.
pub const DEFAULT_MAX_CAPACITY: u64 = 10_000;

/// The longest time to live or idle moka accepts is 1000 years; longer settings are capped
/// at 100 years (forever, in practice) instead of panicking.
const LONGEST_EXPIRY: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// A primitive whose successful outputs are cached by key in a [moka] future cache, measured
/// as `primitive_type="cached"` under its name, which is also the `cache_name` label.
///
/// Created by [`cached`]. Options, each with its default:
///
/// | option | default |
/// |---|---|
/// | [`max_capacity`](Self::max_capacity) | [`DEFAULT_MAX_CAPACITY`] (10 000 entries; moka's TinyLFU picks what to keep) |
/// | [`time_to_live`](Self::time_to_live) | none: entries never expire by age |
/// | [`time_to_idle`](Self::time_to_idle) | none: entries never expire by idleness |
/// | [`key`](Self::key) | [`SameKey`]: the input itself (cloned) is the key |
/// | [`saved_cost`](Self::saved_cost) | none: hits record no LLM dollars saved |
///
/// **Loading.** A request whose key is missing runs the inner primitive (which records its
/// own execution and span, as a child of the cached primitive's span); concurrent requests
/// for the same key wait for that one load instead of running their own (single-flight,
/// moka's `try_get_with`). If the loading request is cancelled (its future dropped), the
/// inner execution is recorded `cancelled` and one of the waiters loads instead: a cancelled
/// load never poisons the key.
///
/// **Errors are not cached**: the next request for the key runs the inner primitive again.
/// The request that ran the inner primitive gets its error exactly as returned. Requests
/// that were waiting on that load get [`Error::Step`] named after the cache, whose source is
/// a [`SharedLoadError`] carrying the original error's message, kind and origin (moka shares
/// one error between waiters, and [`Error`] is not `Clone`).
///
/// **Metrics.** `ns.cache.misses{cache_name}` counts exactly one miss per run of the inner
/// primitive (cancelled and failed loads included); `ns.cache.hits{cache_name}` counts every
/// request answered with a value it did not load itself: a cached value, or the value of a
/// concurrent load it waited for. A waiter whose load failed is counted in neither (it got
/// no value). `ns.cache.evictions{cache_name,cause}` counts removals by moka's cause
/// (`size`, `expired`, `explicit`, `replaced`), and the `ns.cache.entries{cache_name}` gauge
/// follows the entry count (exact once moka's pending maintenance has run; see
/// [`run_pending_tasks`](Self::run_pending_tasks)). With [`saved_cost`](Self::saved_cost)
/// each hit also adds the dollars it saved to `ns.llm.cost.saved{model,provider}`; a hit
/// spends nothing (the LLM step does not run, so records no cost).
///
/// ```
/// use flowmeter::primitives::{Context, Primitive, cached, step};
/// use std::time::Duration;
///
/// let lookup = step("lookup", |id: u64, _ctx: Context| async move {
///     Ok::<_, std::io::Error>(format!("record {id}"))
/// });
/// let lookup = cached("lookup_cache", lookup).max_capacity(1_000).time_to_live(Duration::from_secs(60));
/// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # runtime.block_on(async {
/// let ctx = Context::new("doc");
/// assert_eq!(lookup.run(7, &ctx).await.unwrap(), "record 7"); // miss: runs `lookup`
/// assert_eq!(lookup.run(7, &ctx).await.unwrap(), "record 7"); // hit
/// # });
/// ```
///
/// [moka]: https://docs.rs/moka
pub struct Cached<P, K, V, F = SameKey> {
    inner: P,
    key: F,
    observed: Observed,
    config: Config,
    saved_cost: Option<Box<SavedCostFn<V>>>,
    metrics: Arc<CacheMetrics>,
    cache: OnceLock<moka::future::Cache<K, V>>,
}

type SavedCostFn<V> = dyn for<'a> Fn(&'a V) -> Option<SavedCost<'a>> + Send + Sync;

#[derive(Debug, Clone, Copy)]
struct Config {
    max_capacity: u64,
    time_to_live: Option<Duration>,
    time_to_idle: Option<Duration>,
}

/// Caches `inner`'s outputs under `name` (the `primitive_name` and `cache_name` labels),
/// keyed by the input itself; see [`Cached`] for the options and what is recorded.
pub fn cached<P, K, V>(name: impl Into<Cow<'static, str>>, inner: P) -> Cached<P, K, V> {
    let name = name.into();
    Cached {
        inner,
        key: SameKey,
        metrics: Arc::new(CacheMetrics::new(Arc::from(&*name))),
        observed: Observed::new(name, "cached"),
        config: Config {
            max_capacity: DEFAULT_MAX_CAPACITY,
            time_to_live: None,
            time_to_idle: None,
        },
        saved_cost: None,
        cache: OnceLock::new(),
    }
}

impl<P, K, V, F> Cached<P, K, V, F> {
    /// The most entries kept (default [`DEFAULT_MAX_CAPACITY`]). Over it, moka evicts
    /// (`cause="size"`) by its TinyLFU policy, which may also refuse a new, rarely used entry.
    pub fn max_capacity(mut self, entries: u64) -> Self {
        self.config.max_capacity = entries;
        self.cache = OnceLock::new();
        self
    }

    /// Entries expire this long after they were loaded (`cause="expired"`). Default: never.
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.config.time_to_live = Some(ttl.min(LONGEST_EXPIRY));
        self.cache = OnceLock::new();
        self
    }

    /// Entries expire this long after they were last read or loaded (`cause="expired"`).
    /// Default: never.
    pub fn time_to_idle(mut self, tti: Duration) -> Self {
        self.config.time_to_idle = Some(tti.min(LONGEST_EXPIRY));
        self.cache = OnceLock::new();
        self
    }

    /// Reports the LLM dollars a hit saved: on each hit, `saved_cost` gets the cached output
    /// and returns the model, provider and dollars the call it replaces would have cost
    /// (`None`: nothing saved), recorded in `ns.llm.cost.saved{model,provider}`. Default:
    /// none. Model and provider are dynamic labels, recorded on the ordinary (unbound,
    /// slower) attribute path; keep them bounded.
    pub fn saved_cost<C>(mut self, saved_cost: C) -> Self
    where
        C: for<'a> Fn(&'a V) -> Option<SavedCost<'a>> + Send + Sync + 'static,
    {
        self.saved_cost = Some(Box::new(saved_cost));
        self
    }

    /// The cache's name (`primitive_name` and `cache_name`).
    pub fn name(&self) -> &str {
        self.observed.name()
    }

    /// The primitive whose outputs are cached.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

impl<P, I, V> Cached<P, I, V, SameKey> {
    /// Derives the cache key from the input `I` with `key` (default [`SameKey`]: the input
    /// itself). The key must be `Hash + Eq + Send + Sync + 'static`; inputs that map to one
    /// key share one cached output.
    pub fn key<K, F>(self, key: F) -> Cached<P, K, V, F>
    where
        F: Fn(&I) -> K + Send + Sync,
    {
        Cached {
            inner: self.inner,
            key,
            observed: self.observed,
            config: self.config,
            saved_cost: self.saved_cost,
            metrics: self.metrics,
            cache: OnceLock::new(),
        }
    }
}

impl<P, K, V, F> Cached<P, K, V, F>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// The moka cache, built on first use from the options.
    fn cache(&self) -> &moka::future::Cache<K, V> {
        self.cache.get_or_init(|| {
            self.metrics.warm_up();
            let metrics = Arc::clone(&self.metrics);
            let mut builder = moka::future::Cache::builder()
                .name(self.observed.name())
                .max_capacity(self.config.max_capacity)
                .eviction_listener(move |_key, _value, cause| metrics.removed(cause));
            if let Some(ttl) = self.config.time_to_live {
                builder = builder.time_to_live(ttl);
            }
            if let Some(tti) = self.config.time_to_idle {
                builder = builder.time_to_idle(tti);
            }
            builder.build()
        })
    }

    /// How many entries the cache holds. moka counts asynchronously: the number is exact
    /// after [`run_pending_tasks`](Self::run_pending_tasks).
    pub fn entry_count(&self) -> u64 {
        self.cache().entry_count()
    }

    /// Runs moka's pending maintenance now: applies recent inserts, evicts over capacity,
    /// removes expired entries (each counted in `ns.cache.evictions`) and so brings the
    /// `ns.cache.entries` gauge and [`entry_count`](Self::entry_count) up to date. moka
    /// also does this by itself as the cache is used.
    pub async fn run_pending_tasks(&self) {
        self.cache().run_pending_tasks().await;
    }

    /// Removes `key`'s entry, if any (`cause="explicit"`).
    pub async fn invalidate(&self, key: &K) {
        self.cache().invalidate(key).await;
    }

    /// Removes every entry (`cause="explicit"`, counted as moka removes them).
    pub fn invalidate_all(&self) {
        self.cache().invalidate_all();
    }

    async fn lookup<I>(&self, input: I, ctx: &Context) -> Result<V, Error>
    where
        I: Send,
        P: Primitive<I, Output = V>,
        F: KeyFn<I, K>,
    {
        let key = self.key.key(&input);
        let mut loaded = false;
        let mut own_error = None;
        let result = {
            let (loaded, own_error) = (&mut loaded, &mut own_error);
            let load = async move {
                *loaded = true;
                self.metrics.miss();
                self.inner.run(input, ctx).await.map_err(|error| {
                    let shared = SharedLoadError::of(&error);
                    *own_error = Some(error);
                    shared
                })
            };
            self.cache().try_get_with(key, load).await
        };
        match result {
            Ok(value) if loaded => {
                self.metrics.inserted();
                Ok(value)
            }
            Ok(value) => {
                self.metrics.hit(|| self.saved_cost.as_ref().and_then(|saved| saved(&value)));
                Ok(value)
            }
            Err(shared) => Err(own_error.unwrap_or_else(|| {
                Error::step(self.observed.name(), SharedLoadError::clone(&shared))
            })),
        }
    }
}

impl<I, P, K, V, F> Primitive<I> for Cached<P, K, V, F>
where
    I: Send,
    P: Primitive<I, Output = V>,
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    F: KeyFn<I, K>,
{
    type Output = V;

    async fn run(&self, input: I, ctx: &Context) -> Result<V, Error> {
        self.observed.run(self.lookup(input, ctx)).await
    }
}

impl<P: fmt::Debug, K, V, F> fmt::Debug for Cached<P, K, V, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached")
            .field("name", &self.observed.name())
            .field("inner", &self.inner)
            .field("max_capacity", &self.config.max_capacity)
            .field("time_to_live", &self.config.time_to_live)
            .field("time_to_idle", &self.config.time_to_idle)
            .field("saved_cost", &self.saved_cost.is_some())
            .finish_non_exhaustive()
    }
}

/// How a [`Cached`] primitive derives its key `K` from an input `I`. Implemented by every
/// `Fn(&I) -> K + Send + Sync` closure and by [`SameKey`].
pub trait KeyFn<I, K>: Send + Sync {
    /// The key of `input`.
    fn key(&self, input: &I) -> K;
}

impl<I, K, F> KeyFn<I, K> for F
where
    F: Fn(&I) -> K + Send + Sync,
{
    fn key(&self, input: &I) -> K {
        self(input)
    }
}

/// The default key of a [`Cached`] primitive: the input itself, cloned.
#[derive(Debug, Clone, Copy, Default)]
pub struct SameKey;

impl<I: Clone> KeyFn<I, I> for SameKey {
    fn key(&self, input: &I) -> I {
        input.clone()
    }
}

/// What a cache hit saved: the model and provider of the LLM call it replaced and that
/// call's price in US dollars. Returned by the function given to [`Cached::saved_cost`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct SavedCost<'a> {
    /// The model (`model` label).
    pub model: &'a str,
    /// The provider (`provider` label).
    pub provider: &'a str,
    /// Dollars saved; negative values are recorded as 0.
    pub usd: f64,
}

impl<'a> SavedCost<'a> {
    /// `usd` dollars saved on a call to `model` at `provider`.
    pub fn new(model: &'a str, provider: &'a str, usd: f64) -> Self {
        SavedCost { model, provider, usd }
    }
}

/// The error of a load that a request waited for instead of loading itself: the source of
/// the [`Error::Step`] such a request gets (see [`Cached`]). Carries what the loading
/// request's error said.
#[derive(Debug, Clone)]
pub struct SharedLoadError {
    message: Arc<str>,
    kind: &'static str,
    origin: Arc<str>,
}

impl SharedLoadError {
    fn of(error: &Error) -> Self {
        SharedLoadError {
            message: error.to_string().into(),
            kind: error.kind(),
            origin: error.origin().into(),
        }
    }

    /// The original error's [`kind`](Error::kind).
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The original error's [`origin`](Error::origin): the primitive it came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl fmt::Display for SharedLoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SharedLoadError {}

crate::primitives::ops::leaf_primitives!(Cached<P, K, V, F>);
crate::primitives::ops::operators!(Cached<P, K, V, F>);
