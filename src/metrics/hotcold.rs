//! Bucket counts and a sum that a scrape reads as one consistent state.
//!
//! Writers never wait. Each write picks the "hot" of two shards by bumping a
//! word whose top bit names the hot shard and whose other 63 bits count the
//! writes started. A reader (one at a time) flips the top bit, waits for the
//! writes that started on the now-cold shard to finish, reads it, and folds
//! it into the hot shard. The cold shard therefore always holds every write
//! ever made up to the flip, and nothing after it: bucket counts and sum
//! belong to exactly the same observations.

use std::sync::atomic::Ordering;

use super::atomic::AtomicF64;
use crate::sync::{self, AtomicU64, Mutex};

const HOT_BIT: u64 = 1 << 63;
const STARTED_MASK: u64 = HOT_BIT - 1;

#[derive(Debug)]
struct Shard {
    buckets: Box<[AtomicU64]>,
    sum: AtomicF64,
    /// Writes finished on this shard, plus writes folded into it.
    finished: AtomicU64,
}

impl Shard {
    fn new(buckets: usize) -> Self {
        Self {
            buckets: (0..buckets).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicF64::new(0.0),
            finished: AtomicU64::new(0),
        }
    }
}

/// Counts per bucket and a float sum, updated lock-free and read
/// consistently.
#[derive(Debug)]
pub(crate) struct HotCold {
    /// Top bit: index of the hot shard. Low 63 bits: writes started.
    hot_and_started: AtomicU64,
    shards: [Shard; 2],
    /// Serialises readers; writers never touch it.
    reader: Mutex<()>,
}

impl HotCold {
    pub(crate) fn new(buckets: usize) -> Self {
        Self {
            hot_and_started: AtomicU64::new(0),
            shards: [Shard::new(buckets), Shard::new(buckets)],
            reader: Mutex::new(()),
        }
    }

    /// Adds `delta` (wrapping, so `u64::MAX` subtracts one) to `bucket` and
    /// `value` to the sum, as one write.
    #[inline]
    pub(crate) fn record(&self, bucket: usize, delta: u64, value: f64) {
        // Acquire pairs with the reader's AcqRel flip: a writer that lands on
        // a shard after a flip sees the reader's earlier resets of it.
        let started = self.hot_and_started.fetch_add(1, Ordering::Acquire);
        let shard = &self.shards[usize::from(started & HOT_BIT != 0)];
        if let Some(cell) = shard.buckets.get(bucket) {
            cell.fetch_add(delta, Ordering::Relaxed);
        }
        shard.sum.add(value);
        // Release pairs with the reader's Acquire load of `finished`: once the
        // reader counts this write as finished, its bucket and sum are visible.
        shard.finished.fetch_add(1, Ordering::Release);
    }

    /// Copies the bucket counts into `counts` and returns the sum, all from
    /// the same set of writes.
    pub(crate) fn snapshot(&self, counts: &mut Vec<u64>) -> f64 {
        let _reader = self.reader.lock();
        // AcqRel: Release publishes the previous reader's resets to writers
        // that will pick the newly cold shard after the next flip; Acquire
        // orders the waits below after the flip.
        let before = self.hot_and_started.fetch_add(HOT_BIT, Ordering::AcqRel);
        let started = before & STARTED_MASK;
        let cold_index = usize::from(before & HOT_BIT != 0);
        let cold = &self.shards[cold_index];
        let hot = &self.shards[cold_index ^ 1];

        let mut spins = 0u32;
        while cold.finished.load(Ordering::Acquire) != started {
            spins += 1;
            if spins < 64 {
                sync::spin_loop();
            } else {
                sync::yield_now();
            }
        }

        counts.clear();
        counts.extend(cold.buckets.iter().map(|c| c.load(Ordering::Relaxed)));
        let sum = cold.sum.load();

        // Fold the cold shard into the hot one, so that the next flip finds
        // every write on the shard it turns cold.
        for (hot_cell, cold_cell) in hot.buckets.iter().zip(cold.buckets.iter()) {
            hot_cell.fetch_add(cold_cell.load(Ordering::Relaxed), Ordering::Relaxed);
            cold_cell.store(0, Ordering::Relaxed);
        }
        hot.sum.add(sum);
        cold.sum.store(0.0);
        hot.finished.fetch_add(started, Ordering::Relaxed);
        cold.finished.store(0, Ordering::Relaxed);
        sum
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn snapshots_see_every_write_once() {
        let cells = HotCold::new(3);
        let mut counts = Vec::new();
        cells.record(0, 1, 1.5);
        cells.record(2, 1, 10.0);
        assert_eq!(cells.snapshot(&mut counts), 11.5);
        assert_eq!(counts, [1, 0, 1]);
        cells.record(1, 1, 2.0);
        assert_eq!(cells.snapshot(&mut counts), 13.5);
        assert_eq!(counts, [1, 1, 1]);
        assert_eq!(cells.snapshot(&mut counts), 13.5);
        assert_eq!(counts, [1, 1, 1]);
    }

    #[test]
    fn concurrent_writes_are_consistent_and_complete() {
        let cells = Arc::new(HotCold::new(2));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let cells = Arc::clone(&cells);
                std::thread::spawn(move || {
                    for i in 0..50_000u64 {
                        cells.record(usize::from(i % 2 == 0), 1, 1.0);
                    }
                })
            })
            .collect();
        let mut counts = Vec::new();
        let mut last = 0;
        for _ in 0..200 {
            let sum = cells.snapshot(&mut counts);
            let total: u64 = counts.iter().sum();
            #[allow(clippy::cast_precision_loss, reason = "small test counts")]
            let expected = total as f64;
            assert_eq!(sum, expected, "sum and counts disagree");
            assert!(total >= last);
            last = total;
        }
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(cells.snapshot(&mut counts), 100_000.0);
        assert_eq!(counts, [50_000, 50_000]);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Models of snapshots racing with observations
    //! (`RUSTFLAGS="--cfg loom" cargo test --lib --release loom`).

    use std::sync::Arc;

    use loom::thread;

    use super::*;

    /// Bucket counts and the sum they must come with: observation `i` goes
    /// to bucket `i` with value `2^i`, so the sum names the observations.
    fn check(counts: &[u64], sum: f64) {
        let expected: f64 = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                assert!(c <= 1, "an observation counted twice: {counts:?}");
                #[allow(clippy::cast_precision_loss, reason = "tiny values")]
                let v = (c << i) as f64;
                v
            })
            .sum();
        assert_eq!(sum, expected, "sum and buckets disagree: {counts:?}");
    }

    #[test]
    fn loom_snapshot_races_observations() {
        loom::model(|| {
            let cells = Arc::new(HotCold::new(2));
            let writer = Arc::clone(&cells);
            let t = thread::spawn(move || {
                writer.record(0, 1, 1.0);
                writer.record(1, 1, 2.0);
            });
            let mut counts = Vec::new();
            let sum = cells.snapshot(&mut counts);
            check(&counts, sum);
            // Observations are made in order: the second is never seen
            // without the first.
            assert!(counts[1] <= counts[0], "{counts:?}");
            t.join().expect("no panic");
            let sum = cells.snapshot(&mut counts);
            assert_eq!((counts.as_slice(), sum), ([1, 1].as_slice(), 3.0));
        });
    }

    #[test]
    fn loom_two_snapshots_race_an_observation() {
        loom::model(|| {
            let cells = Arc::new(HotCold::new(1));
            let reader = Arc::clone(&cells);
            let t = thread::spawn(move || {
                let mut counts = Vec::new();
                let sum = reader.snapshot(&mut counts);
                check(&counts, sum);
                counts[0]
            });
            cells.record(0, 1, 1.0);
            let mut counts = Vec::new();
            let sum = cells.snapshot(&mut counts);
            assert_eq!((counts[0], sum), (1, 1.0), "a finished write is seen");
            let other = t.join().expect("no panic");
            assert!(other <= 1);
            let sum = cells.snapshot(&mut counts);
            assert_eq!((counts[0], sum), (1, 1.0), "nothing lost by folding");
        });
    }
}
