//! The server thread: a current-thread tokio runtime running the accept loop, one task per
//! connection (with its TLS handshake when serving HTTPS), and a bounded graceful drain on
//! shutdown.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};

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
    let permits = Arc::new(Semaphore::new(options.max_connections));
    #[cfg(feature = "tls")]
    let tls = options.tls.as_ref().map(super::tls::TlsConfig::acceptor);

    loop {
        let permit = tokio::select! {
            biased;
            _ = &mut stop => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // never closed; stop rather than spin if it were
            },
        };
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
        // Responses are written whole; don't let Nagle hold back their last segment.
        let _ = stream.set_nodelay(true);
        // Watched from before the handshake, so shutdown waits for (bounded) handshakes too.
        let connection = Connection {
            http: http.clone(),
            watcher: graceful.watcher(),
            endpoints: endpoints.clone(),
        };
        #[cfg(feature = "tls")]
        if let Some(acceptor) = &tls {
            let (acceptor, timeout) = (acceptor.clone(), options.header_read_timeout);
            tokio::spawn(async move {
                // A client that never finishes the handshake (or speaks plain HTTP) holds a
                // slot no longer than one sending its headers slowly would.
                match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => connection.serve(stream).await,
                    Ok(Err(error)) => {
                        tracing::debug!(%error, "flowmeter metrics endpoint: TLS handshake failed");
                    }
                    Err(_) => {
                        tracing::debug!("flowmeter metrics endpoint: TLS handshake timed out");
                    }
                }
                drop(permit);
            });
            continue;
        }
        tokio::spawn(async move {
            connection.serve(stream).await;
            drop(permit);
        });
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
}

impl Connection {
    /// Serves HTTP/1.1 on `io` (a TCP or TLS stream) until the client or a shutdown ends it.
    async fn serve<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let connection = self.http.serve_connection(TokioIo::new(io), self.endpoints);
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
