//! The Prometheus text format 0.0.4 dialect.

use super::{check, name, Case};
use crate::parse::{parse_prometheus, FamilyType, ParseErrorKind as K};

const EXAMPLE: &str = "# A comment that 0.0.4 ignores.\n\
    # HELP http_requests_total The total number of HTTP requests.\n\
    # TYPE http_requests_total counter\n\
    http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n\
    http_requests_total{ method = \"post\" , code=\"400\" , }  3   1395066363000\n\
    \n\
    msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n\
    metric_without_timestamp_and_labels 12.47\n\
    # TYPE rpc_duration_seconds summary\n\
    rpc_duration_seconds{quantile=\"0.01\"} 3102\n\
    rpc_duration_seconds{quantile=\"0.5\"} 4773\n\
    rpc_duration_seconds_sum 1.7560473e+07\n\
    rpc_duration_seconds_count 2693\n\
    # TYPE http_request_duration_seconds histogram\n\
    http_request_duration_seconds_bucket{le=\"0.05\"} 24054\n\
    http_request_duration_seconds_bucket{le=\"+Inf\"} 144320\n\
    http_request_duration_seconds_sum -53423\n\
    http_request_duration_seconds_count 144320\n\
    \t# TYPE legacy untyped\n\
    \tlegacy\t-Inf  \n";

#[test]
fn reads_the_format_example() {
    let exposition = parse_prometheus(EXAMPLE).expect("valid exposition");
    let types: Vec<(&str, FamilyType)> = exposition
        .families
        .iter()
        .map(|f| (f.name, f.family_type))
        .collect();
    assert_eq!(
        types,
        [
            ("http_requests_total", FamilyType::Counter),
            ("msdos_file_access_time_seconds", FamilyType::Unknown),
            ("metric_without_timestamp_and_labels", FamilyType::Unknown),
            ("rpc_duration_seconds", FamilyType::Summary),
            ("http_request_duration_seconds", FamilyType::Histogram),
            ("legacy", FamilyType::Unknown),
        ]
    );
    let requests = &exposition.families[0];
    assert_eq!(
        requests.help.as_deref(),
        Some("The total number of HTTP requests.")
    );
    assert_eq!(requests.samples[1].label("code"), Some("400"));
    assert_eq!(requests.samples[1].value, 3.0);
    assert_eq!(requests.samples[1].timestamp, Some(1_395_066_363.0));
    let msdos = &exposition.families[1].samples[0];
    assert_eq!(msdos.label("path"), Some("C:\\DIR\\FILE.TXT"));
    assert_eq!(
        msdos.label("error"),
        Some("Cannot find file:\n\"FILE.TXT\"")
    );
    let sum = exposition.sample("http_request_duration_seconds_sum", &[]);
    assert_eq!(sum.map(|s| s.value), Some(-53423.0));
    assert_eq!(exposition.families[5].samples[0].value, f64::NEG_INFINITY);
    assert_eq!(exposition.sample_count(), 13);
}

#[test]
fn accepts_what_0_0_4_allows() {
    for ok in [
        "",
        "\n\n",
        "# EOF\nafter_eof 1\n",
        "a{} 1\n",
        "a{b=\"c\"}1\n",
        "a 1 -5\n",
        "#TYPE a counter\na 1\n",
        "# TYPE a gauge\n# HELP a \\\\ and \\n\na 1\n",
        "a{_b=\"1\"} 1\n",
        "_a 1\n",
        // A 0.0.4 counter's sample carries the bare family name, so this
        // "c_total" is a family of its own.
        "# TYPE c counter\nc_total 1\n",
    ] {
        if let Err(e) = parse_prometheus(ok) {
            panic!("refused {ok:?}: {e}");
        }
    }
    let exposition = parse_prometheus("a 1 -5\n").expect("valid");
    assert_eq!(exposition.families[0].samples[0].timestamp, Some(-0.005));
}

#[test]
fn rejects_what_0_0_4_forbids() {
    let cases: &[Case] = &[
        ("a 1", 1, 4, K::MissingNewline),
        ("a 1 1.5\n", 1, 5, K::InvalidTimestamp),
        ("a 1 99999999999999999999\n", 1, 5, K::NumberOutOfRange),
        ("a 1 # {} 1\n", 1, 5, K::InvalidTimestamp),
        ("a 1 2 3\n", 1, 7, K::TrailingText),
        (
            "a{__b=\"1\"} 1\n",
            1,
            3,
            K::ReservedLabelName { name: name("__b") },
        ),
        ("a{b=\"\\t\"} 1\n", 1, 6, K::InvalidEscape),
        ("# HELP a \\\"\n", 1, 10, K::InvalidEscape),
        (
            "# TYPE a info\n",
            1,
            10,
            K::UnknownType {
                found: name("info"),
            },
        ),
        ("# TYPE a gauge x\n", 1, 16, K::TrailingText),
        (
            "# HELP\n",
            1,
            7,
            K::UnexpectedEndOfLine {
                expected: "metric name",
            },
        ),
        ("a 1\n# TYPE a gauge\n", 2, 1, K::MetadataAfterSamples),
        ("a 1\n# HELP a x\n", 2, 1, K::MetadataAfterSamples),
        (
            "# HELP a x\n# HELP a y\n",
            2,
            1,
            K::DuplicateMetadata { keyword: "HELP" },
        ),
        (
            "a 1\nb 1\na 2\n",
            3,
            1,
            K::InterleavedFamily { name: name("a") },
        ),
        ("a 1\na 2\n", 2, 1, K::DuplicateSample),
        (
            "# TYPE s summary\ns{quantile=\"0.9\"} 1\ns{quantile=\"0.5\"} 1\n",
            3,
            3,
            K::QuantilesNotSorted,
        ),
        (
            "# TYPE s summary\ns 1\n",
            2,
            2,
            K::MissingLabel {
                name: name("quantile"),
            },
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\n",
            2,
            1,
            K::MissingInfBucket,
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 2\n",
            3,
            9,
            K::CountMismatch,
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} -1\n",
            2,
            21,
            K::NegativeValue,
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n",
            3,
            10,
            K::BucketsNotSorted,
        ),
    ];
    check(cases, parse_prometheus);
}
