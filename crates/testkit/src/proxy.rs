//! An HTTP/1.1 proxy for tests that talk to real servers: it forwards each request to the
//! server, one request per connection (it asks both sides to close after it), and records what
//! passed: request lines and bytes each way. It can also answer chosen requests itself with an
//! error status, to test retries against a real server.
//!
//! ```no_run
//! let proxy = verso_testkit::proxy::Proxy::start("127.0.0.1:5000");
//! proxy.fail("PUT", "/blobs/uploads/", 2, 503);
//! // … point the client at proxy.address() …
//! assert!(proxy.bytes_up() < 10_000);
//! ```

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Shared {
    up: AtomicU64,
    down: AtomicU64,
    requests: Mutex<Vec<String>>,
    faults: Mutex<Vec<Fault>>,
}

struct Fault {
    method: String,
    path_contains: String,
    left: u32,
    status: u16,
}

/// A running proxy; it stops accepting when dropped (the listener thread ends with the process).
pub struct Proxy {
    address: String,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let address = listener.local_addr().expect("local address").to_string();
        let shared = Arc::new(Shared::default());
        let upstream = upstream.to_owned();
        let state = Arc::clone(&shared);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let upstream = upstream.clone();
                let state = Arc::clone(&state);
                std::thread::spawn(move || {
                    let _ = serve(client, &upstream, &state);
                });
            }
        });
        Proxy { address, shared }
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Answers the next `count` requests with `method` whose path contains `path_contains`
    /// with `status` (and `Retry-After: 0`), without forwarding them.
    pub fn fail(&self, method: &str, path_contains: &str, count: u32, status: u16) {
        self.shared.faults.lock().expect("faults").push(Fault {
            method: method.to_owned(),
            path_contains: path_contains.to_owned(),
            left: count,
            status,
        });
    }

    /// Bytes sent by clients to the server (requests, bodies included).
    pub fn bytes_up(&self) -> u64 {
        self.shared.up.load(Ordering::SeqCst)
    }

    /// Bytes sent by the server to clients.
    pub fn bytes_down(&self) -> u64 {
        self.shared.down.load(Ordering::SeqCst)
    }

    /// `METHOD /path?query` of every request so far (failed ones too).
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().expect("requests").clone()
    }

    /// Forgets the counts and the request log.
    pub fn reset(&self) {
        self.shared.up.store(0, Ordering::SeqCst);
        self.shared.down.store(0, Ordering::SeqCst);
        self.shared.requests.lock().expect("requests").clear();
    }
}

fn serve(mut client: TcpStream, upstream: &str, shared: &Shared) -> std::io::Result<()> {
    // Read the request head.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 {
            return Ok(());
        }
        // A TLS handshake (clients that try HTTPS first): plain HTTP only, so hang up.
        if head.is_empty() && byte[0] == 0x16 {
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        head.push(byte[0]);
        if head.len() > 64 * 1024 {
            return Ok(());
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let request_line = text.lines().next().unwrap_or("").to_owned();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    shared
        .requests
        .lock()
        .expect("requests")
        .push(format!("{method} {target}"));
    let status = {
        let mut faults = shared.faults.lock().expect("faults");
        faults
            .iter_mut()
            .find(|fault| {
                fault.left > 0 && fault.method == method && target.contains(&fault.path_contains)
            })
            .map(|fault| {
                fault.left -= 1;
                fault.status
            })
    };
    if let Some(status) = status {
        let answer = format!(
            "HTTP/1.1 {status} Injected\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        client.write_all(answer.as_bytes())?;
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    // Forward the head with `Connection: close`, then relay both ways.
    let mut forwarded = String::new();
    for line in text.split("\r\n") {
        if line.is_empty() {
            continue;
        }
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        forwarded.push_str(line);
        forwarded.push_str("\r\n");
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(forwarded.as_bytes())?;
    shared
        .up
        .fetch_add(forwarded.len() as u64, Ordering::SeqCst);
    let mut client_reader = client.try_clone()?;
    let mut server_writer = server.try_clone()?;
    let up = std::thread::scope(|scope| {
        let upload = scope.spawn(move || {
            let copied = copy_counting(&mut client_reader, &mut server_writer, &shared.up);
            let _ = server_writer.shutdown(Shutdown::Write);
            copied
        });
        let _ = copy_counting(&mut server, &mut client, &shared.down);
        let _ = client.shutdown(Shutdown::Both);
        upload.join()
    });
    drop(up);
    Ok(())
}

fn copy_counting(
    from: &mut TcpStream,
    to: &mut TcpStream,
    counter: &AtomicU64,
) -> std::io::Result<()> {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = from.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        to.write_all(&buffer[..read])?;
        counter.fetch_add(read as u64, Ordering::SeqCst);
    }
}
