//! A plain HTTP/1.1 client over loopback, written here so tests see the bytes a server sends.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One HTTP response.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The header lines, in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// `GET path` on `addr`, `Connection: close`, read to the end.
pub fn http_get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, "HTTP/1.1").expect("GET over loopback")
}

/// `HEAD path` on `addr`, `Connection: close`, read to the end (the body should be empty).
pub fn http_head(addr: SocketAddr, path: &str) -> Response {
    request(addr, "HEAD", path, "HTTP/1.1").expect("HEAD over loopback")
}

/// `method path` on `addr` with extra header lines (`Authorization`, `Accept`, ...),
/// `Connection: close`, read to the end.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Response {
    request_with(addr, method, path, "HTTP/1.1", headers).expect("request over loopback")
}

/// `GET path` as HTTP/1.0 (so no server answers with a chunked body), or the I/O error when
/// nothing listens yet.
pub fn try_http_get(addr: SocketAddr, path: &str) -> std::io::Result<Response> {
    request(addr, "GET", path, "HTTP/1.0")
}

fn request(addr: SocketAddr, method: &str, path: &str, version: &str) -> std::io::Result<Response> {
    request_with(addr, method, path, version, &[])
}

fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    version: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let extra: String =
        headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
    write!(
        stream,
        "{method} {path} {version}\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n"
    )?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    // A connection closed before a full response is an error for the caller to assert on,
    // not a panic inside the helper.
    let malformed = || std::io::Error::new(std::io::ErrorKind::InvalidData, raw.clone());
    let (head, body) = raw.split_once("\r\n\r\n").ok_or_else(malformed)?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(malformed)?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Response { status, headers, body: body.to_owned() })
}
