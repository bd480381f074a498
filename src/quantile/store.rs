//! Lazily allocated counter cells for one sign of values, one chunk per octave.
//!
//! A chunk holds the cells of one octave for every age bucket (slot-major: cell
//! `slot * per_octave + bucket`), so memory follows the octaves that values have reached.
//! Chunks hang from a two-level directory: 33 groups of 64 octaves cover the whole
//! exponent range, a group's table of 64 chunk pointers being allocated on first use. The
//! groups are offset so that values from `2^-31` up to `2^33` (about 0.5 ns to 270 years in
//! seconds, or up to 8 GiB in bytes) fall into a single *home* group, whose table is inline
//! in the store: values there reach their chunk with one pointer hop instead of two, which
//! measurably shortens an observation.

use std::sync::OnceLock;

use super::sync::AtomicU64;

/// The cells of one octave for all age buckets.
pub(super) type Chunk = Box<[AtomicU64]>;

type Group = Box<[OnceLock<Chunk>]>;

const GROUP_SHIFT: u32 = 6;
const GROUP_LEN: usize = 1 << GROUP_SHIFT;

/// Added to the octave (the biased exponent, 1 to 2046) before splitting it into group and
/// position: puts the octaves of 2^-31 to 2^33 (biased exponents 992 to 1055) in group 16.
const OCTAVE_OFFSET: usize = 32;

/// Enough groups for the largest octave, 2046.
const GROUPS: usize = (2046 + OCTAVE_OFFSET) / GROUP_LEN + 1;

/// The group of octaves 992 to 1055.
const HOME: usize = 16;

/// The cells of one sign.
#[derive(Debug)]
pub(super) struct Store {
    /// The home group's chunk pointers.
    home: [OnceLock<Chunk>; GROUP_LEN],
    /// The other groups; the entry at `HOME` stays empty.
    groups: [OnceLock<Group>; GROUPS],
}

impl Store {
    pub(super) fn new() -> Store {
        Store {
            home: std::array::from_fn(|_| OnceLock::new()),
            groups: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    /// The chunk pointers of group `group`, if it has any.
    fn group(&self, group: usize) -> Option<&[OnceLock<Chunk>]> {
        if group == HOME {
            Some(&self.home)
        } else {
            self.groups[group].get().map(|chunks| &**chunks)
        }
    }

    /// The cell at `index` of octave `octave`'s chunk, allocating the chunk with
    /// `new_chunk` if this octave was never reached.
    #[inline]
    pub(super) fn cell(
        &self,
        octave: usize,
        index: usize,
        new_chunk: impl FnOnce() -> Chunk,
    ) -> &AtomicU64 {
        let position = octave + OCTAVE_OFFSET;
        let group = position >> GROUP_SHIFT;
        let chunks = if group == HOME {
            &self.home
        } else {
            &**self.groups[group].get_or_init(new_group)
        };
        let chunk = chunks[position & (GROUP_LEN - 1)].get_or_init(new_chunk);
        &chunk[index]
    }

    /// The allocated chunks with their octaves, lowest octave first.
    pub(super) fn chunks(&self) -> impl Iterator<Item = (usize, &[AtomicU64])> + '_ {
        (0..GROUPS)
            .filter_map(|group| self.group(group).map(|chunks| (group, chunks)))
            .flat_map(|(group, chunks)| {
                chunks
                    .iter()
                    .enumerate()
                    .filter_map(move |(position, chunk)| {
                        // Allocated chunks have octaves of at least 1, so this cannot underflow.
                        let chunk = chunk.get()?;
                        Some(((group << GROUP_SHIFT) + position - OCTAVE_OFFSET, &**chunk))
                    })
            })
    }

    /// Bytes allocated by this store: groups other than the inline home group, and chunks.
    pub(super) fn heap_bytes(&self) -> usize {
        let groups: usize = self
            .groups
            .iter()
            .filter_map(OnceLock::get)
            .map(|chunks| std::mem::size_of_val(&**chunks))
            .sum();
        let chunks: usize = self
            .chunks()
            .map(|(_, chunk)| std::mem::size_of_val(chunk))
            .sum();
        groups + chunks
    }
}

fn new_group() -> Group {
    (0..GROUP_LEN).map(|_| OnceLock::new()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantile::sync::Ordering::Relaxed;

    fn chunk(len: usize) -> impl FnOnce() -> Chunk {
        move || (0..len).map(|_| AtomicU64::new(0)).collect()
    }

    #[test]
    fn cells_are_allocated_per_octave_and_listed_in_order() {
        let store = Store::new();
        store.cell(1026, 3, chunk(4)).store(7, Relaxed);
        store.cell(1, 0, chunk(4)).store(1, Relaxed);
        store.cell(2046, 1, chunk(4)).store(2, Relaxed);
        store.cell(1026, 2, chunk(4)).store(5, Relaxed);

        let listed: Vec<(usize, Vec<u64>)> = store
            .chunks()
            .map(|(octave, cells)| (octave, cells.iter().map(|c| c.load(Relaxed)).collect()))
            .collect();
        assert_eq!(
            listed,
            vec![
                (1, vec![1, 0, 0, 0]),
                (1026, vec![0, 0, 5, 7]),
                (2046, vec![0, 2, 0, 0]),
            ]
        );
    }

    #[test]
    fn heap_bytes_counts_groups_and_chunks() {
        let store = Store::new();
        let entry = std::mem::size_of::<OnceLock<Chunk>>();
        assert_eq!(store.heap_bytes(), 0);
        // Octaves 1000 and 1001 are in the inline home group; 900 is not.
        store.cell(1000, 0, chunk(10));
        store.cell(1001, 0, chunk(10));
        assert_eq!(store.heap_bytes(), 2 * 10 * 8);
        store.cell(900, 0, chunk(10));
        assert_eq!(store.heap_bytes(), GROUP_LEN * entry + 3 * 10 * 8);
    }

    #[test]
    fn common_ranges_share_one_group() {
        // Values from 2^-31 up to 2^33 have biased exponents 992 to 1055.
        assert_eq!((992 + OCTAVE_OFFSET) >> GROUP_SHIFT, HOME);
        assert_eq!((1055 + OCTAVE_OFFSET) >> GROUP_SHIFT, HOME);
        assert_eq!((991 + OCTAVE_OFFSET) >> GROUP_SHIFT, HOME - 1);
        assert_eq!((1056 + OCTAVE_OFFSET) >> GROUP_SHIFT, HOME + 1);
        assert_eq!(GROUPS, 33);
    }
}
