//! Writes a parsed exposition back as OpenMetrics text, to check that the
//! parser reads its own results the same way twice.

use std::fmt::Write;

use beamline::parse::{Exposition, MetricFamily};

use crate::check::same_f64;

/// Writes `value` in a form the OpenMetrics number grammar accepts.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        // Debug is the shortest text that reads back to the same bits.
        format!("{value:?}")
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('"', "\\\"")
}

fn labels<V: AsRef<str>>(out: &mut String, pairs: &[(&str, V)], always: bool) {
    if pairs.is_empty() && !always {
        return;
    }
    out.push('{');
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{name}=\"{}\"", escape(value.as_ref()));
    }
    out.push('}');
}

/// Renders `exposition` as OpenMetrics text: TYPE, UNIT and HELP for every
/// family, then its samples as parsed.
pub fn openmetrics(exposition: &Exposition<'_>) -> String {
    let mut out = String::new();
    for family in &exposition.families {
        let name = family.name;
        let _ = writeln!(out, "# TYPE {name} {}", family.family_type);
        if let Some(unit) = &family.unit {
            let _ = writeln!(out, "# UNIT {name} {unit}");
        }
        if let Some(help) = &family.help {
            let _ = writeln!(out, "# HELP {name} {}", escape(help));
        }
        for sample in &family.samples {
            out.push_str(sample.name);
            labels(&mut out, &sample.labels, false);
            let _ = write!(out, " {}", sample.value_text);
            if let Some(ts) = sample.timestamp {
                let _ = write!(out, " {}", number(ts));
            }
            if let Some(exemplar) = &sample.exemplar {
                out.push_str(" # ");
                labels(&mut out, &exemplar.labels, true);
                let _ = write!(out, " {}", number(exemplar.value));
                if let Some(ts) = exemplar.timestamp {
                    let _ = write!(out, " {}", number(ts));
                }
            }
            out.push('\n');
        }
    }
    out.push_str("# EOF\n");
    out
}

/// Describes the first difference between two parses, if any. Floats are
/// compared by bits, NaN equal to NaN.
pub fn difference(a: &Exposition<'_>, b: &Exposition<'_>) -> Option<String> {
    if a.families.len() != b.families.len() {
        return Some(format!(
            "{} families, then {}",
            a.families.len(),
            b.families.len()
        ));
    }
    a.families
        .iter()
        .zip(&b.families)
        .find_map(|(x, y)| family_difference(x, y))
}

fn family_difference(x: &MetricFamily<'_>, y: &MetricFamily<'_>) -> Option<String> {
    let name = x.name;
    if (x.name, x.family_type, &x.help, &x.unit) != (y.name, y.family_type, &y.help, &y.unit) {
        return Some(format!("family {name}: metadata differs"));
    }
    if x.samples.len() != y.samples.len() {
        return Some(format!("family {name}: sample count differs"));
    }
    for (s, t) in x.samples.iter().zip(&y.samples) {
        let same = s.name == t.name
            && s.labels == t.labels
            && s.value_text == t.value_text
            && same_f64(s.value, t.value)
            && same_option(s.timestamp, t.timestamp);
        if !same {
            return Some(format!("sample {} differs: {s:?} then {t:?}", s.name));
        }
        let exemplars_same = match (&s.exemplar, &t.exemplar) {
            (None, None) => true,
            (Some(e), Some(f)) => {
                e.labels == f.labels
                    && same_f64(e.value, f.value)
                    && same_option(e.timestamp, f.timestamp)
            }
            _ => false,
        };
        if !exemplars_same {
            return Some(format!("exemplar of {} differs", s.name));
        }
    }
    None
}

fn same_option(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same_f64(a, b),
        _ => false,
    }
}
