//! Serving the router over TCP with the limits `axum::serve` lacks: a cap
//! on open connections, a deadline for each request's headers, and a
//! deadline for a client that stops reading its answer.
//!
//! `axum::serve` gives hyper no timer, so hyper's header-read timeout never
//! fires there, and it accepts connections without bound: a client that
//! opens connections and sends nothing, or sends a byte now and then, holds
//! them forever. Here each connection holds one of `max_connections` slots
//! (further connections wait in the kernel's listen backlog until one is
//! free), and hyper, given tokio's timer, closes a connection whose request
//! headers are not complete `header_read_timeout` after it opened or after
//! its previous answer; idle keep-alive connections are closed the same
//! way. A body that trickles in is cut by the router's request timeout
//! (408), and a client that does not read its answer by the write-stall
//! deadline.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// How long a shutdown waits for open connections to finish their answer.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The protective limits of the server.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Connections open at once; further ones wait to be accepted.
    pub(crate) max_connections: usize,
    /// Longest wait for a request's headers, from the connection's start or
    /// the end of its previous answer.
    pub(crate) header_read_timeout: Duration,
    /// Longest time an answer may wait for the client to read it.
    pub(crate) write_stall_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(5),
            write_stall_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open
/// connections finish their current answer (for up to 10 s).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (closing, closed) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => permit.map_err(io::Error::other)?,
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    eprintln!("accept failed ({e}); retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            router.clone(),
            limits,
            closed.clone(),
            permit,
        ));
    }
    drop(listener);
    closing.send_replace(());
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, slots.acquire_many(all)).await;
    Ok(())
}

/// Serves one connection while it holds its slot.
async fn connection(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    mut closed: watch::Receiver<()>,
    _slot: OwnedSemaphorePermit,
) {
    let io = TokioIo::new(StallGuard::new(stream, limits.write_stall_timeout));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let conn = builder.serve_connection(io, TowerToHyperService::new(router));
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = closed.changed() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// A TCP stream whose writes fail once they have waited `limit` for the
/// client to read.
struct StallGuard {
    stream: TcpStream,
    limit: Duration,
    deadline: Pin<Box<Sleep>>,
    /// Whether `deadline` runs for the current stall.
    armed: bool,
}

impl StallGuard {
    fn new(stream: TcpStream, limit: Duration) -> StallGuard {
        StallGuard {
            stream,
            limit,
            deadline: Box::pin(tokio::time::sleep(limit)),
            armed: false,
        }
    }

    /// Reports a write that made progress (or failed) as it is.
    fn progressed<T>(&mut self, result: io::Result<T>) -> Poll<io::Result<T>> {
        self.armed = false;
        Poll::Ready(result)
    }

    /// A write that cannot go on: pending until the deadline, then an error.
    fn stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        if !self.armed {
            self.deadline.as_mut().reset(Instant::now() + self.limit);
            self.armed = true;
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for StallGuard {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for StallGuard {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Ready(result) => this.progressed(result),
            Poll::Pending => this.stalled(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write_vectored(cx, bufs) {
            Poll::Ready(result) => this.progressed(result),
            Poll::Pending => this.stalled(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_flush(cx) {
            Poll::Ready(result) => this.progressed(result),
            Poll::Pending => this.stalled(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const QUICK: Limits = Limits {
        max_connections: 2,
        header_read_timeout: Duration::from_millis(300),
        write_stall_timeout: Duration::from_millis(300),
    };

    /// A server with `limits` whose `/` answers "ok" and `/big` 64 MiB.
    async fn start(limits: Limits) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new()
            .route("/", get(|| async { "ok" }))
            .route("/big", get(|| async { vec![b'x'; 64 << 20] }));
        tokio::spawn(serve(listener, router, limits, std::future::pending()));
        addr
    }

    /// Sends a GET of `/` and returns the answer, within 2 s.
    async fn fetch(addr: std::net::SocketAddr) -> String {
        let mut client = TcpStream::connect(addr).await.unwrap();
        let request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        client.write_all(request.as_bytes()).await.unwrap();
        let mut reply = String::new();
        let read = tokio::time::timeout(Duration::from_secs(2), client.read_to_string(&mut reply));
        read.await.expect("answered within 2 s").unwrap();
        reply
    }

    /// Waits (at most 2 s) for the server to close `client`.
    async fn closed_by_server(client: &mut TcpStream) -> Duration {
        let started = Instant::now();
        let mut buf = [0u8; 1024];
        let read = tokio::time::timeout(Duration::from_secs(2), client.read(&mut buf));
        let n = read.await.expect("closed within 2 s").unwrap_or(0);
        assert_eq!(n, 0, "{}", String::from_utf8_lossy(&buf[..n]));
        started.elapsed()
    }

    #[tokio::test]
    async fn silent_and_trickling_clients_are_cut_at_the_header_deadline() {
        let addr = start(QUICK).await;
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HT").await.unwrap();
        let waited = closed_by_server(&mut silent).await;
        assert!(waited < Duration::from_secs(1), "{waited:?}");
        closed_by_server(&mut slow).await;
        assert!(fetch(addr).await.ends_with("ok"));
    }

    #[tokio::test]
    async fn connections_past_the_cap_wait_for_a_free_slot() {
        let limits = Limits {
            header_read_timeout: Duration::from_secs(1),
            ..QUICK
        };
        let addr = start(limits).await;
        let _a = TcpStream::connect(addr).await.unwrap();
        let _b = TcpStream::connect(addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        // Served only once the deadline frees a slot held by a silent client.
        assert!(fetch(addr).await.ends_with("ok"));
        let waited = started.elapsed();
        assert!(waited > Duration::from_millis(700), "{waited:?}");
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_loses_its_connection() {
        let limits = Limits {
            max_connections: 1,
            ..QUICK
        };
        let addr = start(limits).await;
        let mut reader = TcpStream::connect(addr).await.unwrap();
        reader
            .write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        // Never read: the answer stalls, the server gives up, and the only
        // slot serves someone else.
        let started = Instant::now();
        assert!(fetch(addr).await.ends_with("ok"));
        assert!(started.elapsed() > Duration::from_millis(250));
    }
}
