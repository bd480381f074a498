//! Comparing a registry's exposition with an expected text, sample by sample.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::{metadata_name, parse_own, scrape};
use crate::labels::render_pairs;
use crate::parse::{parse_openmetrics, Exposition, FamilyType, ParseError, Sample};
use crate::Registry;

/// How a registry's exposition differs from an expected text, as found by
/// [`compare_exposition`].
///
/// Samples are told apart by name and label set. Series are written
/// `name{labels}` and whole samples `name{labels} value`, labels in the order
/// of the text they come from.
///
/// # Examples
///
/// ```
/// use beamline::{testing, Counter, Family, Registry};
///
/// let registry = Registry::new();
/// let runs = registry.register("runs", "Runs.", Family::<Counter, 1>::new(["outcome"]))?;
/// runs.get(["ok"]).inc_by(2);
/// runs.get(["abort"]).inc();
///
/// let mismatch = testing::compare_exposition(&registry, r#"
///     runs_total{outcome="ok"} 3
///     runs_total{outcome="lost"} 1
/// "#).unwrap_err();
/// assert_eq!(mismatch.missing, [r#"runs_total{outcome="lost"} 1"#]);
/// assert_eq!(mismatch.unexpected, [r#"runs_total{outcome="abort"} 1"#]);
/// assert_eq!(mismatch.different[0].subject, r#"runs_total{outcome="ok"}"#);
/// assert_eq!((&*mismatch.different[0].expected, &*mismatch.different[0].actual), ("3", "2"));
/// assert!(mismatch.to_string().contains("- runs_total{outcome=\"lost\"} 1\n"));
/// # Ok::<(), beamline::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Mismatch {
    /// Why the expected text could not be read, when it is not a valid
    /// exposition; nothing else is compared then. Its line and column point
    /// into the expected text as given.
    pub invalid_expected: Option<ParseError>,
    /// TYPE and UNIT differences of the families the expected text declares:
    /// subjects `# TYPE name` and `# UNIT name`; `(none)` stands for an
    /// absent family or unit.
    pub metadata: Vec<Difference>,
    /// Expected samples the registry does not expose.
    pub missing: Vec<String>,
    /// Samples the registry exposes that the expected text does not list.
    pub unexpected: Vec<String>,
    /// Samples on both sides whose values (or expected exemplars) differ.
    pub different: Vec<Difference>,
}

impl Mismatch {
    fn is_empty(&self) -> bool {
        self.invalid_expected.is_none()
            && self.metadata.is_empty()
            && self.missing.is_empty()
            && self.unexpected.is_empty()
            && self.different.is_empty()
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(err) = &self.invalid_expected {
            return write!(
                f,
                "the expected text is not a valid OpenMetrics exposition: {err}"
            );
        }
        writeln!(
            f,
            "the exposition differs from the expected text \
             (- expected but missing, + not expected, ~ different):"
        )?;
        for d in &self.metadata {
            writeln!(f, "~ {d}")?;
        }
        for line in &self.missing {
            writeln!(f, "- {line}")?;
        }
        for line in &self.unexpected {
            writeln!(f, "+ {line}")?;
        }
        for d in &self.different {
            writeln!(f, "~ {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Mismatch {}

/// Something both sides have, with different contents.
///
/// # Examples
///
/// ```
/// use beamline::{testing, Gauge, Registry};
///
/// let registry = Registry::new();
/// registry.register("magnets", "Magnets powered.", Gauge::new())?.set(7);
///
/// let mismatch = testing::compare_exposition(&registry, "# TYPE magnets counter\n").unwrap_err();
/// let difference = &mismatch.metadata[0];
/// assert_eq!(difference.subject, "# TYPE magnets");
/// assert_eq!((&*difference.expected, &*difference.actual), ("counter", "gauge"));
/// assert_eq!(difference.to_string(), "# TYPE magnets: expected counter, found gauge");
/// # Ok::<(), beamline::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Difference {
    /// What differs: `# TYPE name`, `# UNIT name`, a series
    /// (`runs_total{outcome="ok"}`), or a series followed by ` # exemplar`.
    pub subject: String,
    /// The expected text of it.
    pub expected: String,
    /// The registry's text of it.
    pub actual: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, found {}",
            self.subject, self.expected, self.actual
        )
    }
}

/// Compares the registry's exposition with `expected`, an OpenMetrics text,
/// and returns every difference.
///
/// The comparison ignores what a test cannot or need not pin down:
/// - HELP lines, on both sides;
/// - the `_created` samples of counters, histograms and summaries, on both
///   sides, since they hold the time the series was created;
/// - the order of samples and of families;
/// - timestamps, and exemplars the expected text does not write (an
///   expected exemplar is compared by labels and value, not by timestamp).
///
/// Values are compared as numbers (`1` equals `1.0`, NaN equals NaN), and
/// `le` and `quantile` label values too (`le="1"` matches `le="1.0"`).
/// TYPE and UNIT are compared for the families the expected text has a
/// `# TYPE` or `# UNIT` line for; such a family must exist, and a family
/// declared without a `# UNIT` line must have no unit. Other families are
/// compared by their samples only, so the expected text may list bare
/// sample lines.
///
/// For convenience, the expected text may end with or without `# EOF`; its
/// lines may be indented and blank lines are skipped, so it can be written
/// as an indented string literal. Otherwise it must be valid OpenMetrics
/// text.
///
/// # Errors
///
/// Returns a [`Mismatch`] listing every difference, or, when `expected` is
/// not a valid exposition, why not.
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
/// use beamline::{testing, Counter, FloatGauge, Registry};
///
/// let registry = Registry::new();
/// registry.register("kicks", "RF kicks.", Counter::new())?.inc_by(3);
/// registry.register_with_unit("beam_joules", "Energy.", "joules", FloatGauge::new())?.set(2.0);
///
/// // HELP and `_created` are left out, the order is free, `# EOF` optional.
/// let expected = "
///     ## TYPE beam_joules gauge
///     ## UNIT beam_joules joules
///     beam_joules 2
///     ## TYPE kicks counter
///     kicks_total 3
/// ";
/// assert_eq!(testing::compare_exposition(&registry, expected), Ok(()));
///
/// let mismatch = testing::compare_exposition(&registry, "kicks_total 4\n").unwrap_err();
/// assert_eq!(mismatch.different.len(), 1);
/// assert_eq!(mismatch.unexpected, ["beam_joules 2.0"]);
///
/// let invalid = testing::compare_exposition(&registry, "kicks_total\n").unwrap_err();
/// assert_eq!(invalid.invalid_expected.unwrap().line, 1);
/// # Ok::<(), beamline::Error>(())
/// ```
#[allow(
    clippy::result_large_err,
    reason = "a test helper that fails at most once per comparison; boxing would only burden callers"
)]
pub fn compare_exposition(registry: &Registry, expected: &str) -> Result<(), Mismatch> {
    let normalized = Normalized::new(expected);
    let expected = match parse_openmetrics(&normalized.text) {
        Ok(exposition) => exposition,
        Err(err) => {
            return Err(Mismatch {
                invalid_expected: Some(normalized.locate(err)),
                ..Mismatch::default()
            })
        }
    };
    let actual_text = scrape(registry);
    let actual = parse_own(&actual_text);

    let mut mismatch = Mismatch::default();
    compare_metadata(&expected, &actual, &normalized.declared, &mut mismatch);
    compare_samples(&expected, &actual, &mut mismatch);
    if mismatch.is_empty() {
        Ok(())
    } else {
        Err(mismatch)
    }
}

/// Asserts that the registry's exposition matches `expected`, as
/// [`compare_exposition`] defines it.
///
/// # Panics
///
/// Panics when the expositions differ, with every difference in the message
/// followed by the whole exposition, or when `expected` is not a valid
/// exposition. That is the purpose of this function.
///
/// # Examples
///
/// ```
/// use beamline::{testing, Counter, Family, Registry};
///
/// let registry = Registry::new();
/// let runs = registry.register("runs", "Runs.", Family::<Counter, 1>::new(["outcome"]))?;
/// runs.get(["ok"]).inc();
/// runs.get(["abort"]).inc();
///
/// testing::assert_exposition(&registry, r#"
///     ## TYPE runs counter
///     runs_total{outcome="abort"} 1
///     runs_total{outcome="ok"} 1
///     ## EOF
/// "#);
///
/// let wrong = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
///     testing::assert_exposition(&registry, "runs_total{outcome=\"ok\"} 2\n")
/// }));
/// assert!(wrong.is_err());
/// # Ok::<(), beamline::Error>(())
/// ```
#[track_caller]
pub fn assert_exposition(registry: &Registry, expected: &str) {
    if let Err(mismatch) = compare_exposition(registry, expected) {
        let actual = scrape(registry);
        panic!("{mismatch}\nthe exposition:\n{actual}");
    }
}

/// The expected text as the parser needs it, with a map back to the lines
/// the caller wrote.
struct Normalized {
    text: String,
    /// For each line of `text`: its line number in the original text and the
    /// number of characters of indentation removed.
    origins: Vec<(usize, usize)>,
    /// The families a `# TYPE` or `# UNIT` line declares.
    declared: HashSet<String>,
}

impl Normalized {
    fn new(expected: &str) -> Self {
        let mut normalized = Self {
            text: String::with_capacity(expected.len() + 6),
            origins: Vec::new(),
            declared: HashSet::new(),
        };
        let mut last = "";
        for (i, line) in expected.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                continue;
            }
            let indent = line.chars().count() - trimmed.chars().count();
            normalized.text.push_str(trimmed);
            normalized.text.push('\n');
            normalized.origins.push((i + 1, indent));
            if trimmed.starts_with("# TYPE ") || trimmed.starts_with("# UNIT ") {
                if let Some(name) = metadata_name(trimmed) {
                    normalized.declared.insert(name.to_owned());
                }
            }
            last = trimmed;
        }
        if last != "# EOF" {
            normalized.text.push_str("# EOF\n");
        }
        normalized
    }

    /// Moves the position of `err` back to the text the caller wrote.
    fn locate(&self, mut err: ParseError) -> ParseError {
        if let Some(&(line, indent)) = err.line.checked_sub(1).and_then(|i| self.origins.get(i)) {
            err.line = line;
            err.column += indent;
        }
        err
    }
}

fn compare_metadata(
    expected: &Exposition<'_>,
    actual: &Exposition<'_>,
    declared: &HashSet<String>,
    mismatch: &mut Mismatch,
) {
    const NONE: &str = "(none)";
    for family in expected
        .families
        .iter()
        .filter(|f| declared.contains(f.name))
    {
        let found = actual.family(family.name);
        let actual_type = found.map_or(NONE, |f| f.family_type.as_str());
        if actual_type != family.family_type.as_str() {
            mismatch.metadata.push(Difference {
                subject: format!("# TYPE {}", family.name),
                expected: family.family_type.as_str().to_owned(),
                actual: actual_type.to_owned(),
            });
        }
        let Some(found) = found else { continue };
        if family.unit != found.unit {
            mismatch.metadata.push(Difference {
                subject: format!("# UNIT {}", family.name),
                expected: family.unit.as_deref().unwrap_or(NONE).to_owned(),
                actual: found.unit.as_deref().unwrap_or(NONE).to_owned(),
            });
        }
    }
}

/// A sample's identity: its name and its label set in a canonical order.
type Key = (String, Vec<(String, String)>);

fn compare_samples(expected: &Exposition<'_>, actual: &Exposition<'_>, mismatch: &mut Mismatch) {
    let created = created_names(expected, actual);
    let expected = keyed(expected, &created);
    let actual = keyed(actual, &created);
    let actual_index: HashMap<&Key, &Sample<'_>> = actual.iter().map(|(k, s)| (k, *s)).collect();
    let expected_keys: HashSet<&Key> = expected.iter().map(|(k, _)| k).collect();

    for (key, want) in &expected {
        let Some(have) = actual_index.get(key) else {
            mismatch
                .missing
                .push(format!("{} {}", series(want), want.value_text));
            continue;
        };
        if !same_number(want.value, have.value) {
            mismatch.different.push(Difference {
                subject: series(want),
                expected: want.value_text.to_owned(),
                actual: have.value_text.to_owned(),
            });
        }
        compare_exemplars(want, have, mismatch);
    }
    for (key, have) in &actual {
        if !expected_keys.contains(key) {
            mismatch
                .unexpected
                .push(format!("{} {}", series(have), have.value_text));
        }
    }
}

/// The samples to compare, with their keys, in exposition order.
fn keyed<'e, 'a>(
    exposition: &'e Exposition<'a>,
    created: &HashSet<String>,
) -> Vec<(Key, &'e Sample<'a>)> {
    exposition
        .samples()
        .filter(|s| !created.contains(s.name))
        .map(|s| (key(s), s))
        .collect()
}

fn compare_exemplars(want: &Sample<'_>, have: &Sample<'_>, mismatch: &mut Mismatch) {
    let Some(want_exemplar) = &want.exemplar else {
        return;
    };
    let matches = have.exemplar.as_ref().is_some_and(|e| {
        same_number(e.value, want_exemplar.value)
            && canonical_labels(&e.labels) == canonical_labels(&want_exemplar.labels)
    });
    if !matches {
        let text = |e: &crate::parse::Exemplar<'_>| format!("{} {}", braces(&e.labels), e.value);
        mismatch.different.push(Difference {
            subject: format!("{} # exemplar", series(want)),
            expected: text(want_exemplar),
            actual: have
                .exemplar
                .as_ref()
                .map_or_else(|| "(none)".to_owned(), text),
        });
    }
}

/// The `_created` sample names of the counters, histograms and summaries of
/// either side.
fn created_names(expected: &Exposition<'_>, actual: &Exposition<'_>) -> HashSet<String> {
    expected
        .families
        .iter()
        .chain(&actual.families)
        .filter(|f| {
            matches!(
                f.family_type,
                FamilyType::Counter | FamilyType::Histogram | FamilyType::Summary
            )
        })
        .map(|f| format!("{}_created", f.name))
        .collect()
}

fn key(sample: &Sample<'_>) -> Key {
    (sample.name.to_owned(), canonical_labels(&sample.labels))
}

/// Sorts the labels and writes `le` and `quantile` values in one form per
/// number.
fn canonical_labels(labels: &[(&str, std::borrow::Cow<'_, str>)]) -> Vec<(String, String)> {
    let mut canonical: Vec<(String, String)> = labels
        .iter()
        .map(|(name, value)| {
            let numeric = matches!(*name, "le" | "quantile")
                .then(|| value.parse::<f64>().ok())
                .flatten();
            let value = numeric.map_or_else(|| value.to_string(), |v| format!("{v:?}"));
            ((*name).to_owned(), value)
        })
        .collect();
    canonical.sort();
    canonical
}

fn same_number(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn series(sample: &Sample<'_>) -> String {
    if sample.labels.is_empty() {
        sample.name.to_owned()
    } else {
        format!("{}{}", sample.name, braces(&sample.labels))
    }
}

fn braces(labels: &[(&str, std::borrow::Cow<'_, str>)]) -> String {
    let mut pairs = String::new();
    render_pairs(&mut pairs, labels.iter().map(|(n, v)| (*n, v.as_ref())));
    format!("{{{pairs}}}")
}
