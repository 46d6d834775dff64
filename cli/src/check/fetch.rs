//! Reads an exposition from a file, from standard input (`-`), or from an `http://` URL with
//! a plain HTTP/1.1 GET over `std::net::TcpStream` (no TLS, no proxy: save the scrape to a
//! file for anything else, e.g. `curl -s https://host/metrics > metrics.txt`).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long connecting, and each read or write, may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest exposition read (64 MiB).
const MAX_BYTES: u64 = 64 << 20;

/// Why an exposition could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A file (or standard input) could not be read.
    #[error("cannot read {source_name}: {error}")]
    Io {
        /// The file or URL.
        source_name: String,
        /// The error.
        error: std::io::Error,
    },
    /// A URL this client does not handle, or a response it cannot read.
    #[error("{source_name}: {reason}")]
    Http {
        /// The URL.
        source_name: String,
        /// What went wrong.
        reason: String,
    },
}

/// The exposition text at `source`: an `http://` URL, `-` for standard input, or a file path.
pub fn read_exposition(source: &str) -> Result<String, FetchError> {
    let io = |error| FetchError::Io { source_name: source.to_owned(), error };
    if source.starts_with("http://") {
        return http_get(source);
    }
    if source.starts_with("https://") {
        return Err(FetchError::Http {
            source_name: source.to_owned(),
            reason: "https is not supported; save the scrape to a file (curl -s URL > metrics.txt) and pass the file".into(),
        });
    }
    if source == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(io)?;
        return Ok(text);
    }
    std::fs::read_to_string(source).map_err(io)
}

/// `GET` an `http://host[:port][/path]` URL with `Connection: close`; 200 only.
fn http_get(url: &str) -> Result<String, FetchError> {
    let fail = |reason: String| FetchError::Http { source_name: url.to_owned(), reason };
    let io = |error: std::io::Error| fail(error.to_string());
    let rest = &url["http://".len()..];
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    if authority.is_empty() || authority.contains('@') {
        return Err(fail("expected http://HOST[:PORT]/PATH".into()));
    }
    let host_port = if authority.rsplit_once(':').is_some_and(|(_, port)| !port.contains(']')) {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addrs: Vec<_> = host_port.to_socket_addrs().map_err(io)?.collect();
    let mut last_error = None;
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, FETCH_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let mut stream = stream.ok_or_else(|| {
        fail(last_error.map_or_else(|| "no address".into(), |e| format!("cannot connect: {e}")))
    })?;
    stream.set_read_timeout(Some(FETCH_TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(FETCH_TIMEOUT)).map_err(io)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: text/plain;version=0.0.4\r\n\
         User-Agent: flowmeter-check\r\nConnection: close\r\n\r\n"
    )
    .map_err(io)?;
    let mut raw = Vec::new();
    stream.take(MAX_BYTES).read_to_end(&mut raw).map_err(io)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| fail("truncated response (no end of headers)".into()))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = &raw[split + 4..];
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(fail(format!("expected 200 OK, got `{status}`")));
    }
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_ascii_lowercase())
        })
    };
    if header("content-encoding").is_some_and(|e| e != "identity") {
        return Err(fail("compressed responses are not supported".into()));
    }
    let body = if header("transfer-encoding").is_some_and(|e| e.contains("chunked")) {
        dechunk(body).ok_or_else(|| fail("malformed chunked body".into()))?
    } else {
        body.to_vec()
    };
    String::from_utf8(body).map_err(|_| fail("the body is not UTF-8".into()))
}

/// Decodes a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks() {
        assert_eq!(dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap(), b"abcde");
        assert!(dechunk(b"5\r\nab").is_none());
    }

    #[test]
    fn refuses_https_and_names_missing_files() {
        assert!(
            read_exposition("https://example.com/metrics")
                .unwrap_err()
                .to_string()
                .contains("https")
        );
        let error = read_exposition("/nonexistent/metrics.txt").unwrap_err().to_string();
        assert!(error.contains("/nonexistent/metrics.txt"), "{error}");
    }
}
