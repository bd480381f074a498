//! The synchronisation primitives of the structures that have loom models
//! (a family's index, the hot/cold cells of histograms, a summary's count
//! and sum): std's, parking_lot's and portable-atomic's normally, loom's
//! under `cfg(loom)`.
//!
//! Only what those structures use is here. Everything else in the crate
//! keeps using std directly, so that the models stay small.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64};

/// A 128-bit atomic: `portable-atomic`'s (lock-free where the processor
/// has a 16-byte compare-and-swap, as every x86-64 and AArch64 one in use
/// does), or under loom a mutex behind the same interface.
#[cfg(not(loom))]
pub(crate) use portable_atomic::AtomicU128;

#[cfg(loom)]
pub(crate) use self::loom_u128::AtomicU128;

#[cfg(loom)]
mod loom_u128 {
    use std::sync::atomic::Ordering;

    /// loom has no 128-bit atomics; a loom mutex makes each operation one
    /// step of the model, which is what an atomic is to it.
    #[derive(Debug)]
    pub(crate) struct AtomicU128(loom::sync::Mutex<u128>);

    impl AtomicU128 {
        pub(crate) fn new(value: u128) -> Self {
            Self(loom::sync::Mutex::new(value))
        }

        pub(crate) fn load(&self, _: Ordering) -> u128 {
            *self.0.lock().expect("no panic under the lock")
        }

        pub(crate) fn compare_exchange_weak(
            &self,
            current: u128,
            new: u128,
            _: Ordering,
            _: Ordering,
        ) -> Result<u128, u128> {
            let mut value = self.0.lock().expect("no panic under the lock");
            if *value == current {
                *value = new;
                Ok(current)
            } else {
                Err(*value)
            }
        }
    }
}

/// A mutex whose `lock` returns the guard directly (no poisoning).
#[cfg(not(loom))]
pub(crate) use parking_lot::{Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use self::loom_mutex::{Mutex, MutexGuard};

#[cfg(loom)]
mod loom_mutex {
    /// loom's mutex behind parking_lot's interface.
    #[derive(Debug)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0
                .lock()
                .expect("models do not panic while holding a lock")
        }
    }
}

/// Lets other threads run while this one waits for them.
#[inline]
pub(crate) fn yield_now() {
    #[cfg(not(loom))]
    std::thread::yield_now();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// Spins once, or under loom yields, so that a model explores the other
/// threads instead of an endless spin.
#[inline]
pub(crate) fn spin_loop() {
    #[cfg(not(loom))]
    std::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// A cell written at most once and read without a lock: std's `OnceLock`.
#[cfg(not(loom))]
pub(crate) type OnceSlot<T> = std::sync::OnceLock<T>;

#[cfg(loom)]
pub(crate) use self::loom_once::OnceSlot;

#[cfg(loom)]
mod loom_once {
    use std::sync::OnceLock;

    use loom::sync::atomic::{AtomicBool, Ordering};

    /// `OnceLock` whose publication goes through a loom atomic: the value
    /// is stored in a std `OnceLock` (itself correct), and readers see it
    /// only once the flag says so, with the Release/Acquire pairing that
    /// std's `OnceLock` provides. loom then explores every interleaving of
    /// the publication with the other atomics of the model.
    #[derive(Debug)]
    pub(crate) struct OnceSlot<T> {
        ready: AtomicBool,
        value: OnceLock<T>,
    }

    impl<T> OnceSlot<T> {
        pub(crate) fn new() -> Self {
            Self {
                ready: AtomicBool::new(false),
                value: OnceLock::new(),
            }
        }

        pub(crate) fn get(&self) -> Option<&T> {
            if self.ready.load(Ordering::Acquire) {
                self.value.get()
            } else {
                None
            }
        }

        pub(crate) fn set(&self, value: T) -> Result<(), T> {
            self.value.set(value)?;
            self.ready.store(true, Ordering::Release);
            Ok(())
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! A model of summaries' age-window rotation: observations racing to
    //! move an age bucket to a new epoch, and a read racing with the
    //! recycling of the oldest bucket. The sketch's counting atomics are
    //! loom's under `cfg(loom)` (see `quantile/sync.rs`); its clock is a
    //! manual one, moved between the steps of the model.

    use std::sync::Arc;
    use std::time::Duration;

    use loom::thread;

    use crate::quantile::{ManualClock, Sketch, SketchConfig};

    /// A sketch of two age buckets of one second each, with a coarse
    /// relative error (few counters per octave), whose only octave
    /// (that of 1.0) is allocated already, with one observation in epoch 0.
    fn sketch() -> (Arc<Sketch>, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new());
        let config = SketchConfig::new(&[0.5])
            .and_then(|c| c.with_max_age(Duration::from_secs(2)))
            .and_then(|c| c.with_age_buckets(2))
            // Few buckets per octave keep the sweep of an age bucket short.
            .and_then(|c| c.with_relative_error(0.3))
            .expect("a valid configuration");
        let sketch = Arc::new(Sketch::new(config, clock.clone()));
        sketch.observe(1.0);
        (sketch, clock)
    }

    fn bounded() -> loom::model::Builder {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder
    }

    #[test]
    fn loom_observations_race_to_open_an_age_bucket() {
        bounded().check(|| {
            let (sketch, clock) = sketch();
            clock.set(Duration::from_millis(1500));
            let other = Arc::clone(&sketch);
            let t = thread::spawn(move || other.observe(1.0));
            sketch.observe(1.0);
            t.join().expect("no panic");
            // Epochs 0 and 1 are both in the window: nothing lost, nothing
            // counted twice.
            assert_eq!(sketch.snapshot().count(), 3);
        });
    }

    #[test]
    fn loom_a_read_races_the_recycling_of_the_oldest_bucket() {
        bounded().check(|| {
            let (sketch, clock) = sketch();
            clock.set(Duration::from_millis(1500));
            sketch.observe(1.0);
            // Epoch 2 reuses epoch 0's bucket; the window is epochs 1 and 2.
            clock.set(Duration::from_millis(2500));
            let other = Arc::clone(&sketch);
            let t = thread::spawn(move || other.observe(1.0));
            let count = sketch.snapshot().count();
            assert!(count == 1 || count == 2, "epoch 0 leaked in: {count}");
            t.join().expect("no panic");
            assert_eq!(sketch.snapshot().count(), 2);
        });
    }
}
