//! Bounded families: the series cap with its overflow series and counter,
//! the registry-wide default cap, and idle expiry (what "comes back" means
//! for a handle held past expiry).

mod common;

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
    assert_eq!(f.overflowed(), 10);
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
        Some(10.0)
    );
    assert!(text.contains("# TYPE beamline_overflowed_label_sets counter\n"));
    if let Some(python) = common::python() {
        common::parse_openmetrics(&python, &text).unwrap();
    }

    // Removing a series makes room for a new label set.
    assert!(f.remove(["b", "h"]));
    f.get(["c", "h"]).inc();
    assert_eq!(f.overflowed(), 10);
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
    assert_eq!(folded("svc_hits"), Some(2.0));
    assert_eq!(folded("own"), Some(4.0));
    assert_eq!(folded("early"), None);
    registry.set_default_max_series(None);
    let later = registry
        .register("later", "x", Family::<Counter, 1>::new(["k"]))
        .unwrap();
    assert_eq!(later.max_series(), None);
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
