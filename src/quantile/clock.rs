//! Time sources for the sketch's age buckets.

use std::fmt::{self, Debug};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A monotonic time source.
///
/// A [`Sketch`](super::Sketch) reads its clock on every observation and every read to decide
/// which age bucket is current; nothing runs in the background. Implementations must never
/// go backwards: a reading earlier than one already used by the sketch makes observations
/// count as expired until the clock catches up.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use beamline::quantile::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_secs(3));
/// assert_eq!(clock.now(), Duration::from_secs(3));
/// ```
pub trait Clock: Send + Sync + Debug {
    /// Returns the time elapsed since an arbitrary origin fixed for this clock.
    fn now(&self) -> Duration;
}

/// The process's monotonic clock ([`Instant`]), measured from the clock's creation.
///
/// Reading it costs one `Instant::now()`, which is 15 to 30 ns on common Linux machines and
/// is the largest part of an observation's cost.
///
/// # Examples
///
/// ```
/// use beamline::quantile::{Clock, SystemClock};
///
/// let clock = SystemClock::new();
/// let first = clock.now();
/// assert!(clock.now() >= first);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// Returns a clock whose origin is the current instant.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use beamline::quantile::{Clock, SystemClock};
    ///
    /// assert!(SystemClock::new().now() < Duration::from_secs(60));
    /// ```
    pub fn new() -> SystemClock {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> SystemClock {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// The kernel's coarse monotonic clock (`CLOCK_MONOTONIC_COARSE` on Linux),
/// measured from the clock's creation: the default clock of summaries.
///
/// Its resolution is a scheduler tick (1 to 10 ms), far finer than any age
/// bucket (at least 1 ms, two minutes by default), and reading it is a
/// memory load rather than a hardware clock read, so it costs a few
/// nanoseconds where [`SystemClock`] costs tens.
///
/// # Examples
///
/// ```
/// use beamline::quantile::{Clock, CoarseClock};
///
/// let clock = CoarseClock::new();
/// let first = clock.now();
/// assert!(clock.now() >= first);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CoarseClock {
    origin: coarsetime::Instant,
}

impl CoarseClock {
    /// Returns a clock whose origin is the current instant.
    pub fn new() -> CoarseClock {
        CoarseClock {
            origin: coarsetime::Instant::now_without_cache_update(),
        }
    }
}

impl Default for CoarseClock {
    fn default() -> CoarseClock {
        CoarseClock::new()
    }
}

impl Clock for CoarseClock {
    #[inline]
    fn now(&self) -> Duration {
        // Not `now()`, which also stores the reading into a process-wide
        // cache that this crate never reads: a store to one shared cache line
        // on every observation of every summary, which threads observing at
        // once would pass back and forth.
        coarsetime::Instant::now_without_cache_update()
            .duration_since(self.origin)
            .into()
    }
}

/// A clock that moves only when told to, with nanosecond resolution.
///
/// Tests and simulations use it to age a sketch's window without sleeping. Reading it is a
/// single atomic load, so it can also serve as a cheap coarse clock that the application
/// moves forward itself (for instance from a timer thread every few milliseconds), trading
/// timing precision for a cheaper observation than [`SystemClock`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use beamline::quantile::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// assert_eq!(clock.now(), Duration::ZERO);
/// clock.advance(Duration::from_millis(1500));
/// clock.advance(Duration::from_millis(500));
/// assert_eq!(clock.now(), Duration::from_secs(2));
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    nanos: AtomicU64,
}

impl ManualClock {
    /// Returns a clock reading zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use beamline::quantile::{Clock, ManualClock};
    ///
    /// assert_eq!(ManualClock::new().now(), Duration::ZERO);
    /// ```
    pub fn new() -> ManualClock {
        ManualClock::default()
    }

    /// Moves the clock forward by `by`, saturating at `u64::MAX` nanoseconds (584 years).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use beamline::quantile::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// clock.advance(Duration::from_nanos(5));
    /// assert_eq!(clock.now(), Duration::from_nanos(5));
    /// ```
    pub fn advance(&self, by: Duration) {
        let by = nanos(by);
        // The new reading is computed from the old one inside the closure, so concurrent
        // advances add up; no other memory is published with the value.
        let _ = self
            .nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                Some(now.saturating_add(by))
            });
    }

    /// Sets the reading to `to`, saturating at `u64::MAX` nanoseconds. Setting it backwards
    /// is allowed for tests of misbehaving clocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use beamline::quantile::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// clock.set(Duration::from_secs(90));
    /// assert_eq!(clock.now(), Duration::from_secs(90));
    /// ```
    pub fn set(&self, to: Duration) {
        self.nanos.store(nanos(to), Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

/// A sketch's time source, read in ticks of its own: the kernel's coarse
/// monotonic clock read directly in `coarsetime`'s ticks (no conversion to
/// a [`Duration`] on the observation path, and a call the compiler can
/// inline), or any [`Clock`], in nanoseconds.
#[derive(Clone)]
pub(super) enum Timer {
    Coarse,
    Shared(Arc<dyn Clock>),
}

impl Timer {
    /// The current reading, in ticks from an unspecified origin.
    #[inline]
    pub(super) fn ticks(&self) -> u64 {
        match self {
            // Not `now()`: see `CoarseClock::now`.
            Timer::Coarse => coarsetime::Instant::now_without_cache_update().as_ticks(),
            Timer::Shared(clock) => nanos(clock.now()),
        }
    }

    /// The ticks in `duration`.
    pub(super) fn ticks_in(&self, duration: Duration) -> u64 {
        match self {
            Timer::Coarse => coarsetime::Duration::from(duration).as_ticks(),
            Timer::Shared(_) => nanos(duration),
        }
    }
}

impl Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timer::Coarse => f.write_str("CoarseClock"),
            Timer::Shared(clock) => clock.fmt(f),
        }
    }
}

/// Whole nanoseconds of `duration`, saturating at `u64::MAX`.
#[inline]
pub(super) fn nanos(duration: Duration) -> u64 {
    // Plain 64-bit arithmetic: cheaper than going through `as_nanos`'s `u128` on the
    // observation path.
    duration
        .as_secs()
        .checked_mul(1_000_000_000)
        .and_then(|nanos| nanos.checked_add(u64::from(duration.subsec_nanos())))
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_ticks_and_their_durations_agree() {
        // The monotonic clock and the coarse one run at one rate: 30 ms
        // on the first are 30 ms of coarse ticks, give or take the coarse
        // clock's step of a few milliseconds. Spins instead of sleeping,
        // so that both readings bracket the same stretch of time.
        let timer = Timer::Coarse;
        let (start, ticks) = (Instant::now(), timer.ticks());
        while start.elapsed() < Duration::from_millis(30) {
            std::thread::yield_now();
        }
        let (elapsed, counted) = (start.elapsed(), timer.ticks() - ticks);
        let slack = Duration::from_millis(10);
        assert!(
            (timer.ticks_in(elapsed - slack)..=timer.ticks_in(elapsed + slack)).contains(&counted),
            "{counted} ticks in {elapsed:?}"
        );
        let shared = Timer::Shared(Arc::new(ManualClock::new()));
        assert_eq!(shared.ticks_in(Duration::from_millis(30)), 30_000_000);
    }
}
