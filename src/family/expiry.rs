//! Idle expiry: a family can drop the series nobody has used for a while.
//!
//! Nothing runs on the update path of a metric. Activity is observed in two
//! ways, both at checks (sweeps) that run under the family mutex during a
//! scrape, and when a series is created if the last check is older than a
//! quarter of the idle time:
//!
//! - a lookup through the family (`get`, `with`) stamps its series with the
//!   family's coarse clock: one relaxed load, and one relaxed store only
//!   when the stamp changes (at most once per check interval);
//! - a sweep compares each series' value with the value the previous sweep
//!   saw, so updates through held handles count without costing them
//!   anything.
//!
//! A series without activity for the idle time expires. If nothing outside
//! the family holds a handle to it, it is removed as by `Family::remove`.
//! Otherwise it is hidden: left out of scrapes but kept in the index, so
//! that a lookup still finds it and a held handle still updates it; the
//! first sweep that sees activity on it exposes it again, the same series
//! with its accumulated value.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::metrics::Metric;
use crate::view::{Num, Point, Scratch};

/// The expiry settings and clock of one family.
#[derive(Debug)]
pub(crate) struct Expiry {
    /// Idle time in milliseconds after which a series expires; 0 when
    /// expiry is off.
    after_ms: AtomicU64,
    /// The coarse clock lookups stamp series with: milliseconds since
    /// `start`, plus one so that it is never 0 while expiry is on; 0 while
    /// it is off. Advanced by sweeps only.
    clock: AtomicU64,
    /// The clock of the last sweep.
    last_sweep: AtomicU64,
    start: Instant,
}

/// What expiry knows of one series. `touched` is written by lookups; the
/// rest only by sweeps, under the family mutex.
#[derive(Debug)]
pub(crate) struct Activity {
    touched: AtomicU64,
    seen_touched: AtomicU64,
    fingerprint: AtomicU64,
    active_at: AtomicU64,
    hidden: AtomicBool,
}

impl Activity {
    /// A series created at time `now` in the state `fingerprint` tells,
    /// while lookups stamp with `clock`: the stamp of its creation is not
    /// activity beyond the creation itself.
    pub(crate) fn new(now: u64, fingerprint: u64, clock: u64) -> Self {
        Self {
            touched: AtomicU64::new(clock),
            seen_touched: AtomicU64::new(clock),
            fingerprint: AtomicU64::new(fingerprint),
            active_at: AtomicU64::new(now),
            hidden: AtomicBool::new(false),
        }
    }

    /// Returns whether the series is hidden (expired, with a handle held).
    pub(crate) fn is_hidden(&self) -> bool {
        self.hidden.load(Ordering::Relaxed)
    }
}

/// What a sweep decides for one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Exposed in scrapes.
    Expose,
    /// Kept in the index but left out of scrapes.
    Hide,
    /// Removed from the family.
    Drop,
}

/// One check of every series, at clock `now`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sweep {
    now: u64,
    after: u64,
}

impl Expiry {
    pub(crate) fn new() -> Self {
        Self {
            after_ms: AtomicU64::new(0),
            clock: AtomicU64::new(0),
            last_sweep: AtomicU64::new(0),
            start: Instant::now(),
        }
    }

    /// Turns expiry on with `after` of idle time (at least a millisecond).
    pub(crate) fn enable(&self, after: Duration) {
        let ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX).max(1);
        let now = self.now();
        self.after_ms.store(ms, Ordering::Relaxed);
        self.clock.store(now, Ordering::Relaxed);
        self.last_sweep.store(now, Ordering::Relaxed);
    }

    /// Returns the idle time, if expiry is on.
    pub(crate) fn after(&self) -> Option<Duration> {
        match self.after_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// Returns the clock lookups stamp with now.
    pub(crate) fn clock(&self) -> u64 {
        self.clock.load(Ordering::Relaxed)
    }

    /// Returns the current time on the expiry clock.
    pub(crate) fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }

    /// Stamps a series found by a lookup. Costs one relaxed load when
    /// expiry is off, and a store at most once per check interval.
    #[inline]
    pub(crate) fn touch<'a>(&self, activity: impl FnOnce() -> Option<&'a Activity>) {
        let clock = self.clock.load(Ordering::Relaxed);
        if clock == 0 {
            return;
        }
        if let Some(activity) = activity() {
            if activity.touched.load(Ordering::Relaxed) != clock {
                activity.touched.store(clock, Ordering::Relaxed);
            }
        }
    }

    /// Starts a sweep, under the family mutex: advances the clock that
    /// lookups stamp with. `None` when expiry is off.
    pub(crate) fn begin(&self) -> Option<Sweep> {
        let after = self.after_ms.load(Ordering::Relaxed);
        if after == 0 {
            return None;
        }
        let now = self.now();
        self.clock.store(now, Ordering::Relaxed);
        self.last_sweep.store(now, Ordering::Relaxed);
        Some(Sweep { now, after })
    }

    /// Returns whether a creation should sweep first: expiry is on and the
    /// last sweep is older than a quarter of the idle time.
    pub(crate) fn due(&self) -> bool {
        let after = self.after_ms.load(Ordering::Relaxed);
        after != 0
            && self
                .now()
                .saturating_sub(self.last_sweep.load(Ordering::Relaxed))
                >= (after / 4).max(1)
    }
}

impl Sweep {
    /// Judges one series from its current state; `shared` tells whether a
    /// handle to it is held outside the family.
    pub(crate) fn judge(
        &self,
        activity: &Activity,
        point: &Point<'_>,
        shared: impl FnOnce() -> bool,
    ) -> Verdict {
        let fingerprint = fingerprint(point);
        let touched = activity.touched.load(Ordering::Relaxed);
        let changed = activity.fingerprint.swap(fingerprint, Ordering::Relaxed) != fingerprint;
        let stamped = activity.seen_touched.swap(touched, Ordering::Relaxed) != touched;
        if changed || stamped {
            activity.active_at.store(self.now, Ordering::Relaxed);
            activity.hidden.store(false, Ordering::Relaxed);
            return Verdict::Expose;
        }
        let idle = self
            .now
            .saturating_sub(activity.active_at.load(Ordering::Relaxed));
        if idle < self.after {
            return if activity.is_hidden() {
                Verdict::Hide
            } else {
                Verdict::Expose
            };
        }
        if shared() {
            activity.hidden.store(true, Ordering::Relaxed);
            Verdict::Hide
        } else {
            Verdict::Drop
        }
    }
}

/// The fingerprint of a new series, taken when expiry is on so that its
/// first sweep can tell whether it was updated since (0 otherwise).
pub(crate) fn fresh_fingerprint<M: Metric>(expiry: &Expiry, metric: &M) -> u64 {
    let mut out = 0;
    if expiry.after().is_some() {
        metric.visit(&mut Scratch::default(), &mut |point| {
            out = fingerprint(&point);
        });
    }
    out
}

/// A hash of the values a series exposes, to tell whether it changed
/// between two sweeps. Exemplars, creation times and quantile estimates
/// (which move with time alone) are left out.
fn fingerprint(point: &Point<'_>) -> u64 {
    fn num(n: Num) -> u64 {
        match n {
            Num::U64(v) => v,
            Num::I64(v) => u64::from_ne_bytes(v.to_ne_bytes()),
            Num::F64(v) => v.to_bits(),
        }
    }
    // FNV-1a over 64-bit words: cheap, and a collision only delays the
    // moment a change is noticed by one sweep.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |word: u64| hash = (hash ^ word).wrapping_mul(0x0000_0100_0000_01b3);
    match *point {
        Point::Counter { value, .. } | Point::Gauge(value) | Point::Unknown(value) => {
            mix(num(value));
        }
        Point::Histogram { counts, sum, .. } | Point::GaugeHistogram { counts, sum, .. } => {
            counts.iter().for_each(|&c| mix(c));
            mix(sum.to_bits());
        }
        Point::Summary { count, sum, .. } => {
            mix(count);
            mix(sum.to_bits());
        }
        Point::Info => mix(1),
        Point::StateSet { set, .. } => set.iter().for_each(|&s| mix(u64::from(s))),
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::sealed::Sealed as _;

    fn sweep_at(now: u64) -> Sweep {
        Sweep { now, after: 100 }
    }

    #[test]
    fn idle_series_expire_after_the_idle_time_only() {
        let a = Activity::new(1, 0, 0);
        let p = Point::Gauge(Num::I64(3));
        // The value differs from the one at creation: activity.
        assert_eq!(sweep_at(10).judge(&a, &p, || false), Verdict::Expose);
        assert_eq!(sweep_at(109).judge(&a, &p, || false), Verdict::Expose);
        assert_eq!(sweep_at(110).judge(&a, &p, || true), Verdict::Hide);
        assert_eq!(sweep_at(111).judge(&a, &p, || true), Verdict::Hide);
        assert_eq!(sweep_at(112).judge(&a, &p, || false), Verdict::Drop);
    }

    #[test]
    fn a_changed_value_or_a_lookup_is_activity() {
        let e = Expiry::new();
        e.enable(Duration::from_millis(100));
        let a = Activity::new(1, 0, 0);
        let p = Point::Gauge(Num::I64(3));
        assert_eq!(sweep_at(10).judge(&a, &p, || true), Verdict::Expose);
        assert_eq!(sweep_at(200).judge(&a, &p, || true), Verdict::Hide);
        let p = Point::Gauge(Num::I64(4));
        assert_eq!(sweep_at(201).judge(&a, &p, || true), Verdict::Expose);
        assert_eq!(sweep_at(400).judge(&a, &p, || false), Verdict::Drop);
        let b = Activity::new(1, 0, 0);
        assert_eq!(sweep_at(10).judge(&b, &p, || false), Verdict::Expose);
        e.touch(|| Some(&b));
        assert_eq!(sweep_at(300).judge(&b, &p, || false), Verdict::Expose);
        assert_eq!(sweep_at(399).judge(&b, &p, || false), Verdict::Expose);
        assert_eq!(sweep_at(400).judge(&b, &p, || false), Verdict::Drop);
    }

    #[test]
    fn an_untouched_series_is_idle_from_its_creation() {
        let e = Expiry::new();
        e.enable(Duration::from_millis(100));
        let fresh = crate::Counter::new();
        let a = Activity::new(1, fresh_fingerprint(&e, &fresh), e.clock());
        e.touch(|| Some(&a));
        let mut verdict = None;
        fresh.visit(&mut Scratch::default(), &mut |p| {
            verdict = Some(sweep_at(101).judge(&a, &p, || false));
        });
        assert_eq!(verdict, Some(Verdict::Drop));
    }

    #[test]
    fn off_means_no_stamp_and_no_sweep() {
        let e = Expiry::new();
        let a = Activity::new(0, 0, 0);
        e.touch(|| Some(&a));
        assert_eq!(a.touched.load(Ordering::Relaxed), 0);
        assert!(e.begin().is_none());
        assert!(!e.due());
        assert_eq!(e.after(), None);
    }
}
