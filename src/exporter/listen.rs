//! Binding the endpoint's listening socket with a chosen listen backlog.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpSocket;

/// Binds and listens on `addr` with room for `backlog` connections waiting to be accepted,
/// returning a non-blocking std listener that any tokio runtime can adopt later.
///
/// `std::net::TcpListener::bind` always asks for a backlog of 128, which a burst of
/// scrapes overflows while the server is at its connection cap; tokio's `TcpSocket` is the
/// safe API that takes a backlog. Its `listen` registers the socket with a runtime, so a
/// throwaway current-thread runtime (no threads, no tasks) is entered for the call, the
/// socket is handed back as a std listener, and the runtime is shut down without blocking:
/// this works from synchronous code and from inside an application's runtime alike.
pub(super) fn bind_listener(addr: SocketAddr, backlog: u32) -> io::Result<std::net::TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    // As `std::net::TcpListener::bind` does on Unix: a restarted process can bind again
    // while connections of the previous one linger in TIME_WAIT. (On Windows the option
    // would let another process take the port, so it stays off there.)
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build()?;
    let listener = {
        let _entered = runtime.enter();
        socket.listen(backlog).and_then(tokio::net::TcpListener::into_std)
    };
    // Dropping a runtime inside another runtime's task would panic; this never blocks.
    runtime.shutdown_background();
    listener
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_loopback_and_accepts() {
        let listener = bind_listener("127.0.0.1:0".parse().unwrap(), 16).unwrap();
        let addr = listener.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        let _client = std::net::TcpStream::connect(addr).unwrap();
        listener.set_nonblocking(false).unwrap();
        assert!(listener.accept().is_ok());
    }

    #[tokio::test]
    async fn binds_from_inside_a_runtime() {
        let listener = bind_listener("127.0.0.1:0".parse().unwrap(), 16).unwrap();
        let taken = listener.local_addr().unwrap();
        let error = bind_listener(taken, 16).expect_err("in use");
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    }
}
