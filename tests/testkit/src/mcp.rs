//! A real MCP server (the official Rust SDK, `rmcp`) serving streamable HTTP on
//! 127.0.0.1, with two tools (`echo`, `resolve-library-id`) and a switch that makes it fail
//! the handshake: the controller's MCP check runs against the same code path clients use.
//!
//! In-process: [`McpServer::start`] runs it on its own thread and runtime; stopped on drop.
//! As a process: the `mcp-fixture` binary (`--port`, `--mode-file`), for end-to-end tests
//! where the controller runs separately; `mcp-fixture --stdio` serves the same tools on
//! stdin/stdout, as the MCP servers of a workstation's mcp.json run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
};
use rmcp::{ServerHandler, schemars, tool, tool_handler, tool_router};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// The path the server answers MCP on.
pub const MCP_PATH: &str = "/mcp";
/// `serverInfo.name` in the `initialize` result.
pub const SERVER_NAME: &str = "claude-env-test-mcp";

/// How the server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum McpMode {
    /// A correct MCP server.
    Healthy,
    /// Every request gets `500 Internal Server Error`.
    ServerError,
    /// Every request gets `200` with JSON that is not a JSON-RPC response.
    InvalidResponse,
}

impl McpMode {
    fn to_u8(self) -> u8 {
        self as u8
    }
    fn from_u8(v: u8) -> McpMode {
        match v {
            1 => McpMode::ServerError,
            2 => McpMode::InvalidResponse,
            _ => McpMode::Healthy,
        }
    }

    /// `healthy`, `error` or `invalid` (the `--mode-file` contents).
    pub fn parse(s: &str) -> Option<McpMode> {
        match s.trim() {
            "healthy" | "" => Some(McpMode::Healthy),
            "error" => Some(McpMode::ServerError),
            "invalid" => Some(McpMode::InvalidResponse),
            _ => None,
        }
    }
}

/// Where the mode comes from: a switch in memory, or a file read on every request (so a
/// test can flip a server running in another process).
#[derive(Clone)]
pub enum ModeSource {
    Memory(Arc<AtomicU8>),
    File(PathBuf),
}

impl ModeSource {
    fn current(&self) -> McpMode {
        match self {
            ModeSource::Memory(m) => McpMode::from_u8(m.load(Ordering::SeqCst)),
            ModeSource::File(p) => std::fs::read_to_string(p)
                .ok()
                .and_then(|s| McpMode::parse(&s))
                .unwrap_or(McpMode::Healthy),
        }
    }
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct EchoRequest {
    /// Text to send back.
    pub message: String,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResolveRequest {
    /// A library name, e.g. `tokio`.
    pub library_name: String,
}

/// The tools: enough to list and call, like a small real server.
#[derive(Clone)]
pub struct TestTools {
    tool_router: ToolRouter<Self>,
}

impl Default for TestTools {
    fn default() -> Self {
        Self::new()
    }
}

#[tool_router]
impl TestTools {
    pub fn new() -> Self {
        TestTools {
            tool_router: Self::tool_router(),
        }
    }

    #[tool(description = "Returns its input")]
    fn echo(&self, Parameters(EchoRequest { message }): Parameters<EchoRequest>) -> String {
        message
    }

    #[tool(
        name = "resolve-library-id",
        description = "Resolves a library name to a library id"
    )]
    fn resolve_library_id(
        &self,
        Parameters(ResolveRequest { library_name }): Parameters<ResolveRequest>,
    ) -> String {
        format!("/libraries/{library_name}")
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for TestTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(SERVER_NAME, "1.0.0"))
    }
}

/// The axum app: the MCP service under [`MCP_PATH`], behind the failure switch.
pub fn app(mode: ModeSource, cancel: CancellationToken) -> axum::Router {
    let service = StreamableHttpService::new(
        || Ok(TestTools::new()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default()
            .with_sse_keep_alive(None)
            .with_cancellation_token(cancel),
    );
    axum::Router::new()
        .nest_service(MCP_PATH, service)
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let mode = mode.current();
            async move { fail_or_serve(mode, req, next).await }
        }))
}

async fn fail_or_serve(mode: McpMode, req: Request, next: Next) -> Response {
    let answer = |status: StatusCode, content_type: &str, body: &'static str| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("response")
    };
    match mode {
        McpMode::Healthy => next.run(req).await,
        McpMode::ServerError => answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            "internal error\n",
        ),
        McpMode::InvalidResponse => answer(
            StatusCode::OK,
            "application/json",
            r#"{"status":"ok","hint":"not JSON-RPC"}"#,
        ),
    }
}

/// A running in-process MCP server; stopped on drop.
pub struct McpServer {
    port: u16,
    mode: Arc<AtomicU8>,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl McpServer {
    pub fn start() -> McpServer {
        let mode = Arc::new(AtomicU8::new(McpMode::Healthy.to_u8()));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let source = ModeSource::Memory(mode.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                    .await
                    .expect("bind 127.0.0.1:0");
                let _ = ready_tx.send(listener.local_addr().expect("addr").port());
                let cancel = CancellationToken::new();
                let app = app(source, cancel.child_token());
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = shutdown_rx => cancel.cancel(),
                }
            });
        });
        let port = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("mcp server bound");
        McpServer {
            port,
            mode,
            running: Some((shutdown_tx, thread)),
        }
    }

    /// `http://127.0.0.1:<port>/mcp`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}{MCP_PATH}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Flips the server between healthy and failing; takes effect on the next request.
    pub fn set_mode(&self, mode: McpMode) {
        self.mode.store(mode.to_u8(), Ordering::SeqCst);
    }

    pub fn mode(&self) -> McpMode {
        McpMode::from_u8(self.mode.load(Ordering::SeqCst))
    }
}

impl Drop for McpServer {
    fn drop(&mut self) {
        if let Some((shutdown, thread)) = self.running.take() {
            let _ = shutdown.send(());
            let _ = thread.join();
        }
    }
}
