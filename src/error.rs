//! The error type returned by registration, validation and checked updates.

use std::fmt;

/// Everything beamline can refuse, one variant per rule.
///
/// Each variant names the offending input so that the message alone is enough
/// to fix the call site.
///
/// # Examples
///
/// ```
/// use beamline::{Counter, Error, Registry};
///
/// let registry = Registry::new();
/// let err = registry
///     .register("requests_total", "Requests.", Counter::new())
///     .unwrap_err();
/// assert!(matches!(err, Error::CounterTotalSuffix { .. }));
/// assert_eq!(
///     err.to_string(),
///     "counter name `requests_total` ends in `_total`; register it as `requests`, \
///      the suffix is added to the sample"
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A metric name does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    InvalidMetricName {
        /// The rejected name.
        name: String,
    },
    /// A metric name starts with an underscore, which OpenMetrics reserves.
    ReservedMetricName {
        /// The rejected name.
        name: String,
    },
    /// A label name does not match `[a-zA-Z_][a-zA-Z0-9_]*`.
    InvalidLabelName {
        /// The rejected label name.
        name: String,
    },
    /// The same label name appears twice in one label set.
    DuplicateLabelName {
        /// The repeated label name.
        name: String,
    },
    /// A label name is reserved: a leading underscore everywhere, `le` on histograms,
    /// `quantile` on summaries, the family's own name on a state set.
    ReservedLabelName {
        /// The reserved label name.
        name: String,
        /// Why the name is reserved.
        reason: &'static str,
    },
    /// A unit contains characters other than `[a-zA-Z0-9_:]`, or is empty.
    InvalidUnit {
        /// The rejected unit.
        unit: String,
    },
    /// The metric name does not end in `_` followed by the unit, as
    /// OpenMetrics requires.
    UnitNotSuffix {
        /// The metric name.
        name: String,
        /// The unit that should end it.
        unit: String,
    },
    /// A state set's name is also the label name of its states, so it must be
    /// a valid label name: no colon, no leading underscore.
    StateSetName {
        /// The rejected name.
        name: String,
    },
    /// Info and state set metrics cannot carry a unit.
    UnitNotAllowed {
        /// The metric name.
        name: String,
        /// The metric type (`info` or `stateset`).
        metric_type: &'static str,
    },
    /// A counter was registered with a name ending in `_total`. beamline
    /// refuses instead of rewriting the name: the suffix belongs to the sample.
    CounterTotalSuffix {
        /// The rejected name.
        name: String,
    },
    /// A family with this name is already registered.
    DuplicateFamily {
        /// The name already taken.
        name: String,
    },
    /// A sample name of the new family equals a sample name of an existing
    /// one (a histogram `foo` and a gauge `foo_count`, say).
    SampleNameCollision {
        /// The family being registered.
        name: String,
        /// The sample name both families would expose.
        sample: String,
        /// The family already registered that owns that sample name.
        existing: String,
    },
    /// A histogram bucket list breaks a rule.
    InvalidBuckets {
        /// The position of the offending bound, when one is to blame.
        index: Option<usize>,
        /// The rule broken.
        reason: &'static str,
    },
    /// A state set has no states or repeats one.
    InvalidStates {
        /// The offending state, empty when the list itself is empty.
        state: String,
        /// The rule broken.
        reason: &'static str,
    },
    /// A float counter was asked to add a negative, NaN or infinite amount.
    InvalidIncrement {
        /// The refused amount.
        value: f64,
    },
    /// The label names and values of an exemplar exceed 128 characters.
    ExemplarTooLong {
        /// The number of characters given.
        length: usize,
    },
    /// An exemplar label value contains a double quote. OpenMetrics allows
    /// it escaped, but widely used strict parsers (Python's
    /// `prometheus_client`) reject the whole exposition when an exemplar
    /// carries one, so beamline refuses it up front.
    ExemplarQuote {
        /// The refused label value.
        value: String,
    },
    /// A summary configuration breaks a rule (quantile range, window, error
    /// bound).
    InvalidSummary {
        /// The offending value.
        value: f64,
        /// The rule broken.
        reason: &'static str,
    },
    /// A sub-registry prefix is not a valid metric name start.
    InvalidPrefix {
        /// The rejected prefix.
        prefix: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidMetricName { name } => write!(
                f,
                "invalid metric name `{name}`: it must match [a-zA-Z_:][a-zA-Z0-9_:]*"
            ),
            Self::ReservedMetricName { name } => write!(
                f,
                "metric name `{name}` starts with an underscore, which OpenMetrics reserves"
            ),
            Self::InvalidLabelName { name } => write!(
                f,
                "invalid label name `{name}`: it must match [a-zA-Z_][a-zA-Z0-9_]*"
            ),
            Self::DuplicateLabelName { name } => {
                write!(f, "label name `{name}` appears more than once")
            }
            Self::ReservedLabelName { name, reason } => {
                write!(f, "label name `{name}` is reserved: {reason}")
            }
            Self::InvalidUnit { unit } => write!(
                f,
                "invalid unit `{unit}`: it must be non-empty and match [a-zA-Z0-9_:]*"
            ),
            Self::UnitNotSuffix { name, unit } => write!(
                f,
                "metric name `{name}` must end in `_{unit}` to carry the unit `{unit}`"
            ),
            Self::StateSetName { name } => write!(
                f,
                "state set name `{name}` is also its label name, so it must match \
                 [a-zA-Z][a-zA-Z0-9_]*"
            ),
            Self::UnitNotAllowed { name, metric_type } => {
                write!(f, "{metric_type} `{name}` cannot have a unit")
            }
            Self::CounterTotalSuffix { name } => write!(
                f,
                "counter name `{name}` ends in `_total`; register it as `{}`, \
                 the suffix is added to the sample",
                name.strip_suffix("_total").unwrap_or(name)
            ),
            Self::DuplicateFamily { name } => {
                write!(f, "a metric family named `{name}` is already registered")
            }
            Self::SampleNameCollision {
                name,
                sample,
                existing,
            } => write!(
                f,
                "metric family `{name}` would expose the sample name `{sample}`, \
                 which family `{existing}` already exposes"
            ),
            Self::InvalidBuckets {
                index: Some(i),
                reason,
            } => write!(f, "invalid histogram buckets at index {i}: {reason}"),
            Self::InvalidBuckets {
                index: None,
                reason,
            } => write!(f, "invalid histogram buckets: {reason}"),
            Self::InvalidStates { state, reason } if state.is_empty() => {
                write!(f, "invalid state set: {reason}")
            }
            Self::InvalidStates { state, reason } => {
                write!(f, "invalid state set state `{state}`: {reason}")
            }
            Self::InvalidIncrement { value } => write!(
                f,
                "counter increment {value} refused: it must be finite and not negative"
            ),
            Self::ExemplarTooLong { length } => write!(
                f,
                "exemplar labels have {length} characters, more than the 128 allowed"
            ),
            Self::ExemplarQuote { value } => write!(
                f,
                "exemplar label value `{value}` contains a double quote, which common \
                 OpenMetrics parsers cannot read in exemplars"
            ),
            Self::InvalidSummary { value, reason } => {
                write!(f, "invalid summary setting {value}: {reason}")
            }
            Self::InvalidPrefix { prefix } => write!(
                f,
                "invalid name prefix `{prefix}`: it must match [a-zA-Z_:][a-zA-Z0-9_:]*"
            ),
        }
    }
}

impl std::error::Error for Error {}
