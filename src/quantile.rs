//! A lock-free sliding-window quantile sketch, the engine behind summaries' `quantile`
//! samples ([OpenMetrics, Summary][summary]).
//!
//! [summary]: https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md#summary
//!
//! A [`Sketch`] counts observations in log-spaced buckets and computes quantiles only when
//! read. Observing touches one atomic counter after a table lookup; reading merges the age
//! buckets of the window.
//!
//! # Accuracy
//!
//! Among the `n` observations in the window (NaN excluded), the `q`-quantile is the value
//! of rank `r = max(1, ceil(q * n))`, counting from 1 at the smallest, with `q * n`
//! evaluated in `f64`. For every such value `v` that is zero, infinite, or a normal `f64`
//! (magnitude at least `f64::MIN_POSITIVE`), the reported value `v'` satisfies
//! `|v' - v| <= relative_error * |v|`; zero and infinities are reported exactly. The bound
//! is checked bucket by bucket when the configuration is built (see `mapping.rs`), not
//! assumed from an approximation of the logarithm.
//!
//! # Special values
//!
//! - Zero, `-0.0` and subnormal values (magnitude below `f64::MIN_POSITIVE`, about
//!   `2.2e-308`) share one counter and are reported as `0.0`; for subnormals this is the
//!   one exception to the relative bound.
//! - Negative values are counted by magnitude in a mirrored set of buckets, allocated on the
//!   first negative value, and reported negated.
//! - `+inf` and `-inf` have a counter each and are reported as themselves.
//! - NaN is ignored by the sketch: it has no rank and is not in [`SketchSnapshot::count`].
//!   A summary that counts NaN in its `_count` thus reports more than the sketch holds.
//!
//! # Window
//!
//! The window `max_age` is split into `age_buckets` age buckets of `max_age / age_buckets`
//! each, aligned on the sketch's creation time. An observation counts in the age bucket of
//! the instant its clock reading falls in; a read merges the current age bucket and the
//! `age_buckets - 1` before it. So a read sees every observation younger than
//! `max_age * (age_buckets - 1) / age_buckets`, never one older than `max_age`, and those in
//! between depending on where the read falls within the current bucket. Rotation is lazy:
//! the first observation in a new age bucket takes over the oldest one, and a read simply
//! leaves out buckets that are too old, both going by the injected [`Clock`]; nothing runs
//! in the background. An empty window reports NaN quantiles. An observation whose thread
//! stalls between reading the clock and counting for longer than the whole window is
//! dropped, or counted in the newer bucket that replaced its own; either way once.
//!
//! # Memory
//!
//! Memory grows with the range of values seen, not with their number: one chunk of
//! counters per octave (power of two) reached, holding every age bucket. With the defaults
//! (1 % error, 5 age buckets) an octave costs 36 buckets * 5 age buckets * 8 bytes = 1,440
//! bytes. Latencies from 1 µs to 10 s, in seconds, span 24 octaves, and
//! [`Sketch::memory_bytes`] reports 39,576 bytes for such a sketch (x86-64, Rust 1.95):
//! 34,560 of counters, 2,520 for the `Sketch` value itself (mostly its inline directory),
//! 160 of age-bucket state and special counters, and 2,336 for the bucket-mapping table,
//! which sketches built from clones of one [`SketchConfig`] share. An empty sketch takes
//! 5,016 bytes; the first negative value adds a mirrored directory (2,328 bytes) plus its
//! own chunks.
//!
//! # Cost
//!
//! An observation reads the clock, finds its counter with shifts, one table load and one
//! directory hop (two for values outside `2^-31..2^33`), and increments it with one
//! `fetch_add`. The first observation in a new age bucket also walks that bucket's
//! counters to reset their tags. With a clock that is a single atomic load, such as a
//! [`ManualClock`] moved by a timer thread, a summary-style observation (sketch, count and
//! sum) measured about 1.4 times a classic 11-bucket histogram observation. With
//! [`SystemClock`], `Instant::now()` costs more than everything else together (26 ns on
//! the virtual machine measured, making it about 5 times); see `benches/quantile.rs`.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use beamline::quantile::{ManualClock, Sketch, SketchConfig};
//!
//! let clock = Arc::new(ManualClock::new());
//! let config = SketchConfig::new(&[0.5, 0.9])?.with_max_age(Duration::from_secs(60))?;
//! let sketch = Sketch::new(config, clock.clone());
//! for ms in 1..=100 {
//!     sketch.observe(f64::from(ms) / 1000.0);
//! }
//!
//! let mut out = Vec::new();
//! sketch.quantiles(&mut out);
//! assert_eq!(out.len(), 2);
//! assert!((out[0].1 - 0.050).abs() <= 0.01 * 0.050);
//! assert!((out[1].1 - 0.090).abs() <= 0.01 * 0.090);
//!
//! // Once the window has passed, nothing is left.
//! clock.advance(Duration::from_secs(60));
//! sketch.quantiles(&mut out);
//! assert!(out[0].1.is_nan());
//! # Ok::<(), beamline::quantile::SketchError>(())
//! ```

mod clock;
mod config;
mod mapping;
mod store;
mod sync;
mod window;

use std::fmt;
use std::sync::{Arc, OnceLock};

use self::clock::Timer;
pub use self::clock::{Clock, CoarseClock, ManualClock, SystemClock};
pub use self::config::{SketchConfig, SketchError};
use self::mapping::{Locator, Mapping};
use self::store::{Chunk, Store};
use self::sync::AtomicU64;
use self::window::{Claim, Ring};

const SIGN_BIT: u64 = 1 << 63;
const INFINITY_BITS: u64 = 0x7ff0_0000_0000_0000;
const MIN_NORMAL_BITS: u64 = 0x0010_0000_0000_0000;

/// Positions of the special counters within one age bucket.
const NEG_INF: usize = 0;
const ZERO: usize = 1;
const POS_INF: usize = 2;
const SPECIALS: usize = 3;

/// A sliding-window quantile sketch with a relative-error bound.
///
/// [`observe`](Sketch::observe) is lock-free and, once the octaves of the values have been
/// seen, allocation-free; [`quantiles`](Sketch::quantiles) and
/// [`snapshot`](Sketch::snapshot) compute quantiles over the window at read time. Share it
/// between threads behind an `Arc`.
///
/// See the [module documentation](self) for the accuracy guarantee, the window and the
/// treatment of zero, negatives, infinities and NaN.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use beamline::quantile::{Sketch, SketchConfig, SystemClock};
///
/// let sketch = Sketch::new(SketchConfig::new(&[0.5])?, Arc::new(SystemClock::new()));
/// sketch.observe(0.25);
/// sketch.observe(f64::NAN);
/// let snapshot = sketch.snapshot();
/// assert_eq!(snapshot.count(), 1);
/// assert!((snapshot.quantile(0.5) - 0.25).abs() <= 0.01 * 0.25);
/// # Ok::<(), beamline::quantile::SketchError>(())
/// ```
pub struct Sketch {
    config: SketchConfig,
    clock: Timer,
    /// Clock reading at creation, in the clock's ticks; epochs count from it.
    origin: u64,
    /// The mapping's buckets per octave, the stride of one age bucket within a chunk.
    per_octave: usize,
    locator: Locator,
    mapping: Arc<Mapping>,
    ring: Ring,
    /// `SPECIALS` counters per age bucket.
    specials: Box<[AtomicU64]>,
    positive: Store,
    negative: OnceLock<Box<Store>>,
}

impl Sketch {
    /// Returns an empty sketch for `config` whose age buckets follow `clock`, starting at
    /// the clock's current reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use beamline::quantile::{ManualClock, Sketch, SketchConfig};
    ///
    /// let sketch = Sketch::new(SketchConfig::new(&[0.99])?, Arc::new(ManualClock::new()));
    /// assert_eq!(sketch.config().quantiles(), &[0.99]);
    /// assert_eq!(sketch.snapshot().count(), 0);
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    pub fn new(config: SketchConfig, clock: Arc<dyn Clock>) -> Sketch {
        Sketch::with_timer(config, Timer::Shared(clock))
    }

    /// Returns an empty sketch for `config` timed by a new [`CoarseClock`], which
    /// it reads without going through a pointer.
    pub(crate) fn with_coarse_clock(config: SketchConfig) -> Sketch {
        Sketch::with_timer(config, Timer::Coarse)
    }

    /// Returns an empty sketch with the same configuration and clock.
    pub(crate) fn fresh(&self) -> Sketch {
        Sketch::with_timer(self.config.clone(), self.clock.clone())
    }

    fn with_timer(config: SketchConfig, clock: Timer) -> Sketch {
        let origin = clock.ticks();
        let mapping = Arc::clone(config.mapping());
        let ring = Ring::new(
            config.age_buckets(),
            clock.ticks_in(config.bucket_duration()),
        );
        let specials = (0..config.age_buckets() * SPECIALS)
            .map(|_| window::new_cell(0))
            .collect();
        Sketch {
            per_octave: mapping.per_octave(),
            locator: mapping.locator().clone(),
            mapping,
            config,
            clock,
            origin,
            ring,
            specials,
            positive: Store::new(),
            negative: OnceLock::new(),
        }
    }

    /// Returns the configuration.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use beamline::quantile::{ManualClock, Sketch, SketchConfig};
    ///
    /// let config = SketchConfig::new(&[0.5])?.with_relative_error(0.02)?;
    /// let sketch = Sketch::new(config, Arc::new(ManualClock::new()));
    /// assert_eq!(sketch.config().relative_error(), 0.02);
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    pub fn config(&self) -> &SketchConfig {
        &self.config
    }

    /// Records `value` in the current age bucket.
    ///
    /// Costs one clock reading, a few shifts and loads to find the counter, and one
    /// `fetch_add` on it; never locks. It allocates only the first time a value reaches a
    /// new octave (and, for the first negative value, the negative directory). The first
    /// call in a new age bucket also resets that bucket's counters, a walk over the octaves
    /// reached so far. NaN is ignored.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use beamline::quantile::{ManualClock, Sketch, SketchConfig};
    ///
    /// let sketch = Sketch::new(SketchConfig::new(&[0.5])?, Arc::new(ManualClock::new()));
    /// sketch.observe(-3.0);
    /// sketch.observe(0.0);
    /// sketch.observe(f64::INFINITY);
    /// let snapshot = sketch.snapshot();
    /// assert_eq!(snapshot.count(), 3);
    /// assert_eq!(snapshot.quantile(0.5), 0.0);
    /// assert_eq!(snapshot.quantile(1.0), f64::INFINITY);
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    #[inline]
    pub fn observe(&self, value: f64) {
        let bits = value.to_bits();
        if bits & !SIGN_BIT > INFINITY_BITS {
            return;
        }
        let (epoch, slot) = self.position();
        let generation = match self.ring.claim(slot, epoch) {
            Claim::Ready(generation) => generation,
            Claim::Fresh(generation) => {
                self.sweep(slot, generation);
                generation
            }
            Claim::Expired => return,
        };
        window::bump(self.cell(bits, slot), generation);
    }

    /// The counter for a non-NaN value with bits `bits` in age bucket `slot`.
    #[inline]
    fn cell(&self, bits: u64, slot: usize) -> &AtomicU64 {
        let magnitude = bits & !SIGN_BIT;
        if magnitude < MIN_NORMAL_BITS {
            return &self.specials[slot * SPECIALS + ZERO];
        }
        let negative = bits & SIGN_BIT != 0;
        if magnitude == INFINITY_BITS {
            let kind = if negative { NEG_INF } else { POS_INF };
            return &self.specials[slot * SPECIALS + kind];
        }
        let (octave, bucket) = self.locator.locate(magnitude);
        let store = if negative {
            self.negative.get_or_init(|| Box::new(Store::new()))
        } else {
            &self.positive
        };
        store.cell(octave, slot * self.per_octave + bucket, || self.new_chunk())
    }

    /// A chunk for a newly reached octave, each age bucket tagged with its current
    /// generation.
    #[cold]
    #[inline(never)]
    fn new_chunk(&self) -> Chunk {
        (0..self.ring.slots())
            .flat_map(|slot| {
                let generation = self.ring.generation(slot);
                (0..self.per_octave).map(move |_| window::new_cell(generation))
            })
            .collect()
    }

    /// Resets age bucket `slot` to generation `generation` (see `window.rs`).
    #[cold]
    #[inline(never)]
    fn sweep(&self, slot: usize, generation: u64) {
        let specials = &self.specials[slot * SPECIALS..(slot + 1) * SPECIALS];
        let stores = std::iter::once(&self.positive).chain(self.negative.get().map(|s| &**s));
        let chunks = stores
            .flat_map(Store::chunks)
            .map(|(_, chunk)| &chunk[slot * self.per_octave..(slot + 1) * self.per_octave]);
        for cell in std::iter::once(specials).chain(chunks).flatten() {
            window::sweep(cell, generation);
        }
    }

    /// The current epoch (age-bucket number since creation) and its slot in the ring.
    #[inline]
    fn position(&self) -> (u64, usize) {
        let elapsed = self.clock.ticks().saturating_sub(self.origin);
        self.ring.position(elapsed)
    }

    /// Writes the configured quantiles and their values over the current window into
    /// `out`, replacing its contents: one `(quantile, value)` pair per configured
    /// quantile, in ascending order of quantile. Values are NaN when the window is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use beamline::quantile::{ManualClock, Sketch, SketchConfig};
    ///
    /// let sketch = Sketch::new(SketchConfig::new(&[0.5, 0.99])?, Arc::new(ManualClock::new()));
    /// let mut out = Vec::new();
    /// sketch.quantiles(&mut out);
    /// assert!(out[0].1.is_nan() && out[1].1.is_nan());
    ///
    /// for value in [1.0, 2.0, 3.0, 4.0] {
    ///     sketch.observe(value);
    /// }
    /// sketch.quantiles(&mut out);
    /// assert_eq!(out[0].0, 0.5);
    /// assert!((out[0].1 - 2.0).abs() <= 0.02);
    /// assert!((out[1].1 - 4.0).abs() <= 0.04);
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    pub fn quantiles(&self, out: &mut Vec<(f64, f64)>) {
        let snapshot = self.snapshot();
        out.clear();
        out.extend(
            self.config
                .quantiles()
                .iter()
                .map(|&q| (q, snapshot.quantile(q))),
        );
    }

    /// Returns the merged counts of the current window, from which any quantile can be
    /// read.
    ///
    /// Observations that race with the read may or may not be included; each one is
    /// counted at most once, and the snapshot itself never changes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use beamline::quantile::{ManualClock, Sketch, SketchConfig};
    ///
    /// let sketch = Sketch::new(SketchConfig::new(&[])?, Arc::new(ManualClock::new()));
    /// for value in 1..=1000 {
    ///     sketch.observe(f64::from(value));
    /// }
    /// let snapshot = sketch.snapshot();
    /// assert_eq!(snapshot.count(), 1000);
    /// assert!((snapshot.quantile(0.999) - 999.0).abs() <= 9.99);
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    pub fn snapshot(&self) -> SketchSnapshot {
        let live = self.ring.live(self.position().0);
        let merged = |cells: &[AtomicU64], stride: usize, index: usize| -> u64 {
            live.iter()
                .map(|&(slot, generation)| window::count(&cells[slot * stride + index], generation))
                .sum()
        };
        let mut snapshot = SketchSnapshot::default();

        snapshot.push(f64::NEG_INFINITY, merged(&self.specials, SPECIALS, NEG_INF));
        if let Some(negative) = self.negative.get() {
            let chunks: Vec<_> = negative.chunks().collect();
            for &(octave, chunk) in chunks.iter().rev() {
                for bucket in (0..self.per_octave).rev() {
                    let count = merged(chunk, self.per_octave, bucket);
                    snapshot.push(-self.mapping.value(octave, bucket), count);
                }
            }
        }
        snapshot.push(0.0, merged(&self.specials, SPECIALS, ZERO));
        for (octave, chunk) in self.positive.chunks() {
            for bucket in 0..self.per_octave {
                let count = merged(chunk, self.per_octave, bucket);
                snapshot.push(self.mapping.value(octave, bucket), count);
            }
        }
        snapshot.push(f64::INFINITY, merged(&self.specials, SPECIALS, POS_INF));
        snapshot
    }

    /// Returns the memory this sketch occupies, in bytes: the `Sketch` value itself
    /// (including the inline directory of positive octaves) plus everything it allocated:
    /// counter chunks, directory groups, the negative store once used, age-bucket state,
    /// special counters, and the bucket-mapping table. The table is shared by sketches built
    /// from clones of one [`SketchConfig`], but counted in each. Allocator overhead is not
    /// included.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use beamline::quantile::{ManualClock, Sketch, SketchConfig};
    ///
    /// let sketch = Sketch::new(SketchConfig::new(&[0.5])?, Arc::new(ManualClock::new()));
    /// let empty = sketch.memory_bytes();
    /// sketch.observe(1.5);
    /// let one_octave = sketch.memory_bytes();
    /// assert!(one_octave > empty);
    /// for _ in 0..1000 {
    ///     sketch.observe(1.75);
    /// }
    /// assert_eq!(sketch.memory_bytes(), one_octave);
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Sketch>()
            + std::mem::size_of_val(&*self.specials)
            + self.ring.heap_bytes()
            + self.positive.heap_bytes()
            + self
                .negative
                .get()
                .map_or(0, |store| std::mem::size_of::<Store>() + store.heap_bytes())
            + self.mapping.heap_bytes()
    }
}

impl fmt::Debug for Sketch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The counters are thousands of atomics; their footprint says more than their list.
        f.debug_struct("Sketch")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .field("origin", &self.origin)
            .field("memory_bytes", &self.memory_bytes())
            .finish_non_exhaustive()
    }
}

/// The merged counts of a sketch's window at one instant, in ascending order of value.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use beamline::quantile::{ManualClock, Sketch, SketchConfig};
///
/// let sketch = Sketch::new(SketchConfig::new(&[])?, Arc::new(ManualClock::new()));
/// sketch.observe(-2.0);
/// sketch.observe(8.0);
/// let snapshot = sketch.snapshot();
/// assert_eq!(snapshot.count(), 2);
/// assert!((snapshot.quantile(0.5) + 2.0).abs() <= 0.02);
/// assert!((snapshot.quantile(0.51) - 8.0).abs() <= 0.08);
/// # Ok::<(), beamline::quantile::SketchError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SketchSnapshot {
    /// Reported value of each non-empty bucket, ascending.
    values: Vec<f64>,
    /// Running total of the counts up to and including each bucket.
    cumulative: Vec<u64>,
}

impl SketchSnapshot {
    fn push(&mut self, value: f64, count: u64) {
        if count > 0 {
            let total = self.count() + count;
            self.values.push(value);
            self.cumulative.push(total);
        }
    }

    /// Returns the number of observations in the window, NaN excluded.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use beamline::quantile::{ManualClock, Sketch, SketchConfig};
    ///
    /// let sketch = Sketch::new(SketchConfig::new(&[])?, Arc::new(ManualClock::new()));
    /// sketch.observe(1.0);
    /// sketch.observe(f64::NEG_INFINITY);
    /// assert_eq!(sketch.snapshot().count(), 2);
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    pub fn count(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    /// Returns the estimate of the `q`-quantile: the reported value of the bucket holding
    /// the observation of rank `max(1, ceil(q * count))`. `q` may be 0 (the minimum) or 1
    /// (the maximum). Returns NaN when the window is empty or `q` is outside `[0, 1]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use beamline::quantile::{ManualClock, Sketch, SketchConfig};
    ///
    /// let sketch = Sketch::new(SketchConfig::new(&[])?, Arc::new(ManualClock::new()));
    /// for value in [10.0, 20.0, 30.0] {
    ///     sketch.observe(value);
    /// }
    /// let snapshot = sketch.snapshot();
    /// assert!((snapshot.quantile(0.0) - 10.0).abs() <= 0.1);
    /// assert!((snapshot.quantile(0.34) - 20.0).abs() <= 0.2);
    /// assert!((snapshot.quantile(1.0) - 30.0).abs() <= 0.3);
    /// assert!(snapshot.quantile(1.5).is_nan());
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    pub fn quantile(&self, q: f64) -> f64 {
        let count = self.count();
        if count == 0 || !(0.0..=1.0).contains(&q) {
            return f64::NAN;
        }
        // `count` stays far below 2^53, so it converts exactly; the float-to-int cast
        // saturates and the clamp keeps the rank within 1..=count.
        let rank = ((q * count as f64).ceil() as u64).clamp(1, count);
        let index = self.cumulative.partition_point(|&total| total < rank);
        self.values[index]
    }
}
