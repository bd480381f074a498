//! Summaries with quantiles: rendering, families, timers, the window.

mod common;

use std::sync::Arc;
use std::time::Duration;

use beamline::quantile::{ManualClock, SketchConfig};
use beamline::{Family, Format, Observe, Registry, Summary};

fn text(r: &Registry, format: Format) -> String {
    String::from_utf8(r.encode_to_vec(format)).unwrap()
}

#[test]
fn quantiles_render_in_both_text_formats_and_pass_the_checkers() {
    let r = Registry::new();
    let latency = r
        .register_with_unit(
            "latency_seconds",
            "Latency.",
            "seconds",
            Family::<Summary, 1>::with_template(
                ["route"],
                Summary::with_quantiles(&[0.5, 0.9, 0.99]).unwrap(),
            ),
        )
        .unwrap();
    let state = latency.get(["/state"]);
    for i in 1..=1000 {
        state.observe(f64::from(i) / 1000.0);
    }
    // A series created later has its own, empty window.
    latency.get(["/idle"]);

    let om = text(&r, Format::OpenMetricsText);
    let q50: f64 = om
        .lines()
        .find_map(|l| l.strip_prefix("latency_seconds{route=\"/state\",quantile=\"0.5\"} "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((q50 - 0.5).abs() <= 0.5 * 0.01, "{q50}");
    assert!(
        om.contains("latency_seconds{route=\"/idle\",quantile=\"0.99\"} NaN\n"),
        "{om}"
    );
    assert!(om.contains("latency_seconds_count{route=\"/state\"} 1000\n"));

    beamline::parse::parse_openmetrics(&om).expect("beamline's parser accepts");
    if let Some(python) = common::python() {
        let families = common::parse_openmetrics(&python, &om).expect("Python's parser accepts");
        assert_eq!(families[0].kind, "summary");
        let quantile_samples = families[0]
            .samples
            .iter()
            .filter(|s| s.labels.contains_key("quantile"))
            .count();
        assert_eq!(quantile_samples, 6);
    }
    let prom = text(&r, Format::PrometheusText);
    assert!(prom.contains("latency_seconds{route=\"/state\",quantile=\"0.9\"} "));
    if let Some(promtool) = common::promtool() {
        let (code, out) = common::promtool_check(&promtool, &prom);
        assert_eq!(code, 0, "{out}\n{prom}");
    }
}

#[test]
fn the_timer_guard_feeds_the_quantiles() {
    let s = Summary::with_quantiles(&[0.5]).unwrap();
    s.time(|| std::thread::sleep(Duration::from_millis(2)));
    let q = s.quantiles();
    assert_eq!(s.count(), 1);
    assert!(q[0].1 >= 0.002 * 0.99, "{q:?}");
}

#[test]
fn old_observations_leave_the_window_but_count_and_sum_stay() {
    let clock = Arc::new(ManualClock::new());
    let config = SketchConfig::new(&[0.5])
        .unwrap()
        .with_max_age(Duration::from_secs(60))
        .unwrap()
        .with_age_buckets(3)
        .unwrap();
    let s = Summary::with_config_and_clock(config, clock.clone());
    s.observe(100.0);
    clock.advance(Duration::from_secs(30));
    s.observe(1.0);
    // The median of {1, 100} is the first rank: 1.
    let q = s.quantiles()[0].1;
    assert!((q - 1.0).abs() <= 0.01, "{q}");
    clock.advance(Duration::from_secs(61));
    // Both observations are older than the window now.
    assert!(s.quantiles()[0].1.is_nan());
    assert_eq!(s.count(), 2);
    assert_eq!(s.sum(), 101.0);
    s.observe(7.0);
    let q = s.quantiles()[0].1;
    assert!((q - 7.0).abs() <= 0.07, "{q}");
}

#[test]
fn invalid_configurations_are_typed_errors() {
    for bad in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(matches!(
            Summary::with_quantiles(&[bad]),
            Err(beamline::Error::InvalidSummary { .. })
        ));
    }
    assert!(matches!(
        Summary::with_quantiles(&[0.5, 0.5]),
        Err(beamline::Error::InvalidSummary { .. })
    ));
}

#[test]
fn negative_quantiles_stay_out_of_openmetrics_text() {
    let r = Registry::new();
    let s = r
        .register("delta", "", Summary::with_quantiles(&[0.1, 0.9]).unwrap())
        .unwrap();
    for v in [-5.0, -4.0, 3.0, 1e9] {
        s.observe(v);
    }
    let om = text(&r, Format::OpenMetricsText);
    assert!(!om.contains("delta{quantile=\"0.1\"}"), "{om}");
    assert!(om.contains("delta{quantile=\"0.9\"} "), "{om}");
    beamline::parse::parse_openmetrics(&om).expect("valid OpenMetrics");
    if let Some(python) = common::python() {
        common::parse_openmetrics(&python, &om).expect("Python accepts");
    }
    assert!(text(&r, Format::PrometheusText).contains("delta{quantile=\"0.1\"} -"));
}
