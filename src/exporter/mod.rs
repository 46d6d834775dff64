//! The `/metrics` endpoint: a hyper 1 server, and the routes it serves for embedding.
//! (Placeholder interface; the full server lands with its tests.)

use std::net::SocketAddr;

use crate::error::Error;
use crate::telemetry::Pipeline;

/// Renders the Prometheus text exposition (format 0.0.4) of `pipeline`.
pub fn render(pipeline: &Pipeline) -> String {
    use prometheus::Encoder as _;
    let families = pipeline.registry().gather();
    let mut out = Vec::new();
    let _ = prometheus::TextEncoder::new().encode(&families, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The HTTP endpoint.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
}

impl MetricsServer {
    /// Binds the listener.
    pub fn bind(addr: SocketAddr, _metrics_path: &str) -> Result<Self, Error> {
        Ok(MetricsServer { addr })
    }
    /// Starts serving.
    pub fn start(&self) -> Result<SocketAddr, Error> {
        Ok(self.addr)
    }
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    /// Stops serving.
    pub fn shutdown(&self) {}
}
