//! Per-sample rules of each family type: required and reserved labels,
//! allowed values, and where exemplars may appear (OpenMetrics 1.0, "Metric
//! Types" and "Text format: Metric types").

use std::borrow::Cow;

use super::error::{ParseError, ParseErrorKind as Kind};
use super::lexer::{Line, RawSample};
use super::number;
use super::{Dialect, FamilyType};

/// The part of a sample name after its family name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Suffix {
    Bare,
    Total,
    Created,
    Bucket,
    Count,
    Sum,
    GCount,
    GSum,
    Info,
}

impl Suffix {
    pub(super) fn text(self) -> &'static str {
        match self {
            Self::Bare => "",
            Self::Total => "_total",
            Self::Created => "_created",
            Self::Bucket => "_bucket",
            Self::Count => "_count",
            Self::Sum => "_sum",
            Self::GCount => "_gcount",
            Self::GSum => "_gsum",
            Self::Info => "_info",
        }
    }
}

/// The sample name suffixes a family type uses in a dialect.
pub(super) fn suffixes(dialect: Dialect, family_type: FamilyType) -> &'static [Suffix] {
    use FamilyType as T;
    use Suffix as S;
    match (dialect, family_type) {
        (Dialect::OpenMetrics, T::Counter) => &[S::Total, S::Created],
        (Dialect::OpenMetrics, T::Histogram) => &[S::Bucket, S::Count, S::Sum, S::Created],
        (Dialect::OpenMetrics, T::GaugeHistogram) => &[S::Bucket, S::GCount, S::GSum],
        (Dialect::OpenMetrics, T::Summary) => &[S::Bare, S::Count, S::Sum, S::Created],
        (Dialect::OpenMetrics, T::Info) => &[S::Info],
        (Dialect::Prometheus, T::Histogram) => &[S::Bucket, S::Count, S::Sum],
        (Dialect::Prometheus, T::Summary) => &[S::Bare, S::Count, S::Sum],
        _ => &[S::Bare],
    }
}

/// Returns the suffix by which `sample_name` belongs to the family, if it
/// does.
pub(super) fn member_suffix(
    dialect: Dialect,
    family_name: &str,
    family_type: FamilyType,
    sample_name: &str,
) -> Option<Suffix> {
    let rest = sample_name.strip_prefix(family_name)?;
    suffixes(dialect, family_type)
        .iter()
        .copied()
        .find(|s| s.text() == rest)
}

/// What tells samples of one point apart besides their suffix: the bucket
/// threshold, the quantile, or the state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Discriminant<'a> {
    None,
    Number(u64),
    Text(Cow<'a, str>),
}

/// What the rules learned about a sample, for grouping it into points.
#[derive(Debug)]
pub(super) struct Facts<'a> {
    /// The label that is part of the point rather than of the series.
    pub(super) special: Option<usize>,
    pub(super) discriminant: Discriminant<'a>,
    /// The `le` or `quantile` value.
    pub(super) threshold: Option<f64>,
}

impl Facts<'_> {
    fn plain() -> Self {
        Self {
            special: None,
            discriminant: Discriminant::None,
            threshold: None,
        }
    }
}

/// The family a sample belongs to, as the rules need it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Context<'f> {
    pub(super) dialect: Dialect,
    pub(super) family_name: &'f str,
    pub(super) family_type: FamilyType,
    pub(super) suffix: Suffix,
}

/// Checks one sample against the rules of its family type.
pub(super) fn check<'a>(
    ctx: Context<'_>,
    line: Line<'_>,
    raw: &RawSample<'a>,
) -> Result<Facts<'a>, ParseError> {
    let facts = check_labels(ctx, line, raw)?;
    check_value(ctx, line, raw)?;
    check_exemplar(ctx, line, raw, facts.threshold)?;
    Ok(facts)
}

fn label_index(raw: &RawSample<'_>, name: &str) -> Option<usize> {
    raw.labels.iter().position(|l| l.0 == name)
}

fn label_error(line: Line<'_>, raw: &RawSample<'_>, index: usize, kind: Kind) -> ParseError {
    let pos = raw.label_pos.get(index).copied().unwrap_or(raw.labels_pos);
    line.error(pos, kind)
}

/// Normalises `-0.0` so that thresholds compare by their bits.
fn number_key(value: f64) -> Discriminant<'static> {
    let value = if value == 0.0 { 0.0 } else { value };
    Discriminant::Number(value.to_bits())
}

fn check_labels<'a>(
    ctx: Context<'_>,
    line: Line<'_>,
    raw: &RawSample<'a>,
) -> Result<Facts<'a>, ParseError> {
    use FamilyType as T;
    let (required, reserved) = match (ctx.family_type, ctx.suffix) {
        (T::Histogram | T::GaugeHistogram, Suffix::Bucket) => ("le", None),
        (T::Histogram | T::GaugeHistogram, _) => ("", Some("le")),
        (T::Summary, Suffix::Bare) => ("quantile", None),
        (T::Summary, _) => ("", Some("quantile")),
        (T::StateSet, _) => (ctx.family_name, None),
        _ => ("", None),
    };
    if let Some(name) = reserved {
        return match label_index(raw, name) {
            Some(i) => Err(label_error(line, raw, i, Kind::UnexpectedLabel { name })),
            None => Ok(Facts::plain()),
        };
    }
    if required.is_empty() {
        return Ok(Facts::plain());
    }
    let Some(index) = label_index(raw, required) else {
        let name = required.to_owned();
        return Err(line.error(raw.labels_pos, Kind::MissingLabel { name }));
    };
    let value = raw
        .labels
        .get(index)
        .map_or(Cow::Borrowed(""), |l| l.1.clone());
    let (threshold, discriminant) = match ctx.family_type {
        T::StateSet => (None, Discriminant::Text(value)),
        T::Summary => {
            let q = quantile(ctx.dialect, &value)
                .ok_or_else(|| label_error(line, raw, index, Kind::InvalidQuantile))?;
            (Some(q), number_key(q))
        }
        _ => {
            let le = threshold(ctx.dialect, &value)
                .ok_or_else(|| label_error(line, raw, index, Kind::InvalidLe))?;
            (Some(le), number_key(le))
        }
    };
    Ok(Facts {
        special: Some(index),
        discriminant,
        threshold,
    })
}

/// Reads an `le` value. OpenMetrics takes any real number but writes +Inf
/// only as `+Inf` ("Canonical Numbers"); NaN is never a threshold.
fn threshold(dialect: Dialect, text: &str) -> Option<f64> {
    match dialect {
        Dialect::OpenMetrics => match text {
            "+Inf" => Some(f64::INFINITY),
            "-Inf" => Some(f64::NEG_INFINITY),
            _ => number::parse_real(text).ok(),
        },
        Dialect::Prometheus => number::parse_number(text).ok().filter(|v| !v.is_nan()),
    }
}

/// Reads a `quantile` value, which lies between 0 and 1 inclusive.
fn quantile(dialect: Dialect, text: &str) -> Option<f64> {
    let value = match dialect {
        Dialect::OpenMetrics => number::parse_real(text).ok()?,
        Dialect::Prometheus => number::parse_number(text).ok()?,
    };
    (0.0..=1.0).contains(&value).then_some(value)
}

fn check_value(ctx: Context<'_>, line: Line<'_>, raw: &RawSample<'_>) -> Result<(), ParseError> {
    use FamilyType as T;
    use Suffix as S;
    let value = raw.value;
    let fail = |kind| Err(line.error(raw.value_pos, kind));
    let openmetrics = ctx.dialect == Dialect::OpenMetrics;
    let pair = (ctx.family_type, ctx.suffix);

    // Counts are counters in every dialect: never NaN, never negative.
    let count_like = matches!(
        pair,
        (T::Histogram | T::GaugeHistogram, S::Bucket)
            | (T::Histogram | T::Summary, S::Count)
            | (T::GaugeHistogram, S::GCount)
    );
    // OpenMetrics adds totals and sums ("Semantically, Sum, and buckets
    // values are counters so MUST NOT be NaN or negative").
    let counter_like = count_like
        || (openmetrics
            && matches!(
                pair,
                (T::Counter, S::Total) | (T::Histogram | T::Summary, S::Sum)
            ));
    if value.is_nan() && (counter_like || (openmetrics && pair == (T::GaugeHistogram, S::GSum))) {
        return fail(Kind::NanValue);
    }
    if value < 0.0 && (counter_like || (openmetrics && pair == (T::Summary, S::Bare))) {
        return fail(Kind::NegativeValue);
    }
    if !openmetrics {
        return Ok(());
    }
    if count_like && !(value.is_finite() && value.fract() == 0.0) {
        return fail(Kind::NotInteger);
    }
    match pair {
        (_, S::Created) if !value.is_finite() => fail(Kind::InvalidCreated),
        (T::Info, _) if value != 1.0 => fail(Kind::InvalidInfoValue),
        (T::StateSet, _) if value != 0.0 && value != 1.0 => fail(Kind::InvalidStateSetValue),
        _ => Ok(()),
    }
}

fn check_exemplar(
    ctx: Context<'_>,
    line: Line<'_>,
    raw: &RawSample<'_>,
    threshold: Option<f64>,
) -> Result<(), ParseError> {
    let Some(exemplar) = &raw.exemplar else {
        return Ok(());
    };
    match (ctx.family_type, ctx.suffix) {
        (FamilyType::Counter, Suffix::Total) => Ok(()),
        (FamilyType::Histogram | FamilyType::GaugeHistogram, Suffix::Bucket) => {
            // A bucket counts every value up to its threshold; the official
            // suite accepts exemplars below the previous threshold, so only
            // the upper bound is checked. The +Inf bucket takes any value,
            // NaN included.
            let le = threshold.unwrap_or(f64::INFINITY);
            if le == f64::INFINITY || exemplar.exemplar.value <= le {
                Ok(())
            } else {
                Err(line.error(exemplar.value_pos, Kind::ExemplarOutOfBucket))
            }
        }
        _ => Err(line.error(exemplar.hash_pos, Kind::ExemplarNotAllowed)),
    }
}
