//! [`MetricsServer`]: the built-in endpoint's lifecycle: bind, start, shutdown.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};

use tokio::sync::oneshot;

use super::accept;
use super::limits::ServerOptions;
use super::listen::bind_listener;
use super::routes::Endpoints;
use crate::error::Error;

/// Name of the server thread.
const THREAD_NAME: &str = "flowmeter-metrics";

/// The built-in HTTP endpoint: serves [`Endpoints`] with hyper on its own thread, on a
/// current-thread tokio runtime, so it works from synchronous programs and never competes
/// with (or depends on) the application's runtime.
///
/// [`Telemetry`](crate::Telemetry) creates and owns one unless built with `serve(false)`;
/// use this type directly for a second endpoint or custom [`ServerOptions`].
///
/// ```no_run
/// use flowmeter::exporter::{MetricsServer, ServerOptions};
///
/// # fn main() -> Result<(), flowmeter::Error> {
/// let server = MetricsServer::bind_with(
///     "127.0.0.1:9465".parse().unwrap(),
///     "/metrics",
///     ServerOptions::default().max_connections(8),
/// )?;
/// let addr = server.start()?;
/// println!("serving on http://{addr}/metrics");
/// server.shutdown(); // also on drop
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    endpoints: Endpoints,
    options: ServerOptions,
    state: Mutex<State>,
}

#[derive(Debug)]
enum State {
    /// Listening (connections queue in the backlog), not yet serving.
    Bound(std::net::TcpListener),
    Running {
        stop: oneshot::Sender<()>,
        thread: JoinHandle<()>,
    },
    Stopped,
}

impl MetricsServer {
    /// Binds `addr` now, with the default [`ServerOptions`]; see [`bind_with`](Self::bind_with).
    ///
    /// # Errors
    /// [`Error::Bind`], naming `addr`, when it cannot be listened on (in use, no permission,
    /// not an address of this host).
    pub fn bind(addr: SocketAddr, metrics_path: &str) -> Result<Self, Error> {
        Self::bind_with(addr, metrics_path, ServerOptions::default())
    }

    /// Binds `addr` now, so a busy port or a missing permission is reported here rather than
    /// on a background thread; nothing is served until [`start`](Self::start). The exposition
    /// is served on `metrics_path`, next to `/catalog` and `/health` (see [`Endpoints`]),
    /// without credentials; see [`bind_endpoints`](Self::bind_endpoints) to require them.
    ///
    /// Port 0 binds a port the OS picks; read it back with [`local_addr`](Self::local_addr).
    /// Binding an unspecified address (`0.0.0.0`, `::`) exposes the metrics on every network
    /// interface; that is allowed, and logged once as a warning.
    ///
    /// # Errors
    /// [`Error::Bind`], naming `addr`, when it cannot be listened on.
    pub fn bind_with(
        addr: SocketAddr,
        metrics_path: &str,
        options: ServerOptions,
    ) -> Result<Self, Error> {
        Self::bind_endpoints(addr, Endpoints::new(metrics_path), options)
    }

    /// [`bind_with`](Self::bind_with) for configured [`Endpoints`]: their metrics path and
    /// credentials (see [`Endpoints::bearer_token`]). The request body limit is the server's,
    /// [`ServerOptions::max_body_bytes`], whatever `endpoints` had.
    ///
    /// ```no_run
    /// use flowmeter::exporter::{Endpoints, MetricsServer, ServerOptions};
    ///
    /// # fn main() -> Result<(), flowmeter::Error> {
    /// let token = std::fs::read_to_string("/run/secrets/scrape-token").unwrap();
    /// let endpoints = Endpoints::new("/metrics").bearer_token(token.trim());
    /// let addr = "127.0.0.1:9465".parse().unwrap();
    /// let server = MetricsServer::bind_endpoints(addr, endpoints, ServerOptions::default())?;
    /// server.start()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Bind`], naming `addr`, when it cannot be listened on.
    pub fn bind_endpoints(
        addr: SocketAddr,
        endpoints: Endpoints,
        options: ServerOptions,
    ) -> Result<Self, Error> {
        static WARNED_UNSPECIFIED: AtomicBool = AtomicBool::new(false);
        let bind_error = |source| Error::Bind { addr, source };
        let listener = bind_listener(addr, options.listen_backlog).map_err(bind_error)?;
        let local = listener.local_addr().map_err(bind_error)?;
        if addr.ip().is_unspecified() && !WARNED_UNSPECIFIED.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                %local,
                "flowmeter: the metrics endpoint listens on all network interfaces; bind 127.0.0.1 to keep it local (logged once)"
            );
        }
        let endpoints = endpoints.max_body_bytes(options.max_body_bytes);
        Ok(MetricsServer {
            addr: local,
            endpoints,
            options,
            state: Mutex::new(State::Bound(listener)),
        })
    }

    /// Starts serving on a thread of its own and returns the address. Idempotent: while
    /// running, later calls return the same address and start nothing.
    ///
    /// # Errors
    /// [`Error::Serve`], naming the address, when the server thread or its runtime cannot be
    /// created, or when the server was [shut down](Self::shutdown) (bind a new one instead).
    pub fn start(&self) -> Result<SocketAddr, Error> {
        let addr = self.addr;
        let mut state = self.lock();
        let listener = match std::mem::replace(&mut *state, State::Stopped) {
            State::Bound(listener) => listener,
            running @ State::Running { .. } => {
                *state = running;
                return Ok(addr);
            }
            State::Stopped => {
                let source = io::Error::other("the metrics server was shut down; bind a new one");
                return Err(Error::Serve { addr, source });
            }
        };
        let (stop, stopped) = oneshot::channel();
        let (ready_tx, ready) = std::sync::mpsc::sync_channel(1);
        let (endpoints, options) = (self.endpoints.clone(), self.options.clone());
        let thread = thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || accept::run(listener, endpoints, options, stopped, ready_tx))
            .map_err(|source| Error::Serve { addr, source })?;
        let outcome = ready
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("the metrics server thread exited")));
        match outcome {
            Ok(()) => {
                *state = State::Running { stop, thread };
                Ok(addr)
            }
            Err(source) => {
                let _ = thread.join();
                Err(Error::Serve { addr, source })
            }
        }
    }

    /// The address listened on (with the port the OS picked, if bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `"https"` when serving TLS (`ServerOptions::tls`, `tls` feature), else `"http"`.
    pub fn scheme(&self) -> &'static str {
        #[cfg(feature = "tls")]
        if self.options.tls.is_some() {
            return "https";
        }
        "http"
    }

    /// The URL of the exposition: `{scheme}://{address}{metrics path}`.
    pub fn metrics_url(&self) -> String {
        format!("{}://{}{}", self.scheme(), self.addr, self.endpoints.metrics_path())
    }

    /// The routes served, with their metrics path and credentials.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Whether the server is serving: started and not shut down.
    pub fn is_running(&self) -> bool {
        matches!(&*self.lock(), State::Running { thread, .. } if !thread.is_finished())
    }

    /// Stops the server: stops accepting (the port is closed when this returns), lets requests
    /// in flight finish for at most [`ServerOptions::shutdown_timeout`] (default 5 s), then
    /// closes what is left and joins the server thread. Idempotent, and also run on drop.
    ///
    /// It blocks the calling thread for that long at most; it never waits on the caller's
    /// async runtime, so calling it from async code cannot deadlock.
    pub fn shutdown(&self) {
        // Take the state out first: `is_running` must not wait on the join below.
        let state = std::mem::replace(&mut *self.lock(), State::Stopped);
        if let State::Running { stop, thread } = state {
            let _ = stop.send(());
            if thread.thread().id() != thread::current().id() {
                let _ = thread.join();
            }
        }
        // `State::Bound`: dropping the listener closes the port.
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is replaced whole under the lock, so it is consistent even after a panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
