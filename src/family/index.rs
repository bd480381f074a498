//! The lookup index of a family: an open-addressing hash table whose slots
//! are written once, read without locks through a per-thread cache.
//!
//! Writers (creating, removing, clearing series) hold the family's mutex.
//! A slot, once filled, is never emptied: removal marks the series removed
//! and leaves a tombstone, and when tombstones and live series fill three
//! quarters of the table, a writer builds a new table and bumps `version`.
//!
//! Readers keep, per thread, the table they last used and the version it
//! belonged to. A lookup loads `version`, and when it matches, probes the
//! cached table with plain atomic loads: no lock, no reference count, no
//! fence. The cache holds an `Arc`, so an old table lives until every thread
//! that cached it has moved on.

use std::any::Any;
use std::cell::RefCell;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The hasher seed: random per family, so that nobody can aim label values
/// at one probe sequence; fixed under loom, whose models must replay each
/// execution exactly.
#[cfg(not(loom))]
type Seed = foldhash::fast::RandomState;
#[cfg(loom)]
type Seed = foldhash::fast::FixedState;

use super::expiry::Activity;
use super::Values;
use crate::sync::{AtomicBool, AtomicU64, Mutex, MutexGuard, OnceSlot};

/// One series of a family: its pre-rendered label text, the metric, and
/// what lookups and expiry need.
#[derive(Debug)]
pub(crate) struct Series<M, const N: usize> {
    /// `name="value"` pairs, escaped, comma-separated, no braces.
    pub(crate) rendered: Box<str>,
    /// Where each value ends in `rendered`, when every value stands there
    /// verbatim (none needed escaping and the text fits `u32` offsets).
    ends: [u32; N],
    /// What most series do without, in one allocation they skip; set
    /// once, when the series is made or when expiry is turned on.
    rare: OnceSlot<Box<Rare<N>>>,
    pub(crate) metric: M,
    /// The low half of the values' hash: enough to pick a slot and to
    /// pass over most other series without comparing values.
    tag: u32,
    /// Set (under the family mutex) when the series leaves the family;
    /// lookups then pass over it.
    pub(crate) removed: AtomicBool,
}

/// The parts of a series that most series do without.
#[derive(Debug)]
struct Rare<const N: usize> {
    /// The values as given, when `rendered` cannot hold them verbatim.
    raw: Option<[Box<str>; N]>,
    /// What idle expiry knows of the series, from the moment expiry is on.
    activity: OnceSlot<Activity>,
}

/// The part of a hash that series keep.
#[inline(always)]
fn tag(hash: u64) -> u32 {
    #[allow(clippy::cast_possible_truncation, reason = "the low half")]
    let tag = hash as u32;
    tag
}

/// Where the values of a family's series start in their rendered text:
/// the byte counts of `name="` before the first value and of `",name="`
/// before each next one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gaps<const N: usize>([usize; N]);

impl<const N: usize> Gaps<N> {
    pub(crate) fn new(names: &[Box<str>; N]) -> Self {
        Self(std::array::from_fn(|i| {
            let quotes = if i == 0 { 2 } else { 4 };
            names.get(i).map_or(0, |n| n.len()) + quotes
        }))
    }
}

impl<M, const N: usize> Series<M, N> {
    /// Makes a series whose label text is `rendered`, rendered from
    /// `values` with the family's label names first.
    pub(crate) fn new(
        hash: u64,
        values: &[&str; N],
        rendered: Box<str>,
        gaps: Gaps<N>,
        metric: M,
        activity: Option<Activity>,
    ) -> Self {
        let ends = verbatim_ends(&rendered, values, gaps);
        let raw = ends.is_none().then(|| values.map(Box::from));
        let series = Self {
            rendered,
            ends: ends.unwrap_or([0; N]),
            rare: OnceSlot::new(),
            metric,
            tag: tag(hash),
            removed: AtomicBool::new(false),
        };
        if raw.is_some() {
            let _ = series.rare.set(Box::new(Rare {
                raw,
                activity: OnceSlot::new(),
            }));
        }
        if let Some(activity) = activity {
            series.watch(activity);
        }
        series
    }

    fn raw(&self) -> Option<&[Box<str>; N]> {
        self.rare.get()?.raw.as_ref()
    }

    /// Returns what idle expiry knows of the series, while expiry is on.
    #[inline]
    pub(crate) fn activity(&self) -> Option<&Activity> {
        self.rare.get()?.activity.get()
    }

    /// Starts keeping `activity` for the series, in place, so that every
    /// handle and every table sees the same series (expiry may be turned on
    /// after the series was made). Under the family mutex, or before the
    /// series is shared; a series that has a record keeps it.
    pub(crate) fn watch(&self, activity: Activity) {
        if self.rare.get().is_none() {
            let _ = self.rare.set(Box::new(Rare {
                raw: None,
                activity: OnceSlot::new(),
            }));
        }
        if let Some(rare) = self.rare.get() {
            let _ = rare.activity.set(activity);
        }
    }

    /// Returns where the label values are found.
    pub(crate) fn stored_values<'a>(&'a self, gaps: &'a Gaps<N>) -> Values<'a> {
        match self.raw() {
            Some(raw) => Values::Kept(&raw[..]),
            None => Values::InText {
                ends: &self.ends,
                gaps: &gaps.0,
            },
        }
    }

    /// Returns the label values, in label-name order.
    #[cfg(test)]
    pub(crate) fn values<'a>(&'a self, gaps: &'a Gaps<N>) -> [&'a str; N] {
        let values = self.stored_values(gaps);
        std::array::from_fn(|i| values.get(&self.rendered, i))
    }

    #[inline(always)]
    fn matches(&self, hash: u64, values: &[&str; N], gaps: Gaps<N>) -> bool {
        self.tag == tag(hash)
            && !self.removed.load(Ordering::Relaxed)
            && (self.verbatim_matches(values, gaps) || self.raw_matches(values))
    }

    /// Compares `values` with the values in the rendered text. A series
    /// that keeps its values apart has all its ends at 0, before any value
    /// can start, so it never matches here.
    #[inline(always)]
    fn verbatim_matches(&self, values: &[&str; N], gaps: Gaps<N>) -> bool {
        let text = self.rendered.as_bytes();
        let mut start = 0;
        for ((gap, &end), value) in gaps.0.iter().zip(&self.ends).zip(values) {
            let value = value.as_bytes();
            start += gap;
            let stop = start + value.len();
            if stop != end as usize {
                return false;
            }
            match text.get(start..stop) {
                Some(stored) if same(stored, value) => start = stop,
                _ => return false,
            }
        }
        true
    }

    #[cold]
    fn raw_matches(&self, values: &[&str; N]) -> bool {
        self.raw().is_some_and(|raw| {
            raw.iter()
                .zip(values)
                .all(|(a, b)| same(a.as_bytes(), b.as_bytes()))
        })
    }
}

/// Returns where each value ends in `rendered` when all of them stand
/// there as given, with only the label text between them; `None` when one
/// was escaped or an offset would not fit a `u32`.
fn verbatim_ends<const N: usize>(
    rendered: &str,
    values: &[&str; N],
    gaps: Gaps<N>,
) -> Option<[u32; N]> {
    let mut ends = [0; N];
    let mut start = 0;
    for ((gap, value), end) in gaps.0.iter().zip(values).zip(&mut ends) {
        start += gap;
        let stop = start + value.len();
        if rendered.get(start..stop) != Some(*value) || value.contains(['\\', '"', '\n']) {
            return None;
        }
        *end = u32::try_from(stop).ok()?;
        start = stop;
    }
    Some(ends)
}

/// Compares two label values. Values of up to 16 bytes, the usual kind,
/// are compared with two loads each instead of a call to `memcmp`: the two
/// loads overlap when the value is shorter than twice their width, and
/// together cover every byte.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    match len {
        0 => true,
        1..=3 => a.first() == b.first() && a.get(len / 2) == b.get(len / 2) && a.last() == b.last(),
        4..=8 => {
            a.first_chunk::<4>() == b.first_chunk::<4>()
                && a.last_chunk::<4>() == b.last_chunk::<4>()
        }
        9..=16 => {
            a.first_chunk::<8>() == b.first_chunk::<8>()
                && a.last_chunk::<8>() == b.last_chunk::<8>()
        }
        _ => a == b,
    }
}

struct Table<M, const N: usize> {
    gaps: Gaps<N>,
    mask: usize,
    slots: Box<[OnceSlot<Arc<Series<M, N>>>]>,
}

impl<M, const N: usize> Table<M, N> {
    /// Returns an empty table with room for at least `live` series below
    /// the load limit. The size is a power of two, so that a mask picks the
    /// first slot: a multiply (which any size would need) lengthens every
    /// lookup by its latency, about 6% here.
    fn for_live(live: usize, gaps: Gaps<N>) -> Self {
        let capacity = (live.max(4) * 2).next_power_of_two();
        Self {
            gaps,
            mask: capacity - 1,
            slots: (0..capacity).map(|_| OnceSlot::new()).collect(),
        }
    }

    fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Returns the first slot of the probe sequence for a hash's `tag`.
    #[inline(always)]
    fn start(&self, tag: u32) -> usize {
        tag as usize & self.mask
    }

    #[inline(always)]
    fn next(&self, i: usize) -> usize {
        (i + 1) & self.mask
    }

    #[inline(always)]
    fn find(&self, hash: u64, values: &[&str; N]) -> Option<&Arc<Series<M, N>>> {
        let mut i = self.start(tag(hash));
        // The load limit keeps an empty slot in every probe sequence.
        loop {
            let series = self.slots.get(i)?.get()?;
            if series.matches(hash, values, self.gaps) {
                return Some(series);
            }
            i = self.next(i);
        }
    }

    /// Puts `series` in the first empty slot of its probe sequence.
    fn insert(&self, series: Arc<Series<M, N>>) {
        let mut i = self.start(series.tag);
        let mut series = Some(series);
        for _ in 0..self.slots.len() {
            if let Some(slot) = self.slots.get(i) {
                if slot.get().is_none() {
                    if let Some(s) = series.take() {
                        // Only writers insert, under the family mutex, so the
                        // slot is still empty.
                        if let Err(back) = slot.set(s) {
                            series = Some(back);
                        } else {
                            return;
                        }
                    }
                }
            }
            i = self.next(i);
        }
    }
}

/// What writers share under the family mutex.
pub(crate) struct Writer<M, const N: usize> {
    table: Arc<Table<M, N>>,
    /// Filled slots of `table`, tombstones included.
    used: usize,
    /// Live series in creation order.
    pub(crate) order: Vec<Arc<Series<M, N>>>,
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// The index of one family.
pub(crate) struct Index<M, const N: usize> {
    id: usize,
    gaps: Gaps<N>,
    hasher: Seed,
    /// Bumped (under the mutex) each time `table` is replaced.
    version: AtomicU64,
    /// The length of `order`, readable without the lock (for the cap).
    live: AtomicUsize,
    writer: Mutex<Writer<M, N>>,
}

impl<M, const N: usize> Drop for Index<M, N> {
    /// Lets go of the family's table in this thread's cache, often the
    /// thread that used it last; other threads' caches let go when two other
    /// families of its set push it out, or when they exit.
    fn drop(&mut self) {
        forget_here(self.id);
    }
}

/// Sets of the per-thread cache; each holds the tables of two families.
const CACHE_SETS: usize = 64;

struct CacheSlot {
    id: usize,
    version: u64,
    table: Option<Arc<dyn Any + Send + Sync>>,
}

const EMPTY_SLOT: CacheSlot = CacheSlot {
    id: usize::MAX,
    version: 0,
    table: None,
};

const EMPTY_SET: [CacheSlot; 2] = [EMPTY_SLOT, EMPTY_SLOT];

/// Per thread, the tables of recently used families: two ways in each of
/// [`CACHE_SETS`] sets, the set picked by family id. Ids are handed out in
/// creation order, so up to 128 families made one after another never push
/// each other out; a third family of a set replaces the one of the two
/// used less recently.
struct Cache {
    sets: [[CacheSlot; 2]; CACHE_SETS],
}

impl Cache {
    const fn new() -> Self {
        Self {
            sets: [EMPTY_SET; CACHE_SETS],
        }
    }

    /// Returns the table of family `id` at `version`, from the cache when
    /// it holds that version, otherwise from `current` (which returns the
    /// family's table and the version it belongs to), kept for next time.
    /// The entry used stands first in its set, so that a lookup that finds
    /// it there, the usual case, makes one comparison.
    #[inline]
    fn table(
        &mut self,
        id: usize,
        version: u64,
        current: impl FnOnce() -> (u64, Arc<dyn Any + Send + Sync>),
    ) -> Option<&(dyn Any + Send + Sync)> {
        let set = self.sets.get_mut(id % CACHE_SETS)?;
        if set[0].id != id || set[0].version != version {
            Self::bring_forward(set, id, version, current);
        }
        set[0].table.as_deref()
    }

    /// Puts family `id`'s table at `version` first in `set`: from the
    /// second way, or else from `current`, in place of the family's older
    /// entry or else of the entry used less recently.
    #[cold]
    fn bring_forward(
        set: &mut [CacheSlot; 2],
        id: usize,
        version: u64,
        current: impl FnOnce() -> (u64, Arc<dyn Any + Send + Sync>),
    ) {
        if set[1].id == id || set[0].id != id {
            set.swap(0, 1);
        }
        if set[0].id == id && set[0].version == version {
            return;
        }
        let (version, table) = current();
        set[0] = CacheSlot {
            id,
            version,
            table: Some(table),
        };
    }

    /// Forgets family `id`'s table; returns what the cache held of it, to
    /// be dropped once the cache is no longer borrowed.
    fn forget(&mut self, id: usize) -> [Option<Arc<dyn Any + Send + Sync>>; 2] {
        let mut gone = [None, None];
        if let Some(set) = self.sets.get_mut(id % CACHE_SETS) {
            for (slot, gone) in set.iter_mut().zip(&mut gone) {
                if slot.id == id {
                    *gone = std::mem::replace(slot, EMPTY_SLOT).table;
                }
            }
        }
        gone
    }
}

/// Removes family `id`'s entry from this thread's cache, if the cache is
/// there and free.
fn forget_here(id: usize) {
    let gone = CACHE.try_with(|cache| {
        cache
            .try_borrow_mut()
            .ok()
            .map(|mut cache| cache.forget(id))
    });
    drop(gone);
}

#[cfg(not(loom))]
thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache::new()) };
}

#[cfg(test)]
thread_local! {
    /// How many times this thread's lookups fetched a table under the lock.
    static REFILLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(loom)]
loom::thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::new());
}

impl<M: Send + Sync + 'static, const N: usize> Index<M, N> {
    pub(crate) fn new(gaps: Gaps<N>) -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            gaps,
            hasher: Seed::default(),
            version: AtomicU64::new(0),
            live: AtomicUsize::new(0),
            writer: Mutex::new(Writer {
                table: Arc::new(Table::for_live(0, gaps)),
                used: 0,
                order: Vec::new(),
            }),
        }
    }

    /// Hashes label values. The hasher turns its state by each value's
    /// length before mixing the value in, so label sets with the same
    /// concatenation, ("ab", "c") and ("a", "bc"), hash apart without a
    /// separate length word (lookups compare values anyway; the hash only
    /// spreads them).
    #[inline(always)]
    pub(crate) fn hash(&self, values: &[&str; N]) -> u64 {
        let mut h = self.hasher.build_hasher();
        for v in values {
            h.write(v.as_bytes());
        }
        h.finish()
    }

    /// Runs `f` on the live series with these values, found without a lock;
    /// hands `f` back when the series does not exist (or the per-thread
    /// cache is busy, as in a lookup nested in another's closure).
    #[inline]
    pub(crate) fn find<R, F>(&self, hash: u64, values: &[&str; N], f: F) -> Result<R, F>
    where
        F: FnOnce(&Arc<Series<M, N>>) -> R,
    {
        let mut f = Some(f);
        // Acquire pairs with the writer's Release bump: a new version's
        // table is fully built before a reader can pick it.
        let version = self.version.load(Ordering::Acquire);
        let found = CACHE.try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            let table = cache.table(self.id, version, || {
                #[cfg(test)]
                REFILLS.with(|n| n.set(n.get() + 1));
                let writer = self.writer.lock();
                // The version may have moved on since it was loaded; the
                // table is this one's.
                let version = self.version.load(Ordering::Relaxed);
                (
                    version,
                    Arc::clone(&writer.table) as Arc<dyn Any + Send + Sync>,
                )
            })?;
            let table = table.downcast_ref::<Table<M, N>>()?;
            let series = table.find(hash, values)?;
            f.take().map(|f| f(series))
        });
        match (found, f) {
            (Ok(Some(r)), _) => Ok(r),
            (_, Some(f)) => Err(f),
            (_, None) => unreachable!("f is consumed only when a result is returned"),
        }
    }

    /// Locks the writer state.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Writer<M, N>> {
        self.writer.lock()
    }

    /// Returns the number of series, read without the lock: exact between
    /// writers, a moment old while one works.
    #[inline]
    pub(crate) fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// Returns the live series with these values, under the lock.
    pub(crate) fn find_locked(
        writer: &Writer<M, N>,
        hash: u64,
        values: &[&str; N],
    ) -> Option<Arc<Series<M, N>>> {
        writer.table.find(hash, values).cloned()
    }

    /// Returns where values start in the rendered text of this family.
    pub(crate) fn gaps(&self) -> &Gaps<N> {
        &self.gaps
    }

    /// Adds a new series, under the lock.
    pub(crate) fn insert_locked(
        &self,
        writer: &mut Writer<M, N>,
        series: Series<M, N>,
    ) -> Arc<Series<M, N>> {
        let series = Arc::new(series);
        if (writer.used + 1) * 4 > writer.table.capacity() * 3 {
            self.rebuild(writer, writer.order.len() + 1);
        }
        writer.table.insert(Arc::clone(&series));
        writer.used += 1;
        writer.order.push(Arc::clone(&series));
        self.live.store(writer.order.len(), Ordering::Relaxed);
        series
    }

    /// Marks the series with these values removed. Returns whether it was
    /// live.
    pub(crate) fn remove_locked(
        &self,
        writer: &mut Writer<M, N>,
        hash: u64,
        values: &[&str; N],
    ) -> bool {
        let Some(series) = writer.table.find(hash, values).cloned() else {
            return false;
        };
        series.removed.store(true, Ordering::Relaxed);
        writer.order.retain(|s| !Arc::ptr_eq(s, &series));
        self.compact(writer);
        true
    }

    /// Drops from the creation order every series already marked removed
    /// (by idle expiry), in one pass.
    pub(crate) fn purge_locked(&self, writer: &mut Writer<M, N>) {
        writer.order.retain(|s| !s.removed.load(Ordering::Relaxed));
        self.compact(writer);
    }

    /// Counts the series left, and starts afresh when tombstones outnumber
    /// them.
    fn compact(&self, writer: &mut Writer<M, N>) {
        let live = writer.order.len();
        self.live.store(live, Ordering::Relaxed);
        if writer.used > 2 * live + 8 {
            self.rebuild(writer, live);
        }
        // A family that shrank gives back the room it no longer needs.
        if writer.order.capacity() > 4 * live + 16 {
            writer.order.shrink_to(2 * live);
        }
    }

    /// Removes every series.
    pub(crate) fn clear_locked(&self, writer: &mut Writer<M, N>) {
        for series in &writer.order {
            series.removed.store(true, Ordering::Relaxed);
        }
        writer.order = Vec::new();
        self.live.store(0, Ordering::Relaxed);
        self.rebuild(writer, 0);
        // The old table holds every cleared series. Other threads' caches
        // let go of it at their next lookup of this family (or when two
        // others push it out of its cache set) or when they exit; this
        // thread's cache, often the one that filled the family, lets go now.
        forget_here(self.id);
    }

    /// Replaces the table by one holding only the live series.
    fn rebuild(&self, writer: &mut Writer<M, N>, live: usize) {
        let table = Table::for_live(live, self.gaps);
        for series in &writer.order {
            table.insert(Arc::clone(series));
        }
        writer.used = writer.order.len();
        writer.table = Arc::new(table);
        // Release pairs with the readers' Acquire load: see `find`.
        self.version.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::render_pairs;

    fn index() -> Index<u32, 1> {
        Index::new(Gaps::new(&["k".into()]))
    }

    fn insert(index: &Index<u32, 1>, value: &str, metric: u32) {
        let h = index.hash(&[value]);
        let mut rendered = String::new();
        render_pairs(&mut rendered, [("k", value)]);
        let series = Series::new(h, &[value], rendered.into(), *index.gaps(), metric, None);
        index.insert_locked(&mut index.lock(), series);
    }

    fn get(index: &Index<u32, 1>, value: &str) -> Option<u32> {
        let h = index.hash(&[value]);
        index.find(h, &[value], |s| s.metric).ok()
    }

    /// Looks family `id` up at `version` in `cache`; returns whether the
    /// cache had to fetch the table, and the table's mark.
    fn cached(cache: &mut Cache, id: usize, version: u64) -> (bool, usize) {
        let mut fetched = false;
        let table = cache.table(id, version, || {
            fetched = true;
            (version, Arc::new(id * 100 + version as usize))
        });
        let mark = table.and_then(|t| t.downcast_ref::<usize>()).copied();
        (fetched, mark.expect("a table"))
    }

    #[test]
    fn two_families_of_one_cache_set_both_stay_cached() {
        let mut cache = Cache::new();
        let (a, b) = (3, 3 + CACHE_SETS);
        assert_eq!(cached(&mut cache, a, 0), (true, 300));
        assert_eq!(cached(&mut cache, b, 0), (true, 100 * b));
        for _ in 0..3 {
            assert_eq!(cached(&mut cache, a, 0), (false, 300));
            assert_eq!(cached(&mut cache, b, 0), (false, 100 * b));
        }
        // A family of another set does not disturb them.
        assert_eq!(cached(&mut cache, 4, 0), (true, 400));
        assert_eq!(cached(&mut cache, a, 0), (false, 300));
    }

    #[test]
    fn a_new_version_replaces_the_familys_own_entry() {
        let mut cache = Cache::new();
        let (a, b) = (5, 5 + CACHE_SETS);
        cached(&mut cache, a, 0);
        cached(&mut cache, b, 0);
        // `a` sits in the second way now; its new table takes its place
        // and `b` stays.
        assert_eq!(cached(&mut cache, a, 1), (true, 501));
        assert_eq!(cached(&mut cache, b, 0), (false, 100 * b));
        assert_eq!(cached(&mut cache, a, 1), (false, 501));
        cache.forget(a);
        assert_eq!(cached(&mut cache, b, 0), (false, 100 * b));
        assert_eq!(cached(&mut cache, a, 1), (true, 501));
    }

    #[test]
    fn a_third_family_of_a_set_pushes_out_the_least_recently_used() {
        let mut cache = Cache::new();
        let [a, b, c] = [7, 7 + CACHE_SETS, 7 + 2 * CACHE_SETS];
        cached(&mut cache, a, 0);
        cached(&mut cache, b, 0);
        assert_eq!(cached(&mut cache, c, 0), (true, 100 * c));
        // `a`, used least recently, went; now `c` is, and goes next.
        assert_eq!(cached(&mut cache, b, 0), (false, 100 * b));
        assert_eq!(cached(&mut cache, a, 0), (true, 700));
        assert_eq!(cached(&mut cache, b, 0), (false, 100 * b));
        assert_eq!(cached(&mut cache, c, 0), (true, 100 * c));
    }

    fn refills() -> usize {
        REFILLS.with(std::cell::Cell::get)
    }

    fn cached_here(id: usize) -> bool {
        CACHE.with(|cache| {
            cache.borrow().sets[id % CACHE_SETS]
                .iter()
                .any(|slot| slot.id == id)
        })
    }

    #[test]
    fn lookups_fetch_a_table_once_per_family_and_table() {
        let (a, b) = (index(), index());
        insert(&a, "x", 1);
        insert(&b, "y", 2);
        let before = refills();
        for _ in 0..50 {
            assert_eq!(get(&a, "x"), Some(1));
            assert_eq!(get(&b, "y"), Some(2));
        }
        assert_eq!(refills() - before, 2);
        // Enough series for `a` to outgrow its table: one more fetch.
        let version = a.version.load(Ordering::Relaxed);
        for i in 0..100 {
            insert(&a, &format!("v{i}"), i);
        }
        assert!(a.version.load(Ordering::Relaxed) > version);
        let before = refills();
        for _ in 0..50 {
            assert_eq!(get(&a, "x"), Some(1));
            assert_eq!(get(&a, "v99"), Some(99));
            assert_eq!(get(&b, "y"), Some(2));
        }
        assert_eq!(refills() - before, 1);
    }

    #[test]
    fn a_dropped_family_leaves_this_threads_cache() {
        let a = index();
        insert(&a, "x", 1);
        assert_eq!(get(&a, "x"), Some(1));
        let id = a.id;
        assert!(cached_here(id));
        drop(a);
        assert!(!cached_here(id));
    }

    #[test]
    fn same_sees_every_byte_of_every_length() {
        for len in 0..40 {
            let a: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            assert!(same(a.as_bytes(), a.clone().as_bytes()), "len {len}");
            for at in 0..len {
                let mut b = a.clone().into_bytes();
                b[at] = b'Z';
                let b = String::from_utf8(b).unwrap();
                assert!(!same(a.as_bytes(), b.as_bytes()), "len {len}, byte {at}");
            }
            assert!(!same(a.as_bytes(), format!("{a}x").as_bytes()), "len {len}");
        }
        assert!(same("é".as_bytes(), "é".as_bytes()));
        assert!(!same("é".as_bytes(), "è".as_bytes()));
    }

    #[test]
    fn escaped_values_are_kept_as_given_and_found() {
        let gaps = Gaps::new(&["a".into(), "bb".into()]);
        let make = |values: [&str; 2]| {
            let mut rendered = String::new();
            render_pairs(&mut rendered, [("a", values[0]), ("bb", values[1])]);
            Series::new(0, &values, rendered.into(), gaps, (), None)
        };
        for values in [
            ["x", "y"],
            ["", ""],
            ["a\"b", "c"],
            ["\\\\", "n"],
            ["line\nfeed", "x\\"],
            ["é", "ü\""],
        ] {
            let series = make(values);
            let verbatim = !values.iter().any(|v| v.contains(['\\', '"', '\n']));
            assert_eq!(series.raw().is_none(), verbatim, "{values:?}");
            assert_eq!(series.values(&gaps), values);
            assert!(series.matches(0, &values, gaps), "{values:?}");
        }
        // A value that spans the text of the next pair is still another
        // label set.
        let series = make(["x", "y"]);
        assert!(!series.matches(0, &["x\",bb=\"y", ""], gaps));
        assert!(!series.matches(0, &["x", "y\""], gaps));
        assert!(!series.matches(0, &["x", ""], gaps));
        assert!(!series.matches(1, &["x", "y"], gaps), "another hash");
    }

    #[test]
    fn grows_and_finds_everything() {
        let index = index();
        for i in 0..1000 {
            insert(&index, &i.to_string(), i);
        }
        for i in 0..1000 {
            assert_eq!(get(&index, &i.to_string()), Some(i));
        }
        assert_eq!(get(&index, "missing"), None);
    }

    #[test]
    fn removal_leaves_tombstones_that_lookups_pass() {
        let index = index();
        for i in 0..100 {
            insert(&index, &i.to_string(), i);
        }
        for round in 0..50 {
            let h = index.hash(&["7"]);
            assert!(index.remove_locked(&mut index.lock(), h, &["7"]));
            assert_eq!(get(&index, "7"), None);
            insert(&index, "7", 1000 + round);
            assert_eq!(get(&index, "7"), Some(1000 + round));
            assert_eq!(get(&index, "8"), Some(8));
        }
        assert_eq!(index.lock().order.len(), 100);
        assert!(
            index.lock().table.capacity() <= 512,
            "tombstones are compacted"
        );
    }

    #[test]
    fn lookups_nested_in_a_lookup_still_work() {
        let index = index();
        insert(&index, "a", 1);
        insert(&index, "b", 2);
        let h = index.hash(&["a"]);
        let nested = index.find(h, &["a"], |_| get(&index, "b")).ok();
        // The nested lookup cannot use the busy cache and reports a miss;
        // the family falls back to its locked path then.
        assert_eq!(nested, Some(None));
        let hb = index.hash(&["b"]);
        let w = index.lock();
        assert_eq!(
            Index::find_locked(&w, hb, &["b"]).map(|s| s.metric),
            Some(2)
        );
    }
}
