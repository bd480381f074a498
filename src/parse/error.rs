//! The error returned when an exposition breaks a rule of its format.

use std::fmt;

use super::FamilyType;

/// An exposition that breaks a rule of its format, with the position of the
/// first offence.
///
/// Lines and columns are 1-based; columns count Unicode scalar values, not
/// bytes. Parsing stops at the first rule broken: OpenMetrics requires a
/// partial or invalid exposition to be treated as erroneous in its entirety.
///
/// # Examples
///
/// ```
/// use beamline::parse::{parse_openmetrics, ParseErrorKind};
///
/// let err = parse_openmetrics("a{b=\"1\",b=\"2\"} 1\n# EOF\n").unwrap_err();
/// assert_eq!((err.line, err.column), (1, 9));
/// assert!(matches!(err.kind, ParseErrorKind::DuplicateLabelName { .. }));
/// assert_eq!(err.to_string(), "line 1, column 9: label name \"b\" repeats in one label set");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseError {
    /// 1-based line of the offence.
    pub line: usize,
    /// 1-based column of the offence, in characters.
    pub column: usize,
    /// The rule broken.
    pub kind: ParseErrorKind,
}

impl ParseError {
    pub(super) fn new(line: usize, column: usize, kind: ParseErrorKind) -> Self {
        Self { line, column, kind }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.kind
        )
    }
}

impl std::error::Error for ParseError {}

/// The rule an exposition broke, one variant per rule.
///
/// # Examples
///
/// ```
/// use beamline::parse::{parse_openmetrics, ParseErrorKind};
///
/// let err = parse_openmetrics("# TYPE a counter\na_total -1\n# EOF\n").unwrap_err();
/// assert_eq!(err.kind, ParseErrorKind::NegativeValue);
/// assert_eq!(err.kind.to_string(), "value must not be negative for this sample");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The OpenMetrics exposition does not end with a `# EOF` line.
    MissingEof,
    /// The Prometheus 0.0.4 exposition does not end with a newline.
    MissingNewline,
    /// Something follows the `# EOF` line other than one final newline.
    TextAfterEof,
    /// A line is empty (OpenMetrics allows no blank lines).
    EmptyLine,
    /// A line ends with a carriage return; lines end with `\n` alone.
    CarriageReturn,
    /// The exposition starts with a byte order mark.
    ByteOrderMark,
    /// A line starting with `#` is none of `# TYPE`, `# HELP`, `# UNIT` and
    /// `# EOF` (OpenMetrics has no comments).
    InvalidComment,
    /// The line ends where more was required.
    UnexpectedEndOfLine {
        /// What the grammar required next.
        expected: &'static str,
    },
    /// A single space separator is required here.
    ExpectedSpace,
    /// Text follows the last token a line may hold.
    TrailingText,
    /// A metric name is empty or holds a character outside
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    InvalidMetricName,
    /// A metric name starts with an underscore, which OpenMetrics reserves.
    ReservedMetricName {
        /// The name found.
        name: String,
    },
    /// A label name is empty or holds a character outside
    /// `[a-zA-Z_][a-zA-Z0-9_]*`.
    InvalidLabelName,
    /// A label name is reserved: any leading underscore in OpenMetrics, a
    /// leading `__` in Prometheus text 0.0.4.
    ReservedLabelName {
        /// The name found.
        name: String,
    },
    /// A label name appears twice in one label set.
    DuplicateLabelName {
        /// The repeated name.
        name: String,
    },
    /// A label name is not followed by `=`.
    MissingEquals,
    /// A label value does not start with a double quote.
    MissingQuote,
    /// A label value has no closing double quote before the end of the line.
    UnterminatedLabelValue,
    /// A label value is followed by something other than `,` or `}`.
    ExpectedCommaOrBrace,
    /// A label set ends with a comma (allowed in Prometheus text 0.0.4 only).
    TrailingComma,
    /// A backslash starts an escape the format does not allow: a lone
    /// backslash at the end of a line, or in Prometheus text 0.0.4 any
    /// escape other than `\\`, `\n` (and `\"` in label values).
    InvalidEscape,
    /// A sample or exemplar value is not a number.
    InvalidValue,
    /// A timestamp is not a finite number of the format's grammar.
    InvalidTimestamp,
    /// A number lies outside the range of a 64-bit float.
    NumberOutOfRange,
    /// A `# TYPE` line names no type of the format.
    UnknownType {
        /// The type token found.
        found: String,
    },
    /// A `# UNIT` value holds a character not allowed in metric names.
    InvalidUnit,
    /// A family has two metadata lines of the same kind.
    DuplicateMetadata {
        /// The keyword repeated: `TYPE`, `HELP` or `UNIT`.
        keyword: &'static str,
    },
    /// A metadata line follows samples of its family.
    MetadataAfterSamples,
    /// A unit is not the suffix of its family name after an underscore.
    UnitMismatch {
        /// The unit found.
        unit: String,
    },
    /// A family of type `info` or `stateset` has a unit.
    UnitNotAllowed,
    /// Lines of a family appear after lines of another family.
    InterleavedFamily {
        /// The family resumed.
        name: String,
    },
    /// Two families can produce the same sample name, or share a name.
    ClashingName {
        /// The sample name claimed twice.
        name: String,
    },
    /// A sample name lacks the suffix its family type requires.
    BadSuffix {
        /// The sample name found.
        name: String,
        /// The type of the family it belongs to.
        family_type: FamilyType,
    },
    /// A label set of a family reappears after samples of another label set.
    InterleavedMetric,
    /// A sample repeats within one series without timestamps telling the
    /// repetitions apart.
    DuplicateSample,
    /// Samples of one series mix lines with and without timestamps.
    MixedTimestamps,
    /// The timestamps of one series go backwards.
    TimestampDecreased,
    /// A label the family type requires is missing: `le` on buckets,
    /// `quantile` on summary quantiles, the family name on state sets.
    MissingLabel {
        /// The label name required.
        name: String,
    },
    /// A label is reserved for other samples of the type: `le` outside
    /// buckets, `quantile` outside summary quantiles.
    UnexpectedLabel {
        /// The label name found.
        name: &'static str,
    },
    /// An `le` value is not a number, is NaN, or writes +Inf other than as
    /// `+Inf`.
    InvalidLe,
    /// A `quantile` value is not a number between 0 and 1 inclusive.
    InvalidQuantile,
    /// A counter-like value (total, bucket, count, sum, quantile value) is
    /// negative.
    NegativeValue,
    /// A counter-like value (total, bucket, count, sum, gsum) is NaN.
    NanValue,
    /// A bucket or count value is not an integer.
    NotInteger,
    /// A `_created` value is not a finite timestamp.
    InvalidCreated,
    /// An info sample's value is not 1.
    InvalidInfoValue,
    /// A state set sample's value is neither 0 nor 1.
    InvalidStateSetValue,
    /// Bucket thresholds (`le`) are not strictly increasing.
    BucketsNotSorted,
    /// A bucket counts fewer events than the bucket before it.
    NonCumulativeBuckets,
    /// A histogram point has no `+Inf` bucket.
    MissingInfBucket,
    /// A `_count` or `_gcount` differs from the `+Inf` bucket.
    CountMismatch,
    /// A `_sum` or `_gsum` appears without `_count` or `_gcount`.
    SumWithoutCount,
    /// A `_count` or `_gcount` appears without `_sum` or `_gsum`.
    CountWithoutSum,
    /// A histogram with negative thresholds has a `_sum`.
    SumWithNegativeBuckets,
    /// A gauge histogram has a negative `_gsum` but no negative thresholds.
    NegativeGsum,
    /// Summary quantiles are not in increasing order (Prometheus 0.0.4).
    QuantilesNotSorted,
    /// A counter point has no `_total` sample.
    MissingTotal,
    /// An exemplar does not follow `# {labels} value [timestamp]`.
    InvalidExemplar,
    /// An exemplar sits on a sample other than a counter total or a bucket.
    ExemplarNotAllowed,
    /// The exemplar's label names and values exceed 128 characters.
    ExemplarTooLong {
        /// The combined length found, in characters.
        length: usize,
    },
    /// An exemplar's value exceeds the threshold of its bucket.
    ExemplarOutOfBucket,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedEndOfLine { expected } => {
                write!(f, "line ends early, expected {expected}")
            }
            Self::ReservedMetricName { name } => {
                write!(f, "metric name {name:?} starts with a reserved underscore")
            }
            Self::ReservedLabelName { name } => {
                write!(f, "label name {name:?} starts with a reserved underscore")
            }
            Self::DuplicateLabelName { name } => {
                write!(f, "label name {name:?} repeats in one label set")
            }
            Self::UnknownType { found } => write!(f, "unknown metric type {found:?}"),
            Self::DuplicateMetadata { keyword } => {
                write!(f, "second {keyword} line for one family")
            }
            Self::UnitMismatch { unit } => {
                write!(f, "unit {unit:?} is not the suffix of the family name")
            }
            Self::InterleavedFamily { name } => {
                write!(f, "family {name:?} resumes after another family")
            }
            Self::ClashingName { name } => {
                write!(f, "name {name:?} is claimed by two families")
            }
            Self::BadSuffix { name, family_type } => {
                write!(
                    f,
                    "sample name {name:?} lacks a suffix allowed in {family_type} families"
                )
            }
            Self::MissingLabel { name } => write!(f, "required label {name:?} is missing"),
            Self::UnexpectedLabel { name } => {
                write!(f, "label {name:?} is not allowed on this sample")
            }
            Self::ExemplarTooLong { length } => write!(
                f,
                "exemplar labels hold {length} characters, more than the 128 allowed"
            ),
            other => f.write_str(other.fixed_message()),
        }
    }
}

impl ParseErrorKind {
    fn fixed_message(&self) -> &'static str {
        match self {
            Self::MissingEof => "exposition does not end with \"# EOF\"",
            Self::MissingNewline => "last line does not end with a newline",
            Self::TextAfterEof => "text follows \"# EOF\"",
            Self::EmptyLine => "empty line",
            Self::CarriageReturn => "line ends with a carriage return",
            Self::ByteOrderMark => "byte order mark at start of exposition",
            Self::InvalidComment => "line starting with '#' is not TYPE, HELP, UNIT or EOF",
            Self::ExpectedSpace => "expected a single space",
            Self::TrailingText => "unexpected text at end of line",
            Self::InvalidMetricName => "invalid metric name",
            Self::InvalidLabelName => "invalid label name",
            Self::MissingEquals => "expected '=' after label name",
            Self::MissingQuote => "label value must start with '\"'",
            Self::UnterminatedLabelValue => "label value has no closing '\"'",
            Self::ExpectedCommaOrBrace => "expected ',' or '}' after label value",
            Self::TrailingComma => "label set ends with a comma",
            Self::InvalidEscape => "invalid escape sequence",
            Self::InvalidValue => "value is not a valid number",
            Self::InvalidTimestamp => "timestamp is not a valid finite number",
            Self::NumberOutOfRange => "number is outside the range of a 64-bit float",
            Self::InvalidUnit => "invalid character in unit",
            Self::MetadataAfterSamples => "metadata line follows samples of its family",
            Self::UnitNotAllowed => "info and stateset families cannot have a unit",
            Self::InterleavedMetric => "label set resumes after another label set",
            Self::DuplicateSample => "sample repeats without distinct timestamps",
            Self::MixedTimestamps => "series mixes samples with and without timestamps",
            Self::TimestampDecreased => "timestamps of a series go backwards",
            Self::InvalidLe => "le label is not a valid bucket threshold",
            Self::InvalidQuantile => "quantile label is not a number between 0 and 1",
            Self::NegativeValue => "value must not be negative for this sample",
            Self::NanValue => "value must not be NaN for this sample",
            Self::NotInteger => "bucket and count values must be integers",
            Self::InvalidCreated => "created value must be a finite timestamp",
            Self::InvalidInfoValue => "info value must be 1",
            Self::InvalidStateSetValue => "stateset value must be 0 or 1",
            Self::BucketsNotSorted => "bucket thresholds must be strictly increasing",
            Self::NonCumulativeBuckets => "bucket counts must not decrease",
            Self::MissingInfBucket => "histogram point has no +Inf bucket",
            Self::CountMismatch => "count differs from the +Inf bucket",
            Self::SumWithoutCount => "sum without count",
            Self::CountWithoutSum => "count without sum",
            Self::SumWithNegativeBuckets => "histogram with negative buckets cannot have a sum",
            Self::NegativeGsum => "negative gsum without negative buckets",
            Self::QuantilesNotSorted => "quantiles must be in increasing order",
            Self::MissingTotal => "counter point has no _total sample",
            Self::InvalidExemplar => "malformed exemplar",
            Self::ExemplarNotAllowed => "exemplars are allowed only on counter totals and buckets",
            Self::ExemplarOutOfBucket => "exemplar value exceeds the bucket threshold",
            // Variants with payloads are written by `Display::fmt`.
            _ => "invalid exposition",
        }
    }
}
