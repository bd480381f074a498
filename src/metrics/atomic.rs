//! Floats in atomics, stored as their bit patterns.
//!
//! Additions go through a compare-and-swap loop. NaN and infinities are
//! stored like any other value: adding to NaN stays NaN, as IEEE 754 says.

use std::sync::atomic::Ordering;

use crate::sync::AtomicU64;

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
