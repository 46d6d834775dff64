//! Serving [`MetricsTools`] as an MCP server: the rmcp handler, and the stdio transport.

use rmcp::model::{ServerCapabilities, ServerConfig};
use rmcp::service::{QuitReason, RoleServer};
use rmcp::transport::IntoTransport;
use rmcp::{ServerHandler, serve_server};

use super::error::McpError;
use super::tools::MetricsTools;

// `tool_handler` answers `tools/list` and `tools/call` from the router, as rmcp's own
// servers do; only the server's identity is ours.
#[rmcp::tool_handler(router = self.router)]
impl ServerHandler for MetricsTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(self.server_info.clone())
            .with_instructions(self.instructions.clone())
    }
}

impl MetricsTools {
    /// Serves the tools over `transport` (anything rmcp can make a server transport of: a
    /// `(reader, writer)` pair, a stream, ...) until the client disconnects or the session
    /// ends. Needs a tokio runtime with I/O enabled.
    ///
    /// # Errors
    /// [`McpError::Initialize`] when the session does not start (the client closes the
    /// connection before `initialize`), [`McpError::Task`] when the serving task fails.
    pub async fn serve<T, E, A>(self, transport: T) -> Result<(), McpError>
    where
        T: IntoTransport<RoleServer, E, A>,
        E: std::error::Error + Send + Sync + 'static,
    {
        let running = serve_server(self, transport)
            .await
            .map_err(|error| McpError::Initialize(Box::new(error)))?;
        match running.waiting().await {
            Ok(QuitReason::JoinError(error)) | Err(error) => Err(McpError::Task(error)),
            Ok(_) => Ok(()),
        }
    }
}

/// Serves `tools` over this process's stdin and stdout until the client closes stdin: the
/// transport an MCP client uses when it starts the program itself.
///
/// Stdout then carries JSON-RPC and nothing else: write logs to stderr, and do not start
/// anything that prints to stdout.
///
/// # Errors
/// As [`MetricsTools::serve`].
pub async fn serve_stdio(tools: MetricsTools) -> Result<(), McpError> {
    tools.serve(rmcp::transport::stdio()).await
}
