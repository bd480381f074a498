//! Every registration rule, each with the error it must produce.

use beamline::{
    Buckets, Counter, Error, Family, FloatGauge, Gauge, GaugeHistogram, Histogram, Info, Registry,
    StateSet, Summary,
};

#[test]
fn rejects_invalid_metric_names() {
    let r = Registry::new();
    for name in ["", "9lives", "a-b", "a b", "é", "a{b}"] {
        assert_eq!(
            r.register(name, "", Gauge::new()).unwrap_err(),
            Error::InvalidMetricName { name: name.into() }
        );
    }
    assert!(r.register("ns:sub_name", "", Gauge::new()).is_ok());
}

#[test]
fn rejects_invalid_label_names() {
    let r = Registry::new();
    let err = r
        .register("a", "", Family::<Gauge, 1>::new(["a-b"]))
        .unwrap_err();
    assert_eq!(err, Error::InvalidLabelName { name: "a-b".into() });
    let err = r
        .register("b", "", Family::<Gauge, 1>::new(["a:b"]))
        .unwrap_err();
    assert_eq!(err, Error::InvalidLabelName { name: "a:b".into() });
}

#[test]
fn rejects_duplicate_label_names() {
    let r = Registry::new();
    let err = r
        .register("a", "", Family::<Gauge, 2>::new(["x", "x"]))
        .unwrap_err();
    assert_eq!(err, Error::DuplicateLabelName { name: "x".into() });
    let sub = r.sub_registry("", &[("x", "1")]).unwrap();
    let err = sub
        .register("b", "", Family::<Gauge, 1>::new(["x"]))
        .unwrap_err();
    assert_eq!(err, Error::DuplicateLabelName { name: "x".into() });
}

#[test]
fn rejects_reserved_label_names() {
    let r = Registry::new();
    let le = Family::<Histogram, 1>::with_template(["le"], Histogram::new(Buckets::default()));
    assert!(matches!(
        r.register("h", "", le).unwrap_err(),
        Error::ReservedLabelName { name, .. } if name == "le"
    ));
    let gh =
        Family::<GaugeHistogram, 1>::with_template(["le"], GaugeHistogram::new(Buckets::default()));
    assert!(matches!(
        r.register("gh", "", gh).unwrap_err(),
        Error::ReservedLabelName { name, .. } if name == "le"
    ));
    assert!(matches!(
        r.register("s", "", Family::<Summary, 1>::new(["quantile"])).unwrap_err(),
        Error::ReservedLabelName { name, .. } if name == "quantile"
    ));
    let own = Family::<StateSet, 1>::with_template(["state"], StateSet::new(&["a"]));
    assert!(matches!(
        r.register("state", "", own).unwrap_err(),
        Error::ReservedLabelName { name, .. } if name == "state"
    ));
    assert!(matches!(
        r.register("c", "", Family::<Counter, 1>::new(["__meta"])).unwrap_err(),
        Error::ReservedLabelName { name, .. } if name == "__meta"
    ));
    // `le` is an ordinary label elsewhere.
    assert!(r.register("g", "", Family::<Gauge, 1>::new(["le"])).is_ok());
}

#[test]
fn units_must_be_the_name_suffix() {
    let r = Registry::new();
    assert_eq!(
        r.register_with_unit("latency", "", "seconds", FloatGauge::new())
            .unwrap_err(),
        Error::UnitNotSuffix {
            name: "latency".into(),
            unit: "seconds".into()
        }
    );
    assert_eq!(
        r.register_with_unit("latency_seconds", "", "sec onds", FloatGauge::new())
            .unwrap_err(),
        Error::InvalidUnit {
            unit: "sec onds".into()
        }
    );
    assert!(r
        .register_with_unit("latency_seconds", "", "seconds", FloatGauge::new())
        .is_ok());
}

#[test]
fn info_and_stateset_take_no_unit() {
    let r = Registry::new();
    assert_eq!(
        r.register_with_unit("build_bytes", "", "bytes", Info::new(&[]))
            .unwrap_err(),
        Error::UnitNotAllowed {
            name: "build_bytes".into(),
            metric_type: "info"
        }
    );
    assert_eq!(
        r.register_with_unit("mode_bytes", "", "bytes", StateSet::new(&["a"]))
            .unwrap_err(),
        Error::UnitNotAllowed {
            name: "mode_bytes".into(),
            metric_type: "stateset"
        }
    );
}

#[test]
fn counters_named_with_total_are_refused() {
    let r = Registry::new();
    assert_eq!(
        r.register("requests_total", "", Counter::new())
            .unwrap_err(),
        Error::CounterTotalSuffix {
            name: "requests_total".into()
        }
    );
    assert!(r.register("requests", "", Counter::new()).is_ok());
}

#[test]
fn family_names_are_unique() {
    let r = Registry::new();
    r.register("a", "", Gauge::new()).unwrap();
    assert_eq!(
        r.register("a", "", Counter::new()).unwrap_err(),
        Error::DuplicateFamily { name: "a".into() }
    );
}

/// Registers one kind of family under a name.
type Registrar = fn(&Registry, &str) -> Result<(), Error>;

#[test]
fn sample_names_must_not_collide() {
    let cases: [(&str, &str, &str); 4] = [
        ("foo", "foo_count", "foo_count"),
        ("foo", "foo_total", "foo_total"),
        ("foo", "foo_info", "foo_info"),
        ("foo", "foo_created", "foo_created"),
    ];
    let first: [Registrar; 4] = [
        |r, n| {
            r.register(n, "", Histogram::new(Buckets::default()))
                .map(drop)
        },
        |r, n| r.register(n, "", Counter::new()).map(drop),
        |r, n| r.register(n, "", Info::new(&[])).map(drop),
        |r, n| r.register(n, "", Summary::new()).map(drop),
    ];
    for ((owner, gauge, sample), register) in cases.into_iter().zip(first) {
        let r = Registry::new();
        register(&r, owner).unwrap();
        assert_eq!(
            r.register(gauge, "", Gauge::new()).unwrap_err(),
            Error::SampleNameCollision {
                name: gauge.into(),
                sample: sample.into(),
                existing: owner.into()
            }
        );
    }
    // A gauge histogram is a histogram in Prometheus text, with `_count`.
    let r = Registry::new();
    r.register("gh", "", GaugeHistogram::new(Buckets::default()))
        .unwrap();
    assert!(matches!(
        r.register("gh_count", "", Gauge::new()).unwrap_err(),
        Error::SampleNameCollision { .. }
    ));
    // The other order collides too.
    let r = Registry::new();
    r.register("bar_count", "", Gauge::new()).unwrap();
    assert!(matches!(
        r.register("bar", "", Histogram::new(Buckets::default()))
            .unwrap_err(),
        Error::SampleNameCollision { .. }
    ));
}

#[test]
fn invalid_buckets_are_refused() {
    assert_eq!(
        Buckets::new([]).unwrap_err(),
        Error::InvalidBuckets {
            index: None,
            reason: "the list is empty"
        }
    );
    assert!(matches!(
        Buckets::new([1.0, f64::INFINITY]).unwrap_err(),
        Error::InvalidBuckets { index: Some(1), .. }
    ));
    assert!(matches!(
        Buckets::new([f64::NAN]).unwrap_err(),
        Error::InvalidBuckets { index: Some(0), .. }
    ));
    assert!(matches!(
        Buckets::new([3.0, 2.0]).unwrap_err(),
        Error::InvalidBuckets { index: Some(1), .. }
    ));
}

#[test]
fn state_set_names_must_be_label_names() {
    let r = Registry::new();
    assert_eq!(
        r.register("lab:state", "", StateSet::new(&["a"]))
            .unwrap_err(),
        Error::StateSetName {
            name: "lab:state".into()
        }
    );
}

#[test]
fn state_sets_need_distinct_states() {
    let r = Registry::new();
    assert!(matches!(
        r.register("s", "", StateSet::new(&[])).unwrap_err(),
        Error::InvalidStates { .. }
    ));
    assert_eq!(
        r.register("t", "", StateSet::new(&["a", "b", "a"]))
            .unwrap_err(),
        Error::InvalidStates {
            state: "a".into(),
            reason: "states must be distinct"
        }
    );
}

#[test]
fn info_label_names_are_validated() {
    let r = Registry::new();
    assert_eq!(
        r.register("i", "", Info::new(&[("bad-name", "x")]))
            .unwrap_err(),
        Error::InvalidLabelName {
            name: "bad-name".into()
        }
    );
}

#[test]
fn sub_registries_validate_the_prefixed_name() {
    let r = Registry::new();
    let sub = r.sub_registry("lab", &[]).unwrap();
    sub.register("kicks", "", Counter::new()).unwrap();
    // The full name is what collides.
    assert_eq!(
        r.register("lab_kicks", "", Counter::new()).unwrap_err(),
        Error::DuplicateFamily {
            name: "lab_kicks".into()
        }
    );
    assert_eq!(
        sub.register("kicks_total", "", Counter::new()).unwrap_err(),
        Error::CounterTotalSuffix {
            name: "lab_kicks_total".into()
        }
    );
    assert_eq!(
        r.sub_registry("9lab", &[]).unwrap_err(),
        Error::InvalidPrefix {
            prefix: "9lab".into()
        }
    );
    assert!(matches!(
        r.sub_registry("ok", &[("__x", "1")]).unwrap_err(),
        Error::ReservedLabelName { .. }
    ));
    // A prefix may start the name even when the rest starts with a digit.
    assert!(sub.register("9th", "", Gauge::new()).is_ok());
}

#[test]
fn a_failed_registration_registers_nothing() {
    let r = Registry::new();
    r.register("a", "", Counter::new()).unwrap();
    let _ = r.register("a_total", "", Gauge::new());
    let text = String::from_utf8(r.encode_to_vec(beamline::Format::PrometheusText)).unwrap();
    assert_eq!(text.matches("# TYPE").count(), 1);
}

#[test]
fn error_messages_name_the_input() {
    let msg = Error::SampleNameCollision {
        name: "foo_count".into(),
        sample: "foo_count".into(),
        existing: "foo".into(),
    }
    .to_string();
    assert_eq!(
        msg,
        "metric family `foo_count` would expose the sample name `foo_count`, \
         which family `foo` already exposes"
    );
}
