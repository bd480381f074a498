//! The text encoders, byte for byte, and checked by independent parsers.

mod common;

use std::process::Command;

use beamline::{
    Buckets, Counter, CounterFn, Family, FloatCounter, FloatGauge, Format, Gauge, GaugeFn,
    GaugeHistogram, Histogram, Info, Registry, StateSet, Summary, Unknown,
};

fn text(registry: &Registry, format: Format) -> String {
    String::from_utf8(registry.encode_to_vec(format)).unwrap()
}

/// Replaces the clock-dependent numbers (`_created` values, exemplar
/// timestamps) with `T`.
fn normalise(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut line = line.to_owned();
            if !line.starts_with('#') && line.contains("_created") {
                let cut = line.rfind(' ').unwrap();
                line.truncate(cut + 1);
                line.push('T');
            }
            if let Some(pos) = line.find(" # {") {
                let cut = line.rfind(' ').unwrap();
                if cut > pos + 4 {
                    line.truncate(cut + 1);
                    line.push('T');
                }
            }
            line + "\n"
        })
        .collect()
}

#[test]
fn empty_registry_is_eof_alone() {
    let r = Registry::new();
    assert_eq!(text(&r, Format::OpenMetricsText), "# EOF\n");
    assert_eq!(text(&r, Format::PrometheusText), "");
}

fn golden_registry() -> Registry {
    let r = Registry::new();
    let c = r
        .register(
            "jobs",
            "Jobs \"done\"\\ and\nmore.",
            Family::<Counter, 1>::new(["kind"]),
        )
        .unwrap();
    c.get(["a\"b\\c\nd"]).inc_by(3);
    c.get(["plain"])
        .inc_with_exemplar(&[("trace_id", "x\\y\nz")])
        .unwrap();
    assert!(matches!(
        c.get(["plain"]).inc_with_exemplar(&[("trace_id", "x\"y")]),
        Err(beamline::Error::ExemplarQuote { .. })
    ));
    r.register_with_unit("temp_celsius", "Temperature.", "celsius", FloatGauge::new())
        .unwrap()
        .set(-0.0);
    r.register("big", "", Counter::new())
        .unwrap()
        .inc_by(u64::MAX);
    let h = r
        .register(
            "lat",
            "Latency.",
            Histogram::new(Buckets::new([0.5, 1.0, 1e6]).unwrap()),
        )
        .unwrap();
    h.observe(0.25);
    h.observe_with_exemplar(3.0, &[("id", "7")]).unwrap();
    let s = r.register("tick", "Ticks.", Summary::new()).unwrap();
    s.observe(1.5);
    r.register("mode", "Mode.", StateSet::new(&["on", "off"]))
        .unwrap()
        .set_only("off");
    r.register("build", "Build.", Info::new(&[("v", "1")]))
        .unwrap();
    let g = r
        .register(
            "dist",
            "Dist.",
            GaugeHistogram::new(Buckets::new([0.0]).unwrap()),
        )
        .unwrap();
    g.observe(-1.0);
    g.observe(2.0);
    r.register("odd", "Odd.", Unknown::new())
        .unwrap()
        .set(f64::INFINITY);
    r
}

#[test]
fn openmetrics_golden() {
    let expected = concat!(
        "# TYPE jobs counter\n",
        "# HELP jobs Jobs \\\"done\\\"\\\\ and\\nmore.\n",
        "jobs_total{kind=\"a\\\"b\\\\c\\nd\"} 3\n",
        "jobs_created{kind=\"a\\\"b\\\\c\\nd\"} T\n",
        "jobs_total{kind=\"plain\"} 2 # {trace_id=\"x\\\\y\\nz\"} 1.0 T\n",
        "jobs_created{kind=\"plain\"} T\n",
        "# TYPE temp_celsius gauge\n",
        "# UNIT temp_celsius celsius\n",
        "# HELP temp_celsius Temperature.\n",
        "temp_celsius -0.0\n",
        "# TYPE big counter\n",
        "big_total 18446744073709551615\n",
        "big_created T\n",
        "# TYPE lat histogram\n",
        "# HELP lat Latency.\n",
        "lat_bucket{le=\"0.5\"} 1\n",
        "lat_bucket{le=\"1.0\"} 1\n",
        "lat_bucket{le=\"1e+06\"} 2 # {id=\"7\"} 3.0 T\n",
        "lat_bucket{le=\"+Inf\"} 2\n",
        "lat_count 2\n",
        "lat_sum 3.25\n",
        "lat_created T\n",
        "# TYPE tick summary\n",
        "# HELP tick Ticks.\n",
        "tick_count 1\n",
        "tick_sum 1.5\n",
        "tick_created T\n",
        "# TYPE mode stateset\n",
        "# HELP mode Mode.\n",
        "mode{mode=\"on\"} 0\n",
        "mode{mode=\"off\"} 1\n",
        "# TYPE build info\n",
        "# HELP build Build.\n",
        "build_info{v=\"1\"} 1\n",
        "# TYPE dist gaugehistogram\n",
        "# HELP dist Dist.\n",
        "dist_bucket{le=\"0.0\"} 1\n",
        "dist_bucket{le=\"+Inf\"} 2\n",
        "dist_gcount 2\n",
        "dist_gsum 1.0\n",
        "# TYPE odd unknown\n",
        "# HELP odd Odd.\n",
        "odd +Inf\n",
        "# EOF\n",
    );
    assert_eq!(
        normalise(&text(&golden_registry(), Format::OpenMetricsText)),
        expected
    );
}

#[test]
fn prometheus_golden() {
    let expected = concat!(
        "# HELP jobs_total Jobs \"done\"\\\\ and\\nmore.\n",
        "# TYPE jobs_total counter\n",
        "jobs_total{kind=\"a\\\"b\\\\c\\nd\"} 3\n",
        "jobs_total{kind=\"plain\"} 2\n",
        "# HELP temp_celsius Temperature.\n",
        "# TYPE temp_celsius gauge\n",
        "temp_celsius -0.0\n",
        "# TYPE big_total counter\n",
        "big_total 18446744073709551615\n",
        "# HELP lat Latency.\n",
        "# TYPE lat histogram\n",
        "lat_bucket{le=\"0.5\"} 1\n",
        "lat_bucket{le=\"1.0\"} 1\n",
        "lat_bucket{le=\"1e+06\"} 2\n",
        "lat_bucket{le=\"+Inf\"} 2\n",
        "lat_count 2\n",
        "lat_sum 3.25\n",
        "# HELP tick Ticks.\n",
        "# TYPE tick summary\n",
        "tick_count 1\n",
        "tick_sum 1.5\n",
        "# HELP mode Mode.\n",
        "# TYPE mode gauge\n",
        "mode{mode=\"on\"} 0\n",
        "mode{mode=\"off\"} 1\n",
        "# HELP build_info Build.\n",
        "# TYPE build_info gauge\n",
        "build_info{v=\"1\"} 1\n",
        "# HELP dist Dist.\n",
        "# TYPE dist histogram\n",
        "dist_bucket{le=\"0.0\"} 1\n",
        "dist_bucket{le=\"+Inf\"} 2\n",
        "dist_count 2\n",
        "dist_sum 1.0\n",
        "# HELP odd Odd.\n",
        "# TYPE odd untyped\n",
        "odd +Inf\n",
    );
    assert_eq!(text(&golden_registry(), Format::PrometheusText), expected);
}

#[test]
fn two_scrapes_of_an_unchanged_registry_are_identical() {
    let r = golden_registry();
    assert_eq!(
        r.encode_to_vec(Format::OpenMetricsText),
        r.encode_to_vec(Format::OpenMetricsText)
    );
}

#[test]
fn writer_and_bufmut_sinks_match_the_vector() {
    let r = golden_registry();
    let expected = r.encode_to_vec(Format::OpenMetricsText);
    let mut written = Vec::new();
    r.encode(Format::OpenMetricsText, &mut written).unwrap();
    assert_eq!(written, expected);
    let mut buf = bytes::BytesMut::new();
    r.encode_to_buf(Format::OpenMetricsText, &mut buf).unwrap();
    assert_eq!(&buf[..], &expected[..]);
    let mut small = [0u8; 16];
    let err = r
        .encode_to_buf(Format::OpenMetricsText, &mut &mut small[..])
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WriteZero);
}

#[test]
fn panicking_callbacks_cost_only_their_own_sample() {
    let r = Registry::new();
    r.register("before", "", Gauge::new()).unwrap().set(1);
    r.register("boom", "", GaugeFn::new(|| panic!("callback failure")))
        .unwrap();
    r.register("negative", "", CounterFn::new(|| -1.0)).unwrap();
    r.register("after", "", Gauge::new()).unwrap().set(2);
    let om = text(&r, Format::OpenMetricsText);
    assert!(om.contains("before 1\n"), "{om}");
    assert!(om.contains("after 2\n"), "{om}");
    assert!(
        om.contains("# TYPE boom gauge\n# TYPE negative counter\n"),
        "{om}"
    );
    assert!(!om.contains("\nboom "), "{om}");
    assert!(!om.contains("negative_total"), "{om}");
    // The registry still works afterwards.
    r.register("later", "", Gauge::new()).unwrap();
    assert!(text(&r, Format::OpenMetricsText).contains("later 0\n"));
}

#[test]
fn float_counter_refusals_keep_the_exposition_valid() {
    let r = Registry::new();
    let c = r.register("f", "", FloatCounter::new()).unwrap();
    c.inc_by(f64::NAN);
    c.inc_by(-1.0);
    c.inc_by(2.5);
    assert!(text(&r, Format::PrometheusText).contains("f_total 2.5\n"));
}

#[test]
fn openmetrics_output_passes_pythons_strict_parser() {
    let Some(python) = common::python() else {
        return;
    };
    let om = text(&golden_registry(), Format::OpenMetricsText);
    let families = common::parse_openmetrics(&python, &om).expect("the strict parser accepts");
    let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "jobs",
            "temp_celsius",
            "big",
            "lat",
            "tick",
            "mode",
            "build",
            "dist",
            "odd"
        ]
    );
    let jobs = &families[0];
    assert_eq!(jobs.help, "Jobs \"done\"\\ and\nmore.");
    assert_eq!(jobs.samples[0].labels["kind"], "a\"b\\c\nd");
    assert_eq!(jobs.samples[0].value, 3.0);
    assert_eq!(
        jobs.samples[2].exemplar.as_ref().unwrap().0["trace_id"],
        "x\\y\nz"
    );
    assert_eq!(families[1].unit, "celsius");
    assert_eq!(families[2].samples[0].value, 18_446_744_073_709_551_615.0);
    assert_eq!(families[3].samples[2].labels["le"], "1e+06");
    assert_eq!(families[8].samples[0].value, f64::INFINITY);
}

fn tour_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("examples/exposition"))
        .unwrap()
}

fn tour(format: &str) -> Option<String> {
    let bin = tour_binary();
    if !bin.exists() {
        return common::missing(&format!("the tour example binary ({})", bin.display()));
    }
    let out = Command::new(bin)
        .args(["--format", format])
        .output()
        .unwrap();
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn tour_prometheus_text_passes_promtool() {
    let Some(promtool) = common::promtool() else {
        return;
    };
    let Some(text) = tour("prometheus") else {
        return;
    };
    let (code, output) = common::promtool_check(&promtool, &text);
    assert_eq!(code, 0, "promtool check metrics:\n{output}\n{text}");
}

#[test]
fn tour_openmetrics_text_passes_pythons_strict_parser() {
    let Some(python) = common::python() else {
        return;
    };
    let Some(text) = tour("openmetrics") else {
        return;
    };
    let families = common::parse_openmetrics(&python, &text).expect("valid OpenMetrics");
    assert_eq!(families.len(), 14);
    let kinds: std::collections::BTreeSet<&str> =
        families.iter().map(|f| f.kind.as_str()).collect();
    for kind in [
        "counter",
        "gauge",
        "histogram",
        "gaugehistogram",
        "summary",
        "info",
        "stateset",
        "unknown",
    ] {
        assert!(kinds.contains(kind), "the tour lacks a {kind}");
    }
}

#[derive(Debug)]
struct Reentrant(Registry);

impl beamline::Collector for Reentrant {
    fn collect(&self, out: &mut beamline::Collection<'_>) {
        // Registering and scraping from inside a scrape must not deadlock.
        let _ = self.0.register("late", "", Gauge::new());
        let inner = self.0.encode_to_vec(Format::PrometheusText);
        let g = Gauge::new();
        g.set(i64::try_from(inner.len()).unwrap_or(0));
        out.add("inner_bytes", "", g).unwrap();
        // A collected family may not take a registered name.
        assert!(matches!(
            out.add("first", "", Gauge::new()),
            Err(beamline::Error::DuplicateFamily { .. })
        ));
    }
}

#[test]
fn collectors_may_call_back_into_the_registry() {
    let r = Registry::new();
    r.register("first", "", Gauge::new()).unwrap();
    r.register_collector(Reentrant(r.clone()));
    let text = text(&r, Format::OpenMetricsText);
    assert!(text.contains("# TYPE inner_bytes gauge\n"), "{text}");
    assert!(
        text.contains("# TYPE late gauge\n") || !text.contains("late"),
        "{text}"
    );
    let again = self::text(&r, Format::OpenMetricsText);
    assert!(again.contains("late 0\n"), "{again}");
}

/// OpenMetrics leaves out the counters `_count` and `_sum` while a sum is
/// negative or a bound is; Prometheus text keeps them, as Prometheus
/// protobuf does, and promtool accepts it.
#[test]
fn negative_sums_leave_openmetrics_only() {
    let r = Registry::new();
    let h = r
        .register(
            "h",
            "help",
            Histogram::new(Buckets::new([-1.0, 0.0, 1.0]).unwrap()),
        )
        .unwrap();
    h.observe(-2.0);
    h.observe(0.5);
    let s = r
        .register("s", "help", Summary::with_quantiles(&[0.5]).unwrap())
        .unwrap();
    s.observe(-1.0);

    let om = text(&r, Format::OpenMetricsText);
    for absent in ["h_count", "h_sum", "s_count", "s_sum", "s{quantile"] {
        assert!(!om.contains(absent), "{absent} in\n{om}");
    }
    let prom = text(&r, Format::PrometheusText);
    for present in ["h_count 2\n", "h_sum -1.5\n", "s_count 1\n", "s_sum -1.0\n"] {
        assert!(prom.contains(present), "{present:?} missing from\n{prom}");
    }
    assert!(prom.contains("s{quantile=\"0.5\"} -"), "{prom}");

    let Some(promtool) = common::promtool() else {
        return;
    };
    let (code, output) = common::promtool_check(&promtool, &prom);
    assert_eq!(code, 0, "promtool check metrics:\n{output}\n{prom}");
}
