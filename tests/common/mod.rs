//! Shared helpers for the integration tests: locating the independent
//! checkers (Python's strict OpenMetrics parser, promtool) and running them.
//!
//! A checker that is missing fails the test when `CI` is set; elsewhere the
//! test says so on stderr and returns early.

#![allow(dead_code, reason = "each test file uses a different subset")]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

pub(crate) mod gen;

/// Returns whether the tests run in CI, where every checker must be present.
pub(crate) fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// Reports a missing tool: panics in CI, returns `None` elsewhere.
pub(crate) fn missing<T>(what: &str) -> Option<T> {
    assert!(
        !in_ci(),
        "{what} is required in CI but missing; `bash .ci/test` installs it"
    );
    eprintln!("skipping: {what} is missing (run `bash .ci/test` to install it)");
    None
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python interpreter that has `prometheus_client`.
pub(crate) fn python() -> Option<PathBuf> {
    let path = std::env::var_os("BEAMLINE_PYTHON").map_or_else(
        || manifest_dir().join("target/oracle-venv/bin/python3"),
        PathBuf::from,
    );
    let ok = Command::new(&path)
        .args(["-c", "import prometheus_client.openmetrics.parser"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(path)
    } else {
        missing(&format!(
            "Python with prometheus_client ({})",
            path.display()
        ))
    }
}

/// One sample as Python's parser read it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PySample {
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) value: f64,
    pub(crate) timestamp: Option<f64>,
    pub(crate) exemplar: Option<(BTreeMap<String, String>, f64)>,
}

/// One family as Python's parser read it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PyFamily {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) unit: String,
    pub(crate) help: String,
    pub(crate) samples: Vec<PySample>,
}

fn float(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a float repr: {v}"))
}

fn labels(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Parses `text` with Python's strict OpenMetrics parser. `Err` carries the
/// parser's message. Also checks that no sample line was dropped silently.
pub(crate) fn parse_openmetrics(python: &PathBuf, text: &str) -> Result<Vec<PyFamily>, String> {
    let script = manifest_dir().join("tests/oracle/openmetrics.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(text.as_bytes())
        .expect("python reads stdin");
    let output = child.wait_with_output().expect("python finishes");
    assert!(output.status.success(), "the oracle script failed");
    let json: Value = serde_json::from_slice(&output.stdout).expect("the oracle prints JSON");
    if let Some(error) = json.get("error") {
        return Err(error.as_str().unwrap_or_default().to_owned());
    }
    let families: Vec<PyFamily> = json["families"]
        .as_array()
        .expect("families")
        .iter()
        .map(|f| PyFamily {
            name: f["name"].as_str().unwrap_or_default().into(),
            kind: f["type"].as_str().unwrap_or_default().into(),
            unit: f["unit"].as_str().unwrap_or_default().into(),
            help: f["help"].as_str().unwrap_or_default().into(),
            samples: f["samples"]
                .as_array()
                .expect("samples")
                .iter()
                .map(|s| PySample {
                    name: s["name"].as_str().unwrap_or_default().into(),
                    labels: labels(&s["labels"]),
                    value: float(&s["value"]),
                    timestamp: s["timestamp"].as_str().map(|_| float(&s["timestamp"])),
                    exemplar: s["exemplar"]
                        .as_object()
                        .map(|e| (labels(&e["labels"]), float(&e["value"]))),
                })
                .collect(),
        })
        .collect();
    let parsed: usize = families.iter().map(|f| f.samples.len()).sum();
    let lines = json["sample_lines"].as_u64().expect("sample_lines");
    assert_eq!(
        parsed as u64, lines,
        "the parser dropped repeated sample lines:\n{text}"
    );
    Ok(families)
}

/// The `promtool` binary, from Debian's `prometheus` package.
pub(crate) fn promtool() -> Option<PathBuf> {
    let path =
        PathBuf::from(std::env::var_os("BEAMLINE_PROMTOOL").unwrap_or_else(|| "promtool".into()));
    let ok = Command::new(&path)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(path)
    } else {
        missing("promtool (Debian package `prometheus`)")
    }
}

/// Runs `promtool check metrics` on `text`; returns its exit code and output.
pub(crate) fn promtool_check(promtool: &PathBuf, text: &str) -> (i32, String) {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(text.as_bytes())
        .expect("promtool reads stdin");
    let out = child.wait_with_output().expect("promtool finishes");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// The `protoc` binary (Debian's `protobuf-compiler`; `libprotobuf-dev`
/// provides the `google/protobuf/timestamp.proto` both schemas import).
/// Missing, it fails the test when `CI` or `BEAMLINE_REQUIRE_PROTOC` is set.
pub(crate) fn protoc() -> Option<PathBuf> {
    let path =
        PathBuf::from(std::env::var_os("BEAMLINE_PROTOC").unwrap_or_else(|| "protoc".into()));
    let ok = Command::new(&path)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let timestamp = Path::new("/usr/include/google/protobuf/timestamp.proto").exists();
    if ok && timestamp {
        return Some(path);
    }
    let what = "protoc with timestamp.proto (Debian packages `protobuf-compiler`, \
                `libprotobuf-dev`)";
    assert!(
        std::env::var_os("BEAMLINE_REQUIRE_PROTOC").is_none(),
        "{what} is required (BEAMLINE_REQUIRE_PROTOC is set) but missing"
    );
    missing(what)
}

/// Decodes one binary `message` with `protoc --decode`, reading the schema
/// `proto` from `src/encoding/proto`, and returns protoc's text form.
///
/// # Panics
///
/// When protoc cannot read the bytes as that message.
pub(crate) fn protoc_decode(protoc: &Path, message: &str, proto: &str, bytes: &[u8]) -> String {
    let mut child = Command::new(protoc)
        .arg(format!("--decode={message}"))
        .arg("-I")
        .arg(manifest_dir().join("src/encoding/proto"))
        .args(["-I", "/usr/include", proto])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("protoc starts");
    // Written from another thread: input and output may both exceed a
    // pipe's buffer.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("protoc finishes");
    writer
        .join()
        .expect("the writer thread ends")
        .expect("protoc reads stdin");
    assert!(
        out.status.success(),
        "protoc cannot decode {message}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("protoc prints UTF-8")
}

/// Returns `path` when the file exists; otherwise reports `what` missing
/// (see [`missing`]).
pub(crate) fn require_file(what: &str, path: PathBuf) -> Option<PathBuf> {
    if path.is_file() {
        Some(path)
    } else {
        missing(&format!("{what} ({})", path.display()))
    }
}

/// The release build of the accelerator example, which `.ci/test` builds:
/// `BEAMLINE_ACCELERATOR_BIN`, else under `CARGO_TARGET_DIR` or `target/`.
pub(crate) fn accelerator_bin() -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| manifest_dir().join("target"), |d| manifest_dir().join(d));
    let path = std::env::var_os("BEAMLINE_ACCELERATOR_BIN").map_or_else(
        || target.join("release/examples/accelerator"),
        PathBuf::from,
    );
    require_file(
        "the accelerator example (`cargo build --release --example accelerator`)",
        path,
    )
}
