//! An HTTP receiver that records every request (method, path as sent, headers, body) and
//! answers with a fixed status: the far end of a notification (a chat webhook, a signed
//! webhook, a commit status API). It runs on its own thread, so it outlives any test
//! runtime, and it can be started late on a port chosen in advance ("the receiver was down").

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use tokio::sync::oneshot;

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    /// The path and query exactly as sent (percent-encoding kept).
    pub path: String,
    /// Header names lowercase.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

#[derive(Clone)]
struct Shared {
    status: StatusCode,
    log: Arc<Mutex<Vec<Received>>>,
}

/// A running receiver; stopped on drop.
pub struct Receiver {
    port: u16,
    shared: Shared,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Receiver {
    /// On a free port, answering `status` to everything.
    pub fn start(status: u16) -> Receiver {
        Self::start_on(0, status)
    }

    /// On 127.0.0.1:`port` (0: any free one).
    pub fn start_on(port: u16, status: u16) -> Receiver {
        let shared = Shared {
            status: StatusCode::from_u16(status).expect("an HTTP status"),
            log: Arc::default(),
        };
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = bind(port).await;
                let _ = ready_tx.send(listener.local_addr().expect("addr").port());
                let app = axum::Router::new().fallback(record).with_state(state);
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = shutdown_rx => {}
                }
            });
        });
        let port = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("receiver bound");
        Receiver {
            port,
            shared,
            running: Some((shutdown_tx, thread)),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.log.lock().expect("log").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some((shutdown, thread)) = self.running.take() {
            let _ = shutdown.send(());
            let _ = thread.join();
        }
    }
}

async fn record(State(s): State<Shared>, request: Request) -> StatusCode {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    s.log.lock().expect("log").push(Received {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string()),
        headers,
        body: body.to_vec(),
    });
    s.status
}

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
