//! Label values as borrowed strings, and the escaping of label text.
//!
//! Escaping follows the OpenMetrics 1.0 ABNF (`escaped-string`): backslash,
//! double quote and line feed are escaped, every other character is written
//! as it is.

/// The label values that select one series of a [`Family`](crate::Family)
/// with `N` label names.
///
/// Implemented for arrays of anything that is `AsRef<str>` (`[&str; N]`,
/// `[String; N]`, references to them) and for tuples of up to six
/// `AsRef<str>` values, so typed values (an enum with `AsRef<str>`, say) can
/// be passed without formatting them first.
///
/// # Examples
///
/// ```
/// use beamline::{Counter, Family};
///
/// let requests: Family<Counter, 2> = Family::new(["method", "code"]);
/// let code = String::from("200");
/// requests.get(["GET", code.as_str()]).inc();
/// requests.get(("GET", &code)).inc();
/// assert_eq!(requests.get(["GET", "200"]).get(), 2);
/// ```
pub trait LabelValues<const N: usize> {
    /// Returns the values, in label-name order.
    fn values(&self) -> [&str; N];
}

impl<S: AsRef<str>, const N: usize> LabelValues<N> for [S; N] {
    fn values(&self) -> [&str; N] {
        std::array::from_fn(|i| self[i].as_ref())
    }
}

impl<S: AsRef<str>, const N: usize> LabelValues<N> for &[S; N] {
    fn values(&self) -> [&str; N] {
        std::array::from_fn(|i| self[i].as_ref())
    }
}

macro_rules! tuple_values {
    ($n:literal; $($t:ident $i:tt),+) => {
        impl<$($t: AsRef<str>),+> LabelValues<$n> for ($($t,)+) {
            fn values(&self) -> [&str; $n] {
                [$(self.$i.as_ref()),+]
            }
        }
    };
}

tuple_values!(1; A 0);
tuple_values!(2; A 0, B 1);
tuple_values!(3; A 0, B 1, C 2);
tuple_values!(4; A 0, B 1, C 2, D 3);
tuple_values!(5; A 0, B 1, C 2, D 3, E 4);
tuple_values!(6; A 0, B 1, C 2, D 3, E 4, F 5);

/// Appends `value` to `out`, escaping `\`, `"` and line feed.
pub(crate) fn escape_into(out: &mut String, value: &str) {
    let mut rest = value;
    while let Some(pos) = rest.find(['\\', '"', '\n']) {
        out.push_str(&rest[..pos]);
        out.push_str(match rest.as_bytes()[pos] {
            b'\\' => "\\\\",
            b'"' => "\\\"",
            _ => "\\n",
        });
        rest = &rest[pos + 1..];
    }
    out.push_str(rest);
}

/// Appends `name="value"` pairs joined by commas, without braces.
pub(crate) fn render_pairs<'a>(
    out: &mut String,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        escape_into(out, value);
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_only_backslash_quote_and_newline() {
        let mut out = String::new();
        escape_into(&mut out, "a\\b\"c\nd\te\u{0}é");
        assert_eq!(out, "a\\\\b\\\"c\\nd\te\u{0}é");
    }

    #[test]
    fn renders_pairs_with_commas() {
        let mut out = String::new();
        render_pairs(&mut out, [("a", "1"), ("b", "x\"y")]);
        assert_eq!(out, "a=\"1\",b=\"x\\\"y\"");
    }
}
