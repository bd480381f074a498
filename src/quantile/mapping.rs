//! Maps positive normal `f64` values to log-spaced buckets with a proven relative-error bound.
//!
//! A positive normal value is `2^e * m` with `m` in `[1, 2)`. Its biased exponent (the top bits
//! of the `f64`) picks an *octave*; the next `k` mantissa bits pick one of `2^k` equal *cells*
//! of `[1, 2)`, and a table maps each cell to a bucket of that octave. Observing thus costs two
//! shifts, a mask and one table load: no logarithm on the update path.
//!
//! The table groups cells into `per_octave` buckets whose edges follow `2^(j / per_octave)`,
//! rounded down to cell edges. Every bucket `j` of an octave covers `[lo_j, hi_j)` (times
//! `2^e`), where `lo_j` and `hi_j` are cell edges, i.e. dyadic numbers with at most 14
//! significant bits. The bucket reports `rep_j = 2 lo_j hi_j / (lo_j + hi_j)`, whose relative
//! distance to any `x` in the bucket is at most `(hi_j - lo_j) / (hi_j + lo_j)`. Construction
//! checks that quantity against the bound for every bucket and widens `per_octave` until all
//! pass, so the bound is verified, not assumed:
//! - `hi - lo` and `hi + lo` are exact in `f64` (few significant bits), and the one rounding
//!   in the comparison is absorbed by checking against `alpha * (1 - 1e-9)`;
//! - `rep_j` is computed with one rounding (`lo * hi` and the sum are exact), a relative
//!   change below `2^-53`, far inside the `alpha * 1e-9` margin kept above;
//! - scaling by `2^e` is exact for every normal octave, and the largest `rep_j` is below 2, so
//!   the top octave's values stay finite.

use std::fmt;
use std::sync::Arc;

/// How many table cells an octave has, as a power of two: enough that a cell is at most a
/// sixteenth of the widest allowed bucket, so rounding bucket edges to cells costs little.
fn table_bits(gamma: f64) -> u32 {
    (MIN_TABLE_BITS..MAX_TABLE_BITS)
        .find(|&bits| 16.0 / f64::from(1u32 << bits) <= gamma - 1.0)
        .unwrap_or(MAX_TABLE_BITS)
}

const MIN_TABLE_BITS: u32 = 6;

/// With the smallest accepted relative error (0.001), 13 bits already meet the rule above;
/// the cap keeps the table at most 16 KiB.
const MAX_TABLE_BITS: u32 = 13;

/// Bits of an `f64` mantissa.
const MANTISSA_BITS: u32 = 52;

/// The bucket layout derived from one relative-error bound.
pub(super) struct Mapping {
    locator: Locator,
    /// Buckets per octave.
    per_octave: usize,
    /// Bucket of the octave to its representative multiplier in `[1, 2)`.
    reps: Box<[f64]>,
}

/// The part of a [`Mapping`] that observations use, small enough to copy into each sketch
/// so that finding a bucket costs one dependent load (the table entry).
#[derive(Clone)]
pub(super) struct Locator {
    /// Right shift that brings the top `k` mantissa bits to the bottom.
    shift: u32,
    /// `2^k - 1`.
    mask: u64,
    /// Cell of `[1, 2)` to bucket of the octave; non-decreasing.
    table: Arc<[u16]>,
}

impl Locator {
    /// Octave (the biased exponent, 1 to 2046) and bucket of a positive normal value given
    /// by its bits.
    #[inline]
    pub(super) fn locate(&self, bits: u64) -> (usize, usize) {
        let octave = (bits >> MANTISSA_BITS) as usize;
        let cell = ((bits >> self.shift) & self.mask) as usize;
        (octave, usize::from(self.table[cell]))
    }
}

impl fmt::Debug for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The table is long and derived from the relative error; its size says enough.
        f.debug_struct("Locator")
            .field("cells", &self.table.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mapping")
            .field("locator", &self.locator)
            .field("per_octave", &self.per_octave)
            .finish_non_exhaustive()
    }
}

impl Mapping {
    /// Builds the mapping for a relative error `alpha` in `[0.001, 0.5)` (validated by the
    /// caller).
    pub(super) fn new(alpha: f64) -> Mapping {
        let gamma = (1.0 + alpha) / (1.0 - alpha);
        let bits = table_bits(gamma);
        // The ideal layout has log2(2) / log2(gamma) buckets per octave; rounding edges to
        // cells may need a few more.
        let ideal = (1.0 / gamma.log2()).ceil().max(1.0);
        let start = usize::try_from(ideal as u64).unwrap_or(1).max(1);
        (start..=usize::from(u16::MAX))
            .find_map(|per_octave| Mapping::try_build(alpha, bits, per_octave))
            .expect("buckets of 2^(1/p) widened by one cell meet the bound for p large enough")
    }

    /// Builds the table for `per_octave` buckets, or `None` if some bucket is too wide.
    fn try_build(alpha: f64, bits: u32, per_octave: usize) -> Option<Mapping> {
        let cells = 1usize << bits;
        let scale = cells as f64;
        let mut table = Vec::with_capacity(cells);
        let mut previous = 0;
        for cell in 0..cells {
            let m = 1.0 + cell as f64 / scale;
            let bucket = ((m.log2() * per_octave as f64) as usize).min(per_octave - 1);
            // `log2` is not guaranteed monotone to the last ulp; the table must be.
            let bucket = bucket.max(previous);
            previous = bucket;
            table.push(u16::try_from(bucket).ok()?);
        }

        let limit = alpha * (1.0 - 1e-9);
        let mut reps = vec![f64::NAN; per_octave];
        let mut cell = 0;
        while cell < cells {
            let bucket = table[cell];
            let first = cell;
            while cell < cells && table[cell] == bucket {
                cell += 1;
            }
            let lo = 1.0 + first as f64 / scale;
            let hi = 1.0 + cell as f64 / scale;
            if hi - lo > limit * (hi + lo) {
                return None;
            }
            reps[usize::from(bucket)] = 2.0 * lo * hi / (lo + hi);
        }

        Some(Mapping {
            locator: Locator {
                shift: MANTISSA_BITS - bits,
                mask: (1u64 << bits) - 1,
                table: table.into(),
            },
            per_octave,
            reps: reps.into_boxed_slice(),
        })
    }

    /// Buckets per octave.
    pub(super) fn per_octave(&self) -> usize {
        self.per_octave
    }

    /// The lookup part, for observations.
    pub(super) fn locator(&self) -> &Locator {
        &self.locator
    }

    /// See [`Locator::locate`].
    #[cfg(test)]
    fn locate(&self, bits: u64) -> (usize, usize) {
        self.locator.locate(bits)
    }

    /// The value that bucket `bucket` of octave `octave` reports.
    pub(super) fn value(&self, octave: usize, bucket: usize) -> f64 {
        // A biased exponent alone in the exponent field is exactly 2^(octave - 1023).
        let scale = f64::from_bits((octave as u64) << MANTISSA_BITS);
        self.reps[bucket] * scale
    }

    /// Bytes of the table and the representatives.
    pub(super) fn heap_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.locator.table) + std::mem::size_of_val(&*self.reps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALPHAS: [f64; 7] = [0.001, 0.005, 0.01, 0.02, 0.05, 0.2, 0.49];

    /// A small deterministic generator, enough to spread test points.
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn check(mapping: &Mapping, alpha: f64, x: f64) {
        let (octave, bucket) = mapping.locate(x.to_bits());
        let reported = mapping.value(octave, bucket);
        assert!(
            (reported - x).abs() <= alpha * x,
            "alpha {alpha}: {x} reported as {reported}"
        );
    }

    #[test]
    fn every_bucket_meets_the_bound_at_its_edges() {
        for alpha in ALPHAS {
            let mapping = Mapping::new(alpha);
            let cells = mapping.locator.mask + 1;
            for cell in 0..cells {
                // The lowest and highest mantissa of the cell, in three octaves.
                for exponent in [1u64, 1023, 2046] {
                    let low = (exponent << 52) | (cell << mapping.locator.shift);
                    let high = low | ((1u64 << mapping.locator.shift) - 1);
                    check(&mapping, alpha, f64::from_bits(low));
                    check(&mapping, alpha, f64::from_bits(high));
                }
            }
        }
    }

    #[test]
    fn random_normal_values_meet_the_bound() {
        let mut state = 7;
        for alpha in ALPHAS {
            let mapping = Mapping::new(alpha);
            for _ in 0..100_000 {
                let bits = next(&mut state) >> 1;
                let x = f64::from_bits(bits);
                if x.is_normal() {
                    check(&mapping, alpha, x);
                }
            }
        }
    }

    #[test]
    fn buckets_are_monotone_in_the_value() {
        let mapping = Mapping::new(0.01);
        let mut state = 11;
        for _ in 0..100_000 {
            let a = f64::from_bits(next(&mut state) >> 1);
            let b = f64::from_bits(next(&mut state) >> 1);
            if !(a.is_normal() && b.is_normal()) {
                continue;
            }
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            assert!(mapping.locate(lo.to_bits()) <= mapping.locate(hi.to_bits()));
            let (o1, b1) = mapping.locate(lo.to_bits());
            let (o2, b2) = mapping.locate(hi.to_bits());
            assert!(mapping.value(o1, b1) <= mapping.value(o2, b2));
        }
    }

    #[test]
    fn default_layout_is_close_to_ideal() {
        // log2(2) / log2(1.01 / 0.99) is 34.66, so 35 buckets would be ideal.
        let mapping = Mapping::new(0.01);
        assert_eq!(mapping.locator.mask + 1, 1024);
        assert_eq!(mapping.per_octave(), 36);
        assert_eq!(mapping.heap_bytes(), 1024 * 2 + 36 * 8);
    }

    #[test]
    fn largest_value_reports_a_finite_number() {
        let mapping = Mapping::new(0.49);
        let (octave, bucket) = mapping.locate(f64::MAX.to_bits());
        assert_eq!(octave, 2046);
        let reported = mapping.value(octave, bucket);
        assert!(reported.is_finite());
        assert!((reported - f64::MAX).abs() <= 0.49 * f64::MAX);
    }

    #[test]
    fn smallest_normal_value_meets_the_bound() {
        let mapping = Mapping::new(0.01);
        check(&mapping, 0.01, f64::MIN_POSITIVE);
        assert_eq!(mapping.locate(f64::MIN_POSITIVE.to_bits()), (1, 0));
    }
}
