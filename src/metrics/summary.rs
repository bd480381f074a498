//! Summaries: a count and a sum of observations, and optionally quantiles
//! over a sliding time window.
//!
//! See OpenMetrics 1.0, "Summary". Samples are the quantiles (when
//! configured), `_count`, `_sum` and `_created`. Quantiles come from the
//! lock-free sketch of [`crate::quantile`].

use std::sync::Arc;

use super::atomic::CountSum;
use super::guards::Observe;
use super::{sealed, unix_now, Metric, MetricType};
use crate::encoding::number::canonical_float;
use crate::error::Error;
use crate::quantile::{Clock, Sketch, SketchConfig, SketchError};
use crate::view::{Point, Scratch};

/// The quantile part of a summary.
#[derive(Debug)]
struct Quantiles {
    sketch: Sketch,
    /// The canonical text of each quantile, for the `quantile` label.
    texts: Box<[Arc<str>]>,
}

#[derive(Debug)]
struct Core {
    cells: CountSum,
    created: f64,
    quantiles: Option<Quantiles>,
}

/// A summary: count and sum, read as one consistent pair, and optional
/// quantiles over a sliding window.
///
/// NaN observations are ignored. `_count` and `_sum` are counters in
/// OpenMetrics, so its scrapes leave them out while the sum is negative, and
/// OpenMetrics forbids negative quantile values, so its text leaves those
/// quantile samples out. Prometheus text and Prometheus protobuf keep them
/// all.
/// `_count` and `_sum` are cumulative; the quantiles cover only the window
/// (see [`SketchConfig`]) and are NaN while it is empty.
///
/// # Examples
///
/// ```
/// use beamline::Summary;
///
/// let ticks = Summary::new();
/// ticks.observe(0.002);
/// ticks.observe(0.003);
/// assert_eq!(ticks.count(), 2);
/// assert_eq!(ticks.sum(), 0.005);
/// ```
#[derive(Debug, Clone)]
pub struct Summary(Arc<Core>);

impl Default for Summary {
    fn default() -> Self {
        Self::new()
    }
}

impl From<SketchError> for Error {
    fn from(e: SketchError) -> Self {
        let (value, reason) = match e {
            SketchError::QuantileOutOfRange { quantile } => {
                (quantile, "quantiles must lie strictly between 0 and 1")
            }
            SketchError::DuplicateQuantile { quantile } => (quantile, "quantiles must be distinct"),
            SketchError::AgeBucketsOutOfRange { age_buckets } =>
            {
                #[allow(clippy::cast_precision_loss, reason = "a small count")]
                (age_buckets as f64, "age buckets must number 1 to 64")
            }
            SketchError::AgeBucketTooShort { max_age, .. } => (
                max_age.as_secs_f64(),
                "each age bucket must span at least 1 ms",
            ),
            SketchError::RelativeErrorOutOfRange { relative_error } => (
                relative_error,
                "the relative error must lie in [0.001, 0.5)",
            ),
        };
        Error::InvalidSummary { value, reason }
    }
}

impl Summary {
    /// Returns an empty summary without quantiles, created now.
    pub fn new() -> Self {
        Self::build(None)
    }

    /// Returns a summary reporting `quantiles` over the default window (10
    /// minutes in 5 age buckets) with a 1% relative error.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidSummary`] when a quantile is not strictly
    /// between 0 and 1, or repeats.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::{Error, Summary};
    ///
    /// let latency = Summary::with_quantiles(&[0.5, 0.99])?;
    /// for ms in 1..=100 {
    ///     latency.observe(f64::from(ms) / 1000.0);
    /// }
    /// let q = latency.quantiles();
    /// assert_eq!(q[0].0, 0.5);
    /// assert!((q[0].1 - 0.050).abs() <= 0.050 * 0.01);
    /// assert!(matches!(Summary::with_quantiles(&[1.5]), Err(Error::InvalidSummary { .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn with_quantiles(quantiles: &[f64]) -> Result<Self, Error> {
        Ok(Self::with_config(SketchConfig::new(quantiles)?))
    }

    /// Returns a summary with quantiles as `config` describes, timed by the
    /// kernel's coarse monotonic clock.
    pub fn with_config(config: SketchConfig) -> Self {
        Self::with_sketch(Sketch::with_coarse_clock(config))
    }

    /// Returns a summary with quantiles as `config` describes, timed by
    /// `clock` (a [`ManualClock`](crate::quantile::ManualClock) in tests).
    pub fn with_config_and_clock(config: SketchConfig, clock: Arc<dyn Clock>) -> Self {
        Self::with_sketch(Sketch::new(config, clock))
    }

    fn with_sketch(sketch: Sketch) -> Self {
        let texts = sketch
            .config()
            .quantiles()
            .iter()
            .map(|&q| Arc::from(canonical_float(q)))
            .collect();
        Self::build(Some(Quantiles { sketch, texts }))
    }

    fn build(quantiles: Option<Quantiles>) -> Self {
        Self(Arc::new(Core {
            cells: CountSum::new(),
            created: unix_now(),
            quantiles,
        }))
    }

    /// Records one observation; NaN is ignored.
    #[inline]
    pub fn observe(&self, value: f64) {
        if value.is_nan() {
            return;
        }
        // The sketch first: a scrape reads the count first, so one that
        // counts this observation also finds it in the window.
        if let Some(q) = &self.0.quantiles {
            q.sketch.observe(value);
        }
        self.0.cells.add(value);
    }

    /// Returns the number of observations.
    pub fn count(&self) -> u64 {
        self.0.cells.load().0
    }

    /// Returns the sum of observations.
    pub fn sum(&self) -> f64 {
        self.0.cells.load().1
    }

    /// Returns each configured quantile with its current estimate (NaN
    /// while the window is empty); empty without quantiles.
    pub fn quantiles(&self) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        if let Some(q) = &self.0.quantiles {
            q.sketch.quantiles(&mut out);
        }
        out
    }
}

impl Observe for Summary {
    fn observe(&self, value: f64) {
        Summary::observe(self, value);
    }
}

impl sealed::Sealed for Summary {
    const TYPE: MetricType = MetricType::Summary;

    fn fresh(&self) -> Self {
        match &self.0.quantiles {
            Some(q) => Self::with_sketch(q.sketch.fresh()),
            None => Self::new(),
        }
    }

    fn is_shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }

    fn visit(&self, scratch: &mut Scratch, f: &mut dyn FnMut(Point<'_>)) {
        // Count and sum before the sketch (see `observe`).
        let (count, sum) = self.0.cells.load();
        scratch.quantiles.clear();
        if let Some(q) = &self.0.quantiles {
            q.sketch.quantiles(&mut scratch.estimates);
            scratch.quantiles.extend(
                q.texts
                    .iter()
                    .zip(&scratch.estimates)
                    .map(|(text, &(quantile, value))| (Arc::clone(text), quantile, value)),
            );
        }
        f(Point::Summary {
            count,
            sum,
            created: self.0.created,
            quantiles: &scratch.quantiles,
        });
    }
}

impl Metric for Summary {}
