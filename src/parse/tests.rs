//! Unit tests: one table per rule family, each case with the exact error
//! kind and position, plus golden parses checking the values read.

use std::borrow::Cow;

use super::{parse_openmetrics, parse_prometheus, FamilyType, ParseError, ParseErrorKind as K};

mod golden;
mod prometheus;

/// Expected outcome of parsing one input: line, column and rule.
type Case = (&'static str, usize, usize, K);

fn check_openmetrics(cases: &[Case]) {
    check(cases, parse_openmetrics);
}

fn check(cases: &[Case], parse: fn(&str) -> Result<super::Exposition<'_>, ParseError>) {
    for (input, line, column, kind) in cases {
        match parse(input) {
            Ok(_) => panic!("accepted {input:?}, expected {kind:?}"),
            Err(e) => assert_eq!(
                (e.line, e.column, &e.kind),
                (*line, *column, kind),
                "input {input:?} failed with: {e}"
            ),
        }
    }
}

fn accepts(input: &str) {
    if let Err(e) = parse_openmetrics(input) {
        panic!("refused {input:?}: {e}");
    }
}

fn name(s: &str) -> String {
    s.to_owned()
}

#[test]
fn requires_eof_last() {
    check_openmetrics(&[
        ("", 1, 1, K::MissingEof),
        ("a 1\n", 2, 1, K::MissingEof),
        ("a 1", 1, 4, K::MissingEof),
        ("# EOF\n\n", 2, 1, K::TextAfterEof),
        ("a 1\n# EOF\nb 1\n", 3, 1, K::TextAfterEof),
        ("# EOF ", 1, 6, K::TextAfterEof),
        ("# EOFblah", 1, 6, K::TextAfterEof),
    ]);
    accepts("# EOF");
    accepts("# EOF\n");
    accepts("a 1\n# EOF");
}

#[test]
fn rejects_framing_faults() {
    check_openmetrics(&[
        ("a 1\n\n# EOF\n", 2, 1, K::EmptyLine),
        ("a 1\r\n# EOF\n", 1, 4, K::CarriageReturn),
        ("# EOF\r\n", 1, 6, K::CarriageReturn),
        ("\u{feff}a 1\n# EOF\n", 1, 1, K::ByteOrderMark),
        ("# a comment\n# EOF\n", 1, 3, K::InvalidComment),
        ("#a_sum 0\n# EOF\n", 1, 1, K::InvalidComment),
        ("#\n# EOF\n", 1, 1, K::InvalidComment),
        (" a 1\n# EOF\n", 1, 1, K::InvalidMetricName),
    ]);
}

#[test]
fn rejects_bad_metric_names() {
    check_openmetrics(&[
        ("0a 1\n# EOF\n", 1, 1, K::InvalidMetricName),
        ("a.b 1\n# EOF\n", 1, 2, K::InvalidMetricName),
        ("a-b 1\n# EOF\n", 1, 2, K::InvalidMetricName),
        ("aé 1\n# EOF\n", 1, 2, K::InvalidMetricName),
        ("a\t1\n# EOF\n", 1, 2, K::ExpectedSpace),
        (
            "_a 1\n# EOF\n",
            1,
            1,
            K::ReservedMetricName { name: name("_a") },
        ),
        (
            "# TYPE _a gauge\n# EOF\n",
            1,
            8,
            K::ReservedMetricName { name: name("_a") },
        ),
        ("# HELP a.b x\n# EOF\n", 1, 9, K::InvalidMetricName),
    ]);
    accepts("a:b_c9 1\n# EOF\n");
}

#[test]
fn rejects_bad_label_syntax() {
    let eol = |expected| K::UnexpectedEndOfLine { expected };
    check_openmetrics(&[
        ("a{1=\"1\"} 1\n# EOF\n", 1, 3, K::InvalidLabelName),
        ("a{a.b=\"1\"} 1\n# EOF\n", 1, 4, K::InvalidLabelName),
        ("a{a=\"1\",,b=\"2\"} 1\n# EOF\n", 1, 9, K::InvalidLabelName),
        ("a{a} 1\n# EOF\n", 1, 4, K::MissingEquals),
        ("a{a\"1\"} 1\n# EOF\n", 1, 4, K::MissingEquals),
        ("a{a =\"1\"} 1\n# EOF\n", 1, 4, K::MissingEquals),
        ("a{a=1} 1\n# EOF\n", 1, 5, K::MissingQuote),
        ("a{a='1'} 1\n# EOF\n", 1, 5, K::MissingQuote),
        ("a{a=\"1} 1\n# EOF\n", 1, 5, K::UnterminatedLabelValue),
        ("a{a=\"1\\\"} 1\n# EOF\n", 1, 5, K::UnterminatedLabelValue),
        (
            "a{a=\"1\"b=\"2\"} 1\n# EOF\n",
            1,
            8,
            K::ExpectedCommaOrBrace,
        ),
        ("a{a=\"1\" } 1\n# EOF\n", 1, 8, K::ExpectedCommaOrBrace),
        ("a{a=\"1\",} 1\n# EOF\n", 1, 8, K::TrailingComma),
        ("a{a=\"1\"\n# EOF\n", 1, 8, eol("',' or '}'")),
        ("a{\n# EOF\n", 1, 3, eol("label name")),
        ("a{a=\"1\"}1\n# EOF\n", 1, 9, K::ExpectedSpace),
        (
            "a{_a=\"1\"} 1\n# EOF\n",
            1,
            3,
            K::ReservedLabelName { name: name("_a") },
        ),
        (
            "a{b=\"1\",c=\"2\",b=\"3\"} 1\n# EOF\n",
            1,
            15,
            K::DuplicateLabelName { name: name("b") },
        ),
    ]);
    accepts("a{} 1\n# EOF\n");
    accepts("a{b=\"}{,# \\\\ \\q\"} 1\n# EOF\n");
}

#[test]
fn finds_duplicates_in_large_label_sets() {
    let labels: Vec<String> = (0..40).map(|i| format!("l{i}=\"v\"")).collect();
    let text = format!("a{{{},l7=\"w\",l3=\"w\"}} 1\n# EOF\n", labels.join(","));
    let column = text.find("l7=\"w\"").unwrap() + 1;
    let e = parse_openmetrics(&text).expect_err("l7 and l3 repeat");
    let kind = K::DuplicateLabelName { name: name("l7") };
    assert_eq!((e.line, e.column, e.kind), (1, column, kind));
    accepts(&format!("a{{{}}} 1\n# EOF\n", labels.join(",")));
}

#[test]
fn rejects_bad_numbers() {
    check_openmetrics(&[
        ("a a\n# EOF\n", 1, 3, K::InvalidValue),
        ("a  1\n# EOF\n", 1, 3, K::InvalidValue),
        ("a 0x1p-3\n# EOF\n", 1, 3, K::InvalidValue),
        ("a 1_2\n# EOF\n", 1, 3, K::InvalidValue),
        ("a -NaN\n# EOF\n", 1, 3, K::InvalidValue),
        ("a 1e\n# EOF\n", 1, 3, K::InvalidValue),
        ("a 1e400\n# EOF\n", 1, 3, K::NumberOutOfRange),
        (
            "a\n# EOF\n",
            1,
            2,
            K::UnexpectedEndOfLine {
                expected: "sample value",
            },
        ),
        ("a 1 \n# EOF\n", 1, 4, K::TrailingText),
        ("a 1 z\n# EOF\n", 1, 5, K::InvalidTimestamp),
        ("a 1 NaN\n# EOF\n", 1, 5, K::InvalidTimestamp),
        ("a 1 -Inf\n# EOF\n", 1, 5, K::InvalidTimestamp),
        ("a 1 1.1.1\n# EOF\n", 1, 5, K::InvalidTimestamp),
        ("a 1  1\n# EOF\n", 1, 5, K::InvalidTimestamp),
        ("a 1 1e999\n# EOF\n", 1, 5, K::NumberOutOfRange),
        ("a 1 1 \n# EOF\n", 1, 6, K::TrailingText),
        ("a 1 1 1\n# EOF\n", 1, 7, K::InvalidExemplar),
    ]);
    for value in [
        "1.",
        ".5",
        "-0",
        "+1",
        "1E5",
        "+inf",
        "-Infinity",
        "nan",
        "NaN",
        "007",
    ] {
        accepts(&format!("a {value}\n# EOF\n"));
    }
    for stamp in ["1.", ".5", "-1", "+1", "1E5", "007", "1e-3"] {
        accepts(&format!("a 1 {stamp}\n# EOF\n"));
    }
}

#[test]
fn rejects_bad_metadata_lines() {
    let eol = |expected| K::UnexpectedEndOfLine { expected };
    let unknown = |found: &str| K::UnknownType { found: name(found) };
    check_openmetrics(&[
        ("# TYPE\n# EOF\n", 1, 7, eol("metric name")),
        ("# HELP \n# EOF\n", 1, 8, eol("metric name")),
        ("# UNIT a\n# EOF\n", 1, 9, eol("metadata value")),
        ("# TYPE a\tgauge\n# EOF\n", 1, 9, K::ExpectedSpace),
        ("# TYPE a meh\n# EOF\n", 1, 10, unknown("meh")),
        ("# TYPE a untyped\n# EOF\n", 1, 10, unknown("untyped")),
        ("# TYPE a Gauge\n# EOF\n", 1, 10, unknown("Gauge")),
        ("# TYPE a  gauge\n# EOF\n", 1, 10, unknown("")),
        ("# TYPE a gauge \n# EOF\n", 1, 15, K::TrailingText),
        ("# UNIT a_s s \n# EOF\n", 1, 13, K::TrailingText),
        ("# UNIT a_s s-x\n# EOF\n", 1, 13, K::InvalidUnit),
        ("# HELP a x\\\n# EOF\n", 1, 11, K::InvalidEscape),
        (
            "# TYPE a gauge\n# TYPE a gauge\n# EOF\n",
            2,
            1,
            K::DuplicateMetadata { keyword: "TYPE" },
        ),
        (
            "# HELP a \n# HELP a \n# EOF\n",
            2,
            1,
            K::DuplicateMetadata { keyword: "HELP" },
        ),
        (
            "# UNIT a_s s\n# UNIT a_s \n# EOF\n",
            2,
            1,
            K::DuplicateMetadata { keyword: "UNIT" },
        ),
        (
            "# TYPE a gauge\na 1\n# HELP a x\n# EOF\n",
            3,
            1,
            K::MetadataAfterSamples,
        ),
        (
            "# HELP a x\na 1\n# TYPE a gauge\n# EOF\n",
            3,
            1,
            K::MetadataAfterSamples,
        ),
        (
            "# UNIT a seconds\n# EOF\n",
            1,
            10,
            K::UnitMismatch {
                unit: name("seconds"),
            },
        ),
        (
            "# UNIT ab b\n# EOF\n",
            1,
            11,
            K::UnitMismatch { unit: name("b") },
        ),
        (
            "# TYPE a_u info\n# UNIT a_u u\n# EOF\n",
            2,
            12,
            K::UnitNotAllowed,
        ),
        (
            "# UNIT a_u u\n# TYPE a_u stateset\n# EOF\n",
            2,
            12,
            K::UnitNotAllowed,
        ),
    ]);
    accepts("# TYPE a_u info\n# UNIT a_u \n# EOF\n");
    accepts("# HELP a \"quoted\" \\q\n# EOF\n");
}

#[test]
fn rejects_interleaved_and_clashing_families() {
    let interleaved = |n: &str| K::InterleavedFamily { name: name(n) };
    let clash = |n: &str| K::ClashingName { name: name(n) };
    check_openmetrics(&[
        ("a 1\nb 1\na 1\n# EOF\n", 3, 1, interleaved("a")),
        ("# TYPE a gauge\n# TYPE b gauge\n# HELP a x\n# EOF\n", 3, 8, interleaved("a")),
        (
            "# TYPE a counter\na_total 1\nb 1\na_created 1\n# EOF\n",
            4,
            1,
            interleaved("a"),
        ),
        ("# TYPE a_created gauge\n# TYPE a counter\n# EOF\n", 2, 8, clash("a_created")),
        ("# TYPE a counter\n# TYPE a_total gauge\n# EOF\n", 2, 8, clash("a_total")),
        ("# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\na_sum 1\na_count 1\n# TYPE a_sum gauge\n# EOF\n", 5, 8, clash("a_sum")),
        ("a_total 1\n# TYPE a counter\n# EOF\n", 2, 8, clash("a_total")),
        (
            "# TYPE a counter\na 1\n# EOF\n",
            2,
            1,
            K::BadSuffix {
                name: name("a"),
                family_type: FamilyType::Counter,
            },
        ),
        (
            "# TYPE a info\na 1\n# EOF\n",
            2,
            1,
            K::BadSuffix {
                name: name("a"),
                family_type: FamilyType::Info,
            },
        ),
    ]);
    // A gauge called "a" can never write "a_total", so an unknown family of
    // that name may follow it.
    accepts("# TYPE a gauge\na 1\na_total 2\n# EOF\n");
}

#[test]
fn rejects_interleaved_and_repeated_series() {
    check_openmetrics(&[
        (
            "a{x=\"1\"} 1\na{x=\"2\"} 1\na{x=\"1\"} 2\n# EOF\n",
            3,
            1,
            K::InterleavedMetric,
        ),
        ("a 1\na 2\n# EOF\n", 2, 1, K::DuplicateSample),
        (
            "a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n# EOF\n",
            2,
            1,
            K::DuplicateSample,
        ),
        (
            "a{x=\"\\\\q\"} 1\na{x=\"\\q\"} 2\n# EOF\n",
            2,
            1,
            K::DuplicateSample,
        ),
        ("a 1 1\na 2\n# EOF\n", 2, 4, K::MixedTimestamps),
        ("a 1\na 2 1\n# EOF\n", 2, 5, K::MixedTimestamps),
        ("a 1 2\na 1 1\n# EOF\n", 2, 5, K::TimestampDecreased),
        ("a 1 -1\na 1 -1.1\n# EOF\n", 2, 5, K::TimestampDecreased),
        (
            "a 1 1604676851.123456789\na 1 1604676851.123456788\n# EOF\n",
            2,
            5,
            K::TimestampDecreased,
        ),
        (
            "# TYPE s summary\ns_count 0 123\ns_count 0 456\ns_sum 0 123\n# EOF\n",
            4,
            9,
            K::TimestampDecreased,
        ),
    ]);
    // Points of one series with equal or rising timestamps.
    accepts("a 1 0\na 2 0\na 3 1e-10\na{x=\"1\"} 1 5\n# EOF\n");
    accepts(
        "# TYPE s summary\ns_count{a=\"b\"} 0 123\ns_sum{a=\"b\"} 0 123\n\
         s_count{a=\"b\"} 0 456\ns_sum{a=\"b\"} 0 456\n# EOF\n",
    );
}

#[test]
fn enforces_labels_of_each_type() {
    let missing = |n: &str| K::MissingLabel { name: name(n) };
    check_openmetrics(&[
        (
            "# TYPE h histogram\nh_bucket 0\n# EOF\n",
            2,
            9,
            missing("le"),
        ),
        (
            "# TYPE h gaugehistogram\nh_bucket{a=\"1\"} 0\n# EOF\n",
            2,
            9,
            missing("le"),
        ),
        ("# TYPE s summary\ns 0\n# EOF\n", 2, 2, missing("quantile")),
        (
            "# TYPE e stateset\ne{a=\"1\"} 0\n# EOF\n",
            2,
            2,
            missing("e"),
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count{le=\"1\"} 1\n# EOF\n",
            3,
            9,
            K::UnexpectedLabel { name: "le" },
        ),
        (
            "# TYPE s summary\ns_sum{quantile=\"1\"} 1\n# EOF\n",
            2,
            7,
            K::UnexpectedLabel { name: "quantile" },
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"+INF\"} 0\n# EOF\n",
            2,
            10,
            K::InvalidLe,
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"NaN\"} 0\n# EOF\n",
            2,
            10,
            K::InvalidLe,
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"x\"} 0\n# EOF\n",
            2,
            10,
            K::InvalidLe,
        ),
        (
            "# TYPE s summary\ns{quantile=\"1.01\"} 0\n# EOF\n",
            2,
            3,
            K::InvalidQuantile,
        ),
        (
            "# TYPE s summary\ns{quantile=\"-0.5\"} 0\n# EOF\n",
            2,
            3,
            K::InvalidQuantile,
        ),
        (
            "# TYPE s summary\ns{quantile=\"NaN\"} 0\n# EOF\n",
            2,
            3,
            K::InvalidQuantile,
        ),
    ]);
    // Non-canonical renderings of finite thresholds are accepted.
    accepts("# TYPE h histogram\nh_bucket{le=\"1.1e-4\"} 0\nh_bucket{le=\"+Inf\"} 0\n# EOF\n");
}

#[test]
fn enforces_values_of_each_type() {
    check_openmetrics(&[
        (
            "# TYPE c counter\nc_total -1\n# EOF\n",
            2,
            9,
            K::NegativeValue,
        ),
        ("# TYPE c counter\nc_total NaN\n# EOF\n", 2, 9, K::NanValue),
        (
            "# TYPE c counter\nc_total 1\nc_created NaN\n# EOF\n",
            3,
            11,
            K::InvalidCreated,
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} -1\n# EOF\n",
            2,
            21,
            K::NegativeValue,
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1.5\n# EOF\n",
            2,
            21,
            K::NotInteger,
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} +Inf\n# EOF\n",
            2,
            21,
            K::NotInteger,
        ),
        ("# TYPE h histogram\nh_sum NaN\n# EOF\n", 2, 7, K::NanValue),
        (
            "# TYPE g gaugehistogram\ng_gsum NaN\n# EOF\n",
            2,
            8,
            K::NanValue,
        ),
        (
            "# TYPE g gaugehistogram\ng_gcount -1\n# EOF\n",
            2,
            10,
            K::NegativeValue,
        ),
        (
            "# TYPE s summary\ns_count 1.5\n# EOF\n",
            2,
            9,
            K::NotInteger,
        ),
        (
            "# TYPE s summary\ns_sum -1\n# EOF\n",
            2,
            7,
            K::NegativeValue,
        ),
        (
            "# TYPE s summary\ns{quantile=\"0.5\"} -1\n# EOF\n",
            2,
            19,
            K::NegativeValue,
        ),
        (
            "# TYPE i info\ni_info{v=\"1\"} 2\n# EOF\n",
            2,
            15,
            K::InvalidInfoValue,
        ),
        (
            "# TYPE e stateset\ne{e=\"x\"} 0.5\n# EOF\n",
            2,
            10,
            K::InvalidStateSetValue,
        ),
    ]);
    accepts("# TYPE s summary\ns{quantile=\"0.5\"} NaN\n# EOF\n");
    accepts("# TYPE c counter\nc_total +Inf\n# EOF\n");
    accepts("# TYPE e stateset\ne{e=\"x\"} 1.0\ne{e=\"y\"} -0\n# EOF\n");
}

#[test]
fn enforces_histogram_points() {
    let h = |body: &str| format!("# TYPE h histogram\n{body}# EOF\n");
    let g = |body: &str| format!("# TYPE g gaugehistogram\n{body}# EOF\n");
    let cases = [
        (
            h("h_bucket{le=\"2\"} 0\nh_bucket{le=\"1\"} 0\n"),
            3,
            10,
            K::BucketsNotSorted,
        ),
        (
            h("h_bucket{le=\"1\"} 0\nh_bucket{le=\"1.0\"} 0\n"),
            3,
            1,
            K::DuplicateSample,
        ),
        (
            h("h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"),
            3,
            21,
            K::NonCumulativeBuckets,
        ),
        (h("h_bucket{le=\"1\"} 0\n"), 2, 1, K::MissingInfBucket),
        (h("h_sum 1\n"), 2, 1, K::MissingInfBucket),
        (h("h_created 1\n"), 2, 1, K::MissingInfBucket),
        (
            h("h_bucket{le=\"+Inf\"} 1\nh_count 2\n"),
            3,
            9,
            K::CountMismatch,
        ),
        (
            h("h_count 2\nh_bucket{le=\"+Inf\"} 1\n"),
            3,
            21,
            K::CountMismatch,
        ),
        (
            h("h_bucket{le=\"+Inf\"} 1\nh_sum 2\n"),
            3,
            1,
            K::SumWithoutCount,
        ),
        (
            h("h_bucket{le=\"+Inf\"} 1\nh_count 1\n"),
            3,
            1,
            K::CountWithoutSum,
        ),
        (
            h("h_bucket{le=\"-1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n"),
            5,
            1,
            K::SumWithNegativeBuckets,
        ),
        (
            g("g_bucket{le=\"+Inf\"} 1\ng_gcount 1\ng_gsum -1\n"),
            4,
            8,
            K::NegativeGsum,
        ),
        (
            g("g_bucket{le=\"+Inf\"} 1\ng_gsum 1\n"),
            3,
            1,
            K::SumWithoutCount,
        ),
        (
            h("h_bucket{a=\"1\",le=\"+Inf\"} 1\nh_bucket{a=\"2\",le=\"1\"} 1\n"),
            3,
            1,
            K::MissingInfBucket,
        ),
    ];
    for (input, line, column, kind) in cases {
        let e = parse_openmetrics(&input).expect_err(&input);
        assert_eq!(
            (e.line, e.column, e.kind),
            (line, column, kind),
            "{input:?}"
        );
    }
    accepts(&h("h_bucket{le=\"-1\"} 0\nh_bucket{le=\"+Inf\"} 1\n"));
    accepts(&g(
        "g_bucket{le=\"-1\"} 1\ng_bucket{le=\"+Inf\"} 1\ng_gcount 1\ng_gsum -3\n",
    ));
    // Points told apart by timestamps, each complete.
    accepts(&h("h_bucket{le=\"+Inf\"} 1 10\nh_count 1 10\nh_sum 1 10\n\
         h_bucket{le=\"+Inf\"} 2 20\nh_count 2 20\nh_sum 3 20\n"));
}

#[test]
fn requires_counter_totals() {
    check_openmetrics(&[
        (
            "# TYPE c counter\nc_created 1\n# EOF\n",
            2,
            1,
            K::MissingTotal,
        ),
        (
            "# TYPE c counter\nc_total{a=\"1\"} 1\nc_created{a=\"2\"} 1\n# EOF\n",
            3,
            1,
            K::MissingTotal,
        ),
    ]);
    accepts("# TYPE c counter\nc_created 1\nc_total 1\n# EOF\n");
}

#[test]
fn enforces_exemplar_rules() {
    let long = format!("{{a=\"{}\"}}", "x".repeat(128));
    let fits = format!("{{a=\"{}\"}}", "☃".repeat(127));
    let too_long = format!("# TYPE c counter\nc_total 1 # {long} 1\n# EOF\n");
    let e = parse_openmetrics(&too_long).expect_err("129 characters");
    assert_eq!(
        (e.line, e.column, e.kind),
        (2, 13, K::ExemplarTooLong { length: 129 })
    );
    accepts(&format!("# TYPE c counter\nc_total 1 # {fits} 1\n# EOF\n"));

    check_openmetrics(&[
        (
            "# TYPE c counter\nc_total 1 #\n# EOF\n",
            2,
            11,
            K::InvalidExemplar,
        ),
        (
            "# TYPE c counter\nc_total 1 #{} 1\n# EOF\n",
            2,
            11,
            K::InvalidExemplar,
        ),
        (
            "# TYPE c counter\nc_total 1 # {}1\n# EOF\n",
            2,
            15,
            K::InvalidExemplar,
        ),
        (
            "# TYPE c counter\nc_total 1 # {} \n# EOF\n",
            2,
            16,
            K::InvalidValue,
        ),
        (
            "# TYPE c counter\nc_total 1 # {} 1 \n# EOF\n",
            2,
            17,
            K::TrailingText,
        ),
        (
            "# TYPE c counter\nc_total 1 # {} 1 NaN\n# EOF\n",
            2,
            18,
            K::InvalidTimestamp,
        ),
        (
            "# TYPE c counter\nc_total 1 # {} 1 1 1\n# EOF\n",
            2,
            19,
            K::TrailingText,
        ),
        ("a 1 # {} 1\n# EOF\n", 1, 5, K::ExemplarNotAllowed),
        (
            "# TYPE c counter\nc_created 1 # {} 1\n# EOF\n",
            2,
            13,
            K::ExemplarNotAllowed,
        ),
        (
            "# TYPE h histogram\nh_sum 1 # {} 1\n# EOF\n",
            2,
            9,
            K::ExemplarNotAllowed,
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1 # {} 2\n# EOF\n",
            2,
            25,
            K::ExemplarOutOfBucket,
        ),
    ]);
    // The official suite accepts exemplars below the previous threshold.
    accepts(
        "# TYPE h histogram\nh_bucket{le=\"1\"} 0 # {} 0.5\nh_bucket{le=\"2\"} 2 # {} 0.5\n\
         h_bucket{le=\"+Inf\"} 3 # {} NaN 1\n# EOF\n",
    );
}

#[test]
fn displays_position_and_rule() {
    let e = parse_openmetrics("# TYPE a counter\na_total -1\n# EOF\n").expect_err("negative");
    assert_eq!(
        e.to_string(),
        "line 2, column 9: value must not be negative for this sample"
    );
    let e = parse_openmetrics("aé{é=\"\"} 1\n# EOF\n").expect_err("bad name");
    // Columns count characters, not bytes.
    assert_eq!((e.line, e.column), (1, 2));
    let e = parse_openmetrics("a{b=\"é\"} 1 x\n# EOF\n").expect_err("bad timestamp");
    assert_eq!(e.column, 12);
    let source: &dyn std::error::Error = &e;
    assert!(source.source().is_none());
}

#[test]
fn borrows_unless_unescaping() {
    let exposition =
        parse_openmetrics("a{x=\"plain\",y=\"a\\nb\"} 1\n# EOF\n").expect("valid exposition");
    let labels = &exposition.families[0].samples[0].labels;
    assert!(matches!(labels[0].1, Cow::Borrowed("plain")));
    assert!(matches!(&labels[1].1, Cow::Owned(v) if v == "a\nb"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

    #[test]
    fn never_panics_and_points_inside_the_input(
        input in "([a-z_{}=\",# \\\\\n\t.+\\-0-9eEIfNan]|TYPE |HELP |UNIT |EOF|le|é|\r){0,80}"
    ) {
        for result in [parse_openmetrics(&input), parse_prometheus(&input)] {
            if let Err(e) = result {
                let lines = input.split('\n').count() + 1;
                proptest::prop_assert!(e.line >= 1 && e.line <= lines, "{e}");
                proptest::prop_assert!(e.column >= 1 && e.column <= input.chars().count() + 1);
            }
        }
    }

    #[test]
    fn never_panics_on_arbitrary_text(input in "\\PC{0,60}") {
        let _ = parse_openmetrics(&input);
        let _ = parse_prometheus(&input);
    }
}
