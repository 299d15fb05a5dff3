//! A health endpoint the controller's HTTP checks can reach (`url:` checks: the controller
//! runs outside the cluster), answering `200 ok` or `500 failing` as the test says — also
//! "healthy for the next N requests, failing after", which pins a failure to one exact
//! verification (e.g. the first check after a blue-green switch) without racing the
//! controller.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Answers GET requests on 127.0.0.1; stopped on drop.
pub struct HealthEndpoint {
    port: u16,
    /// Healthy answers left before failing; negative: healthy for good.
    healthy_left: Arc<AtomicI64>,
    requests: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl HealthEndpoint {
    /// A healthy endpoint.
    pub fn start() -> HealthEndpoint {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let healthy_left = Arc::new(AtomicI64::new(-1));
        let requests = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, r, s) = (healthy_left.clone(), requests.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => answer(stream, &h, &r),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        HealthEndpoint {
            port,
            healthy_left,
            requests,
            stop,
        }
    }

    /// `http://127.0.0.1:<port>/healthz`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/healthz", self.port)
    }

    /// Healthy for good.
    pub fn healthy(&self) {
        self.healthy_left.store(-1, Ordering::SeqCst);
    }

    /// `n` more healthy answers, then failing.
    pub fn fail_after(&self, n: u32) {
        self.healthy_left.store(i64::from(n), Ordering::SeqCst);
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for HealthEndpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn answer(stream: TcpStream, healthy_left: &AtomicI64, requests: &AtomicU64) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    // The request head; GETs have no body.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
        if line == "\r\n" || line == "\n" {
            break;
        }
        line.clear();
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let healthy = healthy_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n > 0).then(|| n - 1)
        })
        .map_or_else(|n| n < 0, |_| true);
    let (status, body) = if healthy {
        ("200 OK", "ok\n")
    } else {
        ("500 Internal Server Error", "failing\n")
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}
