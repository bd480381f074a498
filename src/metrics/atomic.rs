//! Floats in atomics, stored as their bit patterns.
//!
//! Additions go through a compare-and-swap loop. NaN and infinities are
//! stored like any other value: adding to NaN stays NaN, as IEEE 754 says.

use std::sync::atomic::Ordering;

use crate::sync::{AtomicU128, AtomicU64};

/// An `f64` that can be read and updated from many threads.
#[derive(Debug, Default)]
pub(crate) struct AtomicF64(AtomicU64);

impl AtomicF64 {
    pub(crate) fn new(value: f64) -> Self {
        Self(AtomicU64::new(value.to_bits()))
    }

    pub(crate) fn load(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    pub(crate) fn store(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }

    /// Adds `delta` and returns nothing; `Relaxed` because a float on its own
    /// publishes no other memory (histograms order their fields through a
    /// separate counter, see `hotcold`).
    #[inline]
    pub(crate) fn add(&self, delta: f64) {
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let next = (f64::from_bits(current) + delta).to_bits();
            match self
                .0
                .compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

/// A count and a float sum changed together by one compare-and-swap, so
/// that every read returns the count and the sum of the same additions.
///
/// One 16-byte compare-and-swap costs about what one 8-byte one does, and a
/// read needs no lock. The hot/cold cells of histograms (see `hotcold`)
/// start each write the same way.
///
/// It fills a 64-byte line of its own: threads observing at once pass it
/// back and forth, and the read-mostly fields next to it (a summary's
/// sketch) would otherwise go with it.
#[derive(Debug)]
#[repr(align(64))]
pub(crate) struct CountSum(AtomicU128);

impl CountSum {
    pub(crate) fn new() -> Self {
        Self(AtomicU128::new(pack(0, 0.0)))
    }

    /// Adds one to the count (saturating) and `value` to the sum. What the
    /// thread wrote before is visible to a thread whose [`load`](Self::load)
    /// sees the addition.
    #[inline]
    pub(crate) fn add(&self, value: f64) {
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let (count, sum) = unpack(current);
            let next = pack(count.saturating_add(1), sum + value);
            // Release pairs with the Acquire of `load`: a summary observes
            // into its sketch first, so a scrape that counts an observation
            // finds it in the sketch.
            match self
                .0
                .compare_exchange_weak(current, next, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Returns the count and the sum.
    pub(crate) fn load(&self) -> (u64, f64) {
        unpack(self.0.load(Ordering::Acquire))
    }
}

/// The count in the high half, the sum's bits in the low one.
pub(crate) fn pack(count: u64, sum: f64) -> u128 {
    (u128::from(count) << 64) | u128::from(sum.to_bits())
}

pub(crate) fn unpack(pair: u128) -> (u64, f64) {
    #[allow(clippy::cast_possible_truncation, reason = "the halves, split")]
    let (count, sum) = ((pair >> 64) as u64, pair as u64);
    (count, f64::from_bits(sum))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn count_and_sum_move_together() {
        let cell = CountSum::new();
        assert_eq!(cell.load(), (0, 0.0));
        cell.add(1.5);
        cell.add(-0.25);
        assert_eq!(cell.load(), (2, 1.25));
        cell.add(f64::INFINITY);
        assert_eq!(cell.load(), (3, f64::INFINITY));
    }

    #[test]
    fn the_count_saturates() {
        let cell = CountSum(AtomicU128::new(pack(u64::MAX - 1, 0.0)));
        cell.add(1.0);
        cell.add(1.0);
        assert_eq!(cell.load(), (u64::MAX, 2.0));
    }

    #[test]
    fn concurrent_additions_are_all_counted_and_reads_match() {
        let cell = Arc::new(CountSum::new());
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let cell = Arc::clone(&cell);
                std::thread::spawn(move || (0..100_000).for_each(|_| cell.add(2.0)))
            })
            .collect();
        for _ in 0..10_000 {
            let (count, sum) = cell.load();
            #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
            let expected = 2.0 * count as f64;
            assert_eq!(sum, expected, "a sum of other additions than the count's");
        }
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(cell.load(), (200_000, 400_000.0));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! A summary's count and sum read while two observations race
    //! (`RUSTFLAGS="--cfg loom" cargo test --lib --release loom`).

    use std::sync::Arc;

    use loom::thread;

    use super::*;

    #[test]
    fn loom_count_and_sum_read_during_two_additions() {
        loom::model(|| {
            let cell = Arc::new(CountSum::new());
            let other = Arc::clone(&cell);
            let t = thread::spawn(move || other.add(2.0));
            cell.add(1.0);
            let (count, sum) = cell.load();
            assert!(
                [(1, 1.0), (2, 3.0)].contains(&(count, sum)),
                "({count}, {sum})"
            );
            t.join().expect("no panic");
            assert_eq!(cell.load(), (2, 3.0));
        });
    }
}
