//! Naming conventions of OpenMetrics and Prometheus, checked on a registry's
//! exposition.
//!
//! See OpenMetrics 1.0, "Metric Families" and "Units and Base Units", and the
//! Prometheus guide "Metric and label naming".

use std::fmt;

use super::{parse_own, scrape};
use crate::parse::{FamilyType, MetricFamily};
use crate::Registry;

/// A naming convention, checked by [`lint`].
///
/// Registration already refuses names the formats forbid; these rules cover
/// names that are valid but mislead readers, queries or tools.
///
/// # Examples
///
/// ```
/// use beamline::testing::LintRule;
///
/// assert_eq!(LintRule::NonBaseUnit.as_str(), "non-base-unit");
/// assert_eq!(LintRule::MissingHelp.to_string(), "missing-help");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LintRule {
    /// The family name has an uppercase letter (`requestCount`,
    /// `HTTPErrors`): names are lowercase words joined by underscores.
    CamelCaseName,
    /// The family name has a colon: colons are left to the recording rules
    /// of a Prometheus server, which name aggregates `level:metric:op`.
    ColonInName,
    /// The family name ends in a suffix the formats give to samples: `_total`,
    /// `_created`, `_count`, `_sum`, `_bucket`, `_gcount`, `_gsum` or `_info`.
    /// A gauge `jobs_count` reads as the count of a histogram `jobs`, and
    /// tools that strip sample suffixes misname it.
    ReservedSuffix,
    /// The family name ends in a unit (`_seconds`, `_bytes`, ...) but declares
    /// none: register it with
    /// [`register_with_unit`](crate::Registry::register_with_unit) so the
    /// exposition carries a `# UNIT` line. Info and state set families, which
    /// cannot have units, are exempt.
    UndeclaredUnit,
    /// A word of the family name is a scaled or derived unit
    /// (`milliseconds`, `kilobytes`, `percent`, ...): expose base units
    /// (`seconds`, `bytes`, `ratio`, ...) and let dashboards scale them.
    NonBaseUnit,
    /// The family has no HELP text (or an empty one).
    MissingHelp,
    /// A label name has an uppercase letter: label names are snake_case too.
    /// Only labels that appear in the exposition are seen, so a family's
    /// label names are checked once it has a series.
    CamelCaseLabel,
}

impl LintRule {
    /// Returns the rule's short name, in kebab case.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::testing::LintRule;
    ///
    /// assert_eq!(LintRule::CamelCaseLabel.as_str(), "camel-case-label");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CamelCaseName => "camel-case-name",
            Self::ColonInName => "colon-in-name",
            Self::ReservedSuffix => "reserved-suffix",
            Self::UndeclaredUnit => "undeclared-unit",
            Self::NonBaseUnit => "non-base-unit",
            Self::MissingHelp => "missing-help",
            Self::CamelCaseLabel => "camel-case-label",
        }
    }
}

impl fmt::Display for LintRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding of [`lint`]: a family, the rule it breaks and how to fix it.
///
/// # Examples
///
/// ```
/// use beamline::testing::{self, LintRule};
/// use beamline::{Family, Gauge, Registry};
///
/// let registry = Registry::new();
/// let depth = registry.register("queue_depth", "Items waiting.", Family::<Gauge, 1>::new(["queueName"]))?;
/// depth.get(["mail"]).set(3);
///
/// let lints = testing::lint(&registry);
/// assert_eq!(lints.len(), 1);
/// assert_eq!(lints[0].family, "queue_depth");
/// assert_eq!(lints[0].rule, LintRule::CamelCaseLabel);
/// assert_eq!(lints[0].label.as_deref(), Some("queueName"));
/// assert_eq!(
///     lints[0].to_string(),
///     "queue_depth: label name `queueName` is not snake_case; use `queue_name` [camel-case-label]",
/// );
/// # Ok::<(), beamline::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lint {
    /// The family name.
    pub family: String,
    /// The rule broken.
    pub rule: LintRule,
    /// The label name at fault, for label rules.
    pub label: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.family, self.message, self.rule)
    }
}

/// Checks every family the registry exposes against the naming conventions
/// listed in [`LintRule`], and returns the findings in exposition order.
///
/// The registry is scraped once, so collectors' families are checked too.
/// An empty list means no rule is broken.
///
/// # Panics
///
/// Panics if beamline's parser rejects the registry's own OpenMetrics
/// exposition. That would be a bug in beamline, not something a caller can
/// cause.
///
/// # Examples
///
/// ```
/// use beamline::testing::{self, LintRule};
/// use beamline::{Counter, FloatGauge, Registry};
///
/// let registry = Registry::new();
/// registry.register("latency_milliseconds", "Latency.", FloatGauge::new())?;
/// registry.register("kicks", "", Counter::new())?;
/// registry.register_with_unit("uptime_seconds", "Uptime.", "seconds", FloatGauge::new())?;
///
/// let rules: Vec<_> = testing::lint(&registry).iter().map(|l| (l.family.clone(), l.rule)).collect();
/// assert_eq!(rules, [
///     ("latency_milliseconds".to_owned(), LintRule::UndeclaredUnit),
///     ("latency_milliseconds".to_owned(), LintRule::NonBaseUnit),
///     ("kicks".to_owned(), LintRule::MissingHelp),
/// ]);
/// # Ok::<(), beamline::Error>(())
/// ```
pub fn lint(registry: &Registry) -> Vec<Lint> {
    let text = scrape(registry);
    let exposition = parse_own(&text);
    let mut lints = Vec::new();
    for family in &exposition.families {
        lint_family(family, &mut lints);
    }
    lints
}

/// Sample suffixes of the OpenMetrics types, and `_info`.
const RESERVED_SUFFIXES: [&str; 8] = [
    "_total", "_created", "_count", "_sum", "_bucket", "_gcount", "_gsum", "_info",
];

/// Units that are not base units, with the base unit to use instead
/// (OpenMetrics 1.0, "Units and Base Units", and the Prometheus naming
/// guide).
const NON_BASE_UNITS: [(&str, &str); 26] = [
    ("nanoseconds", "seconds"),
    ("microseconds", "seconds"),
    ("milliseconds", "seconds"),
    ("ms", "seconds"),
    ("minutes", "seconds"),
    ("hours", "seconds"),
    ("days", "seconds"),
    ("bits", "bytes"),
    ("kilobytes", "bytes"),
    ("megabytes", "bytes"),
    ("gigabytes", "bytes"),
    ("terabytes", "bytes"),
    ("kibibytes", "bytes"),
    ("mebibytes", "bytes"),
    ("gibibytes", "bytes"),
    ("tebibytes", "bytes"),
    ("percent", "ratio"),
    ("percentage", "ratio"),
    ("millimeters", "meters"),
    ("centimeters", "meters"),
    ("kilometers", "meters"),
    ("milligrams", "grams"),
    ("kilograms", "grams"),
    ("millivolts", "volts"),
    ("milliamperes", "amperes"),
    ("fahrenheit", "celsius"),
];

/// Base units a name may end in.
const BASE_UNITS: [&str; 11] = [
    "seconds", "bytes", "ratio", "meters", "grams", "volts", "amperes", "joules", "watts",
    "celsius", "hertz",
];

fn lint_family(family: &MetricFamily<'_>, lints: &mut Vec<Lint>) {
    let name = family.name;
    let mut push = |rule, label: Option<&str>, message: String| {
        lints.push(Lint {
            family: name.to_owned(),
            rule,
            label: label.map(str::to_owned),
            message,
        });
    };

    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        push(
            LintRule::CamelCaseName,
            None,
            format!("name is not snake_case; use `{}`", snake_case(name)),
        );
    }
    if name.contains(':') {
        push(
            LintRule::ColonInName,
            None,
            "name has a colon; colons are for recording rules".to_owned(),
        );
    }
    if let Some(suffix) = RESERVED_SUFFIXES.iter().find(|s| name.ends_with(*s)) {
        push(
            LintRule::ReservedSuffix,
            None,
            format!("name ends in `{suffix}`, a suffix the formats give to samples"),
        );
    }
    let words: Vec<&str> = name.split([':', '_']).collect();
    let last = words
        .last()
        .copied()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let names_a_unit =
        BASE_UNITS.contains(&last.as_str()) || NON_BASE_UNITS.iter().any(|(unit, _)| *unit == last);
    let unit_allowed = !matches!(family.family_type, FamilyType::Info | FamilyType::StateSet);
    if family.unit.is_none() && names_a_unit && unit_allowed {
        push(
            LintRule::UndeclaredUnit,
            None,
            format!("name ends in the unit `{last}` but declares no unit"),
        );
    }
    let scaled = words.iter().find_map(|word| {
        let word = word.to_ascii_lowercase();
        NON_BASE_UNITS
            .iter()
            .find(|(unit, _)| *unit == word)
            .map(|&(unit, base)| (unit, base))
    });
    if let Some((unit, base)) = scaled {
        push(
            LintRule::NonBaseUnit,
            None,
            format!("`{unit}` is not a base unit; expose `{base}`"),
        );
    }
    if family.help.is_none() {
        push(LintRule::MissingHelp, None, "no HELP text".to_owned());
    }
    for label in label_names(family) {
        if label.bytes().any(|b| b.is_ascii_uppercase()) {
            push(
                LintRule::CamelCaseLabel,
                Some(label),
                format!(
                    "label name `{label}` is not snake_case; use `{}`",
                    snake_case(label)
                ),
            );
        }
    }
}

/// The label names of a family's samples, once each, without the labels the
/// format adds itself (`le`, `quantile`, a state set's own name).
fn label_names<'a>(family: &MetricFamily<'a>) -> Vec<&'a str> {
    let own = match family.family_type {
        FamilyType::Histogram | FamilyType::GaugeHistogram => Some("le"),
        FamilyType::Summary => Some("quantile"),
        FamilyType::StateSet => Some(family.name),
        _ => None,
    };
    let mut names: Vec<&'a str> = Vec::new();
    for sample in &family.samples {
        for &(label, _) in &sample.labels {
            if Some(label) != own && !names.contains(&label) {
                names.push(label);
            }
        }
    }
    names
}

/// Converts `camelCase` and `PascalCase` to `snake_case`, keeping runs of
/// capitals together (`HTTPErrors` to `http_errors`).
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let starts_word = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || prev.is_some_and(|p| p.is_ascii_uppercase())
                    && next.is_some_and(char::is_ascii_lowercase);
            if starts_word && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_splits_words_and_acronyms() {
        for (input, output) in [
            ("requestCount", "request_count"),
            ("HTTPErrors", "http_errors"),
            ("queueName", "queue_name"),
            ("ioWaitMS", "io_wait_ms"),
            ("a_B", "a_b"),
            ("lower", "lower"),
            ("v2Api", "v2_api"),
        ] {
            assert_eq!(snake_case(input), output, "{input}");
        }
    }
}
