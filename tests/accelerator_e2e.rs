//! End-to-end tests of the accelerator example: the release binary scraped
//! by Debian's Prometheus, its page driven in headless Chromium, and its
//! OpenMetrics output read by Python's strict parser.
//!
//! CI builds the binary first (`cargo build --release --example
//! accelerator`). A missing binary or tool fails the test when `CI` is set,
//! and skips it with a note otherwise.

mod common;

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use common::{accelerator_bin, require_file as require};

/// Every metric family of the example, as Prometheus names its series.
const FAMILIES: [&str; 25] = [
    "accelerator_beam_energy_electronvolts",
    "accelerator_beam_lorentz_factor",
    "accelerator_beam_speed_meters_per_second",
    "accelerator_beam_speed_ratio",
    "accelerator_beam_speed_deficit_meters_per_second",
    "accelerator_revolution_frequency_hertz",
    "accelerator_kick_power_ratio",
    "accelerator_rf_energy_gain_per_turn_electronvolts",
    "accelerator_dipole_field_tesla",
    "accelerator_magnet_load_ratio",
    "accelerator_run_elapsed_seconds",
    "accelerator_target_energy_electronvolts",
    "accelerator_run_window_seconds",
    "accelerator_state",
    "accelerator_state_code",
    "accelerator_revolutions_total",
    "accelerator_kicks_total",
    "accelerator_runs_total",
    "accelerator_kick_power_changes_total",
    "accelerator_http_requests_total",
    "accelerator_ramp_duration_seconds_bucket",
    "accelerator_tick_duration_seconds_count",
    "accelerator_build_info",
    "accelerator_collisions_total",
    "accelerator_bunch_energy_deviation_ratio_bucket",
];

/// The gauge histogram family of the spec.
const GAUGE_HISTOGRAM: &str = "accelerator_bunch_energy_deviation_ratio";

/// Further series names that prove the type-specific samples arrived.
const EXTRA_SERIES: [&str; 8] = [
    "accelerator_ramp_duration_seconds_count",
    "accelerator_ramp_duration_seconds_sum",
    "accelerator_tick_duration_seconds_sum",
    "accelerator_bunch_energy_deviation_ratio_gcount",
    "accelerator_bunch_energy_deviation_ratio_gsum",
    "accelerator_runs_created",
    "accelerator_kicks_created",
    "accelerator_ramp_duration_seconds_created",
];

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

// ---- locating tools -------------------------------------------------------

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => manifest_dir().join(dir),
        None => manifest_dir().join("target"),
    }
}

// ---- processes and temporary directories ---------------------------------

/// Kills the child (and its process group) when dropped, also on panic.
struct Guard {
    child: Child,
    name: &'static str,
}

impl Guard {
    fn spawn(name: &'static str, command: &mut Command) -> Guard {
        use std::os::unix::process::CommandExt;

        // Its own process group, so helpers it forks go with it.
        command.process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Guard { child, name }
    }

    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early with {status}", self.name);
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "beamline-{tag}-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The running example and the address it printed.
struct Accelerator {
    guard: Guard,
    addr: String,
}

/// Starts the example on a port of its choosing and waits for its URL line.
fn start_accelerator(bin: &Path, kick_power: f64, time_scale: f64) -> Accelerator {
    let mut command = Command::new(bin);
    command
        .args(["--listen", "127.0.0.1:0"])
        .args(["--kick-power", &kick_power.to_string()])
        .args(["--time-scale", &time_scale.to_string()])
        .env_remove("KICK_POWER")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut guard = Guard::spawn("accelerator", &mut command);
    let stdout = guard.child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("http://").nth(1) {
                let addr = rest.split('/').next().unwrap_or_default().to_owned();
                let _ = tx.send(addr);
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the accelerator printed no URL within 20 s");
    Accelerator { guard, addr }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---- a minimal HTTP/1.0 client ---------------------------------------------

struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then_some(value.trim())
        })
    }
}

/// One HTTP/1.1 request on its own connection (`Connection: close`).
fn http(method: &str, addr: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    // Some servers keep the connection open regardless: stop reading at
    // the end of the body that the headers announce.
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let (split, head) = loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "{method} {path}: connection closed before the headers"
        );
        raw.extend_from_slice(&buf[..n]);
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break (split, String::from_utf8_lossy(&raw[..split]).into_owned());
        }
    };
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("no status code");
    let probe = Reply {
        status,
        headers: head,
        body: Vec::new(),
    };
    let length: Option<usize> = probe.header("content-length").and_then(|v| v.parse().ok());
    let chunked = probe.header("transfer-encoding") == Some("chunked");
    loop {
        let body = &raw[split + 4..];
        let done = match length {
            Some(length) => body.len() >= length,
            None => chunked && body.ends_with(b"0\r\n\r\n"),
        };
        if done {
            break;
        }
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let head = probe.headers;
    let mut reply = Reply {
        status,
        headers: head,
        body: raw[split + 4..].to_vec(),
    };
    if reply.header("transfer-encoding") == Some("chunked") {
        reply.body = dechunk(&reply.body);
    }
    reply
}

/// Decodes a chunked transfer-encoded body.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_field = String::from_utf8_lossy(&data[..end]);
        let size_hex = size_field.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).expect("hex chunk size");
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

fn get(addr: &str, path: &str) -> Reply {
    http("GET", addr, path, &[], "")
}

/// Percent-encodes a query parameter.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Polls `check` every 100 ms until it returns `Some`, or panics with
/// `what` and the last observation at the deadline.
fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        match check() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {limit:?} waiting for {what}; last: {last}")
            }
            Err(_) => thread::sleep(Duration::from_millis(100)),
        }
    }
}

// ---- (1) Prometheus --------------------------------------------------------

/// The value of a PromQL instant query that returns one sample.
fn prom_value(prom: &str, query: &str) -> Result<f64, String> {
    let reply = get(prom, &format!("/api/v1/query?query={}", encode(query)));
    if reply.status != 200 {
        return Err(format!("{query}: HTTP {}: {}", reply.status, reply.text()));
    }
    let json = reply.json();
    let result = &json["data"]["result"];
    let sample = result
        .as_array()
        .filter(|r| r.len() == 1)
        .ok_or_else(|| format!("{query}: {json}"))?;
    sample[0]["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{query}: {json}"))
}

#[test]
fn prometheus_scrapes_every_family_and_counts_the_run() {
    prometheus_run(false);
}

/// With native histograms on, Prometheus asks for the Prometheus protobuf
/// format first, so this run exercises `negotiate` and the protobuf encoder.
#[test]
fn prometheus_with_native_histograms_scrapes_protobuf() {
    prometheus_run(true);
}

#[allow(clippy::too_many_lines, reason = "one end-to-end scenario")]
fn prometheus_run(native_histograms: bool) {
    let Some(bin) = accelerator_bin() else { return };
    let Some(prometheus) = require("Debian's prometheus", PathBuf::from("/usr/bin/prometheus"))
    else {
        return;
    };
    let mut accelerator = start_accelerator(&bin, 35.0, 20.0);
    let dir = TempDir::new("prometheus");
    let config = dir.0.join("prometheus.yml");
    fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  \
             - job_name: accelerator\n    static_configs:\n      - targets: ['{}']\n",
            accelerator.addr
        ),
    )
    .unwrap();
    let prom = format!("127.0.0.1:{}", free_port());
    let log = File::create(dir.0.join("prometheus.log")).unwrap();
    let mut prometheus = Guard::spawn(
        "prometheus",
        Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.0.join("data").display()
            ))
            .arg(format!("--web.listen-address={prom}"))
            .arg(if native_histograms {
                "--enable-feature=exemplar-storage,native-histograms"
            } else {
                "--enable-feature=exemplar-storage"
            })
            .stdout(Stdio::null())
            .stderr(log),
    );
    let log_tail = || fs::read_to_string(dir.0.join("prometheus.log")).unwrap_or_default();

    wait_for("the target to be up", Duration::from_secs(60), || {
        prometheus.assert_running();
        let reply = TcpStream::connect(&prom)
            .map_err(|e| e.to_string())
            .map(|_| get(&prom, "/api/v1/targets"))?;
        // Prometheus answers 503 while it starts up.
        if reply.status != 200 {
            return Err(format!("HTTP {}: {}", reply.status, reply.text()));
        }
        let targets = reply.json();
        let health = &targets["data"]["activeTargets"][0]["health"];
        (health == "up")
            .then_some(())
            .ok_or_else(|| format!("{targets}\n{}", log_tail()))
    });
    let success = r#"accelerator_runs_total{outcome="success"}"#;
    let before = wait_for("the first samples", Duration::from_secs(30), || {
        prom_value(&prom, success)
    });
    assert_eq!(before, 0.0, "pre-initialised outcome");

    let reply = http("POST", &accelerator.addr, "/start", &[], "");
    assert_eq!(
        (reply.status, reply.json()["run_id"].clone()),
        (202, json!(1))
    );
    // 30 s of beam time at 20x: the fill ends after 1.5 s of wall time.
    wait_for(
        "the successful run in Prometheus",
        Duration::from_secs(30),
        || {
            accelerator.guard.assert_running();
            match prom_value(&prom, success)? {
                v if v > before => Ok(()),
                v => Err(format!("still {v}")),
            }
        },
    );
    assert_eq!(
        prom_value(&prom, "accelerator_ramp_duration_seconds_count"),
        Ok(1.0)
    );
    let ramp = prom_value(&prom, "accelerator_ramp_duration_seconds_sum").unwrap();
    assert!((ramp - 25.21).abs() < 0.1, "ramp {ramp}");

    let names = get(&prom, "/api/v1/label/__name__/values").json();
    let names: Vec<&str> = names["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // From protobuf, Prometheus 2.42 keeps created timestamps out of the
    // series, and stores the gauge histogram (which text exposes as
    // `_bucket`, `_gcount`, `_gsum`) as one histogram series under its
    // family name.
    let expected: Vec<&str> = if native_histograms {
        FAMILIES
            .iter()
            .chain(&EXTRA_SERIES)
            .copied()
            .filter(|n| !n.ends_with("_created") && !n.starts_with(GAUGE_HISTOGRAM))
            .chain([GAUGE_HISTOGRAM])
            .collect()
    } else {
        FAMILIES.iter().chain(&EXTRA_SERIES).copied().collect()
    };
    let missing: Vec<&str> = expected
        .into_iter()
        .filter(|family| !names.contains(family))
        .collect();
    assert!(
        missing.is_empty(),
        "not ingested: {missing:?}\nall: {names:?}"
    );

    let info = get(
        &prom,
        &format!("/api/v1/query?query={}", encode("accelerator_build_info")),
    );
    let labels = &info.json()["data"]["result"][0]["metric"];
    assert_eq!(labels["version"], env!("CARGO_PKG_VERSION"));

    // Exemplars survive the trip: the run_id of the finished run.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let path = format!(
        "/api/v1/query_exemplars?query={}&start={}&end={}",
        encode(success),
        now - 300,
        now + 60
    );
    wait_for("the runs_total exemplar", Duration::from_secs(10), || {
        let exemplars = get(&prom, &path).json();
        let text = exemplars.to_string();
        text.contains(r#""run_id":"1""#).then_some(()).ok_or(text)
    });
}

// ---- (2) Chromium ----------------------------------------------------------

/// A DevTools protocol connection to one page.
struct DevTools {
    socket: tungstenite::WebSocket<TcpStream>,
    next_id: u64,
}

impl DevTools {
    fn connect(url: &str) -> DevTools {
        let rest = url.strip_prefix("ws://").expect("a ws:// url");
        let host = rest.split('/').next().unwrap();
        let stream = TcpStream::connect(host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let (socket, _) = tungstenite::client(url, stream).expect("devtools handshake");
        DevTools { socket, next_id: 1 }
    }

    /// Sends a command and returns its `result`, skipping events.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(tungstenite::Message::text(message.to_string()))
            .unwrap();
        loop {
            let reply = self.socket.read().expect("devtools read");
            let Ok(text) = reply.to_text() else { continue };
            let Ok(value) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            if value["id"] == id {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
        }
    }

    fn eval(&mut self, expression: &str) -> Value {
        let params = json!({ "expression": expression, "returnByValue": true });
        let result = self.call("Runtime.evaluate", params);
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .map(value)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let bits = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &d)| acc | u32::from(d) << (18 - 6 * i));
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[test]
fn chromium_starts_a_run_from_the_page() {
    let Some(bin) = accelerator_bin() else { return };
    let Some(chromium) = require("Debian's chromium", PathBuf::from("/usr/bin/chromium")) else {
        return;
    };
    let accelerator = start_accelerator(&bin, 35.0, 4.0);
    let profile = TempDir::new("chromium");
    let url = format!("http://{}/", accelerator.addr);
    let mut browser = Guard::spawn(
        "chromium",
        Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1200,960",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.0.display()))
            .arg(&url)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );

    let port_file = profile.0.join("DevToolsActivePort");
    let port = wait_for("DevToolsActivePort", Duration::from_secs(60), || {
        browser.assert_running();
        let text = fs::read_to_string(&port_file).map_err(|e| e.to_string())?;
        text.lines()
            .next()
            .and_then(|l| l.trim().parse::<u16>().ok())
            .ok_or(text)
    });
    let devtools = format!("127.0.0.1:{port}");
    let ws = wait_for("the page target", Duration::from_secs(30), || {
        let list = get(&devtools, "/json/list").json();
        list.as_array()
            .into_iter()
            .flatten()
            .find(|t| t["type"] == "page" && t["url"] == url.as_str())
            .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(str::to_owned))
            .ok_or_else(|| list.to_string())
    });
    let mut page = DevTools::connect(&ws);
    let status = "(document.querySelector('#status') || {}).textContent";
    wait_for(
        "the page's first poll",
        Duration::from_secs(30),
        || match page.eval(status).as_str() {
            Some("STOPPED") => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );

    page.eval("document.querySelector('#start').click()");
    wait_for(
        "ACCELERATING on the page",
        Duration::from_secs(10),
        || match page.eval(status).as_str() {
            Some("ACCELERATING") => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    let state = get(&accelerator.addr, "/state").json();
    assert_eq!(
        (state["state"].as_str(), state["run_id"].as_u64()),
        (Some("accelerating"), Some(1))
    );
    // Let the charts fill: past 2 TeV (about 9 s of beam time at 4x).
    wait_for(
        "the energy readout past 2 TeV",
        Duration::from_secs(20),
        || {
            let text = page.eval("document.querySelector('#energy').textContent");
            let tev = text
                .as_str()
                .and_then(|t| t.strip_suffix(" TeV"))
                .and_then(|t| t.parse::<f64>().ok());
            tev.filter(|&e| e > 2.0).ok_or_else(|| text.to_string())
        },
    );
    let abort_enabled = page.eval("!document.querySelector('#abort').disabled");
    assert_eq!(abort_enabled, json!(true));

    let shot = page.call("Page.captureScreenshot", json!({ "format": "png" }));
    let png = decode_base64(shot["data"].as_str().unwrap());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    fs::create_dir_all(target_dir()).unwrap();
    let path = target_dir().join("accelerator-page.png");
    fs::write(&path, &png).unwrap();
    eprintln!("screenshot: {}", path.display());
    drop(page);
    drop(browser);
}

// ---- (3) Python's strict OpenMetrics parser --------------------------------

#[test]
fn openmetrics_output_passes_the_python_parser() {
    let Some(bin) = accelerator_bin() else { return };
    let python = std::env::var_os("BEAMLINE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target/oracle-venv/bin/python3"));
    let Some(python) = require("python with prometheus_client", python) else {
        return;
    };
    let accelerator = start_accelerator(&bin, 35.0, 20.0);
    let addr = &accelerator.addr;
    // A finished run, a quench and some errors: exemplars and labels of
    // every kind in the output.
    assert_eq!(http("POST", addr, "/start", &[], "").status, 202);
    wait_for("the successful run", Duration::from_secs(30), || {
        let state = get(addr, "/state").json();
        (state["last_outcome"] == "success")
            .then_some(())
            .ok_or(state.to_string())
    });
    let put = http("PUT", addr, "/kick_power", &[], r#"{"kick_power": 50}"#);
    assert_eq!(put.status, 200);
    assert_eq!(http("POST", addr, "/start", &[], "").status, 202);
    wait_for("the quench", Duration::from_secs(10), || {
        let state = get(addr, "/state").json();
        (state["state"] == "quenched")
            .then_some(())
            .ok_or(state.to_string())
    });
    assert_eq!(http("PUT", addr, "/kick_power", &[], "{").status, 400);
    assert_eq!(http("GET", addr, "/nope\"\\", &[], "").status, 404);

    let reply = http("GET", addr, "/metrics", &[("Accept", OPENMETRICS)], "");
    assert_eq!(
        (reply.status, reply.header("content-type")),
        (200, Some(OPENMETRICS))
    );
    let text = reply.text();
    assert!(text.ends_with("# EOF\n"));
    let sample_lines = text.lines().filter(|l| !l.starts_with('#')).count();

    let script = "import sys; from prometheus_client.openmetrics.parser import \
                  text_string_to_metric_families as p; fams=list(p(sys.stdin.read())); \
                  print(len(fams), sum(len(f.samples) for f in fams))";
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "parser refused the output: {stderr}\n{text}"
    );
    let counts: Vec<usize> = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    // The parser drops repeated series silently: compare the line count.
    assert_eq!(counts, [FAMILIES.len(), sample_lines], "{text}");
}

/// The shipped `prometheus.yml` loads in Debian's Prometheus 2.42.
#[test]
fn shipped_prometheus_config_loads() {
    let Some(promtool) = require("Debian's promtool", PathBuf::from("/usr/bin/promtool")) else {
        return;
    };
    let config = manifest_dir().join("examples/accelerator/prometheus.yml");
    let out = Command::new(promtool)
        .args(["check", "config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
