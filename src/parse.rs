//! Strict parser for the [OpenMetrics 1.0 text format], which also reads the
//! [Prometheus text format 0.0.4] when asked to.
//!
//! [`parse_openmetrics`] refuses everything OpenMetrics 1.0 forbids: the
//! grammar of every line and the rules of the data model (type suffixes,
//! histogram buckets, counter values, exemplar placement and size, metadata
//! order, interleaving, repeated series, timestamps, the closing `# EOF`).
//! It agrees with all 211 cases of the official OpenMetrics parser suite.
//! [`parse_prometheus`] applies the older format's grammar and its smaller
//! set of rules. Both borrow names, numbers and label values from the input
//! and allocate only for values that need unescaping.
//!
//! [OpenMetrics 1.0 text format]: https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md
//! [Prometheus text format 0.0.4]: https://prometheus.io/docs/instrumenting/exposition_formats/

use std::borrow::Cow;

mod engine;
mod error;
mod lexer;
mod number;
mod rules;
#[cfg(test)]
mod tests;

pub use error::{ParseError, ParseErrorKind};

/// The text format being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    OpenMetrics,
    Prometheus,
}

/// Parses an OpenMetrics 1.0 text exposition, checking every rule of the
/// format.
///
/// Timestamps are in seconds, as written.
///
/// # Errors
///
/// Returns a [`ParseError`] locating the first line that breaks a rule of the
/// format, with the rule in [`ParseError::kind`]. An exposition is valid or
/// invalid as a whole; nothing is returned from a partial parse.
///
/// # Examples
///
/// ```
/// use beamline::parse::{parse_openmetrics, FamilyType};
///
/// let text = "# TYPE jobs counter\n\
///             ## HELP jobs Jobs run.\n\
///             jobs_total{queue=\"a\\\"b\"} 17 # {trace_id=\"x1\"} 1.5\n\
///             jobs_created{queue=\"a\\\"b\"} 1700000000.25\n\
///             ## EOF\n";
/// let exposition = parse_openmetrics(text).unwrap();
/// let jobs = exposition.family("jobs").unwrap();
/// assert_eq!(jobs.family_type, FamilyType::Counter);
/// assert_eq!(jobs.help.as_deref(), Some("Jobs run."));
/// assert_eq!(jobs.samples[0].label("queue"), Some("a\"b"));
/// assert_eq!(jobs.samples[0].value, 17.0);
/// assert_eq!(jobs.samples[0].exemplar.as_ref().unwrap().value, 1.5);
/// assert_eq!(jobs.samples[1].value, 1_700_000_000.25);
///
/// assert!(parse_openmetrics("jobs_total 1\n").is_err()); // no "# EOF"
/// ```
pub fn parse_openmetrics(input: &str) -> Result<Exposition<'_>, ParseError> {
    engine::run(input, Dialect::OpenMetrics)
}

/// Parses a Prometheus text format 0.0.4 exposition.
///
/// The older format separates tokens by any run of spaces and tabs, allows
/// blank lines, comments and a trailing comma in label sets, needs no
/// `# EOF` but a newline after the last line, and knows the types `counter`, `gauge`, `histogram`, `summary`
/// and `untyped` (read as [`FamilyType::Unknown`]). It has no UNIT lines,
/// exemplars or `_created` samples; a counter's sample carries the family
/// name itself. Timestamps are integer milliseconds in the text and are
/// returned in seconds, like OpenMetrics timestamps.
///
/// The rules checked are those the format states: HELP and TYPE before the
/// samples of their family, at most one of each per family, families and series not
/// interleaved, `le` and `quantile` labels where they belong, buckets sorted,
/// cumulative and ending at `+Inf` equal to `_count`, quantiles in increasing
/// order, and no label name starting with `__`.
///
/// # Errors
///
/// Returns a [`ParseError`] locating the first line that breaks a rule of the
/// format.
///
/// # Examples
///
/// ```
/// use beamline::parse::{parse_prometheus, FamilyType};
///
/// let text = "# HELP up Whether the target is up.\n\
///             ## TYPE up gauge\n\
///             up{job=\"api\",} 1 1700000000123\n\
///             \n\
///             ## TYPE legacy untyped\n\
///             legacy\t 3\n";
/// let exposition = parse_prometheus(text).unwrap();
/// let up = exposition.family("up").unwrap();
/// assert_eq!(up.samples[0].timestamp, Some(1_700_000_000.123));
/// assert_eq!(exposition.family("legacy").unwrap().family_type, FamilyType::Unknown);
/// ```
pub fn parse_prometheus(input: &str) -> Result<Exposition<'_>, ParseError> {
    engine::run(input, Dialect::Prometheus)
}

/// A parsed exposition: its metric families in the order they appear.
///
/// # Examples
///
/// ```
/// use beamline::parse::parse_openmetrics;
///
/// let exposition = parse_openmetrics("a 1\nb{x=\"y\"} 2\n# EOF\n").unwrap();
/// assert_eq!(exposition.families.len(), 2);
/// assert_eq!(exposition.sample_count(), 2);
/// assert_eq!(exposition.sample("b", &[("x", "y")]).unwrap().value, 2.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Exposition<'a> {
    /// The families, in exposition order.
    pub families: Vec<MetricFamily<'a>>,
}

impl<'a> Exposition<'a> {
    /// Returns the family called `name`, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::parse::parse_openmetrics;
    ///
    /// let exposition = parse_openmetrics("# TYPE a gauge\n# EOF\n").unwrap();
    /// assert!(exposition.family("a").unwrap().samples.is_empty());
    /// assert!(exposition.family("b").is_none());
    /// ```
    pub fn family(&self, name: &str) -> Option<&MetricFamily<'a>> {
        self.families.iter().find(|f| f.name == name)
    }

    /// Returns every sample of every family, in exposition order.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::parse::parse_openmetrics;
    ///
    /// let exposition = parse_openmetrics("a 1\nb 2\n# EOF\n").unwrap();
    /// let names: Vec<_> = exposition.samples().map(|s| s.name).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    pub fn samples(&self) -> impl Iterator<Item = &Sample<'a>> {
        self.families.iter().flat_map(|f| f.samples.iter())
    }

    /// Returns the number of samples in all families.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::parse::parse_openmetrics;
    ///
    /// let exposition = parse_openmetrics("a 1\nb 2\n# EOF\n").unwrap();
    /// assert_eq!(exposition.sample_count(), 2);
    /// ```
    pub fn sample_count(&self) -> usize {
        self.families.iter().map(|f| f.samples.len()).sum()
    }

    /// Returns the first sample named `name` whose label set is exactly
    /// `labels`, in any order.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::parse::parse_openmetrics;
    ///
    /// let text = "# TYPE h histogram\n\
    ///             h_bucket{path=\"/\",le=\"+Inf\"} 3\n\
    ///             ## EOF\n";
    /// let exposition = parse_openmetrics(text).unwrap();
    /// let bucket = exposition.sample("h_bucket", &[("le", "+Inf"), ("path", "/")]);
    /// assert_eq!(bucket.unwrap().value, 3.0);
    /// assert!(exposition.sample("h_bucket", &[("le", "+Inf")]).is_none());
    /// ```
    pub fn sample(&self, name: &str, labels: &[(&str, &str)]) -> Option<&Sample<'a>> {
        self.samples().find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels.iter().all(|&(k, v)| s.label(k) == Some(v))
        })
    }
}

/// One metric family: its metadata and its samples.
///
/// Empty HELP and UNIT values count as absent, as the specification asks.
///
/// # Examples
///
/// ```
/// use beamline::parse::{parse_openmetrics, FamilyType};
///
/// let text = "# TYPE door_seconds gauge\n# UNIT door_seconds seconds\n\
///             door_seconds 2.5\n# EOF\n";
/// let exposition = parse_openmetrics(text).unwrap();
/// let family = &exposition.families[0];
/// assert_eq!(family.name, "door_seconds");
/// assert_eq!(family.family_type, FamilyType::Gauge);
/// assert_eq!(family.unit.as_deref(), Some("seconds"));
/// assert_eq!(family.help, None);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricFamily<'a> {
    /// The family name, without any sample suffix.
    pub name: &'a str,
    /// The declared type; [`FamilyType::Unknown`] without a TYPE line.
    pub family_type: FamilyType,
    /// The unescaped HELP text, if present and not empty.
    pub help: Option<Cow<'a, str>>,
    /// The unit, if present and not empty (always `None` in 0.0.4).
    pub unit: Option<Cow<'a, str>>,
    /// The samples, in exposition order.
    pub samples: Vec<Sample<'a>>,
}

/// One sample line.
///
/// # Examples
///
/// ```
/// use beamline::parse::parse_openmetrics;
///
/// let exposition = parse_openmetrics("a{x=\"1\",y=\"\\n\"} 1.50 7\n# EOF\n").unwrap();
/// let sample = &exposition.families[0].samples[0];
/// assert_eq!(sample.name, "a");
/// assert_eq!(sample.label("y"), Some("\n"));
/// assert_eq!(sample.value, 1.5);
/// assert_eq!(sample.value_text, "1.50");
/// assert_eq!(sample.timestamp, Some(7.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Sample<'a> {
    /// The sample name, suffix included (`requests_total`).
    pub name: &'a str,
    /// The labels in written order, values unescaped; `le` and `quantile`
    /// included.
    pub labels: Vec<(&'a str, Cow<'a, str>)>,
    /// The value.
    pub value: f64,
    /// The value exactly as written.
    pub value_text: &'a str,
    /// The timestamp in seconds, if written.
    pub timestamp: Option<f64>,
    /// The exemplar, if any.
    pub exemplar: Option<Exemplar<'a>>,
}

impl Sample<'_> {
    /// Returns the value of the label called `name`, if present.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::parse::parse_openmetrics;
    ///
    /// let exposition = parse_openmetrics("a{x=\"1\"} 1\n# EOF\n").unwrap();
    /// let sample = &exposition.families[0].samples[0];
    /// assert_eq!(sample.label("x"), Some("1"));
    /// assert_eq!(sample.label("y"), None);
    /// ```
    pub fn label(&self, name: &str) -> Option<&str> {
        find_label(&self.labels, name)
    }
}

/// An exemplar attached to a counter total or a histogram bucket.
///
/// # Examples
///
/// ```
/// use beamline::parse::parse_openmetrics;
///
/// let text = "# TYPE c counter\nc_total 3 # {trace_id=\"ab\"} 1 1700000000\n# EOF\n";
/// let exposition = parse_openmetrics(text).unwrap();
/// let exemplar = exposition.families[0].samples[0].exemplar.as_ref().unwrap();
/// assert_eq!(exemplar.label("trace_id"), Some("ab"));
/// assert_eq!(exemplar.value, 1.0);
/// assert_eq!(exemplar.timestamp, Some(1_700_000_000.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Exemplar<'a> {
    /// The exemplar's labels in written order, values unescaped.
    pub labels: Vec<(&'a str, Cow<'a, str>)>,
    /// The exemplar's value.
    pub value: f64,
    /// The exemplar's timestamp in seconds, if written.
    pub timestamp: Option<f64>,
}

impl Exemplar<'_> {
    /// Returns the value of the exemplar label called `name`, if present.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::parse::parse_openmetrics;
    ///
    /// let text = "# TYPE c counter\nc_total 3 # {id=\"7\"} 1\n# EOF\n";
    /// let exposition = parse_openmetrics(text).unwrap();
    /// let exemplar = exposition.families[0].samples[0].exemplar.as_ref().unwrap();
    /// assert_eq!(exemplar.label("id"), Some("7"));
    /// ```
    pub fn label(&self, name: &str) -> Option<&str> {
        find_label(&self.labels, name)
    }
}

fn find_label<'s>(labels: &'s [(&str, Cow<'_, str>)], name: &str) -> Option<&'s str> {
    labels.iter().find(|l| l.0 == name).map(|l| l.1.as_ref())
}

/// The type of a metric family: the crate's [`MetricType`], under the name
/// this module has always used.
///
/// [`MetricType`]: crate::MetricType
///
/// # Examples
///
/// ```
/// use beamline::parse::FamilyType;
///
/// assert_eq!(FamilyType::GaugeHistogram.as_str(), "gaugehistogram");
/// assert_eq!(FamilyType::StateSet.to_string(), "stateset");
/// ```
pub use crate::metrics::MetricType as FamilyType;

/// Reads an OpenMetrics TYPE keyword.
fn type_from_openmetrics(word: &str) -> Option<FamilyType> {
    [
        FamilyType::Counter,
        FamilyType::Gauge,
        FamilyType::Histogram,
        FamilyType::GaugeHistogram,
        FamilyType::Summary,
        FamilyType::Info,
        FamilyType::StateSet,
        FamilyType::Unknown,
    ]
    .into_iter()
    .find(|t| t.as_str() == word)
}

/// Reads a Prometheus 0.0.4 TYPE keyword.
fn type_from_prometheus(word: &str) -> Option<FamilyType> {
    match word {
        "counter" => Some(FamilyType::Counter),
        "gauge" => Some(FamilyType::Gauge),
        "histogram" => Some(FamilyType::Histogram),
        "summary" => Some(FamilyType::Summary),
        "untyped" => Some(FamilyType::Unknown),
        _ => None,
    }
}

/// Info and stateset families "MUST have an empty Unit string".
fn allows_unit(family_type: FamilyType) -> bool {
    !matches!(family_type, FamilyType::Info | FamilyType::StateSet)
}
