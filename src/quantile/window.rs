//! The age-bucket ring and its counter cells: every atomic of the counting scheme lives
//! here (chunk allocation goes through `OnceLock`, outside this module).
//!
//! # Scheme
//!
//! Time is cut into *epochs* of `max_age / age_buckets`. Epoch `e` writes into age bucket
//! (*slot*) `e % slots`, and a read at epoch `E` merges the slots holding epochs
//! `E - slots + 1 ..= E`. Each slot has one state word packing the epoch it currently holds
//! with a *generation*, a counter bumped each time the slot moves to a newer epoch.
//!
//! Every counter cell packs a generation tag with its count. A cell counts for its slot only
//! while its tag equals the slot's generation; a cell with an older tag holds a previous
//! epoch's count and is logically zero. That makes resetting a slot lazy and lock-free:
//! nothing has to be zeroed before observers of the new epoch start writing, because the
//! first one to touch a stale cell replaces tag and count in one compare-and-swap.
//!
//! An observer reads the clock, derives its epoch `e`, and [`Ring::claim`]s the slot:
//! - the slot holds `e`: it uses the slot's generation;
//! - the slot holds an older epoch: it moves the slot to `e` with a compare-and-swap on the
//!   state word (one winner; losers see the winner's state and retry), bumping the
//!   generation; the winner then [`sweep`]s the slot's cells (see below);
//! - the slot holds a newer epoch: the observer's clock reading is at least `slots` epochs
//!   old, so its observation is already outside every window a read can now see, and it is
//!   dropped. This only happens to an observer stalled across a whole window.
//!
//! It then [`bump`]s its cell with one `fetch_add` and looks at the value it replaced:
//! - same tag: done (the common case, one atomic instruction);
//! - older tag: the add went into a logically zero count, so the observer counts itself
//!   again by compare-and-swap: replacing the cell with (its generation, 1), or adding one
//!   if another observer already did that replacement;
//! - newer tag: the slot was recycled while the observer was stalled, and the observation
//!   counts in the newer epoch, which its `observe` call overlapped.
//!
//! No increment is lost or counted twice: every change is one atomic read-modify-write on
//! one word, and an observer whose add hit a stale count re-counts itself exactly once.
//! A cell tagged with generation `g` holds the observations whose clock reading fell in
//! the epoch the state word pairs with `g`, plus, rarely, those of observers stalled across
//! the recycling of that slot, whose call was in progress during that epoch.
//!
//! A read loads each slot's state, keeps the slots whose epoch is in its window, and counts
//! a cell only if its tag equals that slot's generation. A read that overlaps a slot moving
//! on sees that slot's cells partly: those cells hold the epoch that is just leaving the
//! window, which is what a read at that instant may or may not include.
//!
//! # Why sweeping
//!
//! Tags are `GEN_BITS` (22) bits wide and wrap. Without care, a cell untouched for `2^21`
//! generations of its slot would look *newer* than the slot, so that increments landing
//! on it would count nowhere, and after `2^22` generations it would look current again and
//! resurrect an ancient count. The thread that moves a slot to a new generation therefore
//! sweeps all of the slot's cells to the new tag with a count of zero (by compare-and-swap,
//! never overwriting a newer tag). A cell can then lag its slot only by what threads
//! stalled inside this module write, and the next sweep repairs that; confusion would need
//! one thread stalled across `2^21` generations of one slot, that is `2^21 * max_age`
//! (35 minutes at the smallest window, 1 ms; 40 years at the default, 10 minutes). The
//! sweep costs the one observation that triggers it a walk over the slot's cells, once
//! per age bucket.
//!
//! # Orderings
//!
//! Every access is `Relaxed`. No value is published *through* these atomics: a cell's tag
//! and count travel in one word, a slot's epoch and generation in another, and the
//! correctness argument above only uses each word's own modification order (which every
//! thread agrees on) and the values that read-modify-write operations return. The epoch
//! hint is checked against the clock before use. The chunks of cells are published by
//! `OnceLock`, which does its own synchronisation.

use super::sync::AtomicU64;
use super::sync::Ordering::Relaxed;

/// Bits of the generation in a state word and of the tag in a cell.
const GEN_BITS: u32 = 22;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;

/// Bits of a cell's count.
const COUNT_BITS: u32 = 64 - GEN_BITS;
const COUNT_MAX: u64 = (1 << COUNT_BITS) - 1;

/// A count saturates here (2.2e12 per cell per epoch), half the field, so that the
/// increments of threads racing past it cannot carry into the tag.
const COUNT_CAP: u64 = 1 << (COUNT_BITS - 1);

/// Bits of the slot in the epoch hint; slots are at most 64.
const SLOT_BITS: u32 = 6;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;

/// Largest epoch a state word holds; later clock readings saturate to it. With the
/// shortest accepted epoch, 1 ms, that is 139 years after the sketch was created.
const EPOCH_MAX: u64 = (1 << (64 - GEN_BITS)) - 1;

fn pack_state(epoch: u64, generation: u64) -> u64 {
    (epoch << GEN_BITS) | (generation & GEN_MASK)
}

fn pack_cell(generation: u64, count: u64) -> u64 {
    ((generation & GEN_MASK) << COUNT_BITS) | count
}

/// Whether tag `tag` is older than generation `current`, comparing on the wrapping circle.
fn is_older(tag: u64, current: u64) -> bool {
    let distance = current.wrapping_sub(tag) & GEN_MASK;
    distance != 0 && distance < 1 << (GEN_BITS - 1)
}

/// What an observer may do in its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Claim {
    /// The slot holds the observer's epoch under this generation.
    Ready(u64),
    /// The observer moved the slot to its epoch under this new generation, and must sweep
    /// the slot's cells before returning.
    Fresh(u64),
    /// The slot already holds a newer epoch; the observation has expired.
    Expired,
}

/// The state words of the age-bucket ring, and the clock-to-slot arithmetic.
#[derive(Debug)]
pub(super) struct Ring {
    states: Box<[AtomicU64]>,
    /// Length of an epoch in the clock's ticks, at least 1.
    epoch_ticks: u64,
    /// A recently seen epoch and its slot (`epoch << SLOT_BITS | slot`), so that most
    /// observations find their slot with a multiplication and a comparison instead of two
    /// divisions. Any value it holds was right at some moment; [`Ring::position`] checks it
    /// against the clock reading at hand before using it.
    hint: AtomicU64,
}

impl Ring {
    /// A ring of `slots` age buckets at epoch 0. Slot `s` starts out holding epoch `s` under
    /// generation 0: its first epoch is then ready without a move, and reads ignore it until
    /// that epoch comes.
    pub(super) fn new(slots: usize, epoch_ticks: u64) -> Ring {
        debug_assert!((1..=1 << SLOT_BITS).contains(&slots));
        let states = (0..slots as u64)
            .map(|slot| AtomicU64::new(pack_state(slot, 0)))
            .collect();
        Ring {
            states,
            epoch_ticks: epoch_ticks.max(1),
            hint: AtomicU64::new(0),
        }
    }

    /// The epoch and slot of a clock reading `elapsed` ticks after the origin.
    #[inline]
    pub(super) fn position(&self, elapsed: u64) -> (u64, usize) {
        let hint = self.hint.load(Relaxed);
        let epoch = hint >> SLOT_BITS;
        // Every hint was computed from some reading, so `epoch * epoch_ticks` does not
        // overflow; the wrapping subtraction rejects readings before the hinted epoch.
        if elapsed.wrapping_sub(epoch * self.epoch_ticks) < self.epoch_ticks {
            return (epoch, (hint & SLOT_MASK) as usize);
        }
        self.position_slow(elapsed)
    }

    #[cold]
    #[inline(never)]
    fn position_slow(&self, elapsed: u64) -> (u64, usize) {
        let epoch = (elapsed / self.epoch_ticks).min(EPOCH_MAX);
        // At most 64 slots, so the remainder fits in `usize`.
        let slot = (epoch % self.states.len() as u64) as usize;
        self.hint.store((epoch << SLOT_BITS) | slot as u64, Relaxed);
        (epoch, slot)
    }

    /// Number of slots.
    pub(super) fn slots(&self) -> usize {
        self.states.len()
    }

    /// Bytes of the state words.
    pub(super) fn heap_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.states)
    }

    /// Gets slot `slot` ready for an observation of epoch `epoch` (`slot == epoch % slots`).
    #[inline]
    pub(super) fn claim(&self, slot: usize, epoch: u64) -> Claim {
        let state = &self.states[slot];
        let mut current = state.load(Relaxed);
        loop {
            let held = current >> GEN_BITS;
            if held == epoch {
                return Claim::Ready(current & GEN_MASK);
            }
            if held > epoch {
                return Claim::Expired;
            }
            let generation = current.wrapping_add(1) & GEN_MASK;
            let next = pack_state(epoch, generation);
            match state.compare_exchange(current, next, Relaxed, Relaxed) {
                Ok(_) => return Claim::Fresh(generation),
                Err(actual) => current = actual,
            }
        }
    }

    /// The generation slot `slot` currently holds, used to tag newly allocated cells.
    pub(super) fn generation(&self, slot: usize) -> u64 {
        self.states[slot].load(Relaxed) & GEN_MASK
    }

    /// The slots a read at epoch `epoch` merges, each with the generation to count.
    pub(super) fn live(&self, epoch: u64) -> Vec<(usize, u64)> {
        let window = self.states.len() as u64;
        self.states
            .iter()
            .enumerate()
            .filter_map(|(slot, state)| {
                let state = state.load(Relaxed);
                let held = state >> GEN_BITS;
                (held <= epoch && epoch - held < window).then_some((slot, state & GEN_MASK))
            })
            .collect()
    }
}

/// A new cell for a slot at generation `generation`.
pub(super) fn new_cell(generation: u64) -> AtomicU64 {
    AtomicU64::new(pack_cell(generation, 0))
}

/// Counts one observation of generation `generation` in `cell`.
///
/// The common case is one `fetch_add` whose previous value shows the cell already at
/// `generation`. Otherwise the increment landed on a different generation's count, and
/// [`bump_slow`] sorts it out.
#[inline]
pub(super) fn bump(cell: &AtomicU64, generation: u64) {
    let previous = cell.fetch_add(1, Relaxed);
    if previous >> COUNT_BITS != generation || previous & COUNT_MAX >= COUNT_CAP {
        bump_slow(cell, generation, previous);
    }
}

/// The rare cases of [`bump`], given the value the `fetch_add` replaced:
/// - a stale tag: the increment went into a logically zero count; the observation is
///   counted again properly, replacing the stale cell with (generation, 1) or adding to
///   the cell if another observer replaced it first;
/// - a newer tag: the slot was recycled while this observer was stalled, and the increment
///   counts in the newer epoch, which the observe call overlapped; nothing to do;
/// - a count past `COUNT_CAP`: it is brought back to the cap, so that the few increments
///   racing past it can never carry into the tag.
#[cold]
#[inline(never)]
fn bump_slow(cell: &AtomicU64, generation: u64, previous: u64) {
    let tag = previous >> COUNT_BITS;
    if tag == generation {
        let capped = pack_cell(generation, COUNT_CAP);
        let mut current = previous + 1;
        while current >> COUNT_BITS == generation && current & COUNT_MAX > COUNT_CAP {
            match cell.compare_exchange_weak(current, capped, Relaxed, Relaxed) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
        return;
    }
    if !is_older(tag, generation) {
        return;
    }
    let mut current = previous.wrapping_add(1);
    loop {
        let tag = current >> COUNT_BITS;
        let next = if tag == generation {
            if current & COUNT_MAX >= COUNT_CAP {
                return;
            }
            current + 1
        } else if is_older(tag, generation) {
            pack_cell(generation, 1)
        } else {
            return;
        };
        match cell.compare_exchange_weak(current, next, Relaxed, Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

/// Brings `cell` to generation `generation` with a zero count unless it already holds that
/// generation or a newer one.
pub(super) fn sweep(cell: &AtomicU64, generation: u64) {
    let mut current = cell.load(Relaxed);
    while is_older(current >> COUNT_BITS, generation) {
        match cell.compare_exchange_weak(current, pack_cell(generation, 0), Relaxed, Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

/// The count `cell` holds for generation `generation`.
pub(super) fn count(cell: &AtomicU64, generation: u64) -> u64 {
    let current = cell.load(Relaxed);
    if current >> COUNT_BITS == generation {
        current & COUNT_MAX
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_epoch_of_each_slot_is_ready_without_a_move() {
        let ring = Ring::new(3, 1);
        assert_eq!(ring.claim(0, 0), Claim::Ready(0));
        assert_eq!(ring.claim(2, 2), Claim::Ready(0));
        assert_eq!(ring.live(0), vec![(0, 0)]);
        assert_eq!(ring.live(2), vec![(0, 0), (1, 0), (2, 0)]);
    }

    #[test]
    fn moving_a_slot_bumps_its_generation_once() {
        let ring = Ring::new(3, 1);
        assert_eq!(ring.claim(1, 4), Claim::Fresh(1));
        assert_eq!(ring.claim(1, 4), Claim::Ready(1));
        assert_eq!(ring.claim(1, 1), Claim::Expired);
        assert_eq!(ring.claim(1, 13), Claim::Fresh(2));
        assert_eq!(ring.generation(1), 2);
    }

    #[test]
    fn live_slots_are_the_last_window_epochs() {
        let ring = Ring::new(3, 1);
        assert_eq!(ring.claim(1, 4), Claim::Fresh(1));
        // Slot 0 holds epoch 0, slot 1 epoch 4, slot 2 epoch 2: at epoch 4 the window is
        // 2..=4.
        assert_eq!(ring.live(4), vec![(1, 1), (2, 0)]);
        assert_eq!(ring.live(7), Vec::new());
    }

    #[test]
    fn bump_counts_and_replaces_stale_tags() {
        let cell = new_cell(5);
        bump(&cell, 5);
        bump(&cell, 5);
        assert_eq!(count(&cell, 5), 2);
        bump(&cell, 6);
        assert_eq!(count(&cell, 5), 0);
        assert_eq!(count(&cell, 6), 1);
    }

    #[test]
    fn tags_compare_across_the_wrap() {
        assert!(is_older(GEN_MASK, 0));
        assert!(is_older(GEN_MASK - 10, 3));
        assert!(!is_older(0, GEN_MASK));
        assert!(!is_older(7, 7));
        let cell = new_cell(GEN_MASK);
        bump(&cell, GEN_MASK);
        bump(&cell, 0);
        assert_eq!(count(&cell, 0), 1);
    }

    #[test]
    fn sweep_resets_only_older_tags() {
        let cell = new_cell(1);
        bump(&cell, 1);
        sweep(&cell, 2);
        assert_eq!(cell.load(Relaxed), pack_cell(2, 0));
        bump(&cell, 3);
        sweep(&cell, 2);
        assert_eq!(count(&cell, 3), 1);
    }

    #[test]
    fn counts_saturate_without_touching_the_tag() {
        let cell = AtomicU64::new(pack_cell(4, COUNT_CAP - 1));
        bump(&cell, 4);
        bump(&cell, 4);
        bump(&cell, 4);
        assert_eq!(count(&cell, 4), COUNT_CAP);
        assert_eq!(cell.load(Relaxed) >> COUNT_BITS, 4);
    }

    #[test]
    fn a_bump_on_a_stale_cell_counts_once() {
        let cell = new_cell(1);
        for _ in 0..5 {
            bump(&cell, 1);
        }
        bump(&cell, 2);
        bump(&cell, 2);
        assert_eq!(cell.load(Relaxed), pack_cell(2, 2));
    }

    #[test]
    fn a_bump_on_a_newer_cell_counts_there() {
        let cell = new_cell(3);
        bump(&cell, 2);
        assert_eq!(count(&cell, 3), 1);
    }

    #[test]
    fn position_follows_the_clock_in_both_directions() {
        let ring = Ring::new(5, 10);
        assert_eq!(ring.position(0), (0, 0));
        assert_eq!(ring.position(9), (0, 0));
        assert_eq!(ring.position(10), (1, 1));
        assert_eq!(ring.position(57), (5, 0));
        assert_eq!(ring.position(123), (12, 2));
        assert_eq!(ring.position(31), (3, 3));
        assert_eq!(ring.position(40_000), (4000, 0));
    }

    #[test]
    fn position_saturates_at_the_largest_epoch() {
        let ring = Ring::new(3, 1);
        let (epoch, slot) = ring.position(u64::MAX);
        assert_eq!(epoch, EPOCH_MAX);
        assert_eq!(slot, (EPOCH_MAX % 3) as usize);
        assert_eq!(ring.position(u64::MAX - 1), (EPOCH_MAX, slot));
    }

    #[test]
    fn epoch_limit_fits_the_state_word() {
        let state = pack_state(EPOCH_MAX, GEN_MASK);
        assert_eq!(state >> GEN_BITS, EPOCH_MAX);
        assert_eq!(state, u64::MAX);
    }
}
