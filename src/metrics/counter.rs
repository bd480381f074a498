//! Counters: monotonic totals, as integers or floats.
//!
//! See OpenMetrics 1.0, "Counter". Samples are `<name>_total` and
//! `<name>_created`; exemplars ride on `_total`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::atomic::AtomicF64;
use super::exemplar::{Exemplar, ExemplarSlot};
use super::{sealed, unix_now, Metric, MetricType};
use crate::error::Error;
use crate::view::{Num, Point, Scratch};

#[derive(Debug)]
struct Core<V> {
    value: V,
    /// The creation time's bits. A creation time is never negative, so the
    /// sign bit is free; it is set once an exemplar was stored, and until
    /// then a scrape does not look at the slot.
    created: AtomicU64,
    exemplar: ExemplarSlot,
}

/// The bit of `Core::created` that says an exemplar was stored.
const EXEMPLIFIED: u64 = 1 << 63;

impl<V> Core<V> {
    fn new(value: V) -> Arc<Self> {
        Arc::new(Self {
            value,
            created: AtomicU64::new(unix_now().to_bits() & !EXEMPLIFIED),
            exemplar: ExemplarSlot::default(),
        })
    }

    fn store_exemplar(&self, exemplar: Exemplar) {
        self.exemplar.store(exemplar);
        // Release pairs with the Acquire load in `parts`: a scrape that sees
        // the bit finds the exemplar.
        self.created.fetch_or(EXEMPLIFIED, Ordering::Release);
    }

    /// Returns the creation time, and the exemplar slot once one was stored.
    #[inline]
    fn parts(&self) -> (f64, Option<&ExemplarSlot>) {
        let bits = self.created.load(Ordering::Acquire);
        let slot = (bits & EXEMPLIFIED != 0).then_some(&self.exemplar);
        (f64::from_bits(bits & !EXEMPLIFIED), slot)
    }
}

/// An integer counter that saturates at `u64::MAX` instead of wrapping.
///
/// Cloning is cheap and yields a handle to the same counter.
///
/// # Examples
///
/// ```
/// use beamline::{Counter, Format, Registry};
///
/// let registry = Registry::new();
/// let kicks = registry.register("kicks", "RF kicks.", Counter::new())?;
/// kicks.inc();
/// kicks.inc_by(2);
/// assert_eq!(kicks.get(), 3);
/// let text = String::from_utf8(registry.encode_to_vec(Format::PrometheusText)).unwrap();
/// assert!(text.contains("kicks_total 3\n"));
/// # Ok::<(), beamline::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Counter(Arc<Core<AtomicU64>>);

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

impl Counter {
    /// Returns a counter at zero, created now.
    pub fn new() -> Self {
        Self(Core::new(AtomicU64::new(0)))
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// Adds `amount`, saturating at `u64::MAX`.
    ///
    /// The fast path is a single `fetch_add`. The write that carries the
    /// total past `u64::MAX` stores `u64::MAX` right after, so the counter
    /// settles there; a scrape racing with that very write may see the
    /// wrapped value once.
    #[inline]
    pub fn inc_by(&self, amount: u64) {
        let before = self.0.value.fetch_add(amount, Ordering::Relaxed);
        if before.checked_add(amount).is_none() {
            self.saturate();
        }
    }

    #[cold]
    fn saturate(&self) {
        self.0.value.store(u64::MAX, Ordering::Relaxed);
    }

    /// Returns the current total.
    pub fn get(&self) -> u64 {
        self.0.value.load(Ordering::Relaxed)
    }

    /// Adds one and records an exemplar with value 1.
    ///
    /// # Errors
    ///
    /// Returns an error when the exemplar's labels are invalid or longer than
    /// 128 characters; the increment is applied all the same.
    pub fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), Error> {
        self.inc_by_with_exemplar(1, labels)
    }

    /// Adds `amount` and records an exemplar with that value.
    ///
    /// # Errors
    ///
    /// Returns an error when the exemplar's labels are invalid or longer than
    /// 128 characters; the increment is applied all the same.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::{Counter, Error};
    ///
    /// let runs = Counter::new();
    /// runs.inc_with_exemplar(&[("run_id", "7")])?;
    /// let long = "x".repeat(200);
    /// assert!(matches!(
    ///     runs.inc_with_exemplar(&[("trace", &long)]),
    ///     Err(Error::ExemplarTooLong { .. })
    /// ));
    /// assert_eq!(runs.get(), 2);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn inc_by_with_exemplar(&self, amount: u64, labels: &[(&str, &str)]) -> Result<(), Error> {
        self.inc_by(amount);
        #[allow(clippy::cast_precision_loss, reason = "exemplar values are doubles")]
        let exemplar = Exemplar::new(labels, amount as f64)?;
        self.0.store_exemplar(exemplar);
        Ok(())
    }

    /// Runs `f` and adds one when it returns an error, like counting the
    /// exceptions of a block.
    ///
    /// # Errors
    ///
    /// Returns what `f` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::Counter;
    ///
    /// let failures = Counter::new();
    /// let parsed: Result<u8, _> = failures.count_errors(|| "300".parse::<u8>());
    /// assert!(parsed.is_err());
    /// assert_eq!(failures.count_errors(|| "3".parse::<u8>()), Ok(3));
    /// assert_eq!(failures.get(), 1);
    /// ```
    pub fn count_errors<T, E>(&self, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let result = f();
        if result.is_err() {
            self.inc();
        }
        result
    }

    /// Returns the latest exemplar, if any.
    pub fn exemplar(&self) -> Option<Exemplar> {
        self.0.exemplar.load().map(|e| (*e).clone())
    }
}

impl sealed::Sealed for Counter {
    const TYPE: MetricType = MetricType::Counter;

    fn fresh(&self) -> Self {
        Self::new()
    }

    fn is_shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }

    fn visit(&self, _: &mut Scratch, f: &mut dyn FnMut(Point<'_>)) {
        let (created, exemplar) = self.0.parts();
        f(Point::Counter {
            value: Num::U64(self.get()),
            created: Some(created),
            exemplar,
        });
    }
}

impl Metric for Counter {}

/// A float counter. Increments that are negative, NaN or infinite are
/// refused: [`inc_by`](Self::inc_by) ignores them, and
/// [`try_inc_by`](Self::try_inc_by) reports them. Finite increments whose
/// total passes `f64::MAX` leave it at `+Inf`, which is still a valid,
/// never-decreasing counter value.
///
/// # Examples
///
/// ```
/// use beamline::{Error, FloatCounter};
///
/// let energy = FloatCounter::new();
/// energy.inc_by(1.5);
/// energy.inc_by(-3.0); // ignored
/// assert!(matches!(
///     energy.try_inc_by(f64::NAN),
///     Err(Error::InvalidIncrement { .. })
/// ));
/// assert_eq!(energy.get(), 1.5);
/// ```
#[derive(Debug, Clone)]
pub struct FloatCounter(Arc<Core<AtomicF64>>);

impl Default for FloatCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl FloatCounter {
    /// Returns a counter at zero, created now.
    pub fn new() -> Self {
        Self(Core::new(AtomicF64::new(0.0)))
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.0.value.add(1.0);
    }

    /// Adds `amount` when it is finite and not negative; ignores it
    /// otherwise, so a counter never goes down nor turns NaN.
    #[inline]
    pub fn inc_by(&self, amount: f64) {
        if valid_increment(amount) {
            self.0.value.add(amount);
        }
    }

    /// Adds `amount`, or reports why it was refused.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidIncrement`] when `amount` is negative, NaN or
    /// infinite; the counter is left unchanged.
    pub fn try_inc_by(&self, amount: f64) -> Result<(), Error> {
        if valid_increment(amount) {
            self.0.value.add(amount);
            Ok(())
        } else {
            Err(Error::InvalidIncrement { value: amount })
        }
    }

    /// Adds `amount` and records an exemplar with that value.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidIncrement`] for a refused amount (nothing is
    /// recorded), or an exemplar error (the increment is applied).
    pub fn inc_by_with_exemplar(&self, amount: f64, labels: &[(&str, &str)]) -> Result<(), Error> {
        self.try_inc_by(amount)?;
        self.0.store_exemplar(Exemplar::new(labels, amount)?);
        Ok(())
    }

    /// Returns the current total.
    pub fn get(&self) -> f64 {
        self.0.value.load()
    }

    /// Returns the latest exemplar, if any.
    pub fn exemplar(&self) -> Option<Exemplar> {
        self.0.exemplar.load().map(|e| (*e).clone())
    }
}

fn valid_increment(amount: f64) -> bool {
    amount.is_finite() && amount >= 0.0
}

impl sealed::Sealed for FloatCounter {
    const TYPE: MetricType = MetricType::Counter;

    fn fresh(&self) -> Self {
        Self::new()
    }

    fn is_shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }

    fn visit(&self, _: &mut Scratch, f: &mut dyn FnMut(Point<'_>)) {
        let (created, exemplar) = self.0.parts();
        f(Point::Counter {
            value: Num::F64(self.get()),
            created: Some(created),
            exemplar,
        });
    }
}

impl Metric for FloatCounter {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_counter_saturates() {
        let c = Counter::new();
        c.inc_by(u64::MAX - 1);
        c.inc();
        assert_eq!(c.get(), u64::MAX);
        c.inc();
        c.inc_by(10);
        assert_eq!(c.get(), u64::MAX);
    }

    #[test]
    fn float_counter_refuses_bad_increments() {
        let c = FloatCounter::new();
        for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            c.inc_by(bad);
            assert!(matches!(
                c.try_inc_by(bad),
                Err(Error::InvalidIncrement { .. })
            ));
        }
        assert_eq!(c.get(), 0.0);
        c.inc_by(0.25);
        c.inc();
        assert_eq!(c.get(), 1.25);
    }

    #[test]
    fn exemplar_is_kept_with_its_value() {
        let c = Counter::new();
        c.inc_by_with_exemplar(5, &[("trace_id", "abc")]).unwrap();
        let e = c.exemplar().unwrap();
        assert_eq!(e.value(), 5.0);
        assert_eq!(e.labels().collect::<Vec<_>>(), [("trace_id", "abc")]);
    }

    /// What a scrape sees: the creation time, and the exemplar slot only
    /// once an exemplar was stored.
    fn scraped(metric: &impl sealed::Sealed) -> (f64, Option<f64>) {
        let mut seen = None;
        metric.visit(&mut Scratch::default(), &mut |point| {
            if let Point::Counter {
                created: Some(created),
                exemplar,
                ..
            } = point
            {
                let value = exemplar.and_then(ExemplarSlot::load).map(|e| e.value());
                seen = Some((created, value));
            }
        });
        seen.expect("a counter point")
    }

    #[test]
    fn scrapes_look_at_the_exemplar_slot_once_one_was_stored() {
        let before = unix_now();
        let c = Counter::new();
        let f = FloatCounter::new();
        let (created, exemplar) = scraped(&c);
        assert!(created >= before && created <= unix_now(), "{created}");
        assert_eq!(exemplar, None);
        assert_eq!(scraped(&f).1, None);
        c.inc_by_with_exemplar(3, &[("run", "1")]).unwrap();
        f.inc_by_with_exemplar(0.5, &[("run", "2")]).unwrap();
        assert_eq!(scraped(&c), (created, Some(3.0)));
        assert_eq!(scraped(&f).1, Some(0.5));
        assert!(scraped(&f).0 > 0.0, "the flag leaves the time positive");
    }
}
