//! Bucket counts and a sum that a scrape reads as one consistent state.
//!
//! Writers never wait. Each write starts with one 16-byte compare-and-swap
//! on a head word that holds three things: the index of the "hot" of two
//! shards of bucket cells (the top bit), the number of writes started (the
//! other 63 bits of the high half) and the sum of their values (the low
//! half). The write then adds to its bucket on the shard the head named.
//! A reader (one at a time) flips the hot bit by the same kind of
//! compare-and-swap, which hands it the count and the sum of every write
//! started before the flip, waits for those writes to show on the now-cold
//! shard, reads it, and folds it into the hot shard. The cold shard
//! therefore holds every write ever made up to the flip, and nothing after
//! it: bucket counts, count and sum belong to exactly the same
//! observations.
//!
//! A reader knows the writes on the cold shard are done when the shard
//! counts as many as were started. Cells whose every write adds one to a
//! bucket (histograms) count them in the buckets themselves, so that a
//! write is two atomic operations: the head, and the bucket. Cells whose
//! buckets also go down (gauge histograms) keep a separate count of
//! finished writes per shard, a third.

use std::sync::atomic::Ordering;

use super::atomic::{pack, unpack};
use crate::sync::{self, AtomicU128, AtomicU64, Mutex};

const HOT_BIT: u64 = 1 << 63;
const STARTED_MASK: u64 = HOT_BIT - 1;

/// Counts per bucket and a float sum, updated lock-free and read
/// consistently.
///
/// The head, the only word every write changes, sits in this 64-byte line
/// with the fields that are read-only after construction or touched by
/// gauge histograms alone. Threads writing at once then pass one line back
/// and forth, and the read-mostly fields of the metric that holds it
/// (bucket bounds, exemplars) stay out of it. Shard `s` is the bucket cells
/// `2 * b + s`, plus `finished[s]` when `signed`.
#[derive(Debug)]
#[repr(align(64))]
pub(crate) struct HotCold {
    /// High half: the hot shard's index in the top bit, writes started in
    /// the rest. Low half: the bits of the sum of their values.
    head: AtomicU128,
    /// Writes finished on each shard, plus writes folded into it, when
    /// `signed`; otherwise the sum of the shard's buckets is that number.
    finished: [AtomicU64; 2],
    /// Whether writes may take a bucket down (see [`HotCold::record`]).
    signed: bool,
    /// Both shards' cells, interleaved so that one pointer serves both.
    buckets: Box<[AtomicU64]>,
    /// Serialises readers; writers never touch it.
    reader: Mutex<()>,
}

impl HotCold {
    /// Returns cells of `buckets` buckets (at least one) written with
    /// [`HotCold::count`].
    pub(crate) fn counting(buckets: usize) -> Self {
        Self::new(buckets.max(1), false)
    }

    /// Returns cells of `buckets` buckets written with [`HotCold::record`].
    pub(crate) fn signed(buckets: usize) -> Self {
        Self::new(buckets, true)
    }

    fn new(buckets: usize, signed: bool) -> Self {
        Self {
            head: AtomicU128::new(pack(0, 0.0)),
            finished: [AtomicU64::new(0), AtomicU64::new(0)],
            signed,
            buckets: (0..2 * buckets).map(|_| AtomicU64::new(0)).collect(),
            reader: Mutex::new(()),
        }
    }

    /// Starts a write of `value`: counts it and adds it to the sum; returns
    /// the shard the rest of the write goes to.
    #[inline]
    fn start(&self, value: f64) -> usize {
        let mut current = self.head.load(Ordering::Relaxed);
        loop {
            let (started, sum) = unpack(current);
            // The count never reaches the hot bit: 2^63 writes would take
            // centuries.
            let next = pack(started.wrapping_add(1), sum + value);
            // Acquire pairs with the reader's AcqRel flip: a writer that
            // lands on a shard after a flip sees the reader's earlier resets
            // of it.
            match self.head.compare_exchange_weak(
                current,
                next,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return usize::from(started & HOT_BIT != 0),
                Err(actual) => current = actual,
            }
        }
    }

    /// Flips the hot bit; returns the head as it was before.
    fn flip(&self) -> (u64, f64) {
        let mut current = self.head.load(Ordering::Relaxed);
        loop {
            let next = current ^ (u128::from(HOT_BIT) << 64);
            // AcqRel: Release publishes the previous reader's resets to
            // writers that will pick the newly cold shard after the next
            // flip; Acquire orders the waits that follow after the flip.
            match self.head.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return unpack(current),
                Err(actual) => current = actual,
            }
        }
    }

    /// Adds one to `bucket` (the last bucket if `bucket` is past it) and
    /// `value` to the sum, as one write, in cells made by
    /// [`HotCold::counting`].
    #[inline]
    pub(crate) fn count(&self, bucket: usize, value: f64) {
        debug_assert!(!self.signed, "signed cells are written with `record`");
        let shard = self.start(value);
        // A reader waits for this write to show in a bucket: it must land in
        // one. `counting` made at least one bucket, two cells.
        let last = self.buckets.len() - 2 + shard;
        let cell = (2 * bucket + shard).min(last);
        // Release pairs with the reader's Acquire loads of the buckets.
        if let Some(cell) = self.buckets.get(cell) {
            cell.fetch_add(1, Ordering::Release);
        }
    }

    /// Adds `delta` (wrapping, so `u64::MAX` subtracts one) to `bucket` and
    /// `value` to the sum, as one write, in cells made by
    /// [`HotCold::signed`].
    #[inline]
    pub(crate) fn record(&self, bucket: usize, delta: u64, value: f64) {
        debug_assert!(self.signed, "counting cells are written with `count`");
        let shard = self.start(value);
        if let Some(cell) = self.buckets.get(2 * bucket + shard) {
            cell.fetch_add(delta, Ordering::Relaxed);
        }
        // Release pairs with the reader's Acquire load of `finished`: once the
        // reader counts this write as finished, its bucket is visible.
        self.finished[shard].fetch_add(1, Ordering::Release);
    }

    /// The writes finished on `shard`, plus those folded into it.
    fn finished(&self, shard: usize) -> u64 {
        if self.signed {
            self.finished[shard].load(Ordering::Acquire)
        } else {
            // Each bucket only grows while the reader waits, so a sum read
            // bucket by bucket equals the number started only once every
            // one of them has finished.
            self.shard(shard)
                .fold(0, |n: u64, c| n.wrapping_add(c.load(Ordering::Acquire)))
        }
    }

    /// Copies the bucket counts into `counts` and returns the sum, all from
    /// the same set of writes.
    pub(crate) fn snapshot(&self, counts: &mut Vec<u64>) -> f64 {
        self.read(counts).1
    }

    /// Flips the shards and returns the writes and the sum of the cold one,
    /// its bucket counts in `counts`.
    fn read(&self, counts: &mut Vec<u64>) -> (u64, f64) {
        let _reader = self.reader.lock();
        let (before, sum) = self.flip();
        // Every write started before the flip, and only those, is on the
        // cold shard once the wait below ends; `sum` is theirs.
        let started = before & STARTED_MASK;
        let cold = usize::from(before & HOT_BIT != 0);
        let hot = cold ^ 1;

        let mut spins = 0u32;
        while self.finished(cold) != started {
            spins += 1;
            if spins < 64 {
                sync::spin_loop();
            } else {
                sync::yield_now();
            }
        }

        counts.clear();
        counts.extend(self.shard(cold).map(|c| c.load(Ordering::Relaxed)));

        // Fold the cold shard into the hot one, so that the next flip finds
        // every write on the shard it turns cold.
        for (hot_cell, cold_cell) in self.shard(hot).zip(self.shard(cold)) {
            hot_cell.fetch_add(cold_cell.load(Ordering::Relaxed), Ordering::Relaxed);
            cold_cell.store(0, Ordering::Relaxed);
        }
        if self.signed {
            self.finished[hot].fetch_add(started, Ordering::Relaxed);
            self.finished[cold].store(0, Ordering::Relaxed);
        }
        (started, sum)
    }

    /// The bucket cells of shard `shard`, in bucket order.
    fn shard(&self, shard: usize) -> impl Iterator<Item = &AtomicU64> {
        self.buckets.iter().skip(shard).step_by(2)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Writes one observation of `value` into `bucket`, the way each kind of
    /// cells is written.
    fn write(cells: &HotCold, bucket: usize, value: f64) {
        if cells.signed {
            cells.record(bucket, 1, value);
        } else {
            cells.count(bucket, value);
        }
    }

    #[test]
    fn snapshots_see_every_write_once() {
        for cells in [HotCold::counting(3), HotCold::signed(3)] {
            let mut counts = Vec::new();
            write(&cells, 0, 1.5);
            write(&cells, 2, 10.0);
            assert_eq!(cells.snapshot(&mut counts), 11.5);
            assert_eq!(counts, [1, 0, 1]);
            write(&cells, 1, 2.0);
            assert_eq!(cells.snapshot(&mut counts), 13.5);
            assert_eq!(counts, [1, 1, 1]);
            assert_eq!(cells.snapshot(&mut counts), 13.5);
            assert_eq!(counts, [1, 1, 1]);
            assert_eq!(cells.read(&mut Vec::new()), (3, 13.5));
        }
    }

    #[test]
    fn signed_buckets_go_down_and_count_every_write() {
        let cells = HotCold::signed(2);
        cells.record(1, 1, 4.0);
        cells.record(1, 1, 4.0);
        cells.record(1, u64::MAX, -4.0);
        let mut counts = Vec::new();
        assert_eq!(cells.snapshot(&mut counts), 4.0);
        assert_eq!(counts, [0, 1]);
        assert_eq!(cells.read(&mut Vec::new()), (3, 4.0));
    }

    #[test]
    fn counting_cells_put_a_write_past_the_last_bucket_in_it() {
        // Zero buckets asked for: one made, so that every write counts.
        let cells = HotCold::counting(0);
        cells.count(0, 1.0);
        cells.count(5, 2.0);
        let mut counts = Vec::new();
        assert_eq!(cells.snapshot(&mut counts), 3.0);
        assert_eq!(counts, [2]);
        assert_eq!(cells.read(&mut Vec::new()), (2, 3.0));
    }

    #[test]
    fn concurrent_writes_are_consistent_and_complete() {
        for cells in [HotCold::counting(2), HotCold::signed(2)] {
            concurrent_writes(Arc::new(cells));
        }
    }

    fn concurrent_writes(cells: Arc<HotCold>) {
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let cells = Arc::clone(&cells);
                std::thread::spawn(move || {
                    for i in 0..50_000u64 {
                        write(&cells, usize::from(i % 2 == 0), 1.0);
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

    /// Writes one observation of `value` into `bucket`, the way each kind of
    /// cells is written.
    fn write(cells: &HotCold, bucket: usize, value: f64) {
        if cells.signed {
            cells.record(bucket, 1, value);
        } else {
            cells.count(bucket, value);
        }
    }

    #[test]
    fn loom_snapshot_races_observations() {
        loom::model(|| snapshot_races_observations(HotCold::counting(2)));
    }

    #[test]
    fn loom_snapshot_races_observations_signed() {
        loom::model(|| snapshot_races_observations(HotCold::signed(2)));
    }

    fn snapshot_races_observations(cells: HotCold) {
        let cells = Arc::new(cells);
        let writer = Arc::clone(&cells);
        let t = thread::spawn(move || {
            write(&writer, 0, 1.0);
            write(&writer, 1, 2.0);
        });
        let mut counts = Vec::new();
        let sum = cells.snapshot(&mut counts);
        check(&counts, sum);
        // Observations are made in order: the second is never seen without
        // the first.
        assert!(counts[1] <= counts[0], "{counts:?}");
        t.join().expect("no panic");
        let sum = cells.snapshot(&mut counts);
        assert_eq!((counts.as_slice(), sum), ([1, 1].as_slice(), 3.0));
    }

    #[test]
    fn loom_two_snapshots_race_an_observation() {
        loom::model(|| two_snapshots_race_an_observation(HotCold::counting(1)));
    }

    #[test]
    fn loom_two_snapshots_race_an_observation_signed() {
        loom::model(|| two_snapshots_race_an_observation(HotCold::signed(1)));
    }

    fn two_snapshots_race_an_observation(cells: HotCold) {
        let cells = Arc::new(cells);
        let reader = Arc::clone(&cells);
        let t = thread::spawn(move || {
            let mut counts = Vec::new();
            let sum = reader.snapshot(&mut counts);
            check(&counts, sum);
            counts[0]
        });
        write(&cells, 0, 1.0);
        let mut counts = Vec::new();
        let sum = cells.snapshot(&mut counts);
        assert_eq!((counts[0], sum), (1, 1.0), "a finished write is seen");
        let other = t.join().expect("no panic");
        assert!(other <= 1);
        let sum = cells.snapshot(&mut counts);
        assert_eq!((counts[0], sum), (1, 1.0), "nothing lost by folding");
    }
}
