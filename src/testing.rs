//! Helpers for tests of code instrumented with beamline: read a value back,
//! render one family, compare a registry with an expected exposition, and
//! lint names against the [OpenMetrics] and [Prometheus naming] conventions.
//!
//! Every helper scrapes the registry in OpenMetrics text and reads the result
//! back with beamline's strict [parser](crate::parse), so what the helpers
//! see is exactly what a scraper sees, callbacks and collectors included.
//!
//! [OpenMetrics]: https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md
//! [Prometheus naming]: https://prometheus.io/docs/practices/naming/
//!
//! # Examples
//!
//! ```
//! use beamline::{testing, Counter, Family, Registry};
//!
//! let registry = Registry::new();
//! let requests = registry.register(
//!     "http_requests",
//!     "Requests by method.",
//!     Family::<Counter, 1>::new(["method"]),
//! )?;
//! requests.get(["GET"]).inc_by(2);
//!
//! assert_eq!(testing::value(&registry, "http_requests_total", &[("method", "GET")]), Some(2.0));
//! testing::assert_exposition(&registry, r#"
//!     ## TYPE http_requests counter
//!     http_requests_total{method="GET"} 2
//! "#);
//! assert!(testing::lint(&registry).is_empty());
//! # Ok::<(), beamline::Error>(())
//! ```

use crate::parse::{parse_openmetrics, Exposition, FamilyType};
use crate::{Format, Registry};

mod compare;
mod lint;

pub use compare::{assert_exposition, compare_exposition, Difference, Mismatch};
pub use lint::{lint, Lint, LintRule};

/// Returns the current value of the sample called `sample` whose label set is
/// exactly `labels` (in any order), or `None` when the registry exposes no
/// such sample.
///
/// `sample` is the name on the sample line, suffix included:
/// `requests_total` for a counter registered as `requests`, `latency_count`
/// or `latency_bucket` (with its `le` label) for a histogram. Constant labels
/// of a sub-registry are part of the label set.
///
/// # Panics
///
/// Panics if beamline's parser rejects the registry's own OpenMetrics
/// exposition. That would be a bug in beamline, not something a caller can
/// cause.
///
/// # Examples
///
/// ```
/// use beamline::{testing, Buckets, Gauge, Histogram, Registry};
///
/// let registry = Registry::new();
/// let lab = registry.sub_registry("lab", &[("ring", "lhc")])?;
/// lab.register("magnets", "Magnets powered.", Gauge::new())?.set(1232);
/// let ramp = registry.register("ramp_seconds", "Ramp time.", Histogram::new(Buckets::new([20.0])?))?;
/// ramp.observe(12.5);
///
/// assert_eq!(testing::value(&registry, "lab_magnets", &[("ring", "lhc")]), Some(1232.0));
/// assert_eq!(testing::value(&registry, "lab_magnets", &[]), None);
/// assert_eq!(testing::value(&registry, "ramp_seconds_bucket", &[("le", "20.0")]), Some(1.0));
/// assert_eq!(testing::value(&registry, "ramp_seconds_sum", &[]), Some(12.5));
/// # Ok::<(), beamline::Error>(())
/// ```
pub fn value(registry: &Registry, sample: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let text = scrape(registry);
    parse_own(&text).sample(sample, labels).map(|s| s.value)
}

/// Returns the lines of the family registered as `name` in a text `format`:
/// its metadata lines and its samples, each ending in a line feed, without
/// the closing `# EOF`.
///
/// `name` is the family name as registered, prefix of a sub-registry
/// included and sample suffix excluded (`requests`, not `requests_total`),
/// whatever the format calls the family in its own metadata lines.
///
/// Returns `None` when no family has that name, and for the binary protobuf
/// formats, which have no lines.
///
/// # Panics
///
/// Panics if beamline's parser rejects the registry's own OpenMetrics
/// exposition. That would be a bug in beamline, not something a caller can
/// cause.
///
/// # Examples
///
/// ```
/// use beamline::{testing, Counter, Format, Gauge, Registry};
///
/// let registry = Registry::new();
/// registry.register("kicks", "RF kicks.", Counter::new())?.inc_by(3);
/// registry.register("magnets", "Magnets powered.", Gauge::new())?.set(8);
///
/// assert_eq!(
///     testing::render_family(&registry, "kicks", Format::PrometheusText).unwrap(),
///     "# HELP kicks_total RF kicks.\n# TYPE kicks_total counter\nkicks_total 3\n",
/// );
/// assert_eq!(
///     testing::render_family(&registry, "magnets", Format::OpenMetricsText).unwrap(),
///     "# TYPE magnets gauge\n# HELP magnets Magnets powered.\nmagnets 8\n",
/// );
/// assert_eq!(testing::render_family(&registry, "kicks_total", Format::OpenMetricsText), None);
/// # Ok::<(), beamline::Error>(())
/// ```
pub fn render_family(registry: &Registry, name: &str, format: Format) -> Option<String> {
    let openmetrics = match format {
        Format::OpenMetricsText => true,
        Format::PrometheusText => false,
        #[cfg(feature = "protobuf")]
        Format::OpenMetricsProtobuf | Format::PrometheusProtobuf => return None,
    };
    let om_text = scrape(registry);
    let family_type = parse_own(&om_text).family(name)?.family_type;

    // Prometheus 0.0.4 names a counter's and an info's metadata after their
    // samples; OpenMetrics always uses the family name.
    let header = match family_type {
        FamilyType::Counter if !openmetrics => format!("{name}_total"),
        FamilyType::Info if !openmetrics => format!("{name}_info"),
        _ => name.to_owned(),
    };
    let text = if openmetrics {
        om_text
    } else {
        String::from_utf8_lossy(&registry.encode_to_vec(format)).into_owned()
    };
    Some(family_block(&text, &header))
}

/// Returns the lines of `text` from each metadata line naming `header` up to
/// the next metadata line naming another family.
///
/// Every line is a whole record: both text formats escape line feeds in HELP
/// and label values, and beamline opens every family with a metadata line.
fn family_block(text: &str, header: &str) -> String {
    let mut block = String::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        if let Some(named) = metadata_name(line) {
            inside = named == header;
        } else if line.starts_with('#') {
            inside = false;
        }
        if inside {
            block.push_str(line);
        }
    }
    block
}

/// Returns the name a `# TYPE`, `# HELP` or `# UNIT` line describes.
pub(crate) fn metadata_name(line: &str) -> Option<&str> {
    let rest = ["# TYPE ", "# HELP ", "# UNIT "]
        .iter()
        .find_map(|keyword| line.strip_prefix(keyword))?;
    rest.split([' ', '\n']).next()
}

/// Scrapes `registry` in OpenMetrics text.
fn scrape(registry: &Registry) -> String {
    // The text encoders write only `&str` content and ASCII syntax, so the
    // lossy conversion never replaces anything.
    String::from_utf8_lossy(&registry.encode_to_vec(Format::OpenMetricsText)).into_owned()
}

/// Parses an exposition beamline rendered itself.
fn parse_own(text: &str) -> Exposition<'_> {
    match parse_openmetrics(text) {
        Ok(exposition) => exposition,
        Err(err) => panic!(
            "beamline's parser rejects the registry's own exposition ({err}); \
             this is a bug in beamline. The exposition:\n{text}"
        ),
    }
}
