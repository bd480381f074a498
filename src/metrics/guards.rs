//! Scope guards: timing a block into a histogram or summary, and counting
//! work in progress on a gauge.

use std::time::Instant;

use super::gauge::{FloatGauge, Gauge};

/// A metric that takes observations: [`Histogram`](crate::Histogram) and
/// [`Summary`](crate::Summary).
pub trait Observe {
    /// Records one observation.
    fn observe(&self, value: f64);

    /// Returns a guard that observes the seconds elapsed until it drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::{Observe, Summary};
    ///
    /// let ticks = Summary::new();
    /// {
    ///     let _timer = ticks.start_timer();
    ///     // work
    /// }
    /// assert_eq!(ticks.count(), 1);
    /// ```
    fn start_timer(&self) -> Timer<'_, Self>
    where
        Self: Sized,
    {
        Timer {
            target: Some(self),
            start: Instant::now(),
        }
    }

    /// Runs `f` and observes how many seconds it took.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::{Buckets, Histogram, Observe};
    ///
    /// let latency = Histogram::new(Buckets::default());
    /// let answer = latency.time(|| 6 * 7);
    /// assert_eq!(answer, 42);
    /// assert_eq!(latency.count(), 1);
    /// ```
    fn time<R>(&self, f: impl FnOnce() -> R) -> R
    where
        Self: Sized,
    {
        let _timer = self.start_timer();
        f()
    }
}

/// Observes the seconds elapsed since its creation when dropped, unless
/// [`discard`](Self::discard)ed.
#[derive(Debug)]
#[must_use = "the timer observes when dropped; bind it to a variable"]
pub struct Timer<'a, O: Observe> {
    target: Option<&'a O>,
    start: Instant,
}

impl<O: Observe> Timer<'_, O> {
    /// Observes now instead of at drop, and returns the seconds observed.
    pub fn observe_duration(mut self) -> f64 {
        let seconds = self.start.elapsed().as_secs_f64();
        if let Some(target) = self.target.take() {
            target.observe(seconds);
        }
        seconds
    }

    /// Drops the timer without observing anything.
    pub fn discard(mut self) {
        self.target = None;
    }
}

impl<O: Observe> Drop for Timer<'_, O> {
    fn drop(&mut self) {
        if let Some(target) = self.target.take() {
            target.observe(self.start.elapsed().as_secs_f64());
        }
    }
}

#[derive(Debug)]
enum Tracked<'a> {
    Int(&'a Gauge),
    Float(&'a FloatGauge),
}

/// Adds one to a gauge on creation and subtracts it on drop.
///
/// Returned by [`Gauge::track_inprogress`] and
/// [`FloatGauge::track_inprogress`].
#[derive(Debug)]
#[must_use = "the gauge goes back down when the guard drops; bind it to a variable"]
pub struct InProgress<'a>(Tracked<'a>);

impl<'a> InProgress<'a> {
    pub(crate) fn int(gauge: &'a Gauge) -> Self {
        gauge.inc();
        Self(Tracked::Int(gauge))
    }

    pub(crate) fn float(gauge: &'a FloatGauge) -> Self {
        gauge.inc();
        Self(Tracked::Float(gauge))
    }
}

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        match self.0 {
            Tracked::Int(g) => g.dec(),
            Tracked::Float(g) => g.dec(),
        }
    }
}
