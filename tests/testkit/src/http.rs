//! Git smart HTTP: a small axum server on 127.0.0.1 that runs `git http-backend` as CGI,
//! with optional Basic or Bearer auth. It can be stopped (to simulate "git server down") and
//! started again on the same port, and it records the requests it served.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use futures::TryStreamExt;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::sync::oneshot;
use tokio_util::io::{ReaderStream, StreamReader};

const HTTP_BACKEND: &str = "/usr/lib/git-core/git-http-backend";

/// What the server demands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpAuth {
    None,
    Basic { username: String, password: String },
    Bearer(String),
}

#[derive(Clone)]
struct Shared {
    root: PathBuf,
    auth: HttpAuth,
    log: Arc<Mutex<Vec<String>>>,
}

/// A running (or stopped) smart HTTP server; stopped on drop.
pub struct GitHttpServer {
    shared: Shared,
    port: u16,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl GitHttpServer {
    /// Serves the repositories under `project_root` (e.g. [`crate::TempRepo::serve_root`]).
    pub fn start(project_root: &Path, auth: HttpAuth) -> GitHttpServer {
        let mut server = GitHttpServer {
            shared: Shared {
                root: project_root.to_owned(),
                auth,
                log: Arc::default(),
            },
            port: 0,
            running: None,
        };
        server.run();
        server
    }

    /// `http://127.0.0.1:<port>/<name>`.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops accepting and drops every open connection: clients see "connection refused".
    pub fn stop(&mut self) {
        if let Some((shutdown, thread)) = self.running.take() {
            let _ = shutdown.send(());
            let _ = thread.join();
        }
    }

    /// Starts again on the same port after [`stop`](Self::stop).
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    /// `"<METHOD> <path>?<query>"` of every request served so far, authorised or not.
    pub fn requests(&self) -> Vec<String> {
        self.shared.log.lock().expect("log").clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.log.lock().expect("log").clear();
    }

    fn run(&mut self) {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let shared = self.shared.clone();
        let port = self.port;
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = bind(port).await;
                let _ = ready_tx.send(listener.local_addr().expect("addr").port());
                let app = axum::Router::new().fallback(handle).with_state(shared);
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = shutdown_rx => {}
                }
            });
            // Dropping the runtime here aborts every connection task still open.
        });
        self.port = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("http server bound");
        self.running = Some((shutdown_tx, thread));
    }
}

impl Drop for GitHttpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Binds 127.0.0.1:`port` (0 = any), retrying briefly: a restart may race the old socket.
async fn bind(port: u16) -> tokio::net::TcpListener {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..50 {
        if let Ok(listener) = tokio::net::TcpListener::bind(addr).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot bind {addr}");
}

async fn handle(State(shared): State<Shared>, request: Request) -> Response {
    let uri = request.uri().clone();
    shared.log.lock().expect("log").push(format!(
        "{} {}{}",
        request.method(),
        uri.path(),
        uri.query().map(|q| format!("?{q}")).unwrap_or_default()
    ));
    let Some(user) = authorise(&shared.auth, request.headers()) else {
        return Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            // Git clients only retry with credentials when offered a scheme they know.
            .header(header::WWW_AUTHENTICATE, "Basic realm=\"git\"")
            .body(Body::from("authentication required\n"))
            .expect("response");
    };
    match cgi(&shared.root, user, request).await {
        Ok(response) => response,
        Err(e) => Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::from(format!("git http-backend: {e}\n")))
            .expect("response"),
    }
}

/// The authenticated user (empty when no auth is configured), or `None` to answer 401.
fn authorise(auth: &HttpAuth, headers: &HeaderMap) -> Option<String> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match auth {
        HttpAuth::None => Some(String::new()),
        HttpAuth::Basic { username, password } => {
            let encoded = given?.strip_prefix("Basic ")?;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()?;
            (decoded == format!("{username}:{password}").as_bytes()).then(|| username.clone())
        }
        HttpAuth::Bearer(token) => {
            (given?.strip_prefix("Bearer ")? == token).then(|| "bearer".to_owned())
        }
    }
}

async fn cgi(root: &Path, user: String, request: Request) -> std::io::Result<Response> {
    let (parts, body) = request.into_parts();
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let mut child = Command::new(HTTP_BACKEND)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", parts.uri.path())
        .env("QUERY_STRING", parts.uri.query().unwrap_or(""))
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("CONTENT_TYPE", header(header::CONTENT_TYPE))
        .env("HTTP_CONTENT_ENCODING", header(header::CONTENT_ENCODING))
        .env("GIT_PROTOCOL", {
            let name = header::HeaderName::from_static("git-protocol");
            header(name)
        })
        .env("REMOTE_USER", user)
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;

    // Stream the request body into the CGI's stdin while its output is being read.
    let mut stdin = child.stdin.take().expect("stdin");
    let mut body = StreamReader::new(body.into_data_stream().map_err(std::io::Error::other));
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut body, &mut stdin).await;
        let _ = stdin.shutdown().await;
    });

    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut response = Response::builder().status(StatusCode::OK);
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).await? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or("500");
            response = response.status(code.parse::<u16>().unwrap_or(500));
        } else if let Ok(value) = HeaderValue::from_str(value) {
            response = response.header(name, value);
        }
    }
    // The child is reaped when the body stream (which owns it) is dropped.
    let stream = ReaderStream::new(ChildOutput {
        stdout,
        _child: child,
    });
    Ok(response.body(Body::from_stream(stream)).expect("response"))
}

/// The CGI's remaining stdout, keeping the child alive until the body is sent.
struct ChildOutput<R> {
    stdout: R,
    _child: tokio::process::Child,
}

impl<R: AsyncRead + Unpin> AsyncRead for ChildOutput<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stdout).poll_read(cx, buf)
    }
}
