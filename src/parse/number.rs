//! Number grammar of the text formats: sample values, timestamps and the
//! numbers carried in `le` and `quantile` label values.

use std::cmp::Ordering;

/// Why a number token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumberError {
    /// The token does not follow the grammar.
    Syntax,
    /// The token follows the grammar but lies beyond the range of an `f64`.
    OutOfRange,
}

/// Returns whether `text` matches the ABNF `realnumber` production: an
/// optional sign, digits with an optional fraction (at least one mantissa
/// digit in all), and an optional exponent with at least one digit.
pub(super) fn is_realnumber(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let int_digits = count_digits(bytes, i);
    i += int_digits;
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        frac_digits = count_digits(bytes, i + 1);
        i += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    // RFC 5234 literals are case-insensitive, so "E" is as good as "e".
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = count_digits(bytes, i);
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == bytes.len()
}

fn count_digits(bytes: &[u8], from: usize) -> usize {
    bytes.get(from..).map_or(0, |rest| {
        rest.iter().take_while(|b| b.is_ascii_digit()).count()
    })
}

/// Parses a `realnumber`: finite, no `Inf`, no `NaN`. Used for timestamps and
/// for `le`/`quantile` label values.
pub(super) fn parse_real(text: &str) -> Result<f64, NumberError> {
    if !is_realnumber(text) {
        return Err(NumberError::Syntax);
    }
    let value: f64 = text.parse().map_err(|_| NumberError::Syntax)?;
    // The spec requires numbers to fit the float64 range; Rust's parser
    // rounds overflowing literals to infinity instead of failing.
    if value.is_finite() {
        Ok(value)
    } else {
        Err(NumberError::OutOfRange)
    }
}

/// Parses a sample or exemplar value: a `realnumber`, a signed or unsigned
/// `Inf`/`Infinity`, or `NaN` (keywords in any letter case).
pub(super) fn parse_number(text: &str) -> Result<f64, NumberError> {
    match special_value(text) {
        Some(value) => Ok(value),
        None => parse_real(text),
    }
}

fn special_value(text: &str) -> Option<f64> {
    if text.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    let (negative, word) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    if word.eq_ignore_ascii_case("inf") || word.eq_ignore_ascii_case("infinity") {
        Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        })
    } else {
        None
    }
}

/// Parses a Prometheus 0.0.4 timestamp: a signed 64-bit count of
/// milliseconds. Returns the value in seconds.
pub(super) fn parse_millis(text: &str) -> Result<f64, NumberError> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumberError::Syntax);
    }
    let millis: i64 = text.parse().map_err(|_| NumberError::OutOfRange)?;
    // Dividing an integer-valued double by 1000 rounds once, so the result is
    // the double nearest to the decimal seconds value an OpenMetrics
    // exposition of the same instant would carry.
    Ok(millis as f64 / 1000.0)
}

/// Compares two numbers already known to match `realnumber` by their exact
/// decimal value. Timestamps carry more digits than an `f64` keeps
/// (nanoseconds on current epoch seconds), and their order must be judged on
/// what was written.
pub(super) fn cmp_exact(a: &str, b: &str) -> Ordering {
    let a = Decimal::new(a);
    let b = Decimal::new(b);
    match (a.negative, b.negative) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => a.cmp_magnitude(&b),
        (true, true) => b.cmp_magnitude(&a),
    }
}

/// A decimal number as `0.d1d2d3... * 10^exponent`, with no leading or
/// trailing zero digits; zero has no digits and is never negative.
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    fn new(text: &str) -> Self {
        let negative = text.starts_with('-');
        let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
        let (mantissa, exp_text) = unsigned.split_once(['e', 'E']).unwrap_or((unsigned, "0"));
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));

        let mut exponent = parse_exponent(exp_text);
        let int_len = i64::try_from(int_part.len()).unwrap_or(i64::MAX);
        exponent = exponent.saturating_add(int_len);

        let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
        let leading = digits.iter().take_while(|&&d| d == b'0').count();
        digits.drain(..leading);
        exponent = exponent.saturating_sub(i64::try_from(leading).unwrap_or(i64::MAX));
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        let negative = negative && !digits.is_empty();
        Self {
            negative,
            digits,
            exponent,
        }
    }

    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            // Digits carry no leading zero, so the exponent decides first;
            // with equal exponents the digit strings compare as fractions.
            (false, false) => self
                .exponent
                .cmp(&other.exponent)
                .then_with(|| self.digits.cmp(&other.digits)),
        }
    }
}

fn parse_exponent(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let magnitude = digits.bytes().fold(0_i64, |acc, d| {
        acc.saturating_mul(10)
            .saturating_add(i64::from(d.wrapping_sub(b'0')))
    });
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realnumber_grammar() {
        for ok in [
            "0", "1", "-1", "+1", "1.", ".5", "1.5e3", "1E-3", "007", "1.e+2",
        ] {
            assert!(is_realnumber(ok), "{ok}");
        }
        for bad in [
            "", ".", "+", "1e", "1e+", "0x1", "1_0", "1.1.1", " 1", "e3", "Inf",
        ] {
            assert!(!is_realnumber(bad), "{bad}");
        }
    }

    #[test]
    fn special_values_follow_the_grammar() {
        assert_eq!(parse_number("+Inf"), Ok(f64::INFINITY));
        assert_eq!(parse_number("-infinity"), Ok(f64::NEG_INFINITY));
        assert_eq!(parse_number("INF"), Ok(f64::INFINITY));
        assert!(parse_number("NaN").is_ok_and(f64::is_nan));
        assert_eq!(parse_number("-NaN"), Err(NumberError::Syntax));
        assert_eq!(parse_number("1e400"), Err(NumberError::OutOfRange));
        assert_eq!(parse_real("Inf"), Err(NumberError::Syntax));
    }

    #[test]
    fn millis_become_seconds() {
        assert_eq!(parse_millis("1520879607789"), Ok(1_520_879_607.789));
        assert_eq!(parse_millis("-5"), Ok(-0.005));
        assert_eq!(parse_millis("1.5"), Err(NumberError::Syntax));
        assert_eq!(
            parse_millis("99999999999999999999"),
            Err(NumberError::OutOfRange)
        );
    }

    #[test]
    fn exact_comparison_sees_digits_beyond_f64() {
        let later = "1604676851.123456789";
        let earlier = "1604676851.123456788";
        assert_eq!(cmp_exact(later, earlier), Ordering::Greater);
        assert_eq!(cmp_exact("0.0", "-0"), Ordering::Equal);
        assert_eq!(cmp_exact("1.5e3", "1500"), Ordering::Equal);
        assert_eq!(cmp_exact("-1", "-1.1"), Ordering::Greater);
        assert_eq!(cmp_exact("0.0000000001", "0.0000000010"), Ordering::Less);
        assert_eq!(cmp_exact("000", "0.0"), Ordering::Equal);
        assert_eq!(cmp_exact("12", "9"), Ordering::Greater);
        assert_eq!(
            cmp_exact("1e999999999999999999999", "1e5"),
            Ordering::Greater
        );
    }
}
