//! The parsers never panic on any input, and what the OpenMetrics parser
//! accepts, written back as OpenMetrics text, parses again to the same
//! exposition.
#![no_main]

use beamline::parse::{parse_openmetrics, parse_prometheus};
use beamline_fuzz::render;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_prometheus(&text);
    let Ok(first) = parse_openmetrics(&text) else {
        return;
    };
    let written = render::openmetrics(&first);
    let again = parse_openmetrics(&written).unwrap_or_else(|e| {
        panic!("an accepted exposition, written back, is rejected: {e}\ninput:\n{text}\nwritten:\n{written}")
    });
    if let Some(difference) = render::difference(&first, &again) {
        panic!("reparse differs: {difference}\ninput:\n{text}\nwritten:\n{written}");
    }
});
