//! `negotiate` never panics, and always answers a format whose content type
//! is one beamline serves.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let header = String::from_utf8_lossy(data);
    let format = beamline::negotiate(Some(&header));
    assert!(!format.content_type().is_empty());
});
