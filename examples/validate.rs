//! Checks an exposition against the OpenMetrics 1.0 text format, or the
//! Prometheus text format 0.0.4 with `--prometheus`.
//!
//! Usage: `validate [--prometheus] [FILE]`, where `FILE` defaults to `-`, the
//! standard input. Exits 0 with a one-line summary when the exposition is
//! valid, 1 with the first broken rule on standard error when it is not, and
//! 2 when the input cannot be read.

use std::io::Read;
use std::process::ExitCode;

use beamline::parse::{parse_openmetrics, parse_prometheus};

const USAGE: &str = "usage: validate [--prometheus] [FILE | -]";

fn main() -> ExitCode {
    let mut prometheus = false;
    let mut path: Option<String> = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--prometheus" => prometheus = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if path.is_none() => path = Some(arg),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }

    let path = path.unwrap_or_else(|| "-".to_owned());
    let bytes = match read_input(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let format = if prometheus {
        "Prometheus text 0.0.4"
    } else {
        "OpenMetrics"
    };

    // Both formats are UTF-8; report where the encoding breaks.
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(valid.get(start..).unwrap_or_default())
                .chars()
                .count()
                + 1;
            eprintln!("invalid {format}: line {line}, column {column}: invalid utf-8");
            return ExitCode::FAILURE;
        }
    };

    let parsed = if prometheus {
        parse_prometheus(text)
    } else {
        parse_openmetrics(text)
    };
    match parsed {
        Ok(exposition) => {
            println!(
                "valid {format}: {} families, {} samples",
                exposition.families.len(),
                exposition.sample_count()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("invalid {format}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read_input(path: &str) -> std::io::Result<Vec<u8>> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(path)
    }
}
