//! A misbehaving Git server for timeout tests (shared by the timeout test binaries).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// A `git://` server that advertises a branch, answers the negotiation and then sends a
/// progress message (side-band channel 2) every `every`, forever, never the pack: as long
/// as `every` is below the socket timeout the connection never stalls, so only the fetch's
/// own deadline can end it.
pub(crate) struct TricklingServer {
    port: u16,
}

impl TricklingServer {
    pub(crate) fn start(every: Duration) -> TricklingServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                std::thread::spawn(move || trickle(conn, every));
            }
        });
        TricklingServer { port }
    }

    pub(crate) fn url(&self) -> String {
        format!("git://127.0.0.1:{}/config.git", self.port)
    }
}

fn pkt(payload: &[u8]) -> Vec<u8> {
    let mut out = format!("{:04x}", payload.len() + 4).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Reads pkt-lines until a flush (`0000`) or `done`; false when the client went away.
fn read_until_flush(conn: &mut TcpStream) -> bool {
    loop {
        let mut len = [0u8; 4];
        if conn.read_exact(&mut len).is_err() {
            return false;
        }
        let Ok(len) = usize::from_str_radix(std::str::from_utf8(&len).unwrap_or("x"), 16) else {
            return false;
        };
        if len == 0 {
            return true;
        }
        let mut body = vec![0u8; len.saturating_sub(4)];
        if conn.read_exact(&mut body).is_err() {
            return false;
        }
        if body.starts_with(b"done") {
            return true;
        }
    }
}

fn trickle(mut conn: TcpStream, every: Duration) {
    let sha = "1111111111111111111111111111111111111111";
    // The request line: one pkt-line naming the service and the path.
    let mut len = [0u8; 4];
    if conn.read_exact(&mut len).is_err() {
        return;
    }
    let len = usize::from_str_radix(std::str::from_utf8(&len).unwrap_or("0"), 16).unwrap_or(0);
    let mut request = vec![0u8; len.saturating_sub(4)];
    if conn.read_exact(&mut request).is_err() {
        return;
    }
    let mut advert = pkt(format!("{sha} HEAD\0side-band-64k ofs-delta\n").as_bytes());
    advert.extend(pkt(format!("{sha} refs/heads/main\n").as_bytes()));
    advert.extend(b"0000");
    if conn.write_all(&advert).is_err() {
        return;
    }
    // The wants, a flush, then `done` (nothing to have: the cache is empty).
    if !read_until_flush(&mut conn) || !read_until_flush(&mut conn) {
        return;
    }
    if conn.write_all(&pkt(b"NAK\n")).is_err() {
        return;
    }
    for n in 0u64.. {
        let msg = format!("\x02Counting objects: {n}\r");
        if conn.write_all(&pkt(msg.as_bytes())).is_err() {
            return;
        }
        std::thread::sleep(every);
    }
}
