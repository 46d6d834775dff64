//! The typed error of the MCP tools: building them and serving them.

/// Why the metrics tools could not be built or served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McpError {
    /// A tool name breaks the MCP tool-name format: 1 to 128 characters among ASCII letters,
    /// digits, `_`, `-` and `.`.
    #[error("invalid MCP tool name {name:?}: {reason}")]
    InvalidToolName {
        /// The rejected name.
        name: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// Two tools were given the same name.
    #[error("two MCP tools are named {0:?}; each tool needs its own name")]
    DuplicateToolName(String),
    /// The session never started: the client closed the connection or sent something else
    /// before `initialize`, or the transport failed.
    #[error("the MCP session could not start: {0}")]
    Initialize(#[source] Box<rmcp::service::ServerInitializeError>),
    /// The task serving the session panicked or was aborted.
    #[error("the MCP server task failed: {0}")]
    Task(#[source] tokio::task::JoinError),
}
