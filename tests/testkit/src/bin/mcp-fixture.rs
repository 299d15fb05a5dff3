//! The test MCP server as a process: `mcp-fixture [--port N] [--mode-file PATH]`.
//! Prints `http://127.0.0.1:<port>/mcp` on its first line once it accepts connections;
//! the mode file (`healthy`, `error` or `invalid`) is read on every request, so a test
//! flips the running server by writing it. Runs until killed.
//! `mcp-fixture --stdio`: the same tools over stdin/stdout until stdin closes.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use claude_env_testkit::mcp::{MCP_PATH, ModeSource, app};
use tokio_util::sync::CancellationToken;

fn main() {
    let mut port = 0u16;
    let mut mode_file: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--mode-file" => mode_file = Some(args.next().unwrap_or_else(|| usage()).into()),
            "--stdio" => return stdio(),
            _ => usage(),
        }
    }
    let source = match mode_file {
        Some(p) => ModeSource::File(p),
        None => ModeSource::Memory(Default::default()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .unwrap_or_else(|e| {
                eprintln!("mcp-fixture: cannot bind 127.0.0.1:{port}: {e}");
                std::process::exit(2)
            });
        let port = listener.local_addr().expect("addr").port();
        println!("http://127.0.0.1:{port}{MCP_PATH}");
        let _ = std::io::stdout().flush();
        axum::serve(listener, app(source, CancellationToken::new()))
            .await
            .expect("serve");
    });
}

fn stdio() {
    use rmcp::ServiceExt;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = claude_env_testkit::mcp::TestTools::new()
            .serve(rmcp::transport::stdio())
            .await
            .unwrap_or_else(|e| {
                eprintln!("mcp-fixture: stdio handshake failed: {e}");
                std::process::exit(2)
            });
        let _ = server.waiting().await;
    });
}

fn usage() -> ! {
    eprintln!("usage: mcp-fixture [--port N] [--mode-file PATH] | mcp-fixture --stdio");
    std::process::exit(2)
}
