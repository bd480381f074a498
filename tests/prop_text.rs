//! Property test: arbitrary registries render to OpenMetrics text that
//! Python's strict parser accepts and reads back to the same families,
//! labels and values.

mod common;

use std::collections::BTreeMap;

use beamline::{Format, Registry};
use common::gen::{register, same_bits as same, spec, type_name, Expected};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn openmetrics_text_reads_back_the_same(specs in (spec(0), spec(1), spec(2), spec(3))) {
        let Some(python) = common::python() else { return Ok(()); };
        let specs = [specs.0, specs.1, specs.2, specs.3];
        let registry = Registry::new();
        let expected: Vec<Expected> = specs.iter().map(|s| register(&registry, s)).collect();
        let text = String::from_utf8(registry.encode_to_vec(Format::OpenMetricsText)).unwrap();
        let families = match common::parse_openmetrics(&python, &text) {
            Ok(f) => f,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
        };
        prop_assert_eq!(families.len(), specs.len());

        // beamline's own parser reads the same as Python's did.
        let ours = match beamline::parse::parse_openmetrics(&text) {
            Ok(e) => e,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
        };
        prop_assert_eq!(ours.families.len(), families.len());
        for (mine, spec) in ours.families.iter().zip(&specs) {
            prop_assert_eq!(mine.help.as_deref().unwrap_or(""), spec.help.as_str());
        }
        for (mine, theirs) in ours.families.iter().zip(&families) {
            prop_assert_eq!(mine.name, theirs.name.as_str());
            prop_assert_eq!(mine.family_type.as_str(), theirs.kind.as_str());
            // Python's parser drops leading spaces from HELP; beamline's
            // keeps the text exactly.
            prop_assert_eq!(mine.help.as_deref().unwrap_or("").trim_start_matches(' '), theirs.help.as_str());
            prop_assert_eq!(mine.samples.len(), theirs.samples.len());
            for (m, t) in mine.samples.iter().zip(&theirs.samples) {
                prop_assert_eq!(m.name, t.name.as_str());
                let labels: BTreeMap<String, String> =
                    m.labels.iter().map(|(k, v)| ((*k).to_owned(), v.to_string())).collect();
                prop_assert_eq!(&labels, &t.labels);
                prop_assert!(same(m.value, t.value), "{} {} != {}", m.name, m.value, t.value);
                let ex = m.exemplar.as_ref().and_then(|e| e.label("trace_id")).map(str::to_owned);
                let tex = t.exemplar.as_ref().map(|(l, _)| l["trace_id"].clone());
                prop_assert_eq!(ex, tex);
            }
        }
        for ((family, spec), samples) in families.iter().zip(&specs).zip(&expected) {
            prop_assert_eq!(&family.name, &spec.name);
            prop_assert_eq!(&family.kind, type_name(&spec.kind));
            prop_assert_eq!(family.help.as_str(), spec.help.trim_start_matches(' '));
            prop_assert_eq!(family.samples.len(), samples.len(), "{}", text);
            for (got, (name, labels, value, exemplar)) in family.samples.iter().zip(samples) {
                prop_assert_eq!(&got.name, name);
                prop_assert_eq!(&got.labels, labels);
                match value {
                    Some(v) => prop_assert!(same(got.value, *v), "{} {} != {}", name, got.value, v),
                    None => prop_assert!(got.value > 1.0e9, "{} {}", name, got.value),
                }
                let got_exemplar = got.exemplar.as_ref().map(|(l, _)| l["trace_id"].clone());
                prop_assert_eq!(&got_exemplar, exemplar);
            }
        }
    }
}
