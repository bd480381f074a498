//! The read-only view that metrics hand to encoders during a scrape.
//!
//! Metric types produce a [`Point`] per series; every wire format consumes
//! the same points, so a new format never touches the metric types.

use std::sync::Arc;

use crate::metrics::exemplar::ExemplarSlot;

/// A sample value, kept in the type it was recorded in so that integers are
/// written as integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// An unsigned integer (integer counters).
    U64(u64),
    /// A signed integer (integer gauges).
    I64(i64),
    /// A float.
    F64(f64),
}

impl Num {
    /// Returns the value as a float, as protobuf double fields need.
    #[cfg_attr(
        not(feature = "protobuf"),
        allow(dead_code, reason = "read by the protobuf encoders only")
    )]
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            #[allow(clippy::cast_precision_loss, reason = "wire formats carry doubles")]
            Self::U64(v) => v as f64,
            #[allow(clippy::cast_precision_loss, reason = "wire formats carry doubles")]
            Self::I64(v) => v as f64,
            Self::F64(v) => v,
        }
    }
}

/// The bucket layout of a histogram, shared by all its series.
#[derive(Debug)]
pub struct BucketLayout {
    /// The finite upper bounds, strictly increasing.
    pub(crate) bounds: Box<[f64]>,
    /// The canonical text of each bound, `+Inf` last (one more entry than
    /// `bounds`).
    pub(crate) le: Box<[Box<str>]>,
    /// Whether a bound is negative. OpenMetrics then forbids `_sum` (and so
    /// `_count`) on a histogram, and allows a negative `_gsum`.
    pub(crate) negative: bool,
}

impl BucketLayout {
    /// Returns whether a histogram with this layout and `sum` may expose
    /// `_count` and `_sum`: they are counters, so neither negative nor NaN,
    /// and absent when buckets are negative (OpenMetrics 1.0, "Histogram").
    pub(crate) fn exposes_sum(&self, sum: f64) -> bool {
        !self.negative && sum >= 0.0
    }

    /// Returns whether a gauge histogram may expose `_gcount` and `_gsum`:
    /// `_gsum` may be negative only when a bucket bound is.
    pub(crate) fn exposes_gsum(&self, sum: f64) -> bool {
        self.negative && !sum.is_nan() || sum >= 0.0
    }
}

/// Returns whether an OpenMetrics summary with `sum` may expose `_count` and
/// `_sum`: they are counters, so neither negative nor NaN (OpenMetrics 1.0,
/// "Summary"). Prometheus formats expose them always.
pub(crate) fn summary_exposes_sum(sum: f64) -> bool {
    sum >= 0.0
}

/// Returns whether an OpenMetrics summary may expose a quantile of `value`:
/// OpenMetrics forbids negative quantile values. Prometheus formats expose
/// them all.
pub(crate) fn summary_exposes_quantile(value: f64) -> bool {
    value >= 0.0 || value.is_nan()
}

/// One series' state at scrape time.
#[derive(Debug)]
pub enum Point<'a> {
    /// A counter: total, creation time in Unix seconds, latest exemplar.
    Counter {
        /// The total.
        value: Num,
        /// When the counter was created, in seconds since the Unix epoch.
        created: Option<f64>,
        /// The latest exemplar, if any.
        exemplar: Option<&'a ExemplarSlot>,
    },
    /// A gauge value.
    Gauge(Num),
    /// A value of unknown type.
    Unknown(Num),
    /// A classic histogram.
    Histogram {
        /// The bucket layout.
        layout: &'a BucketLayout,
        /// Per-bucket (not cumulative) counts, `+Inf` bucket last.
        counts: &'a [u64],
        /// The sum of observations.
        sum: f64,
        /// When the histogram was created, in seconds since the Unix epoch.
        created: f64,
        /// One exemplar slot per bucket.
        exemplars: &'a [ExemplarSlot],
    },
    /// A gauge histogram: the current distribution, which may shrink.
    GaugeHistogram {
        /// The bucket layout.
        layout: &'a BucketLayout,
        /// Per-bucket (not cumulative) counts, `+Inf` bucket last.
        counts: &'a [u64],
        /// The sum of the values currently in the distribution.
        sum: f64,
    },
    /// A summary.
    Summary {
        /// The number of observations.
        count: u64,
        /// The sum of observations.
        sum: f64,
        /// When the summary was created, in seconds since the Unix epoch.
        created: f64,
        /// Quantile estimates: (canonical quantile text, quantile, value).
        quantiles: &'a [(Arc<str>, f64, f64)],
    },
    /// An info metric (value 1; its labels carry the information).
    Info,
    /// A state set: each state and whether it is set.
    StateSet {
        /// The state names.
        states: &'a [Box<str>],
        /// Whether each state is set, in the same order.
        set: &'a [bool],
    },
}

/// Buffers reused across series during one scrape, so that snapshots of
/// histograms and summaries allocate nothing once warm.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) counts: Vec<u64>,
    pub(crate) flags: Vec<bool>,
    pub(crate) quantiles: Vec<(Arc<str>, f64, f64)>,
    pub(crate) estimates: Vec<(f64, f64)>,
}
