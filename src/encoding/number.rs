//! Number formatting for the text formats.
//!
//! Sample values use the shortest form that reads back to the same `f64`
//! (`ryu`), integers use `itoa`. Bucket bounds and quantiles use one
//! canonical form, the one Prometheus rewrites `le` and `quantile` values to
//! when it ingests text, so that series from every exposition agree.

use super::Out;

/// Writes an `f64` sample value: `NaN`, `+Inf`, `-Inf` or the shortest
/// round-trip decimal form.
pub(crate) fn put_f64<O: Out + ?Sized>(out: &mut O, value: f64) {
    if value.is_nan() {
        out.put(b"NaN");
    } else if value.is_infinite() {
        out.put(if value > 0.0 { b"+Inf" } else { b"-Inf" });
    } else {
        let mut buf = ryu::Buffer::new();
        out.put(buf.format_finite(value).as_bytes());
    }
}

/// Writes a timestamp in seconds: the text [`put_f64`] writes, found faster
/// for the timestamps beamline takes itself.
///
/// Those are whole microseconds (see `unix_now`). From 1 s to 2^32 s the gap
/// between neighbouring `f64`s is under a microsecond, so the shortest text
/// that reads back to such a value is its whole seconds and at most six
/// decimals, which integer arithmetic writes at a fraction of the cost of
/// the general algorithm. Every other value goes through [`put_f64`].
///
/// `last` keeps the text of the whole seconds written last: the series of a
/// registry are mostly made within a few seconds of each other, so their
/// `_created` lines format only their decimals.
pub(crate) fn put_timestamp<O: Out + ?Sized>(out: &mut O, value: f64, last: &mut LastSeconds) {
    if let Some(micros) = whole_micros(value) {
        let seconds = micros / 1_000_000;
        if seconds != last.seconds {
            last.start = put_seconds(&mut last.text, seconds);
            last.seconds = seconds;
        }
        let mut text = last.text;
        let end = put_micros(&mut text, micros % 1_000_000);
        if let Some(text) = text.get(last.start..end) {
            out.put(text);
            return;
        }
    }
    put_f64(out, value);
}

/// Returns the whole number of microseconds that `value`, a time in
/// seconds from 1 s to 2^32 s, is the nearest `f64` to, if any: the kind
/// of timestamp beamline takes itself.
#[inline]
pub(crate) fn whole_micros(value: f64) -> Option<u64> {
    if !(1.0..4_294_967_296.0).contains(&value) {
        return None;
    }
    // The nearest whole number of microseconds (`round` would call into
    // libm): positive and below 2^53.
    #[allow(clippy::cast_possible_truncation, reason = "below 2^53")]
    #[allow(clippy::cast_sign_loss, reason = "at least 1e6")]
    let micros = (value * 1e6 + 0.5) as u64;
    // Below 2^53 the quotient is correctly rounded: equality means `value`
    // is the `f64` nearest to that many microseconds.
    #[allow(clippy::cast_precision_loss, reason = "below 2^53, exact")]
    let exact = micros as f64 / 1e6 == value;
    exact.then_some(micros)
}

/// The text of the whole seconds of the timestamp written last (see
/// [`put_timestamp`]).
#[derive(Debug, Clone)]
pub(crate) struct LastSeconds {
    /// `u64::MAX` before the first timestamp: no timestamp has that many.
    seconds: u64,
    /// The digits, right-aligned to end at `text[10]`; the rest is room
    /// for the decimals.
    text: [u8; 17],
    start: usize,
}

impl Default for LastSeconds {
    fn default() -> Self {
        Self {
            seconds: u64::MAX,
            text: [b'0'; 17],
            start: 10,
        }
    }
}

/// The two digits of every number below 100.
const PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// The two digits of `n`, below 100.
#[inline]
fn pair(n: u64) -> [u8; 2] {
    #[allow(clippy::cast_possible_truncation, reason = "below 100")]
    let i = 2 * (n % 100) as usize;
    [PAIRS[i], PAIRS[i + 1]]
}

/// Writes `seconds` (below 2^32, ten digits at most) right-aligned to end
/// at `text[10]`; returns where the digits start.
#[inline]
fn put_seconds(text: &mut [u8; 17], mut seconds: u64) -> usize {
    let mut start = 10;
    while seconds >= 100 && start >= 2 {
        start -= 2;
        text[start..start + 2].copy_from_slice(&pair(seconds));
        seconds /= 100;
    }
    if seconds >= 10 && start >= 2 {
        start -= 2;
        text[start..start + 2].copy_from_slice(&pair(seconds));
    } else if start >= 1 {
        start -= 1;
        #[allow(clippy::cast_possible_truncation, reason = "one digit")]
        let digit = seconds as u8;
        text[start] = b'0' + digit;
    }
    start
}

/// Writes a point and the six decimals of `micros` millionths from
/// `text[10]`, trailing zeros dropped but one; returns where they end.
#[inline]
fn put_micros(text: &mut [u8; 17], micros: u64) -> usize {
    text[10] = b'.';
    text[11..13].copy_from_slice(&pair(micros / 10_000));
    text[13..15].copy_from_slice(&pair(micros / 100));
    text[15..17].copy_from_slice(&pair(micros));
    let mut end = 17;
    while end > 12 && text[end - 1] == b'0' {
        end -= 1;
    }
    end
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

    fn ryu_text(value: f64) -> String {
        let mut out = Vec::new();
        put_f64(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    fn timestamp_text(value: f64) -> String {
        let mut out = Vec::new();
        put_timestamp(&mut out, value, &mut LastSeconds::default());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn timestamps_read_as_sample_values_do() {
        let cases = [
            (1_764_864_000.123_456, "1764864000.123456"),
            (1_764_864_000.1, "1764864000.1"),
            (1_764_864_000.000_001, "1764864000.000001"),
            (1_764_864_000.0, "1764864000.0"),
            (1.5, "1.5"),
            (4_294_967_295.999_999, "4294967295.999999"),
            // Outside the fast path's range or finer than a microsecond.
            (0.25, "0.25"),
            (1e-7, "1e-7"),
            (1_764_864_000.123_456_7, "1764864000.1234567"),
            (1e12, "1000000000000.0"),
            (f64::NAN, "NaN"),
        ];
        for (value, text) in cases {
            assert_eq!(timestamp_text(value), text, "{value:e}");
            assert_eq!(timestamp_text(value), ryu_text(value), "{value:e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn timestamps_of_whole_microseconds_match_the_general_text(
            micros in 0u64..5_000_000_000_000_000,
            nanos in 0u64..1000,
        ) {
            #[allow(clippy::cast_precision_loss, reason = "below 2^53")]
            let value = micros as f64 / 1e6;
            proptest::prop_assert_eq!(timestamp_text(value), ryu_text(value));
            #[allow(clippy::cast_precision_loss, reason = "below 2^53")]
            let finer = micros as f64 / 1e6 + nanos as f64 / 1e9;
            proptest::prop_assert_eq!(timestamp_text(finer), ryu_text(finer));
        }

        #[test]
        fn timestamps_in_a_row_share_seconds_only_when_equal(
            micros in proptest::collection::vec(0u64..5_000_000_000_000_000, 1..20),
            repeat in 0usize..20,
        ) {
            // One cache for the whole row, as in a scrape; some seconds
            // repeat with other decimals, some change length.
            let mut last = LastSeconds::default();
            let mut row = micros.clone();
            if let Some(&m) = micros.get(repeat % micros.len()) {
                row.push(m - m % 1_000_000 + 999_999);
                row.push(m / 10);
            }
            for m in row {
                #[allow(clippy::cast_precision_loss, reason = "below 2^53")]
                let value = m as f64 / 1e6;
                let mut out = Vec::new();
                put_timestamp(&mut out, value, &mut last);
                proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), ryu_text(value));
            }
        }
    }
}
