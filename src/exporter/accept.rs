//! The server thread: a current-thread tokio runtime running the accept loop, one task per
//! connection (with its TLS handshake when serving HTTPS) holding one of the connection slots
//! ([`admission`](super::admission)), and a bounded graceful drain on shutdown.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::admission::{Activity, SILENCE_GRACE, Slots, TrackedIo, TrackedService};
use super::limits::ServerOptions;
use super::routes::Endpoints;

/// Pause after an accept error that is not about one connection (e.g. out of file
/// descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Runs on the server thread until `stop` fires (or its sender is dropped). Reports on
/// `ready` whether serving started, so `start()` can return setup errors synchronously.
pub(super) fn run(
    listener: std::net::TcpListener,
    endpoints: Endpoints,
    options: ServerOptions,
    stop: oneshot::Receiver<()>,
    ready: SyncSender<io::Result<()>>,
) {
    let runtime =
        match tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build() {
            Ok(runtime) => runtime,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
    runtime.block_on(async move {
        // Registering with the reactor needs the runtime's context.
        let listener = match TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        serve(listener, endpoints, options, stop).await;
    });
    // Dropping the runtime here cancels connections still open after the drain bound.
}

async fn serve(
    listener: TcpListener,
    endpoints: Endpoints,
    options: ServerOptions,
    mut stop: oneshot::Receiver<()>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(options.max_header_bytes);
    let graceful = GracefulShutdown::new();
    // Who holds the connection slots; each connection's task keeps the table alive with it.
    let slots = Slots::new(options.max_connections, SILENCE_GRACE);
    #[cfg(feature = "tls")]
    let tls = options.tls.as_ref().map(super::tls::TlsConfig::acceptor);

    loop {
        // Accepting whenever there is room to make, so a client never waits in the listen
        // backlog behind connections that will never send a request: admission decides who
        // keeps a slot. Only while the connections that could make room are new ones that
        // have sent nothing yet does the server wait (for their grace, at most).
        if let Some(grace_ends) = slots.room() {
            tokio::select! {
                biased;
                _ = &mut stop => break,
                () = slots.room_made() => {}
                () = tokio::time::sleep_until(grace_ends.into()) => {}
            }
            continue;
        }
        let stream = tokio::select! {
            biased;
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
        };
        if let Some(slot) = slots.admit() {
            // Responses are written whole; don't let Nagle hold back their last segment.
            let _ = stream.set_nodelay(true);
            // Watched from before the handshake, so shutdown waits for (bounded) handshakes too.
            let connection = Connection {
                http: http.clone(),
                watcher: graceful.watcher(),
                endpoints: endpoints.clone(),
                activity: slot.activity(),
                #[cfg(feature = "tls")]
                tls: tls.clone().map(|acceptor| (acceptor, options.header_read_timeout)),
            };
            tokio::spawn(slot.hold(connection.run(stream)));
        } else {
            // Every connection is being answered: refused now (closed), not queued.
            tracing::debug!(
                "flowmeter metrics endpoint: every connection is answering; refused a new one"
            );
            drop(stream);
        }
        // The connection just accepted (and any just evicted) runs before the next accept, so
        // a client that sent its request with its connect is answered before a burst of newer
        // connections could evict it.
        tokio::task::yield_now().await;
    }

    // Stop accepting first (the port refuses connections from here on), then let requests in
    // flight finish, for at most the shutdown timeout.
    drop(listener);
    if tokio::time::timeout(options.shutdown_timeout, graceful.shutdown()).await.is_err() {
        tracing::debug!(
            "flowmeter metrics endpoint: closing connections still open after the shutdown timeout"
        );
    }
}

/// What serving one accepted connection needs.
struct Connection {
    http: http1::Builder,
    watcher: Watcher,
    endpoints: Endpoints,
    activity: Arc<Activity>,
    /// Serving HTTPS: the acceptor, and how long the handshake may take.
    #[cfg(feature = "tls")]
    tls: Option<(tokio_rustls::TlsAcceptor, Duration)>,
}

impl Connection {
    /// Serves `stream`, after a TLS handshake when serving HTTPS.
    async fn run(self, stream: TcpStream) {
        #[cfg(feature = "tls")]
        if let Some((acceptor, timeout)) = self.tls.clone() {
            // A client that never finishes the handshake (or speaks plain HTTP) holds a slot
            // no longer than one sending its headers slowly would, and is evicted as one.
            match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => self.serve(stream).await,
                Ok(Err(error)) => {
                    tracing::debug!(%error, "flowmeter metrics endpoint: TLS handshake failed");
                }
                Err(_) => {
                    tracing::debug!("flowmeter metrics endpoint: TLS handshake timed out");
                }
            }
            return;
        }
        self.serve(stream).await;
    }

    /// Serves HTTP/1.1 on `io` (a TCP or TLS stream) until the client or a shutdown ends it,
    /// keeping its slot's activity current.
    async fn serve<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let io = TokioIo::new(TrackedIo::new(io, Arc::clone(&self.activity)));
        let service = TrackedService::new(self.endpoints, self.activity);
        let connection = self.http.serve_connection(io, service);
        if let Err(error) = self.watcher.watch(connection).await {
            // Client resets, header timeouts: routine for a public port, not worth a warning.
            tracing::debug!(%error, "flowmeter metrics endpoint: connection ended with an error");
        }
    }
}

async fn accept_failed(error: io::Error) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    match error.kind() {
        // About one connection, which is gone: accept the next.
        io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::Interrupted => {
            tracing::debug!(%error, "flowmeter metrics endpoint: accept failed");
        }
        _ => {
            if !WARNED.swap(true, Ordering::Relaxed) {
                tracing::warn!(%error, "flowmeter metrics endpoint: accept failed; retrying (logged once)");
            }
            tokio::time::sleep(ACCEPT_BACKOFF).await;
        }
    }
}
