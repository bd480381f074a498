//! Metrics of unknown type, for values whose nature is not known.
//!
//! See OpenMetrics 1.0, "Unknown". Exposed as `untyped` in Prometheus text.

use std::sync::Arc;

use super::atomic::AtomicF64;
use super::{sealed, Metric, MetricType};
use crate::view::{Num, Point, Scratch};

/// A value of unknown type.
///
/// # Examples
///
/// ```
/// use beamline::Unknown;
///
/// let legacy = Unknown::new();
/// legacy.set(4.5);
/// assert_eq!(legacy.get(), 4.5);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Unknown(Arc<AtomicF64>);

impl Unknown {
    /// Returns a metric at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value.
    pub fn set(&self, value: f64) {
        self.0.store(value);
    }

    /// Returns the value.
    pub fn get(&self) -> f64 {
        self.0.load()
    }
}

impl sealed::Sealed for Unknown {
    const TYPE: MetricType = MetricType::Unknown;

    fn fresh(&self) -> Self {
        Self::new()
    }

    fn is_shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }

    fn visit(&self, _: &mut Scratch, f: &mut dyn FnMut(Point<'_>)) {
        f(Point::Unknown(Num::F64(self.get())));
    }
}

impl Metric for Unknown {}
