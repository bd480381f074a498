//! The accelerator example under load: the release binary serves 64
//! connections scraping `/metrics` while other clients send valid and
//! malformed requests to every JSON endpoint, and slow clients try to hold
//! connections. No valid request may fail, the simulation keeps its tick
//! rate, memory stays flat, and slow clients are cut at the header
//! deadline. All traffic goes to 127.0.0.1, for a bounded time.
//!
//! `cargo build --release --example accelerator` first (`.ci/test` does).
//! A missing binary fails the test when `CI` is set and skips it otherwise.
//! `BEAMLINE_LOAD_SECS` sets the duration (12 s by default); run with
//! `--nocapture` for the latency and throughput figures.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use common::accelerator_bin;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const SCRAPERS: usize = 64;
const JSON_CLIENTS: usize = 8;
const SLOW_CLIENTS: usize = 16;
const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// The simulation's tick (examples/accelerator/sim.rs).
const TICK: Duration = Duration::from_millis(50);

/// The running example; killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(bin: &PathBuf, args: &[&str]) -> Server {
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("KICK_POWER")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the accelerator starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("http://").nth(1) {
                    let _ = tx.send(rest.split('/').next().unwrap_or_default().to_owned());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the accelerator printed its URL");
        Server { child, addr }
    }

    /// Resident memory, from /proc.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A keep-alive HTTP/1.1 connection.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends one request; returns the status and body, or `None` when the
    /// connection failed.
    fn send(
        &mut self,
        method: &str,
        path: &str,
        accept: &str,
        body: &str,
    ) -> Option<(u16, Vec<u8>)> {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(request.as_bytes()).ok()?;
        self.read_reply()
    }

    fn read_reply(&mut self) -> Option<(u16, Vec<u8>)> {
        let mut chunk = [0u8; 64 * 1024];
        let head_end = loop {
            if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            let n = self.stream.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_lowercase();
        let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())?;
        while self.buf.len() < head_end + length {
            let n = self.stream.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let body = self.buf[head_end..head_end + length].to_vec();
        self.buf.drain(..head_end + length);
        Some((status, body))
    }
}

/// Latencies of one kind of request, and its failures.
#[derive(Default)]
struct Stats {
    latencies: Vec<Duration>,
    failures: Vec<String>,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        self.latencies.extend(other.latencies);
        self.failures.extend(other.failures);
    }

    fn percentile(&mut self, p: f64) -> Duration {
        self.latencies.sort_unstable();
        #[allow(clippy::cast_precision_loss, reason = "small counts")]
        #[allow(clippy::cast_possible_truncation, reason = "an index")]
        #[allow(clippy::cast_sign_loss, reason = "positive")]
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(i).copied().unwrap_or_default()
    }
}

fn scraper(addr: &str, stop: &AtomicBool) -> Stats {
    let mut stats = Stats::default();
    let mut conn = Conn::open(addr);
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        match conn.send("GET", "/metrics", OPENMETRICS, "") {
            Some((200, body)) if body.ends_with(b"# EOF\n") => {
                stats.latencies.push(started.elapsed());
            }
            other => {
                stats.failures.push(format!("GET /metrics: {other:?}"));
                conn = Conn::open(addr);
            }
        }
    }
    stats
}

/// The JSON requests, each with the statuses that are correct answers.
/// `true` marks a valid request.
const REQUESTS: [(&str, &str, &str, &[u16], bool); 16] = [
    ("GET", "/state", "", &[200], true),
    ("GET", "/kick_power", "", &[200], true),
    ("PUT", "/kick_power", r#"{"kick_power":35}"#, &[200], true),
    ("PUT", "/kick_power", r#"{"kick_power":27.5}"#, &[200], true),
    ("POST", "/start", "", &[202, 409], true),
    ("POST", "/abort", "", &[200, 409], true),
    ("GET", "/healthz", "", &[200], true),
    ("PUT", "/kick_power", r#"{"kick_power":"#, &[400], false),
    ("PUT", "/kick_power", "not json at all", &[400], false),
    (
        "PUT",
        "/kick_power",
        r#"{"kick_power":1e999}"#,
        &[422],
        false,
    ),
    ("PUT", "/kick_power", r#"{"kick_power":-3}"#, &[422], false),
    (
        "PUT",
        "/kick_power",
        r#"{"kick_power":null}"#,
        &[422],
        false,
    ),
    ("PUT", "/kick_power", r#"{"power":35}"#, &[422], false),
    ("POST", "/state", "{}", &[405], false),
    ("GET", "/no/such/path", "", &[404], false),
    ("DELETE", "/start", "", &[405], false),
];

fn json_client(addr: &str, seed: usize, stop: &AtomicBool) -> (Stats, u64) {
    let mut stats = Stats::default();
    let mut malformed = 0;
    let mut conn = Conn::open(addr);
    let big = "x".repeat(8 * 1024);
    let mut i = seed;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        if i.is_multiple_of(50) {
            // Over the 4 KiB body limit: 413, then a new connection.
            let got = Conn::open(addr).send("PUT", "/kick_power", "*/*", &big);
            if got.as_ref().map(|r| r.0) != Some(413) {
                stats.failures.push(format!("oversized body: {got:?}"));
            }
            malformed += 1;
            continue;
        }
        if i.is_multiple_of(97) {
            // Not HTTP at all: the server answers 400 and closes.
            let mut raw = Conn::open(addr);
            raw.stream
                .write_all(b"\x16\x03\x01 garbage\r\n\r\n")
                .unwrap();
            let got = raw.read_reply().map(|r| r.0);
            if got.is_some_and(|s| s != 400) {
                stats.failures.push(format!("garbage request: {got:?}"));
            }
            malformed += 1;
            continue;
        }
        let (method, path, body, expected, valid) = REQUESTS[i % REQUESTS.len()];
        let started = Instant::now();
        match conn.send(method, path, "application/json", body) {
            Some((status, reply)) if expected.contains(&status) => {
                if valid {
                    stats.latencies.push(started.elapsed());
                } else {
                    malformed += 1;
                }
                if !reply.starts_with(b"{") && path != "/healthz" {
                    stats.failures.push(format!("{method} {path}: not JSON"));
                }
            }
            other => {
                stats
                    .failures
                    .push(format!("{method} {path} {body}: {other:?}"));
                conn = Conn::open(addr);
            }
        }
    }
    (stats, malformed)
}

/// A client that sends a request line one byte at a time, or nothing;
/// returns how long the server let it hold the connection.
fn slow_client(addr: &str, silent: bool) -> Duration {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let request = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut sent = 0;
    let mut buf = [0u8; 1024];
    while started.elapsed() < Duration::from_secs(30) {
        if !silent && sent < request.len() && stream.write_all(&request[sent..=sent]).is_err() {
            break;
        }
        sent += 1;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
    }
    started.elapsed()
}

/// The number of simulation ticks the server has timed so far.
fn ticks(addr: &str) -> f64 {
    let (status, body) = Conn::open(addr)
        .send("GET", "/metrics", OPENMETRICS, "")
        .expect("a scrape");
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("accelerator_tick_duration_seconds_count "))
        .and_then(|v| v.parse().ok())
        .expect("the tick summary's count")
}

#[test]
fn the_lab_under_load_serves_every_valid_request_and_keeps_its_pace() {
    let Some(bin) = accelerator_bin() else { return };
    let seconds: u64 = std::env::var("BEAMLINE_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let server = Server::start(&bin, &["--header-timeout", "2"]);
    let addr = server.addr.clone();
    // Warm up, so that the baseline includes the runtime's worker threads
    // and buffers.
    for _ in 0..50 {
        ticks(&addr);
    }
    let rss_before = server.rss_kib();
    let ticks_before = ticks(&addr);
    let started = Instant::now();

    let stop = Arc::new(AtomicBool::new(false));
    let scrapers: Vec<_> = (0..SCRAPERS)
        .map(|_| {
            let (addr, stop) = (addr.clone(), Arc::clone(&stop));
            thread::spawn(move || scraper(&addr, &stop))
        })
        .collect();
    let clients: Vec<_> = (0..JSON_CLIENTS)
        .map(|i| {
            let (addr, stop) = (addr.clone(), Arc::clone(&stop));
            thread::spawn(move || json_client(&addr, i * 7, &stop))
        })
        .collect();
    let slow: Vec<_> = (0..SLOW_CLIENTS)
        .map(|i| {
            let addr = addr.clone();
            thread::spawn(move || slow_client(&addr, i % 2 == 0))
        })
        .collect();

    thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut scrapes = Stats::default();
    for s in scrapers {
        scrapes.merge(s.join().unwrap());
    }
    let mut json = Stats::default();
    let mut malformed = 0;
    for c in clients {
        let (stats, bad) = c.join().unwrap();
        json.merge(stats);
        malformed += bad;
    }
    let held: Vec<Duration> = slow.into_iter().map(|s| s.join().unwrap()).collect();
    let wall = started.elapsed();
    let ticks_after = ticks(&addr);
    thread::sleep(Duration::from_millis(500));
    let rss_after = server.rss_kib();

    let served = scrapes.latencies.len() + json.latencies.len();
    #[allow(clippy::cast_precision_loss, reason = "small counts")]
    let rps = served as f64 / wall.as_secs_f64();
    let expected_ticks = wall.as_secs_f64() / TICK.as_secs_f64();
    let longest_hold = held.iter().max().copied().unwrap_or_default();
    eprintln!(
        "load: {:.1} s, {SCRAPERS} scraping connections + {JSON_CLIENTS} JSON clients + \
         {SLOW_CLIENTS} slow ones: {} scrapes (p50 {:?}, p99 {:?}), {} valid JSON requests \
         (p50 {:?}, p99 {:?}), {malformed} malformed ones answered 4xx; {rps:.0} requests/s; \
         {:.0} of {expected_ticks:.0} ticks; RSS {rss_before} -> {rss_after} KiB; \
         slow clients held at most {longest_hold:?}",
        wall.as_secs_f64(),
        scrapes.latencies.len(),
        scrapes.percentile(0.5),
        scrapes.percentile(0.99),
        json.latencies.len(),
        json.percentile(0.5),
        json.percentile(0.99),
        ticks_after - ticks_before,
    );
    assert!(
        scrapes.failures.is_empty(),
        "{:?}",
        &scrapes.failures[..5.min(scrapes.failures.len())]
    );
    assert!(
        json.failures.is_empty(),
        "{:?}",
        &json.failures[..5.min(json.failures.len())]
    );
    assert!(scrapes.latencies.len() > SCRAPERS && json.latencies.len() > JSON_CLIENTS);
    assert!(malformed > 0);
    assert!(
        ticks_after - ticks_before >= 0.9 * expected_ticks,
        "the simulation fell behind: {} of {expected_ticks:.0} ticks",
        ticks_after - ticks_before
    );
    assert!(
        rss_after <= rss_before + 16 * 1024,
        "memory grew from {rss_before} to {rss_after} KiB"
    );
    assert!(
        longest_hold < HEADER_TIMEOUT + Duration::from_secs(2),
        "a slow client held its connection for {longest_hold:?}"
    );
}

#[test]
fn clients_that_hold_every_connection_cannot_hold_the_server() {
    let Some(bin) = accelerator_bin() else { return };
    let server = Server::start(&bin, &["--max-connections", "8", "--header-timeout", "1"]);
    let silent: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    thread::sleep(Duration::from_millis(200));
    // Every slot is taken by a silent client: a real one waits for the
    // deadline to free one, and no longer.
    let started = Instant::now();
    let got = Conn::open(&server.addr).send("GET", "/healthz", "*/*", "");
    let waited = started.elapsed();
    assert_eq!(got.map(|r| r.0), Some(200));
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
    drop(silent);
}
