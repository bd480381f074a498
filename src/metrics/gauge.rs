//! Gauges: values that go up and down, as integers or floats.
//!
//! See OpenMetrics 1.0, "Gauge".

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use super::atomic::AtomicF64;
use super::guards::InProgress;
use super::{sealed, unix_now, Metric, MetricType};
use crate::view::{Num, Point, Scratch};

/// An integer gauge. Additions wrap on overflow, like `i64::wrapping_add`.
///
/// # Examples
///
/// ```
/// use beamline::Gauge;
///
/// let in_flight = Gauge::new();
/// in_flight.inc();
/// in_flight.add(5);
/// in_flight.dec();
/// assert_eq!(in_flight.get(), 5);
/// {
///     let _guard = in_flight.track_inprogress();
///     assert_eq!(in_flight.get(), 6);
/// }
/// assert_eq!(in_flight.get(), 5);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    /// Returns a gauge at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.sub(1);
    }

    /// Adds `delta`.
    #[inline]
    pub fn add(&self, delta: i64) {
        self.0.fetch_add(delta, Ordering::Relaxed);
    }

    /// Subtracts `delta`.
    #[inline]
    pub fn sub(&self, delta: i64) {
        self.0.fetch_sub(delta, Ordering::Relaxed);
    }

    /// Sets the value to the current Unix time in whole seconds.
    pub fn set_to_current_time(&self) {
        #[allow(clippy::cast_possible_truncation, reason = "Unix seconds fit in i64")]
        self.set(unix_now() as i64);
    }

    /// Returns the current value.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Adds one now and subtracts it when the returned guard drops.
    pub fn track_inprogress(&self) -> InProgress<'_> {
        InProgress::int(self)
    }
}

impl sealed::Sealed for Gauge {
    const TYPE: MetricType = MetricType::Gauge;

    fn fresh(&self) -> Self {
        Self::new()
    }

    fn is_shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }

    fn visit(&self, _: &mut Scratch, f: &mut dyn FnMut(Point<'_>)) {
        f(Point::Gauge(Num::I64(self.get())));
    }
}

impl Metric for Gauge {}

/// A float gauge. NaN and infinities are stored and exposed as they are.
///
/// # Examples
///
/// ```
/// use beamline::FloatGauge;
///
/// let energy = FloatGauge::new();
/// energy.set(450e9);
/// energy.add(1.5e9);
/// energy.sub(0.5e9);
/// assert_eq!(energy.get(), 451e9);
/// ```
#[derive(Debug, Clone, Default)]
pub struct FloatGauge(Arc<AtomicF64>);

impl FloatGauge {
    /// Returns a gauge at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, value: f64) {
        self.0.store(value);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.0.add(1.0);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.0.add(-1.0);
    }

    /// Adds `delta`.
    #[inline]
    pub fn add(&self, delta: f64) {
        self.0.add(delta);
    }

    /// Subtracts `delta`.
    #[inline]
    pub fn sub(&self, delta: f64) {
        self.0.add(-delta);
    }

    /// Sets the value to the current Unix time in seconds.
    pub fn set_to_current_time(&self) {
        self.set(unix_now());
    }

    /// Returns the current value.
    pub fn get(&self) -> f64 {
        self.0.load()
    }

    /// Adds one now and subtracts it when the returned guard drops.
    pub fn track_inprogress(&self) -> InProgress<'_> {
        InProgress::float(self)
    }
}

impl sealed::Sealed for FloatGauge {
    const TYPE: MetricType = MetricType::Gauge;

    fn fresh(&self) -> Self {
        Self::new()
    }

    fn is_shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }

    fn visit(&self, _: &mut Scratch, f: &mut dyn FnMut(Point<'_>)) {
        f(Point::Gauge(Num::F64(self.get())));
    }
}

impl Metric for FloatGauge {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_to_current_time_is_recent() {
        let g = FloatGauge::new();
        g.set_to_current_time();
        assert!(g.get() > 1.7e9);
        let i = Gauge::new();
        i.set_to_current_time();
        assert!(i.get() > 1_700_000_000);
    }

    #[test]
    fn float_gauge_keeps_special_values() {
        let g = FloatGauge::new();
        g.set(f64::NEG_INFINITY);
        assert_eq!(g.get(), f64::NEG_INFINITY);
        g.set(f64::NAN);
        assert!(g.get().is_nan());
    }
}
