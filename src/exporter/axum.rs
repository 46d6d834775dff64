//! The exporter's routes as an axum 0.8 [`Router`] (`axum` feature), to
//! [`merge`](Router::merge) into an application's own router, so the exposition is served by
//! the application's server on a path of its choosing.
//!
//! ```no_run
//! use axum::Router;
//! use axum::routing::get;
//! use flowmeter::exporter::Endpoints;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // `serve(false)`: the application's server answers; flowmeter starts no listener.
//! let _telemetry = flowmeter::Telemetry::builder().serve(false).install()?;
//! let app = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .merge(flowmeter::exporter::axum::router(Endpoints::new("/internal/metrics")));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::any;

use super::routes::Endpoints;

/// The endpoints as an axum router to `merge` into an application's router: the metrics path
/// of `endpoints`, `/catalog`, `/metadata`, `/summary` and `/health`, answered exactly as
/// [`Endpoints`] answers them (same bodies, headers, `405` for methods other than `GET` and
/// `HEAD`, `413` over the body limit, `503` before an enabled pipeline is installed).
///
/// Paths the router does not list (including `/metrics` when the metrics path is elsewhere)
/// fall through to the application's routes and fallback. The router has no state of its
/// own, so it merges into a router of any state type `S`. Layers the application adds to its
/// router (authentication, compression, timeouts) apply to these routes too.
///
/// # Panics
///
/// Like [`Router::route`] and [`Router::merge`]: when the metrics path is not a valid axum
/// path (it must start with `/`), and, on `merge`, when the application already has a route
/// on one of these paths.
pub fn router<S: Clone + Send + Sync + 'static>(endpoints: Endpoints) -> Router<S> {
    let mut router = Router::new();
    for path in endpoints.paths() {
        let endpoints = endpoints.clone();
        // `any`: the method check (405 with `Allow: GET, HEAD`) is the endpoints' own, so
        // every way of serving them answers the same.
        router = router.route(path, any(move |request: Request| respond(endpoints, request)));
    }
    router
}

async fn respond(endpoints: Endpoints, request: Request) -> Response {
    endpoints.respond(&request).map(Body::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Serving over HTTP is covered by tests/mount.rs; these check the router is built.

    #[test]
    fn a_metrics_path_equal_to_a_fixed_route_is_routed_once() {
        // A second `route` on the same path and method would panic.
        let _: Router = router(Endpoints::new("/health"));
    }

    #[test]
    fn merges_into_a_router_with_state() {
        let _: Router<u32> = Router::new()
            .route("/", axum::routing::get(|| async { "app" }))
            .merge(router(Endpoints::default()))
            .with_state(7);
    }
}
