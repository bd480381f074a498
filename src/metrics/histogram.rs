//! Classic histograms with bucket bounds fixed at construction.
//!
//! See OpenMetrics 1.0, "Histogram". Samples are `_bucket{le=...}`
//! (cumulative, `+Inf` last), `_count`, `_sum` and `_created`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::exemplar::{Exemplar, ExemplarSlot};
use super::guards::Observe;
use super::hotcold::HotCold;
use super::{sealed, unix_now, Metric, MetricType};
use crate::encoding::number::canonical_float;
use crate::error::Error;
use crate::validation;
use crate::view::{BucketLayout, Point, Scratch};

/// The default bounds of Prometheus client libraries, tuned for request
/// latencies in seconds.
const DEFAULT_BOUNDS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The most bounds a helper builds: far beyond any useful histogram, and
/// small enough that a count read from configuration cannot exhaust memory.
const MAX_HELPER_BUCKETS: usize = 10_000;

/// A validated list of bucket upper bounds; `+Inf` is always added.
///
/// # Examples
///
/// ```
/// use beamline::{Buckets, Error};
///
/// assert_eq!(Buckets::new([18.0, 20.0, 22.0])?.bounds(), [18.0, 20.0, 22.0]);
/// assert_eq!(Buckets::linear(1.0, 0.5, 3)?.bounds(), [1.0, 1.5, 2.0]);
/// assert_eq!(Buckets::exponential(1.0, 10.0, 3)?.bounds(), [1.0, 10.0, 100.0]);
/// assert_eq!(Buckets::default().bounds().len(), 11);
/// assert!(matches!(Buckets::new([2.0, 1.0]), Err(Error::InvalidBuckets { index: Some(1), .. })));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Buckets(Arc<BucketLayout>);

impl Buckets {
    /// Validates `bounds`: not empty, finite, strictly increasing.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidBuckets`] naming the first offending bound.
    pub fn new(bounds: impl IntoIterator<Item = f64>) -> Result<Self, Error> {
        let bounds: Vec<f64> = bounds.into_iter().collect();
        validation::buckets(&bounds)?;
        let le = bounds
            .iter()
            .map(|&b| canonical_float(b).into_boxed_str())
            .chain(std::iter::once("+Inf".into()))
            .collect();
        Ok(Self(Arc::new(BucketLayout {
            negative: bounds.iter().any(|&b| b < 0.0),
            bounds: bounds.into(),
            le,
        })))
    }

    /// Returns `count` bounds starting at `start`, `width` apart.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidBuckets`] when `count` is zero or above
    /// 10,000, `width` is not positive, or a bound is not finite.
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self, Error> {
        too_many(count)?;
        if width.is_nan() || width <= 0.0 {
            return Err(Error::InvalidBuckets {
                index: None,
                reason: "linear bucket width must be positive",
            });
        }
        #[allow(clippy::cast_precision_loss, reason = "bucket counts are small")]
        Self::new((0..count).map(|i| start + width * i as f64))
    }

    /// Returns `count` bounds starting at `start`, each `factor` times the
    /// previous one.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidBuckets`] when `count` is zero or above
    /// 10,000, `start` is not positive, `factor` is not above 1, or a bound
    /// is not finite.
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self, Error> {
        too_many(count)?;
        if start.is_nan() || start <= 0.0 {
            return Err(Error::InvalidBuckets {
                index: None,
                reason: "exponential buckets must start above zero",
            });
        }
        if factor.is_nan() || factor <= 1.0 {
            return Err(Error::InvalidBuckets {
                index: None,
                reason: "exponential bucket factor must be greater than 1",
            });
        }
        let mut bound = start;
        Self::new((0..count).map(|_| {
            let current = bound;
            bound *= factor;
            current
        }))
    }

    /// Returns the finite upper bounds (without `+Inf`).
    pub fn bounds(&self) -> &[f64] {
        &self.0.bounds
    }

    /// Returns the index of the bucket that counts `value`.
    #[inline]
    pub(crate) fn index_of(&self, value: f64) -> usize {
        let bounds = &self.0.bounds;
        if value.is_nan() {
            // NaN compares false with every bound: it lands in `+Inf`.
            return bounds.len();
        }
        bounds.partition_point(|&b| b < value)
    }

    pub(crate) fn layout(&self) -> &BucketLayout {
        &self.0
    }
}

/// Refuses helper bucket counts above [`MAX_HELPER_BUCKETS`].
fn too_many(count: usize) -> Result<(), Error> {
    if count > MAX_HELPER_BUCKETS {
        return Err(Error::InvalidBuckets {
            index: None,
            reason: "a helper builds at most 10000 bounds",
        });
    }
    Ok(())
}

impl Default for Buckets {
    /// The Prometheus defaults: 5 ms to 10 s.
    fn default() -> Self {
        Self::new(DEFAULT_BOUNDS).expect("the default bounds are valid")
    }
}

#[derive(Debug)]
struct Core {
    buckets: Buckets,
    cells: HotCold,
    created: f64,
    exemplars: Box<[ExemplarSlot]>,
    /// Whether any bucket ever had an exemplar: until then a scrape skips
    /// the slots instead of loading each one.
    exemplified: AtomicBool,
}

/// A classic histogram.
///
/// An observation costs a binary search over the bounds and two atomic
/// operations; a scrape always sees `_count` equal to the `+Inf` bucket and a
/// `_sum` of the same observations.
///
/// NaN observations are ignored: they belong to no bucket and would turn the
/// sum NaN for good. OpenMetrics treats `_sum` and `_count` as counters, so
/// its scrapes leave them out while the sum is negative, and always when a
/// bucket bound is negative; Prometheus text and Prometheus protobuf keep
/// them.
///
/// # Examples
///
/// ```
/// use beamline::{Buckets, Histogram};
///
/// let ramp = Histogram::new(Buckets::new([18.0, 20.0, 22.0])?);
/// ramp.observe(19.2);
/// ramp.observe_with_exemplar(25.0, &[("run_id", "3")])?;
/// assert_eq!(ramp.count(), 2);
/// assert_eq!(ramp.sum(), 44.2);
/// # Ok::<(), beamline::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Histogram(Arc<Core>);

impl Histogram {
    /// Returns an empty histogram with the given buckets, created now.
    pub fn new(buckets: Buckets) -> Self {
        let n = buckets.bounds().len() + 1;
        Self(Arc::new(Core {
            cells: HotCold::counting(n),
            exemplars: (0..n).map(|_| ExemplarSlot::default()).collect(),
            exemplified: AtomicBool::new(false),
            buckets,
            created: unix_now(),
        }))
    }

    /// Records one observation; NaN is ignored.
    #[inline]
    pub fn observe(&self, value: f64) {
        if value.is_nan() {
            return;
        }
        let index = self.0.buckets.index_of(value);
        self.0.cells.count(index, value);
    }

    /// Records one observation and keeps it as its bucket's exemplar; NaN
    /// is ignored.
    ///
    /// # Errors
    ///
    /// Returns an error when the exemplar's labels are invalid or longer than
    /// 128 characters; the observation is recorded all the same.
    pub fn observe_with_exemplar(&self, value: f64, labels: &[(&str, &str)]) -> Result<(), Error> {
        if value.is_nan() {
            return Ok(());
        }
        let index = self.0.buckets.index_of(value);
        self.0.cells.count(index, value);
        let exemplar = Exemplar::new(labels, value)?;
        if let Some(slot) = self.0.exemplars.get(index) {
            slot.store(exemplar);
            // Release pairs with the Acquire load in `visit`.
            self.0.exemplified.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// Returns the number of observations.
    pub fn count(&self) -> u64 {
        let mut counts = Vec::new();
        self.0.cells.snapshot(&mut counts);
        counts.iter().sum()
    }

    /// Returns the sum of observations.
    pub fn sum(&self) -> f64 {
        self.0.cells.snapshot(&mut Vec::new())
    }

    /// Returns the buckets.
    pub fn buckets(&self) -> &Buckets {
        &self.0.buckets
    }
}

impl Observe for Histogram {
    fn observe(&self, value: f64) {
        Histogram::observe(self, value);
    }
}

impl sealed::Sealed for Histogram {
    const TYPE: MetricType = MetricType::Histogram;

    fn fresh(&self) -> Self {
        Self::new(self.0.buckets.clone())
    }

    fn is_shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }

    fn visit(&self, scratch: &mut Scratch, f: &mut dyn FnMut(Point<'_>)) {
        let sum = self.0.cells.snapshot(&mut scratch.counts);
        f(Point::Histogram {
            layout: self.0.buckets.layout(),
            counts: &scratch.counts,
            sum,
            created: self.0.created,
            exemplars: if self.0.exemplified.load(Ordering::Acquire) {
                &self.0.exemplars
            } else {
                &[]
            },
        });
    }
}

impl Metric for Histogram {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_that_holds_them() {
        let b = Buckets::new([1.0, 2.0]).unwrap();
        assert_eq!(b.index_of(0.5), 0);
        assert_eq!(b.index_of(1.0), 0);
        assert_eq!(b.index_of(1.5), 1);
        assert_eq!(b.index_of(2.0), 1);
        assert_eq!(b.index_of(3.0), 2);
        assert_eq!(b.index_of(f64::INFINITY), 2);
        assert_eq!(b.index_of(f64::NEG_INFINITY), 0);
        assert_eq!(b.index_of(f64::NAN), 2);
    }

    #[test]
    fn helpers_validate() {
        assert!(Buckets::linear(0.0, 0.0, 3).is_err());
        assert!(Buckets::linear(0.0, 1.0, 0).is_err());
        assert!(Buckets::exponential(0.0, 2.0, 3).is_err());
        assert!(Buckets::exponential(1.0, 1.0, 3).is_err());
        assert!(Buckets::exponential(1.0, 1e300, 3).is_err());
        assert!(Buckets::linear(0.0, 1.0, usize::MAX).is_err());
        assert!(Buckets::exponential(1.0, 1.000_000_1, usize::MAX).is_err());
    }
}
