//! Bounded families: the series cap with its overflow series and its count
//! of distinct folded label sets, the registry-wide default cap, and idle
//! expiry (what "comes back" means for a handle held past expiry).
//!
//! The count is exact up to 256 folded label sets and an estimate past
//! that. Its hashes are seeded at random per family, so every bound on the
//! estimate here holds for all but a vanishing share of seeds (each below
//! one in a million), not just for the seeds of one run.

mod common;

use std::fmt::Write as _;
use std::thread::sleep;
use std::time::Duration;

use beamline::parse::parse_openmetrics;
use beamline::{Counter, Error, Family, Format, Gauge, Info, Registry, OVERFLOW_LABEL_VALUE};

fn om(registry: &Registry) -> String {
    let text = String::from_utf8(registry.encode_to_vec(Format::OpenMetricsText)).unwrap();
    parse_openmetrics(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    text
}

fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let exposition = parse_openmetrics(text).unwrap();
    exposition.sample(name, labels).map(|s| s.value)
}

#[test]
fn past_the_cap_label_sets_fold_and_are_counted() {
    let registry = Registry::new();
    let f = registry
        .register(
            "jobs",
            "Jobs by queue.",
            Family::<Counter, 2>::new(["queue", "host"]).with_max_series(2),
        )
        .unwrap();
    f.get(["a", "h"]).inc();
    f.get(["b", "h"]).inc();
    for i in 0..10 {
        f.get([format!("spam{i}").as_str(), "h"]).inc_by(2);
    }
    f.get(["a", "h"]).inc();
    assert_eq!(f.len(), 3);
    let counted = f.overflowed();
    assert_eq!(counted, 10);
    let text = om(&registry);
    let overflow = [
        ("queue", OVERFLOW_LABEL_VALUE),
        ("host", OVERFLOW_LABEL_VALUE),
    ];
    assert_eq!(value(&text, "jobs_total", &overflow), Some(20.0));
    assert_eq!(
        value(&text, "jobs_total", &[("queue", "a"), ("host", "h")]),
        Some(2.0)
    );
    assert_eq!(
        value(
            &text,
            "beamline_overflowed_label_sets_total",
            &[("family", "jobs")]
        ),
        Some(counted as f64)
    );
    assert!(text.contains("# TYPE beamline_overflowed_label_sets counter\n"));
    if let Some(python) = common::python() {
        common::parse_openmetrics(&python, &text).unwrap();
    }

    // Removing a series makes room for a new label set.
    assert!(f.remove(["b", "h"]));
    f.get(["c", "h"]).inc();
    assert_eq!(f.overflowed(), counted, "making room folds nothing");
    let text = om(&registry);
    assert_eq!(
        value(&text, "jobs_total", &[("queue", "c"), ("host", "h")]),
        Some(1.0)
    );
    // The overflow series itself never counts against the cap, and a
    // caller may look it up.
    assert_eq!(f.get([OVERFLOW_LABEL_VALUE; 2]).get(), 20);
}

#[test]
fn the_registry_default_caps_families_without_a_cap_of_their_own() {
    let registry = Registry::new();
    let early = registry
        .register("early", "x", Family::<Gauge, 1>::new(["k"]))
        .unwrap();
    registry.set_default_max_series(Some(3));
    let sub = registry.sub_registry("svc", &[("zone", "a")]).unwrap();
    let defaulted = sub
        .register("hits", "x", Family::<Counter, 1>::new(["k"]))
        .unwrap();
    let own = registry
        .register(
            "own",
            "x",
            Family::<Counter, 1>::new(["k"]).with_max_series(1),
        )
        .unwrap();
    let single = registry.register("single", "x", Counter::new()).unwrap();
    assert_eq!(early.max_series(), None, "only families registered later");
    assert_eq!(defaulted.max_series(), Some(3));
    assert_eq!(own.max_series(), Some(1), "an explicit cap wins");
    for i in 0..5 {
        let k = i.to_string();
        early.get([k.as_str()]).set(1);
        defaulted.get([k.as_str()]).inc();
        own.get([k.as_str()]).inc();
    }
    single.inc();
    assert_eq!((early.len(), defaulted.len(), own.len()), (5, 4, 2));
    let text = om(&registry);
    let folded = |family| {
        value(
            &text,
            "beamline_overflowed_label_sets_total",
            &[("family", family)],
        )
    };
    assert_eq!(folded("svc_hits"), Some(defaulted.overflowed() as f64));
    assert_eq!(folded("own"), Some(own.overflowed() as f64));
    assert_eq!(defaulted.overflowed(), 2);
    assert_eq!(own.overflowed(), 4);
    assert_eq!(folded("early"), None);
    registry.set_default_max_series(None);
    let later = registry
        .register("later", "x", Family::<Counter, 1>::new(["k"]))
        .unwrap();
    assert_eq!(later.max_series(), None);
}

#[test]
fn a_label_set_folded_again_counts_once() {
    let registry = Registry::new();
    let f = registry
        .register(
            "jobs",
            "x",
            Family::<Counter, 1>::new(["q"]).with_max_series(1),
        )
        .unwrap();
    f.get(["own"]).inc();
    for _ in 0..1000 {
        f.get(["again"]).inc();
    }
    f.with(["again"], |c| c.inc_by(5));
    assert_eq!(f.overflowed(), 1);
    assert_eq!(
        f.get([OVERFLOW_LABEL_VALUE]).get(),
        1005,
        "every lookup folds"
    );
    let text = om(&registry);
    let counted = value(
        &text,
        "beamline_overflowed_label_sets_total",
        &[("family", "jobs")],
    );
    assert_eq!(counted, Some(1.0));
}

/// Folds `n` distinct paths (`/item/0`, `/item/1`, ...), each twice, into
/// a new family of cap 0; returns its count.
fn fold_distinct(n: usize) -> u64 {
    let f = Family::<Counter, 1>::new(["path"]).with_max_series(0);
    let mut path = String::new();
    for i in 0..n {
        path.clear();
        write!(path, "/item/{i}").unwrap();
        f.with([path.as_str()], Counter::inc);
        f.with([path.as_str()], Counter::inc);
    }
    assert_eq!(f.len(), 1);
    assert_eq!(f.get([OVERFLOW_LABEL_VALUE]).get(), 2 * n as u64);
    f.overflowed()
}

#[test]
fn folded_label_sets_are_counted_within_the_error_bound() {
    // Up to 256: exact.
    for n in [1, 10, 100, 256] {
        assert_eq!(fold_distinct(n), n as u64);
    }
    // Just past the switch to the estimate: never less than 256, and
    // within 5% (about 4 standard errors).
    for _ in 0..4 {
        let counted = fold_distinct(300);
        assert!((285..=315).contains(&counted), "{counted} for 300");
    }

    // Larger counts: standard errors of 1.1% (at 1000, linear counting)
    // and 1.6% (at 100_000). Each family is held to more than 5 of them,
    // and the mean of four, whose error is half as large, to the same.
    for (n, each, mean) in [(1_000, 0.06, 0.03), (100_000, 0.10, 0.05)] {
        let errors: Vec<f64> = (0..4)
            .map(|_| (fold_distinct(n) as f64 - n as f64) / n as f64)
            .collect();
        eprintln!("{n} folded label sets: relative errors {errors:?}");
        assert!(errors.iter().all(|e| e.abs() <= each), "{errors:?}");
        let average = errors.iter().sum::<f64>() / 4.0;
        assert!(average.abs() <= mean, "{errors:?}");
    }
}

#[test]
fn label_values_a_byte_apart_are_counted_exactly_under_every_seed() {
    // Ten paths a byte apart, in 20 000 families (each with its own hash
    // seed): hashes that differ in few bits must not share a slot of the
    // exact count by more than chance, and never count as one.
    let wrong: Vec<u64> = (0..20_000)
        .map(|_| fold_distinct(10))
        .filter(|&c| c != 10)
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[test]
fn a_taken_overflow_family_name_refuses_the_capped_family() {
    let registry = Registry::new();
    registry
        .register("beamline_overflowed_label_sets", "mine", Gauge::new())
        .unwrap();
    let err = registry
        .register(
            "capped",
            "x",
            Family::<Counter, 1>::new(["k"]).with_max_series(1),
        )
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateFamily { .. }), "{err:?}");
    // Nothing of it was registered: the name is still free.
    registry
        .register("capped", "x", Family::<Counter, 1>::new(["k"]))
        .unwrap();
}

const IDLE: Duration = Duration::from_millis(100);
const PAST_IDLE: Duration = Duration::from_millis(250);

#[test]
fn idle_series_nobody_holds_are_removed_and_come_back_fresh() {
    let registry = Registry::new();
    let f = registry
        .register(
            "jobs",
            "x",
            Family::<Counter, 1>::new(["q"]).with_idle_expiry(IDLE),
        )
        .unwrap();
    f.get(["a"]).inc_by(5);
    f.with(["b"], |c| c.inc_by(7));
    assert_eq!(
        value(&om(&registry), "jobs_total", &[("q", "a")]),
        Some(5.0)
    );
    sleep(PAST_IDLE);
    let text = om(&registry);
    assert_eq!(value(&text, "jobs_total", &[("q", "a")]), None);
    assert_eq!(f.len(), 0);
    // A lookup after removal starts a new series from zero.
    assert_eq!(f.get(["a"]).get(), 0);
}

#[test]
fn a_held_handle_brings_its_series_back_with_its_value() {
    let registry = Registry::new();
    let f = registry
        .register(
            "jobs",
            "x",
            Family::<Counter, 1>::new(["q"]).with_idle_expiry(IDLE),
        )
        .unwrap();
    let held = f.get(["a"]);
    held.inc_by(5);
    om(&registry);
    sleep(PAST_IDLE);
    let text = om(&registry);
    assert_eq!(value(&text, "jobs_total", &[("q", "a")]), None, "hidden");
    assert_eq!(f.len(), 1, "but kept");
    sleep(PAST_IDLE);
    assert_eq!(value(&om(&registry), "jobs_total", &[("q", "a")]), None);
    // An update through the handle: the same series, value kept.
    held.inc();
    assert_eq!(
        value(&om(&registry), "jobs_total", &[("q", "a")]),
        Some(6.0)
    );
    // A lookup through the family finds the same series too.
    sleep(PAST_IDLE);
    assert_eq!(value(&om(&registry), "jobs_total", &[("q", "a")]), None);
    assert_eq!(f.get(["a"]).get(), 6, "a lookup finds the hidden series");
    assert_eq!(
        value(&om(&registry), "jobs_total", &[("q", "a")]),
        Some(6.0)
    );
}

#[test]
fn updates_and_lookups_keep_series_alive() {
    let registry = Registry::new();
    let f = registry
        .register(
            "level",
            "x",
            Family::<Gauge, 1>::new(["q"]).with_idle_expiry(IDLE),
        )
        .unwrap();
    let held = f.get(["by_handle"]);
    f.get(["by_lookup"]).set(1);
    for i in 0..15 {
        held.set(i);
        f.with(["by_lookup"], |_| ());
        let text = om(&registry);
        assert_eq!(value(&text, "level", &[("q", "by_handle")]), Some(i as f64));
        assert_eq!(value(&text, "level", &[("q", "by_lookup")]), Some(1.0));
        sleep(Duration::from_millis(25));
    }
}

#[test]
fn creating_series_expires_idle_ones_without_a_scrape() {
    let f =
        Family::<Info, 1>::with_template(["q"], Info::new(&[("v", "1")])).with_idle_expiry(IDLE);
    for i in 0..10 {
        f.get([i.to_string()]);
    }
    assert_eq!(f.len(), 10);
    sleep(PAST_IDLE);
    f.get(["new"]);
    assert_eq!(f.len(), 1, "infos are removed even while held");
}
