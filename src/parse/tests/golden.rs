//! Golden parses: every value read back from valid OpenMetrics expositions.

use std::borrow::Cow;

use crate::parse::{parse_openmetrics, FamilyType};

const ALL_TYPES: &str = r#"# TYPE http_requests counter
# UNIT http_requests 
# HELP http_requests Requests served, by \"path\".\nSecond line \\ done.
http_requests_total{path="/a\\b",code="200"} 1027 # {trace_id="x\"1"} 0.25 1700000000.5
http_requests_created{path="/a\\b",code="200"} 1699999000.125
# TYPE temperature_celsius gauge
# UNIT temperature_celsius celsius
temperature_celsius{room="lab"} -3.5e1 1700000001
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 2
latency_seconds_bucket{le="1.0"} 5 # {} 0.7
latency_seconds_bucket{le="+Inf"} 6
latency_seconds_count 6
latency_seconds_sum 7.25
# TYPE queue_bytes gaugehistogram
queue_bytes_bucket{le="1024"} 3
queue_bytes_bucket{le="+Inf"} 4
queue_bytes_gcount 4
queue_bytes_gsum 5000
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.99"} NaN
rpc_seconds{quantile="0.5"} 0.01
rpc_seconds_count 12
rpc_seconds_sum 0.5
# TYPE build info
build_info{version="1.2.3",commit="abc"} 1
# TYPE door stateset
door{door="open"} 1
door{door="closed"} 0
# TYPE legacy unknown
legacy +Inf
# EOF
"#;

#[test]
fn reads_every_family_type() {
    let exposition = parse_openmetrics(ALL_TYPES).expect("valid exposition");
    let summary: Vec<(&str, FamilyType, usize)> = exposition
        .families
        .iter()
        .map(|f| (f.name, f.family_type, f.samples.len()))
        .collect();
    assert_eq!(
        summary,
        [
            ("http_requests", FamilyType::Counter, 2),
            ("temperature_celsius", FamilyType::Gauge, 1),
            ("latency_seconds", FamilyType::Histogram, 5),
            ("queue_bytes", FamilyType::GaugeHistogram, 4),
            ("rpc_seconds", FamilyType::Summary, 4),
            ("build", FamilyType::Info, 1),
            ("door", FamilyType::StateSet, 2),
            ("legacy", FamilyType::Unknown, 1),
        ]
    );
    assert_eq!(exposition.sample_count(), 20);
}

#[test]
fn reads_metadata_and_escapes() {
    let exposition = parse_openmetrics(ALL_TYPES).expect("valid exposition");
    let requests = exposition.family("http_requests").expect("counter");
    assert_eq!(
        requests.help.as_deref(),
        Some("Requests served, by \"path\".\nSecond line \\ done.")
    );
    // An empty UNIT counts as absent.
    assert_eq!(requests.unit, None);
    let temperature = exposition.family("temperature_celsius").expect("gauge");
    assert_eq!(temperature.unit, Some(Cow::Borrowed("celsius")));
    assert_eq!(temperature.help, None);

    let total = &requests.samples[0];
    assert_eq!(total.name, "http_requests_total");
    assert_eq!(total.label("path"), Some("/a\\b"));
    assert_eq!(total.label("code"), Some("200"));
    assert_eq!(total.labels.len(), 2);
    assert_eq!(total.value, 1027.0);
    assert_eq!(total.value_text, "1027");
    assert_eq!(total.timestamp, None);
    let exemplar = total.exemplar.as_ref().expect("exemplar");
    assert_eq!(exemplar.label("trace_id"), Some("x\"1"));
    assert_eq!(exemplar.value, 0.25);
    assert_eq!(exemplar.timestamp, Some(1_700_000_000.5));
    assert_eq!(requests.samples[1].value, 1_699_999_000.125);
}

#[test]
fn reads_values_and_timestamps() {
    let exposition = parse_openmetrics(ALL_TYPES).expect("valid exposition");
    let temperature = exposition.sample("temperature_celsius", &[("room", "lab")]);
    let temperature = temperature.expect("gauge sample");
    assert_eq!(temperature.value, -35.0);
    assert_eq!(temperature.value_text, "-3.5e1");
    assert_eq!(temperature.timestamp, Some(1_700_000_001.0));

    let bucket = exposition.sample("latency_seconds_bucket", &[("le", "1.0")]);
    let bucket = bucket.expect("bucket");
    assert_eq!(bucket.value, 5.0);
    let exemplar = bucket.exemplar.as_ref().expect("bucket exemplar");
    assert!(exemplar.labels.is_empty());
    assert_eq!(exemplar.value, 0.7);
    assert_eq!(
        exposition
            .sample("latency_seconds_sum", &[])
            .map(|s| s.value),
        Some(7.25)
    );
    assert_eq!(
        exposition.sample("queue_bytes_gsum", &[]).map(|s| s.value),
        Some(5000.0)
    );

    let quantile = exposition.sample("rpc_seconds", &[("quantile", "0.99")]);
    assert!(quantile.expect("quantile").value.is_nan());
    let info = exposition.sample("build_info", &[("commit", "abc"), ("version", "1.2.3")]);
    assert_eq!(info.map(|s| s.value), Some(1.0));
    let closed = exposition.sample("door", &[("door", "closed")]);
    assert_eq!(closed.map(|s| s.value), Some(0.0));
    let legacy = exposition.sample("legacy", &[]).expect("unknown sample");
    assert_eq!(legacy.value, f64::INFINITY);
}

#[test]
fn reads_official_suite_examples() {
    let text = "# TYPE a counter\n# HELP a help\n\
                a_total{foo=\"1\"} 1 000\n\
                a_total{foo=\"4\"} 1 12345678901234567890.1234567890\n\
                a_total{foo=\"5\"} 1 1.5e3\n\
                # TYPE b gauge\nb 0000000000000000000000000000000000000000001.2e-1\n\
                # TYPE c counter\nc_total 9223372036854775808\n# EOF";
    let exposition = parse_openmetrics(text).expect("valid exposition");
    let stamps: Vec<Option<f64>> = exposition.families[0]
        .samples
        .iter()
        .map(|s| s.timestamp)
        .collect();
    assert_eq!(
        stamps,
        [Some(0.0), Some(1.234_567_890_123_456_8e19), Some(1500.0)]
    );
    assert_eq!(exposition.families[1].samples[0].value, 0.12);
    assert_eq!(exposition.families[2].samples[0].value, 2_f64.powi(63));
}

#[test]
fn keeps_unknown_escapes_and_nul() {
    let text = "# TYPE a counter\n# HELP a he\0lp \\q\na_total{f=\"b\\\\a\\z\"} 1\n# EOF\n";
    let exposition = parse_openmetrics(text).expect("valid exposition");
    let family = &exposition.families[0];
    assert_eq!(family.help.as_deref(), Some("he\0lp \\q"));
    assert_eq!(family.samples[0].label("f"), Some("b\\a\\z"));
}

#[test]
fn reads_empty_expositions() {
    let exposition = parse_openmetrics("# EOF\n").expect("valid exposition");
    assert!(exposition.families.is_empty());
    let exposition = parse_openmetrics("# HELP a \n# UNIT a \n# EOF").expect("valid");
    assert_eq!(exposition.families.len(), 1);
    assert_eq!(exposition.families[0].help, None);
    assert_eq!(exposition.families[0].family_type, FamilyType::Unknown);
}

#[test]
fn help_may_end_in_a_carriage_return() {
    let text = "# TYPE a gauge\n# HELP a x\r\na 1\n# EOF\n";
    let exposition = parse_openmetrics(text).unwrap();
    assert_eq!(exposition.families[0].help.as_deref(), Some("x\r"));
}
