//! The `beamline::testing` helpers: reading values back, rendering one
//! family, comparing expositions and linting names.

use std::panic::{catch_unwind, AssertUnwindSafe};

use beamline::testing::{self, Difference, LintRule};
use beamline::{
    Buckets, Collection, Collector, Counter, Family, FloatGauge, Format, Gauge, GaugeFn, Histogram,
    Info, Registry, StateSet, Summary,
};

fn text(registry: &Registry, format: Format) -> String {
    String::from_utf8(registry.encode_to_vec(format)).unwrap()
}

fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).unwrap_err();
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => (*payload.downcast::<&str>().unwrap()).to_owned(),
    }
}

// ---- value -------------------------------------------------------------

#[test]
fn value_reads_each_sample_of_each_type() {
    let r = Registry::new();
    let requests = r
        .register(
            "http_requests",
            "Requests.",
            Family::<Counter, 2>::new(["method", "code"]),
        )
        .unwrap();
    requests.get(["GET", "200"]).inc_by(5);
    r.register("magnets", "Magnets.", Gauge::new())
        .unwrap()
        .set(-3);
    let ramp = r
        .register(
            "ramp_seconds",
            "Ramp.",
            Histogram::new(Buckets::new([1.0, 2.5]).unwrap()),
        )
        .unwrap();
    ramp.observe(2.0);
    ramp.observe(0.5);
    r.register("ticks", "Ticks.", Summary::new())
        .unwrap()
        .observe(1.5);
    r.register("build", "Build.", Info::new(&[("version", "1.0")]))
        .unwrap();
    let mode = r
        .register("mode", "Mode.", StateSet::new(&["on", "off"]))
        .unwrap();
    mode.set("on", true);

    let v = |name: &str, labels: &[(&str, &str)]| testing::value(&r, name, labels);
    assert_eq!(
        v("http_requests_total", &[("method", "GET"), ("code", "200")]),
        Some(5.0)
    );
    assert_eq!(v("magnets", &[]), Some(-3.0));
    assert_eq!(v("ramp_seconds_bucket", &[("le", "1.0")]), Some(1.0));
    assert_eq!(v("ramp_seconds_bucket", &[("le", "+Inf")]), Some(2.0));
    assert_eq!(v("ramp_seconds_count", &[]), Some(2.0));
    assert_eq!(v("ramp_seconds_sum", &[]), Some(2.5));
    assert_eq!(v("ticks_count", &[]), Some(1.0));
    assert_eq!(v("build_info", &[("version", "1.0")]), Some(1.0));
    assert_eq!(v("mode", &[("mode", "on")]), Some(1.0));
    assert_eq!(v("mode", &[("mode", "off")]), Some(0.0));
    assert!(
        v(
            "http_requests_created",
            &[("method", "GET"), ("code", "200")]
        )
        .unwrap()
            > 1.6e9
    );
}

#[test]
fn value_needs_the_exact_label_set_in_any_order() {
    let r = Registry::new();
    let requests = r
        .register(
            "http_requests",
            "Requests.",
            Family::<Counter, 2>::new(["method", "code"]),
        )
        .unwrap();
    requests.get(["GET", "200"]).inc();
    requests.get(["GET", "500"]).inc_by(2);

    let v = |labels: &[(&str, &str)]| testing::value(&r, "http_requests_total", labels);
    assert_eq!(v(&[("code", "500"), ("method", "GET")]), Some(2.0));
    assert_eq!(v(&[("method", "GET")]), None);
    assert_eq!(v(&[("method", "GET"), ("code", "200"), ("x", "y")]), None);
    assert_eq!(v(&[("method", "POST"), ("code", "200")]), None);
    assert_eq!(testing::value(&r, "http_requests", &[]), None);
    assert_eq!(testing::value(&r, "nothing", &[]), None);
}

#[test]
fn value_sees_constant_labels_callbacks_collectors_and_special_floats() {
    #[derive(Debug)]
    struct Queues;
    impl Collector for Queues {
        fn collect(&self, out: &mut Collection<'_>) {
            let depth = Family::<FloatGauge, 1>::new(["queue"]);
            depth.get(["mail"]).set(4.0);
            out.add("queue_depth", "Items waiting.", depth).unwrap();
        }
    }

    let r = Registry::new();
    let lab = r.sub_registry("lab", &[("ring", "lhc")]).unwrap();
    lab.register("temperature", "Temperature.", FloatGauge::new())
        .unwrap()
        .set(f64::NAN);
    r.register("hot", "Hot.", FloatGauge::new())
        .unwrap()
        .set(f64::INFINITY);
    r.register("answer", "Answer.", GaugeFn::new(|| 42.0))
        .unwrap();
    r.register_collector(Queues);

    let nan = testing::value(&r, "lab_temperature", &[("ring", "lhc")]).unwrap();
    assert!(nan.is_nan());
    assert_eq!(testing::value(&r, "lab_temperature", &[]), None);
    assert_eq!(testing::value(&r, "hot", &[]), Some(f64::INFINITY));
    assert_eq!(testing::value(&r, "answer", &[]), Some(42.0));
    assert_eq!(
        testing::value(&r, "queue_depth", &[("queue", "mail")]),
        Some(4.0)
    );
}

#[test]
fn value_reads_escaped_label_values() {
    let r = Registry::new();
    let paths = r
        .register("hits", "Hits.", Family::<Counter, 1>::new(["path"]))
        .unwrap();
    paths.get(["a\"b\\c\nd"]).inc_by(9);
    assert_eq!(
        testing::value(&r, "hits_total", &[("path", "a\"b\\c\nd")]),
        Some(9.0)
    );
}

// ---- render_family -----------------------------------------------------

fn three_families() -> Registry {
    let r = Registry::new();
    r.register("before", "Before.", Gauge::new())
        .unwrap()
        .set(1);
    let lab = r.sub_registry("lab", &[]).unwrap();
    let kicks = lab
        .register("kicks", "RF kicks.", Family::<Counter, 1>::new(["cavity"]))
        .unwrap();
    kicks.get(["c1"]).inc_by(3);
    kicks.get(["c2"]).inc();
    r.register("build", "Build facts.", Info::new(&[("version", "1.2")]))
        .unwrap();
    r
}

#[test]
fn render_family_returns_only_that_family_in_prometheus_text() {
    let r = three_families();
    assert_eq!(
        testing::render_family(&r, "lab_kicks", Format::PrometheusText).unwrap(),
        "# HELP lab_kicks_total RF kicks.\n\
         # TYPE lab_kicks_total counter\n\
         lab_kicks_total{cavity=\"c1\"} 3\n\
         lab_kicks_total{cavity=\"c2\"} 1\n"
    );
    assert_eq!(
        testing::render_family(&r, "build", Format::PrometheusText).unwrap(),
        "# HELP build_info Build facts.\n\
         # TYPE build_info gauge\n\
         build_info{version=\"1.2\"} 1\n"
    );
    assert_eq!(
        testing::render_family(&r, "before", Format::PrometheusText).unwrap(),
        "# HELP before Before.\n# TYPE before gauge\nbefore 1\n"
    );
}

#[test]
fn render_family_returns_only_that_family_in_openmetrics_text() {
    let r = three_families();
    let kicks = testing::render_family(&r, "lab_kicks", Format::OpenMetricsText).unwrap();
    let lines: Vec<&str> = kicks.lines().collect();
    assert_eq!(lines.len(), 6, "{kicks}");
    assert_eq!(lines[0], "# TYPE lab_kicks counter");
    assert_eq!(lines[1], "# HELP lab_kicks RF kicks.");
    assert_eq!(lines[2], "lab_kicks_total{cavity=\"c1\"} 3");
    assert!(lines[3].starts_with("lab_kicks_created{cavity=\"c1\"} "));
    assert_eq!(lines[4], "lab_kicks_total{cavity=\"c2\"} 1");
    assert!(lines[5].starts_with("lab_kicks_created{cavity=\"c2\"} "));
    assert!(kicks.ends_with('\n'));
    assert_eq!(
        testing::render_family(&r, "build", Format::OpenMetricsText).unwrap(),
        "# TYPE build info\n# HELP build Build facts.\nbuild_info{version=\"1.2\"} 1\n"
    );
}

#[test]
fn render_family_keeps_metadata_of_families_without_series_and_units() {
    let r = Registry::new();
    r.register("idle", "", Family::<Gauge, 1>::new(["x"]))
        .unwrap();
    r.register_with_unit("beam_joules", "Energy.", "joules", FloatGauge::new())
        .unwrap()
        .set(0.5);
    assert_eq!(
        testing::render_family(&r, "idle", Format::OpenMetricsText).unwrap(),
        "# TYPE idle gauge\n"
    );
    assert_eq!(
        testing::render_family(&r, "idle", Format::PrometheusText).unwrap(),
        "# TYPE idle gauge\n"
    );
    assert_eq!(
        testing::render_family(&r, "beam_joules", Format::OpenMetricsText).unwrap(),
        "# TYPE beam_joules gauge\n# UNIT beam_joules joules\n# HELP beam_joules Energy.\n\
         beam_joules 0.5\n"
    );
}

#[test]
fn render_family_answers_none_for_unknown_names_and_binary_formats() {
    let r = three_families();
    assert_eq!(
        testing::render_family(&r, "kicks", Format::OpenMetricsText),
        None
    );
    assert_eq!(
        testing::render_family(&r, "lab_kicks_total", Format::PrometheusText),
        None
    );
    assert_eq!(
        testing::render_family(&r, "build_info", Format::OpenMetricsText),
        None
    );
    #[cfg(feature = "protobuf")]
    {
        assert_eq!(
            testing::render_family(&r, "before", Format::OpenMetricsProtobuf),
            None
        );
        assert_eq!(
            testing::render_family(&r, "before", Format::PrometheusProtobuf),
            None
        );
    }
}

// ---- compare_exposition and assert_exposition --------------------------

fn lab() -> Registry {
    let r = Registry::new();
    let runs = r
        .register("runs", "Runs.", Family::<Counter, 1>::new(["outcome"]))
        .unwrap();
    runs.get(["ok"]).inc_by(2);
    runs.get(["abort"]).inc();
    r.register_with_unit("beam_joules", "Energy.", "joules", FloatGauge::new())
        .unwrap()
        .set(1.5);
    let ramp = r
        .register(
            "ramp_seconds",
            "Ramp.",
            Histogram::new(Buckets::new([1.0]).unwrap()),
        )
        .unwrap();
    ramp.observe(0.25);
    r
}

#[test]
fn the_registrys_own_exposition_matches_in_both_forms() {
    let r = lab();
    let own = text(&r, Format::OpenMetricsText);
    assert_eq!(testing::compare_exposition(&r, &own), Ok(()));
    let without_eof = own.strip_suffix("# EOF\n").unwrap();
    assert_eq!(testing::compare_exposition(&r, without_eof), Ok(()));
    testing::assert_exposition(&r, &own);
}

#[test]
fn help_created_order_indentation_and_eof_are_ignored() {
    let r = lab();
    testing::assert_exposition(
        &r,
        r#"
        # TYPE ramp_seconds histogram
        ramp_seconds_sum 0.25
        ramp_seconds_count 1
        ramp_seconds_bucket{le="1.0"} 1
        ramp_seconds_bucket{le="+Inf"} 1

        # TYPE beam_joules gauge
        # UNIT beam_joules joules
        # HELP beam_joules Some other help text.
        beam_joules 1.5
        # TYPE runs counter
        runs_total{outcome="abort"} 1
        runs_total{outcome="ok"} 2
        runs_created{outcome="ok"} 12
        "#,
    );
}

#[test]
fn bare_samples_match_without_metadata() {
    let r = lab();
    let expected = "runs_total{outcome=\"ok\"} 2\n\
                    runs_total{outcome=\"abort\"} 1\n\
                    beam_joules 1.5\n\
                    ramp_seconds_bucket{le=\"1.0\"} 1\n\
                    ramp_seconds_bucket{le=\"+Inf\"} 1\n\
                    ramp_seconds_count 1\n\
                    ramp_seconds_sum 0.25\n";
    assert_eq!(testing::compare_exposition(&r, expected), Ok(()));
}

#[test]
fn values_and_bucket_bounds_compare_as_numbers() {
    let r = Registry::new();
    r.register("nan", "NaN.", FloatGauge::new())
        .unwrap()
        .set(f64::NAN);
    r.register("two", "Two.", FloatGauge::new())
        .unwrap()
        .set(2.0);
    let ramp = r
        .register(
            "ramp",
            "Ramp.",
            Histogram::new(Buckets::new([1.0, 1e7]).unwrap()),
        )
        .unwrap();
    ramp.observe(3.0);
    let expected = r#"
        nan NaN
        two 2
        ramp_bucket{le="1"} 0
        ramp_bucket{le="10000000"} 1
        ramp_bucket{le="+Inf"} 1
        ramp_count 1
        ramp_sum 3
    "#;
    assert_eq!(testing::compare_exposition(&r, expected), Ok(()));
}

#[test]
fn reports_missing_unexpected_and_different_samples() {
    let r = lab();
    let mismatch = testing::compare_exposition(
        &r,
        r#"
        # TYPE runs counter
        runs_total{outcome="ok"} 3
        runs_total{outcome="lost"} 1
        beam_joules 1.5
        ramp_seconds_bucket{le="1.0"} 1
        ramp_seconds_bucket{le="+Inf"} 1
        ramp_seconds_count 1
        ramp_seconds_sum 0.5
        "#,
    )
    .unwrap_err();
    assert_eq!(mismatch.invalid_expected, None);
    assert_eq!(mismatch.metadata, []);
    assert_eq!(mismatch.missing, ["runs_total{outcome=\"lost\"} 1"]);
    assert_eq!(mismatch.unexpected, ["runs_total{outcome=\"abort\"} 1"]);
    assert_eq!(
        triples(&mismatch.different),
        [
            ("runs_total{outcome=\"ok\"}", "3", "2"),
            ("ramp_seconds_sum", "0.5", "0.25"),
        ]
    );
    assert_eq!(
        mismatch.to_string(),
        "the exposition differs from the expected text \
         (- expected but missing, + not expected, ~ different):\n\
         - runs_total{outcome=\"lost\"} 1\n\
         + runs_total{outcome=\"abort\"} 1\n\
         ~ runs_total{outcome=\"ok\"}: expected 3, found 2\n\
         ~ ramp_seconds_sum: expected 0.5, found 0.25\n"
    );
}

#[test]
fn declared_families_compare_type_and_unit() {
    let r = lab();
    let mismatch = testing::compare_exposition(
        &r,
        r#"
        # TYPE beam_joules counter
        # TYPE ramp_seconds histogram
        # UNIT ramp_seconds seconds
        # TYPE missing_family gauge
        # TYPE runs counter
        "#,
    )
    .unwrap_err();
    assert_eq!(mismatch.invalid_expected, None);
    assert_eq!(
        triples(&mismatch.metadata),
        [
            ("# TYPE beam_joules", "counter", "gauge"),
            ("# UNIT beam_joules", "(none)", "joules"),
            ("# UNIT ramp_seconds", "seconds", "(none)"),
            ("# TYPE missing_family", "gauge", "(none)"),
        ]
    );
    assert_eq!(mismatch.missing, Vec::<String>::new());
    assert_eq!(mismatch.unexpected.len(), 7, "{mismatch}");

    // Declaring the type without a unit says there is none.
    let no_unit =
        testing::compare_exposition(&r, "# TYPE beam_joules gauge\nbeam_joules 1.5\n").unwrap_err();
    assert_eq!(
        triples(&no_unit.metadata),
        [("# UNIT beam_joules", "(none)", "joules")]
    );
}

/// The subject, expected and actual text of each difference.
fn triples(differences: &[Difference]) -> Vec<(&str, &str, &str)> {
    differences
        .iter()
        .map(|d| (&*d.subject, &*d.expected, &*d.actual))
        .collect()
}

#[test]
fn created_samples_are_ignored_only_where_they_are_timestamps() {
    let r = Registry::new();
    r.register(
        "job_created",
        "When the job was created.",
        FloatGauge::new(),
    )
    .unwrap()
    .set(5.0);
    let mismatch = testing::compare_exposition(&r, "").unwrap_err();
    assert_eq!(mismatch.unexpected, ["job_created 5.0"]);
    testing::assert_exposition(&r, "job_created 5\n");
}

#[test]
fn expected_exemplars_are_compared_without_their_timestamps() {
    let r = Registry::new();
    let kicks = r.register("kicks", "Kicks.", Counter::new()).unwrap();
    kicks.inc_with_exemplar(&[("run", "7")]).unwrap();
    let plain = Registry::new();
    plain
        .register("kicks", "Kicks.", Counter::new())
        .unwrap()
        .inc();

    let good = "# TYPE kicks counter\nkicks_total 1 # {run=\"7\"} 1 123\n";
    assert_eq!(testing::compare_exposition(&r, good), Ok(()));
    // Without an exemplar in the expected text, the actual one is not checked.
    assert_eq!(testing::compare_exposition(&r, "kicks_total 1\n"), Ok(()));

    let wrong = "# TYPE kicks counter\nkicks_total 1 # {run=\"8\"} 1\n";
    let mismatch = testing::compare_exposition(&r, wrong).unwrap_err();
    assert_eq!(
        triples(&mismatch.different),
        [("kicks_total # exemplar", "{run=\"8\"} 1", "{run=\"7\"} 1")]
    );
    let absent = testing::compare_exposition(&plain, good).unwrap_err();
    assert_eq!(
        triples(&absent.different),
        [("kicks_total # exemplar", "{run=\"7\"} 1", "(none)")]
    );
}

#[test]
fn invalid_expected_text_is_located_in_the_text_as_written() {
    let r = lab();
    let expected = "\n\n    beam_joules 1.5\n\n      runs_total{outcome=\"ok\" 2\n";
    let mismatch = testing::compare_exposition(&r, expected).unwrap_err();
    let err = mismatch.invalid_expected.clone().unwrap();
    assert_eq!(err.line, 5);
    assert!(
        err.column > 6,
        "column {} counts the indentation",
        err.column
    );
    assert!(mismatch.missing.is_empty() && mismatch.unexpected.is_empty());
    assert!(mismatch
        .to_string()
        .starts_with("the expected text is not a valid OpenMetrics exposition: line 5, column "));

    let after_eof = testing::compare_exposition(&r, "# EOF\nbeam_joules 1.5\n").unwrap_err();
    assert!(after_eof.invalid_expected.is_some());
}

#[test]
fn an_empty_registry_matches_an_empty_text() {
    let r = Registry::new();
    assert_eq!(testing::compare_exposition(&r, ""), Ok(()));
    assert_eq!(testing::compare_exposition(&r, "# EOF"), Ok(()));
    testing::assert_exposition(&r, "\n   \n");
}

#[test]
fn assert_exposition_panics_with_the_differences_and_the_exposition() {
    let r = Registry::new();
    r.register("magnets", "Magnets.", Gauge::new())
        .unwrap()
        .set(8);
    let message = panic_message(|| testing::assert_exposition(&r, "magnets 9\n"));
    assert_eq!(
        message,
        "the exposition differs from the expected text \
         (- expected but missing, + not expected, ~ different):\n\
         ~ magnets: expected 9, found 8\n\
         \nthe exposition:\n\
         # TYPE magnets gauge\n# HELP magnets Magnets.\nmagnets 8\n# EOF\n"
    );
    let invalid = panic_message(|| testing::assert_exposition(&r, "magnets\n"));
    assert!(
        invalid.starts_with("the expected text is not a valid OpenMetrics exposition: line 1"),
        "{invalid}"
    );
}

#[test]
#[should_panic(expected = "- absent 1")]
fn assert_exposition_fails_the_test() {
    testing::assert_exposition(&Registry::new(), "absent 1");
}

// ---- lint --------------------------------------------------------------

#[test]
fn a_conventional_registry_has_no_findings() {
    let r = Registry::new();
    let lab = r.sub_registry("lab", &[("ring", "lhc")]).unwrap();
    lab.register(
        "requests",
        "Requests.",
        Family::<Counter, 1>::new(["status_code"]),
    )
    .unwrap()
    .get(["200"])
    .inc();
    lab.register_with_unit(
        "ramp_seconds",
        "Ramp.",
        "seconds",
        Histogram::new(Buckets::new([1.0]).unwrap()),
    )
    .unwrap()
    .observe(0.5);
    lab.register_with_unit("load_ratio", "Load.", "ratio", Summary::new())
        .unwrap()
        .observe(0.5);
    lab.register("build", "Build.", Info::new(&[("version", "1")]))
        .unwrap();
    lab.register("mode", "Mode.", StateSet::new(&["on", "Off"]))
        .unwrap();
    lab.register("temperature", "Temperature.", Gauge::new())
        .unwrap();
    assert_eq!(testing::lint(&r), []);
}

#[test]
fn each_rule_is_reported_with_its_family_and_message() {
    let cases: &[(&str, LintRule, &str)] = &[
        (
            "requestCount",
            LintRule::CamelCaseName,
            "name is not snake_case; use `request_count`",
        ),
        (
            "job:errors:rate5m",
            LintRule::ColonInName,
            "name has a colon; colons are for recording rules",
        ),
        (
            "jobs_count",
            LintRule::ReservedSuffix,
            "name ends in `_count`, a suffix the formats give to samples",
        ),
        (
            "errors_total",
            LintRule::ReservedSuffix,
            "name ends in `_total`, a suffix the formats give to samples",
        ),
        (
            "version_info",
            LintRule::ReservedSuffix,
            "name ends in `_info`, a suffix the formats give to samples",
        ),
        (
            "uptime_seconds",
            LintRule::UndeclaredUnit,
            "name ends in the unit `seconds` but declares no unit",
        ),
        (
            "memory_kilobytes_used",
            LintRule::NonBaseUnit,
            "`kilobytes` is not a base unit; expose `bytes`",
        ),
        (
            "cpu_percent",
            LintRule::NonBaseUnit,
            "`percent` is not a base unit; expose `ratio`",
        ),
    ];
    for &(name, rule, message) in cases {
        let r = Registry::new();
        r.register(name, "Help.", Gauge::new()).unwrap();
        let lints: Vec<_> = testing::lint(&r)
            .into_iter()
            .filter(|l| l.rule == rule)
            .collect();
        assert_eq!(lints.len(), 1, "{name}: {lints:?}");
        assert_eq!(lints[0].family, name);
        assert_eq!(lints[0].message, message, "{name}");
        assert_eq!(lints[0].label, None);
        assert_eq!(
            lints[0].to_string(),
            format!("{name}: {message} [{}]", rule.as_str())
        );
    }
}

#[test]
fn non_base_units_also_lack_a_declared_unit() {
    let r = Registry::new();
    r.register("latency_ms", "Latency.", FloatGauge::new())
        .unwrap();
    r.register_with_unit("size_megabytes", "Size.", "megabytes", FloatGauge::new())
        .unwrap();
    let found: Vec<(String, LintRule)> = testing::lint(&r)
        .into_iter()
        .map(|l| (l.family, l.rule))
        .collect();
    assert_eq!(
        found,
        [
            ("latency_ms".to_owned(), LintRule::UndeclaredUnit),
            ("latency_ms".to_owned(), LintRule::NonBaseUnit),
            ("size_megabytes".to_owned(), LintRule::NonBaseUnit),
        ]
    );
}

#[test]
fn missing_help_and_camel_case_labels_are_found_everywhere() {
    #[derive(Debug)]
    struct Late;
    impl Collector for Late {
        fn collect(&self, out: &mut Collection<'_>) {
            let g = Family::<Gauge, 1>::new(["workerId"]);
            g.get(["1"]).set(1);
            out.add("workers", "", g).unwrap();
        }
    }

    let r = Registry::new();
    let lab = r.sub_registry("lab", &[("ringName", "lhc")]).unwrap();
    lab.register("kicks", "Kicks.", Counter::new()).unwrap();
    r.register("build", "Build.", Info::new(&[("gitSha", "abc")]))
        .unwrap();
    r.register("powerMode", "Mode.", StateSet::new(&["on"]))
        .unwrap();
    r.register("idle", "Idle.", Family::<Gauge, 1>::new(["notSeenYet"]))
        .unwrap();
    r.register_collector(Late);

    let found: Vec<(String, LintRule, Option<String>)> = testing::lint(&r)
        .into_iter()
        .map(|l| (l.family, l.rule, l.label))
        .collect();
    let label = |s: &str| Some(s.to_owned());
    assert_eq!(
        found,
        [
            (
                "lab_kicks".to_owned(),
                LintRule::CamelCaseLabel,
                label("ringName")
            ),
            (
                "build".to_owned(),
                LintRule::CamelCaseLabel,
                label("gitSha")
            ),
            ("powerMode".to_owned(), LintRule::CamelCaseName, None),
            ("workers".to_owned(), LintRule::MissingHelp, None),
            (
                "workers".to_owned(),
                LintRule::CamelCaseLabel,
                label("workerId")
            ),
        ]
    );
    let lints = testing::lint(&r);
    assert_eq!(
        lints[0].message,
        "label name `ringName` is not snake_case; use `ring_name`"
    );
}

#[test]
fn info_and_state_sets_need_no_unit() {
    let r = Registry::new();
    r.register("door_seconds", "Door.", StateSet::new(&["open"]))
        .unwrap();
    assert_eq!(testing::lint(&r), []);
}

#[test]
fn rule_names_are_kebab_case_and_distinct() {
    let rules = [
        LintRule::CamelCaseName,
        LintRule::ColonInName,
        LintRule::ReservedSuffix,
        LintRule::UndeclaredUnit,
        LintRule::NonBaseUnit,
        LintRule::MissingHelp,
        LintRule::CamelCaseLabel,
    ];
    let names: std::collections::HashSet<&str> = rules.iter().map(|r| r.as_str()).collect();
    assert_eq!(names.len(), rules.len());
    for rule in rules {
        assert_eq!(rule.to_string(), rule.as_str());
        assert!(rule
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-'));
    }
}
