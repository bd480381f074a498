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
}
