//! A million distinct hostile label sets against a capped family: the heap
//! stops growing at the cap (measured with dhat), folding allocates
//! nothing, the count of distinct folded label sets stays within its error
//! bound, and every scrape stays valid.
//!
//! The stated bound: past the empty registry, the heap holds at most
//! `CAP + 1` series of at most `2 * (label bytes) + 640` bytes each (the
//! values, their rendered text, and the series' structures), plus, from the
//! first fold, the 6 KiB count of distinct folded label sets; it holds
//! exactly that from the cap on. Before any scrape it never peaks above
//! twice that bound (a table rebuild briefly holds two tables); with the
//! scrapes, and this test's own parsing of them, it stays under 16 MiB.

mod common;

use std::fmt::Write as _;

use beamline::parse::parse_openmetrics;
use beamline::{Counter, Family, Format, Registry, OVERFLOW_LABEL_VALUE};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const CAP: usize = 1000;
const LOOKUPS: usize = 1_000_000;
/// The longest hostile value written by `hostile`, in bytes.
const LONGEST: usize = 1200;
/// What one series may cost besides its label text: the `Series` and its
/// `Arc`, the metric, the index slot and the creation-order entry.
const PER_SERIES: usize = 640;
/// What the count of distinct folded label sets costs: 4096 one-byte
/// registers, 256 eight-byte slots and two words, allocated on the first
/// fold.
const ESTIMATE: usize = 4096 + 2048 + 64;
const PEAK_BOUND: usize = 16 << 20;

/// Writes the `i`-th hostile label set into `user` and `path`: distinct
/// for every `i`, long, Unicode, quotes, backslashes, newlines and control
/// characters, without allocating once the buffers have grown.
fn hostile(i: usize, user: &mut String, path: &mut String) {
    user.clear();
    path.clear();
    match i % 4 {
        0 => {
            for _ in 0..100 {
                user.push_str("\"x\\y\n");
            }
        }
        1 => user.push_str("é🦀\u{202e}\u{0}\u{7}ü\r\t"),
        2 => {
            for _ in 0..90 {
                user.push_str("日本語\u{2028}");
            }
        }
        _ => user.push_str("} 1\n# EOF\n"),
    }
    write!(user, "#{i}").unwrap();
    writeln!(path, "/{}\"{i}\"", i % 7).unwrap();
    debug_assert!(user.len() + path.len() <= LONGEST);
}

fn scrape(registry: &Registry) -> String {
    String::from_utf8(registry.encode_to_vec(Format::OpenMetricsText)).unwrap()
}

#[test]
fn a_million_hostile_label_sets_stop_at_the_cap() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let python = common::python();
    let registry = Registry::new();
    let family = registry
        .register(
            "requests",
            "Requests by user and path.",
            Family::<Counter, 2>::new(["user", "path"]).with_max_series(CAP),
        )
        .unwrap();
    let (mut user, mut path) = (String::with_capacity(2048), String::with_capacity(256));
    drop(scrape(&registry));
    let empty = dhat::HeapStats::get().curr_bytes;

    let mut label_bytes = 0;
    for i in 0..CAP {
        hostile(i, &mut user, &mut path);
        label_bytes += user.len() + path.len();
        family.get([user.as_str(), path.as_str()]).inc();
    }
    let full = dhat::HeapStats::get().curr_bytes;
    let bound = (CAP + 1) * PER_SERIES + 2 * (label_bytes + 2 * LONGEST);
    assert!(
        full - empty <= bound,
        "{} bytes for {CAP} series, bound {bound}",
        full - empty
    );

    // The first fold creates the overflow series, which allocates once.
    hostile(CAP, &mut user, &mut path);
    family.with([user.as_str(), path.as_str()], Counter::inc);
    let capped = dhat::HeapStats::get().curr_bytes;
    assert!(
        capped - empty <= bound + ESTIMATE,
        "{} bytes once folding, bound {}",
        capped - empty,
        bound + ESTIMATE
    );
    let mut scrapes = 0;
    let mut folding_allocations = 0;
    let mut library_peak = None;
    for start in (CAP + 1..LOOKUPS).step_by(LOOKUPS / 4) {
        let before = dhat::HeapStats::get().total_blocks;
        for i in start..(start + LOOKUPS / 4).min(LOOKUPS) {
            hostile(i, &mut user, &mut path);
            family.with([user.as_str(), path.as_str()], Counter::inc);
        }
        folding_allocations += dhat::HeapStats::get().total_blocks - before;
        // Series that existed before the cap keep working.
        hostile(3, &mut user, &mut path);
        family.with([user.as_str(), path.as_str()], Counter::inc);
        library_peak.get_or_insert(dhat::HeapStats::get().max_bytes - empty);

        let text = scrape(&registry);
        let exposition = parse_openmetrics(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            exposition.family("requests").unwrap().samples.len(),
            2 * (CAP + 1)
        );
        if let Some(python) = &python {
            common::parse_openmetrics(python, &text).expect("Python reads the scrape");
        }
        scrapes += 1;
    }
    // Every label set past the first CAP was folded, each once: as many
    // distinct label sets as folded lookups.
    let folded = (LOOKUPS - CAP) as u64;
    assert_eq!(folding_allocations, 0, "folding allocates nothing");
    assert_eq!(family.len(), CAP + 1);
    assert_eq!(family.get([OVERFLOW_LABEL_VALUE; 2]).get(), folded);
    // A standard error of 1.6%: 10% is more than 6 of them, whatever the
    // family's random hash seed.
    let counted = family.overflowed();
    let error = (counted as f64 - folded as f64) / folded as f64;
    assert!(error.abs() <= 0.10, "{counted} counted for {folded} folded");
    hostile(3, &mut user, &mut path);
    assert_eq!(
        family.get([user.as_str(), path.as_str()]).get(),
        1 + scrapes
    );

    let text = scrape(&registry);
    let exposition = parse_openmetrics(&text).unwrap();
    let counted = exposition
        .sample(
            "beamline_overflowed_label_sets_total",
            &[("family", "requests")],
        )
        .unwrap();
    assert_eq!(counted.value, family.overflowed() as f64);
    drop(exposition);
    drop(text);

    let end = dhat::HeapStats::get();
    let library_peak = library_peak.unwrap();
    eprintln!(
        "cardinality: {LOOKUPS} label sets, cap {CAP}: {} B for the series \
         ({label_bytes} B of label text, bound {bound} B), {} B for the first fold, \
         {} B at the end; peak above \
         the empty registry {library_peak} B before scraping, {} B with {scrapes} scrapes; \
         {} distinct folded label sets counted for {folded} ({:+.2}%)",
        full - empty,
        capped - full,
        end.curr_bytes - empty,
        end.max_bytes - empty,
        family.overflowed(),
        error * 100.0,
    );
    assert_eq!(end.curr_bytes, capped, "no growth past the cap");
    assert!(
        library_peak <= 2 * bound,
        "peak {library_peak} before scraping"
    );
    assert!(end.max_bytes - empty < PEAK_BOUND, "peak {}", end.max_bytes);
}
