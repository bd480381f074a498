//! Summaries: a count and a sum of observations.
//!
//! See OpenMetrics 1.0, "Summary". Samples are the quantiles (when
//! configured), `_count`, `_sum` and `_created`.

use std::sync::Arc;

use super::guards::Observe;
use super::hotcold::HotCold;
use super::{sealed, unix_now, Metric, MetricType};
use crate::view::{Point, Scratch};

#[derive(Debug)]
struct Core {
    cells: HotCold,
    created: f64,
}

/// A summary: count and sum, read as one consistent pair.
///
/// NaN observations are ignored. `_count` and `_sum` are counters in
/// OpenMetrics, so a scrape leaves them out while the sum is negative.
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

impl Summary {
    /// Returns an empty summary without quantiles, created now.
    pub fn new() -> Self {
        Self(Arc::new(Core {
            cells: HotCold::new(1),
            created: unix_now(),
        }))
    }

    /// Records one observation; NaN is ignored.
    #[inline]
    pub fn observe(&self, value: f64) {
        if value.is_nan() {
            return;
        }
        self.0.cells.record(0, 1, value);
    }

    /// Returns the number of observations.
    pub fn count(&self) -> u64 {
        let mut counts = Vec::new();
        self.0.cells.snapshot(&mut counts);
        counts.first().copied().unwrap_or(0)
    }

    /// Returns the sum of observations.
    pub fn sum(&self) -> f64 {
        self.0.cells.snapshot(&mut Vec::new())
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
        Self::new()
    }

    fn visit(&self, scratch: &mut Scratch, f: &mut dyn FnMut(Point<'_>)) {
        let sum = self.0.cells.snapshot(&mut scratch.counts);
        let count = scratch.counts.first().copied().unwrap_or(0);
        scratch.quantiles.clear();
        f(Point::Summary {
            count,
            sum,
            created: self.0.created,
            quantiles: &scratch.quantiles,
        });
    }
}

impl Metric for Summary {}
