//! The naming and value rules of OpenMetrics, one function per rule.
//!
//! See the OpenMetrics 1.0 ABNF (`metricname`, `label-name`) and the
//! "Metric types" section for the reserved names.

use crate::error::Error;

/// The longest exemplar label set, in characters, that OpenMetrics allows.
pub(crate) const EXEMPLAR_MAX_CHARS: usize = 128;

fn is_name_start(c: u8, colon: bool) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || (colon && c == b':')
}

fn is_name_char(c: u8, colon: bool) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || (colon && c == b':')
}

fn matches_name(name: &str, colon: bool) -> bool {
    let bytes = name.as_bytes();
    match bytes.split_first() {
        Some((&first, rest)) => {
            is_name_start(first, colon) && rest.iter().all(|&c| is_name_char(c, colon))
        }
        None => false,
    }
}

/// Checks a metric family name against `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn metric_name(name: &str) -> Result<(), Error> {
    if !matches_name(name, true) {
        return Err(Error::InvalidMetricName { name: name.into() });
    }
    if name.starts_with('_') {
        return Err(Error::ReservedMetricName { name: name.into() });
    }
    Ok(())
}

/// Checks a label name against `[a-zA-Z_][a-zA-Z0-9_]*` and the rule that
/// OpenMetrics reserves names starting with an underscore.
pub(crate) fn label_name(name: &str) -> Result<(), Error> {
    if !matches_name(name, false) {
        return Err(Error::InvalidLabelName { name: name.into() });
    }
    if name.starts_with('_') {
        return Err(Error::ReservedLabelName {
            name: name.into(),
            reason: "OpenMetrics reserves names starting with an underscore",
        });
    }
    Ok(())
}

/// Checks a list of label names: each valid, none repeated, none equal to a
/// name the metric type reserves.
pub(crate) fn label_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
    reserved: Option<(&str, &'static str)>,
) -> Result<(), Error> {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        label_name(name)?;
        if let Some((reserved, reason)) = reserved {
            if name == reserved {
                return Err(Error::ReservedLabelName {
                    name: name.into(),
                    reason,
                });
            }
        }
        if seen.contains(&name) {
            return Err(Error::DuplicateLabelName { name: name.into() });
        }
        seen.push(name);
    }
    Ok(())
}

/// Checks that a unit is well formed and that the name ends in `_unit`.
pub(crate) fn unit(name: &str, unit: &str) -> Result<(), Error> {
    if unit.is_empty() || !unit.bytes().all(|c| is_name_char(c, true)) {
        return Err(Error::InvalidUnit { unit: unit.into() });
    }
    let suffixed = name
        .strip_suffix(unit)
        .is_some_and(|stem| stem.ends_with('_') && stem.len() > 1);
    if suffixed {
        Ok(())
    } else {
        Err(Error::UnitNotSuffix {
            name: name.into(),
            unit: unit.into(),
        })
    }
}

/// Checks a classic histogram's upper bounds: not empty, finite, strictly
/// increasing. `+Inf` is implied and must not be given.
pub(crate) fn buckets(bounds: &[f64]) -> Result<(), Error> {
    if bounds.is_empty() {
        return Err(Error::InvalidBuckets {
            index: None,
            reason: "the list is empty",
        });
    }
    for (i, &b) in bounds.iter().enumerate() {
        if !b.is_finite() {
            return Err(Error::InvalidBuckets {
                index: Some(i),
                reason: "bounds must be finite (`+Inf` is always added)",
            });
        }
        if i > 0 && b <= bounds[i - 1] {
            return Err(Error::InvalidBuckets {
                index: Some(i),
                reason: "bounds must be strictly increasing",
            });
        }
    }
    Ok(())
}

/// Checks an exemplar's label set: valid, distinct names, and at most 128
/// characters of names and values together.
pub(crate) fn exemplar_labels(labels: &[(&str, &str)]) -> Result<(), Error> {
    label_names(labels.iter().map(|(n, _)| *n), None)?;
    if let Some((_, value)) = labels.iter().find(|(_, v)| v.contains('"')) {
        return Err(Error::ExemplarQuote {
            value: (*value).into(),
        });
    }
    let length: usize = labels
        .iter()
        .map(|(n, v)| n.chars().count() + v.chars().count())
        .sum();
    if length > EXEMPLAR_MAX_CHARS {
        return Err(Error::ExemplarTooLong { length });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_follow_the_grammar() {
        assert_eq!(
            metric_name("_a"),
            Err(Error::ReservedMetricName { name: "_a".into() })
        );
        for good in ["a", ":a", "a:b_c9", "A"] {
            assert_eq!(metric_name(good), Ok(()), "{good}");
        }
        for bad in ["", "9a", "a-b", "a b", "é", "a{"] {
            assert_eq!(
                metric_name(bad),
                Err(Error::InvalidMetricName { name: bad.into() })
            );
        }
    }

    #[test]
    fn label_names_refuse_colons_and_double_underscore() {
        assert!(matches!(
            label_name("a:b"),
            Err(Error::InvalidLabelName { .. })
        ));
        assert!(matches!(
            label_name("__name__"),
            Err(Error::ReservedLabelName { .. })
        ));
        assert!(matches!(
            label_name("_a"),
            Err(Error::ReservedLabelName { .. })
        ));
        assert_eq!(label_name("a_"), Ok(()));
    }

    #[test]
    fn units_must_end_the_name() {
        assert_eq!(unit("latency_seconds", "seconds"), Ok(()));
        assert!(matches!(
            unit("latencyseconds", "seconds"),
            Err(Error::UnitNotSuffix { .. })
        ));
        assert!(matches!(
            unit("_seconds", "seconds"),
            Err(Error::UnitNotSuffix { .. })
        ));
        assert!(matches!(
            unit("a_b c", "b c"),
            Err(Error::InvalidUnit { .. })
        ));
    }

    #[test]
    fn bucket_rules() {
        assert_eq!(buckets(&[0.1, 1.0]), Ok(()));
        assert_eq!(
            buckets(&[1.0, 1.0]),
            Err(Error::InvalidBuckets {
                index: Some(1),
                reason: "bounds must be strictly increasing"
            })
        );
        assert!(buckets(&[1.0, f64::INFINITY]).is_err());
        assert!(buckets(&[f64::NAN]).is_err());
        assert!(buckets(&[]).is_err());
    }

    #[test]
    fn exemplar_length_counts_characters_not_bytes() {
        let value = "é".repeat(126);
        assert_eq!(exemplar_labels(&[("id", &value)]), Ok(()));
        let value = "é".repeat(127);
        assert_eq!(
            exemplar_labels(&[("id", &value)]),
            Err(Error::ExemplarTooLong { length: 129 })
        );
    }
}
