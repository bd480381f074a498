//! Number formatting for the text formats.
//!
//! Sample values use the shortest form that reads back to the same `f64`
//! (`ryu`), integers use `itoa`. Bucket bounds and quantiles use one
//! canonical form, the one Prometheus rewrites `le` and `quantile` values to
//! when it ingests text, so that series from every exposition agree.

use super::Out;

/// Writes an `f64` sample value: `NaN`, `+Inf`, `-Inf` or the shortest
/// round-trip decimal form, byte for byte what `ryu` writes.
///
/// Values from 1 to 2^53 in magnitude (creation times, most sums) take a
/// shorter exact path than `ryu`'s general one; the rest go to `ryu`.
pub(crate) fn put_f64<O: Out + ?Sized>(out: &mut O, value: f64) {
    let mut buf = [0u8; DECIMAL_LEN];
    if let Some(text) = decimal(value, &mut buf) {
        out.put(&buf[text]);
    } else if value.is_nan() {
        out.put(b"NaN");
    } else if value.is_infinite() {
        out.put(if value > 0.0 { b"+Inf" } else { b"-Inf" });
    } else {
        let mut buf = ryu::Buffer::new();
        out.put(buf.format_finite(value).as_bytes());
    }
}

/// Writes an unsigned integer.
#[inline]
pub(crate) fn put_u64<O: Out + ?Sized>(out: &mut O, value: u64) {
    if value < 10 {
        // Bucket counts and fresh counters are often a single digit.
        #[allow(clippy::cast_possible_truncation, reason = "below 10")]
        out.put(&[b'0' + value as u8]);
    } else {
        let mut buf = itoa::Buffer::new();
        out.put(buf.format(value).as_bytes());
    }
}

/// Writes a signed integer.
pub(crate) fn put_i64<O: Out + ?Sized>(out: &mut O, value: i64) {
    let mut buf = itoa::Buffer::new();
    out.put(buf.format(value).as_bytes());
}

/// Powers of ten that fit a `u64`.
const POW10: [u64; 20] = {
    let mut table = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// The layout [`decimal`] writes into: a sign's room, 16 integer digits,
/// the point, 16 fraction digits.
const DECIMAL_LEN: usize = 34;
const POINT: usize = 17;

/// Writes `value` into `buf` exactly as `ryu` formats it, and returns the
/// range of `buf` that holds the text; `None` unless 1 <= |value| < 2^53.
///
/// In that range `ryu` prints plain decimals (`1733256523.1234567`,
/// `12.0`): the fewest fraction digits whose nearest candidate reads back
/// as `value`, ties to even. Here `value = m / 2^f` with a 53-bit `m` and
/// `f` in 0..=52, so the search runs in exact integer arithmetic: take the
/// interval of reals that round to `value`, scale it by a power of ten
/// large enough to hold an integer, and drop digits while it still does.
fn decimal(value: f64, buf: &mut [u8; DECIMAL_LEN]) -> Option<std::ops::Range<usize>> {
    let bits = value.to_bits();
    let biased = (bits >> 52) & 0x7ff;
    // 1023 is 2^0, 1075 is 2^52: beyond it, integers are no longer exact
    // in f64 and `ryu` may print fewer digits than the integer has.
    if !(1023..=1075).contains(&biased) {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, reason = "biased is in 1023..=1075")]
    let f = (1075 - biased) as u32;
    let m = (bits & ((1 << 52) - 1)) | (1 << 52);
    let int = m >> f;
    let (frac, digits) = if m & ((1 << f) - 1) == 0 {
        // An integer, written with `.0`. Powers of two are integers here,
        // so the uneven rounding interval below a power of two never
        // reaches the search.
        (0, 0)
    } else {
        // `n / 10^digits` lies strictly between the neighbours of `value`
        // halfway down and up, which are strictly between `int` and
        // `int + 1` (both multiples of 2^-f, as `value` is): the integer
        // part is `int`, and the rest is the fraction.
        let (n, digits) = shortest(m, f)?;
        let frac = n.checked_sub(int * POW10[digits])?;
        (frac < POW10[digits]).then_some((frac, digits))?
    };
    // Both parts as 16 digits, the fraction left-aligned.
    buf[1..9].copy_from_slice(&eight_digits(int / 100_000_000));
    buf[9..POINT].copy_from_slice(&eight_digits(int % 100_000_000));
    buf[POINT] = b'.';
    let frac = frac * POW10[16 - digits];
    buf[POINT + 1..POINT + 9].copy_from_slice(&eight_digits(frac / 100_000_000));
    buf[POINT + 9..].copy_from_slice(&eight_digits(frac % 100_000_000));
    let mut start = POINT - (int.ilog10() as usize + 1);
    if value.is_sign_negative() {
        start -= 1;
        buf[start] = b'-';
    }
    Some(start..POINT + 1 + digits.max(1))
}

/// Returns the eight ASCII digits of `v` (below 10^8), zero-padded.
///
/// The halves, quarters and digits are split in lanes of one `u64` (the
/// first digit in the lowest lane, so little-endian bytes read in order),
/// dividing every lane at once by multiplying with a reciprocal.
fn eight_digits(v: u64) -> [u8; 8] {
    // Two lanes of 32 bits, each below 10^4.
    let x = (v / 10_000) | ((v % 10_000) << 32);
    // x * 10486 >> 20 is x / 100 for x below 43,699.
    let hundreds = ((x * 10_486) >> 20) & 0x0000_007f_0000_007f;
    // Four lanes of 16 bits, each below 100.
    let x = hundreds | ((x - hundreds * 100) << 16);
    // x * 103 >> 10 is x / 10 for x below 179.
    let tens = ((x * 103) >> 10) & 0x000f_000f_000f_000f;
    // Eight bytes, each below 10.
    let x = tens | ((x - tens * 10) << 8);
    (x | 0x3030_3030_3030_3030).to_le_bytes()
}

/// Returns the shortest decimal `n / 10^digits` that reads back as the
/// non-integer `m / 2^f` (with `1 <= f <= 52`), nearest to it and even on
/// a tie; `None` if the checks that hold by construction ever failed.
fn shortest(m: u64, f: u32) -> Option<(u64, usize)> {
    // The reals that round to m / 2^f are within half a unit, 2^-(f+1), of
    // it; the bounds belong to the interval when `m` is even. Scaled by
    // 10^d they are (2m ± 1) 10^d / 2^(f+1), never an integer for
    // d < f + 1 (the numerator has d factors of two, the denominator
    // f + 1), so inclusion of the bounds never matters below.
    // 10^digits > 2^f, so the scaled interval is wider than 1 and holds an
    // integer; floor(f log10(2)) is (f * 78913) >> 18 for these f.
    let mut digits = ((f * 78_913) >> 18) as usize + 1;
    let p = u128::from(POW10[digits]);
    let twice = u128::from(m) * p * 2;
    let shift = f + 1;
    #[allow(clippy::cast_possible_truncation, reason = "below 10 * 2^53")]
    let (mut lo, mut hi) = (
        ((twice - p) >> shift) as u64 + 1,
        ((twice + p) >> shift) as u64,
    );
    // Fewer digits while the interval still holds a multiple of ten.
    while digits > 0 && lo.div_ceil(10) <= hi / 10 {
        lo = lo.div_ceil(10);
        hi /= 10;
        digits -= 1;
    }
    // The candidate nearest to the value, ties to even; it lies in the
    // interval since some candidate does and the interval is symmetric.
    let scaled = u128::from(m) * u128::from(POW10[digits]);
    #[allow(clippy::cast_possible_truncation, reason = "below 10 * 2^53")]
    let floor = (scaled >> f) as u64;
    let rest = scaled & ((1 << f) - 1);
    let half = 1 << (f - 1);
    let n = floor + u64::from(rest > half || rest == half && floor & 1 == 1);
    (lo..=hi).contains(&n).then_some((n, digits))
}

/// Returns the canonical text of a bucket bound or quantile.
///
/// This is the shortest round-trip digit string laid out the way Go's
/// `strconv.FormatFloat(f, 'g', -1, 64)` lays it out (scientific notation
/// with a two-digit exponent when the decimal exponent is below -4 or at
/// least 6), with `.0` appended when the result would otherwise read as an
/// integer. Prometheus 3 rewrites `le` and `quantile` label values to
/// exactly this form.
pub(crate) fn canonical_float(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let (negative, digits, exp) = decimal_digits(value);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    // `exp` is the exponent of the first digit: value = 0.d1d2... * 10^(exp+1).
    if !(-4..6).contains(&exp) {
        // Scientific: d.ddde±XX with at least two exponent digits.
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let magnitude = exp.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        out.push_str(&magnitude.to_string());
        return out;
    }
    if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// Splits a finite `f64` into sign, shortest significant digits (no leading
/// or trailing zeros, `"0"` for zero) and the decimal exponent of the first
/// digit.
fn decimal_digits(value: f64) -> (bool, String, i32) {
    let negative = value.is_sign_negative();
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(value.abs());
    let (mantissa, exp_part) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = format!("{int_part}{frac_part}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let trimmed = all.trim_start_matches('0').trim_end_matches('0');
    if trimmed.is_empty() {
        return (negative, "0".into(), 0);
    }
    let exp = int_part.len() as i32 - 1 - leading as i32 + exp_part;
    (negative, trimmed.into(), exp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `put_f64` writes for `value`.
    fn text(value: f64) -> String {
        let mut out = Vec::new();
        put_f64(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    /// What `ryu` writes for a finite `value`.
    fn ryu_text(value: f64) -> String {
        ryu::Buffer::new().format_finite(value).to_owned()
    }

    /// A small deterministic generator (xorshift64*), so that failures
    /// reproduce.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    #[test]
    fn sample_values_are_written_as_ryu_writes_them() {
        let fixed = [
            1.0,
            1.5,
            2.0,
            0.1,
            0.5,
            12.0,
            12.5,
            100.0,
            1e15,
            9.9e15,
            1e16,
            1e17,
            4_503_599_627_370_496.0,
            4_503_599_627_370_497.0,
            9_007_199_254_740_991.0,
            9_007_199_254_740_992.0,
            9_007_199_254_740_994.0,
            1.000_000_000_000_000_2,
            1_733_256_523.123_456_7,
            1_733_256_523.5,
            1_733_256_523.0,
            0.0,
            -0.0,
            -1.5,
            -1_733_256_523.25,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            123.456,
            2.675,
            0.3,
            1.1,
            1e-5,
            1e-4,
            3.14158,
            64.0,
            1024.0,
            1.25e-3,
        ];
        for value in fixed {
            assert_eq!(text(value), ryu_text(value), "{value:e}");
        }
        assert_eq!(text(f64::NAN), "NaN");
        assert_eq!(text(f64::INFINITY), "+Inf");
        assert_eq!(text(f64::NEG_INFINITY), "-Inf");
    }

    #[test]
    fn every_exponent_of_the_exact_path_agrees_with_ryu() {
        let mut state = 0x9e37_79b9_7f4a_7c15;
        // Each biased exponent from just below 1.0 to just above 2^53, with
        // random mantissas and both signs, plus the mantissas with few or
        // many trailing zeros where ties and short outputs live.
        for biased in 1015..=1085u64 {
            for i in 0..4000u64 {
                let r = next(&mut state);
                let mantissa = match i % 4 {
                    0 => r,
                    1 => r << (r % 53),
                    2 => r >> (r % 53),
                    _ => (1 << 52) - 1 - (r % 1000),
                } & ((1 << 52) - 1);
                let sign = (r >> 63) << 63;
                let value = f64::from_bits(sign | (biased << 52) | mantissa);
                assert_eq!(text(value), ryu_text(value), "{:#x}", value.to_bits());
                // The exact path takes its whole range, not leaving any of
                // it to `ryu`.
                let exact = decimal(value, &mut [0; DECIMAL_LEN]).is_some();
                assert_eq!(exact, (1023..=1075).contains(&biased), "{value:e}");
            }
        }
    }

    #[test]
    fn creation_times_and_short_fractions_agree_with_ryu() {
        let mut state = 7;
        for _ in 0..200_000 {
            let r = next(&mut state);
            // Seconds since the epoch with nanoseconds, as creation times
            // are read.
            #[allow(clippy::cast_precision_loss, reason = "test input")]
            let created = (1_600_000_000 + r % 400_000_000) as f64
                + f64::from(u32::try_from((r >> 32) % 1_000_000_000).unwrap()) / 1e9;
            assert_eq!(text(created), ryu_text(created), "{created}");
            // Decimals with few digits, where the exact value lies far from
            // the printed one.
            #[allow(clippy::cast_precision_loss, reason = "test input")]
            let short =
                (r % 10_000_000) as f64 / [1.0, 10.0, 100.0, 1000.0][(r >> 60) as usize % 4];
            assert_eq!(text(short), ryu_text(short), "{short}");
        }
        // Every multiple of 1/16 up to 4096 and a window just below 2^53,
        // where the interval is widest and ties are possible.
        for k in 0..65_536u32 {
            let value = f64::from(k) / 16.0;
            assert_eq!(text(value), ryu_text(value), "{value}");
        }
        for k in 0..65_536u64 {
            let value = f64::from_bits((1075u64 << 52) - 1 - k);
            assert_eq!(text(value), ryu_text(value), "{value}");
        }
    }

    #[test]
    fn canonical_form_matches_prometheus_normalisation() {
        let cases = [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (0.005, "0.005"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (2.5, "2.5"),
            (10.0, "10.0"),
            (100000.0, "100000.0"),
            (1000000.0, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (123456.0, "123456.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (-1.5, "-1.5"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (f64::INFINITY, "+Inf"),
        ];
        for (value, text) in cases {
            assert_eq!(canonical_float(value), text, "{value:e}");
        }
    }
}
