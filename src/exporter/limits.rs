//! [`ServerOptions`]: the limits that keep the endpoint cheap and hard to tie up, each with its
//! default.

use std::time::Duration;

/// Default [`ServerOptions::header_read_timeout`]: 5 seconds.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Default [`ServerOptions::max_body_bytes`]: 64 KiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024;
/// Default [`ServerOptions::max_header_bytes`]: 16 KiB.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;
/// Default [`ServerOptions::max_connections`]: 64.
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;
/// Default [`ServerOptions::shutdown_timeout`]: 5 seconds.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// Default [`ServerOptions::listen_backlog`]: 1024 connections.
pub const DEFAULT_LISTEN_BACKLOG: u32 = 1024;

/// hyper's smallest allowed read buffer; smaller values would make it panic.
const MIN_HEADER_BYTES: usize = 8 * 1024;

/// Limits of a [`MetricsServer`](super::MetricsServer). The defaults suit a scrape endpoint
/// (a few small GET requests a minute from Prometheus) and rarely need changing.
///
/// ```
/// use std::time::Duration;
/// use flowmeter::exporter::ServerOptions;
///
/// let options = ServerOptions::default()
///     .header_read_timeout(Duration::from_secs(2))
///     .max_connections(16);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOptions {
    pub(crate) header_read_timeout: Duration,
    pub(crate) max_body_bytes: u64,
    pub(crate) max_header_bytes: usize,
    pub(crate) max_connections: usize,
    pub(crate) listen_backlog: u32,
    pub(crate) shutdown_timeout: Duration,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<super::tls::TlsConfig>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            listen_backlog: DEFAULT_LISTEN_BACKLOG,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ServerOptions {
    /// The defaults (same as [`Default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a client may take to send a request's line and headers, counted from when
    /// the server starts waiting for them (including between requests on a kept-alive
    /// connection). A client that is slower is disconnected, so half-sent requests cannot
    /// hold connections open (at the [connection cap](Self::max_connections), they are closed
    /// sooner, to admit new connections). With TLS (`tls` feature), the handshake has the
    /// same bound.
    /// Default 5 s ([`DEFAULT_HEADER_READ_TIMEOUT`]).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// The largest request body accepted, by its `Content-Length`. The endpoint never reads
    /// request bodies; a request announcing a larger one gets `413 Payload Too Large` and the
    /// connection is closed. Default 64 KiB ([`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The largest request line plus headers, in bytes; larger requests get
    /// `431 Request Header Fields Too Large`. Values under 8 KiB are raised to 8 KiB (hyper's
    /// minimum read buffer). Default 16 KiB ([`DEFAULT_MAX_HEADER_BYTES`]).
    pub fn max_header_bytes(mut self, limit: usize) -> Self {
        self.max_header_bytes = limit.max(MIN_HEADER_BYTES);
        self
    }

    /// How many connections are open at once. The server keeps accepting at the cap, so a
    /// client never waits behind connections that may never send a request: a new connection
    /// takes the slot of one still waiting for its request, which is closed: first one
    /// stalled partway through its request line and headers, else one that has sent nothing
    /// yet (just connected, in its TLS handshake, or idle between requests on a kept-alive
    /// connection), the longest waiting first. One that has sent nothing is first given 100 ms
    /// to start its request, the server accepting nothing meanwhile, except within a second of
    /// an eviction (slow clients are arriving). A connection whose request has arrived is
    /// never closed this way while it is answered; when every connection is being answered,
    /// the new one is refused (closed at once). So clients that never finish their headers,
    /// however many, cannot starve a scraper, which sends its request as soon as it connects.
    /// Values under 1 are raised to 1. Default 64 ([`DEFAULT_MAX_CONNECTIONS`]).
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = limit.max(1);
        self
    }

    /// How many connections the kernel may hold for the server, completed but not yet
    /// accepted: a burst of connections arriving faster than the server accepts them waits
    /// here. When it is full the kernel drops new connection attempts and clients retry them
    /// (Linux: first after 1 s), so a burst larger than the backlog is slowed down, not lost.
    /// The kernel caps it (Linux: `net.core.somaxconn`, 4096 since Linux 5.4). Values under 1
    /// are raised to 1. Default 1024 ([`DEFAULT_LISTEN_BACKLOG`]), where the Rust standard
    /// library's listeners use 128.
    pub fn listen_backlog(mut self, backlog: u32) -> Self {
        self.listen_backlog = backlog.max(1);
        self
    }

    /// How long [`MetricsServer::shutdown`](super::MetricsServer::shutdown) lets requests in
    /// flight finish once it has stopped accepting; connections still open after it are
    /// closed. Default 5 s ([`DEFAULT_SHUTDOWN_TIMEOUT`]).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Serves HTTPS with this certificate and key (`tls` cargo feature). Clients that do not
    /// complete a TLS handshake within the [header-read
    /// timeout](Self::header_read_timeout) are disconnected, as are clients speaking plain
    /// HTTP. Default: plain HTTP.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: super::tls::TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_clamps() {
        let options = ServerOptions::new();
        assert_eq!(options.header_read_timeout, Duration::from_secs(5));
        assert_eq!(options.max_body_bytes, 65536);
        assert_eq!(options.listen_backlog, 1024);
        assert_eq!(options.max_connections, 64);
        assert_eq!(options.max_header_bytes, 16 * 1024);
        assert_eq!(options.shutdown_timeout, Duration::from_secs(5));
        let options = options.max_header_bytes(10).max_connections(0).listen_backlog(0);
        assert_eq!(options.max_header_bytes, MIN_HEADER_BYTES);
        assert_eq!(options.max_connections, 1);
        assert_eq!(options.listen_backlog, 1);
    }
}
