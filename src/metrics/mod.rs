//! The metric types, one file each, and the traits that let a registry and
//! a family hold any of them.
//!
//! See OpenMetrics 1.0, "Metric Types".

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

mod atomic;
mod callback;
mod counter;
pub(crate) mod exemplar;
mod gauge;
mod gauge_histogram;
mod guards;
mod histogram;
mod hotcold;
mod info;
mod stateset;
mod summary;
mod unknown;

pub use callback::{CounterFn, GaugeFn};
pub use counter::{Counter, FloatCounter};
pub use exemplar::Exemplar;
pub use gauge::{FloatGauge, Gauge};
pub use gauge_histogram::GaugeHistogram;
pub use guards::{InProgress, Observe, Timer};
pub use histogram::{Buckets, Histogram};
pub use info::Info;
pub use stateset::StateSet;
pub use summary::Summary;
pub use unknown::Unknown;

/// The OpenMetrics metric types.
///
/// # Examples
///
/// ```
/// use beamline::MetricType;
///
/// assert_eq!(MetricType::GaugeHistogram.as_str(), "gaugehistogram");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MetricType {
    /// A monotonic total.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// A distribution in cumulative buckets.
    Histogram,
    /// A current distribution in buckets, which may shrink.
    GaugeHistogram,
    /// A count, a sum and optional quantiles.
    Summary,
    /// Static information carried by labels.
    Info,
    /// A set of named boolean states.
    StateSet,
    /// A value of unknown type.
    Unknown,
}

impl MetricType {
    /// Returns the type's name as written in an OpenMetrics `# TYPE` line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::GaugeHistogram => "gaugehistogram",
            Self::Summary => "summary",
            Self::Info => "info",
            Self::StateSet => "stateset",
            Self::Unknown => "unknown",
        }
    }

    /// Returns the label name this type reserves for its own samples, and
    /// why. A state set reserves its own family name.
    pub(crate) fn reserved_label(self, family: &str) -> Option<(&str, &'static str)> {
        match self {
            Self::Histogram | Self::GaugeHistogram => {
                Some(("le", "histograms use `le` for bucket bounds"))
            }
            Self::Summary => Some(("quantile", "summaries use `quantile` for their quantiles")),
            Self::StateSet => Some((family, "a state set uses its own name for the state")),
            _ => None,
        }
    }

    /// Returns the suffixes of the sample names this type exposes in any
    /// text format (the empty suffix is the bare family name).
    pub(crate) fn sample_suffixes(self) -> &'static [&'static str] {
        match self {
            Self::Counter => &["_total", "_created"],
            Self::Gauge | Self::StateSet | Self::Unknown => &[""],
            Self::Histogram => &["_bucket", "_count", "_sum", "_created"],
            // Prometheus text 0.0.4 has no gauge histogram: it writes one as
            // a histogram, with `_count` and `_sum`.
            Self::GaugeHistogram => &["_bucket", "_gcount", "_gsum", "_count", "_sum"],
            Self::Summary => &["", "_count", "_sum", "_created"],
            Self::Info => &["_info"],
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A metric type that can stand alone in a registry or be the series type of
/// a [`Family`](crate::Family).
///
/// Implemented by every beamline metric type; it cannot be implemented
/// outside this crate. To expose values computed elsewhere, see
/// [`Collector`](crate::Collector), [`GaugeFn`] and [`CounterFn`].
pub trait Metric: sealed::Sealed + Clone + Send + Sync + fmt::Debug + 'static {}

pub(crate) mod sealed {
    use crate::error::Error;
    use crate::view::{Point, Scratch};

    use super::MetricType;

    pub trait Sealed {
        /// The type the metric is exposed as.
        const TYPE: MetricType;

        /// Returns a new series configured like `self`, with fresh values.
        fn fresh(&self) -> Self
        where
            Self: Sized;

        /// Hands the series' current state to `f`.
        fn visit(&self, scratch: &mut Scratch, f: &mut dyn FnMut(Point<'_>));

        /// Checks the rules that depend on the metric's own configuration.
        fn check(&self) -> Result<(), Error> {
            Ok(())
        }

        /// Label pairs the metric carries itself (info metrics).
        fn own_labels(&self) -> &[(Box<str>, Box<str>)] {
            &[]
        }

        /// Returns whether handles to this metric exist besides `self`.
        /// Idle expiry removes only series nobody else holds, and hides
        /// the others; a type that cannot tell answers `true`.
        fn is_shared(&self) -> bool {
            true
        }
    }
}

/// Returns the current time in seconds since the Unix epoch, in whole
/// microseconds, which the text encoders write fastest.
pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| u64::try_from(d.as_micros()).ok())
        // Exact below 2^53 microseconds (the year 2255).
        .map_or(0.0, |micros| {
            #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
            let micros = micros as f64;
            micros / 1e6
        })
}
