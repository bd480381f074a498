//! Gauge histograms: the current distribution of a set of values.
//!
//! See OpenMetrics 1.0, "GaugeHistogram". Samples are `_bucket{le=...}`,
//! `_gcount` and `_gsum`; there is no `_created`.

use std::sync::Arc;

use super::histogram::Buckets;
use super::hotcold::HotCold;
use super::{sealed, Metric, MetricType};
use crate::view::{Point, Scratch};

#[derive(Debug)]
struct Core {
    buckets: Buckets,
    cells: HotCold,
}

/// A gauge histogram: values enter with [`observe`](Self::observe) and leave
/// with [`unobserve`](Self::unobserve).
///
/// A bucket that would go below zero (a value unobserved that was never
/// observed) is exposed as zero, so the exposition stays valid; the sum
/// still loses that value, so it then no longer matches the buckets.
/// `_gsum` may be negative only when a bucket bound is; otherwise an
/// OpenMetrics scrape leaves `_gcount` and `_gsum` out while the sum is
/// negative.
///
/// # Examples
///
/// ```
/// use beamline::{Buckets, GaugeHistogram};
///
/// let queue = GaugeHistogram::new(Buckets::new([1.0, 10.0])?);
/// queue.observe(0.5);
/// queue.observe(7.0);
/// queue.unobserve(0.5);
/// assert_eq!(queue.count(), 1);
/// assert_eq!(queue.sum(), 7.0);
/// # Ok::<(), beamline::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct GaugeHistogram(Arc<Core>);

impl GaugeHistogram {
    /// Returns an empty gauge histogram with the given buckets.
    pub fn new(buckets: Buckets) -> Self {
        let n = buckets.bounds().len() + 1;
        Self(Arc::new(Core {
            buckets,
            cells: HotCold::signed(n),
        }))
    }

    /// Adds `value` to the distribution; NaN is ignored.
    #[inline]
    pub fn observe(&self, value: f64) {
        if value.is_nan() {
            return;
        }
        self.0
            .cells
            .record(self.0.buckets.index_of(value), 1, value);
    }

    /// Removes `value` from the distribution; NaN is ignored.
    #[inline]
    pub fn unobserve(&self, value: f64) {
        if value.is_nan() {
            return;
        }
        // Adding u64::MAX wraps: it subtracts one.
        self.0
            .cells
            .record(self.0.buckets.index_of(value), u64::MAX, -value);
    }

    /// Returns the number of values in the distribution.
    pub fn count(&self) -> u64 {
        let mut counts = Vec::new();
        self.0.cells.snapshot(&mut counts);
        clamp(&mut counts);
        counts.iter().sum()
    }

    /// Returns the sum of the values in the distribution.
    pub fn sum(&self) -> f64 {
        self.0.cells.snapshot(&mut Vec::new())
    }
}

/// Reads wrapped counts as signed, and floors them at zero.
fn clamp(counts: &mut [u64]) {
    for c in counts {
        if *c > i64::MAX as u64 {
            *c = 0;
        }
    }
}

impl sealed::Sealed for GaugeHistogram {
    const TYPE: MetricType = MetricType::GaugeHistogram;

    fn fresh(&self) -> Self {
        Self::new(self.0.buckets.clone())
    }

    fn is_shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }

    fn visit(&self, scratch: &mut Scratch, f: &mut dyn FnMut(Point<'_>)) {
        let sum = self.0.cells.snapshot(&mut scratch.counts);
        clamp(&mut scratch.counts);
        f(Point::GaugeHistogram {
            layout: self.0.buckets.layout(),
            counts: &scratch.counts,
            sum,
        });
    }
}

impl Metric for GaugeHistogram {}
