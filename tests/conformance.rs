//! Runs every case of the official OpenMetrics parser suite through
//! `parse_openmetrics` and requires agreement on all of them.

use std::fs;
use std::path::Path;

use beamline::parse::parse_openmetrics;

/// The number of cases in the suite copy; a case that fails to load must not
/// shrink the run unnoticed.
const EXPECTED_CASES: usize = 211;

#[test]
fn agrees_with_every_official_suite_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/openmetrics-suite/parsers");
    let mut names: Vec<_> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();

    let mut disagreements = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for name in &names {
        let dir = root.join(name);
        let meta = fs::read_to_string(dir.join("test.json")).unwrap();
        let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
        assert_eq!(meta["type"], "text", "{name}: unexpected case type");
        let file = meta["file"].as_str().unwrap();
        let should_parse = meta["shouldParse"].as_bool().unwrap();
        let bytes = fs::read(dir.join(file)).unwrap();
        // A case with invalid UTF-8 can only be refused.
        let outcome = match std::str::from_utf8(&bytes) {
            Ok(text) => parse_openmetrics(text)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("invalid utf-8: {e}")),
        };
        if should_parse {
            valid += 1;
        } else {
            invalid += 1;
        }
        match (should_parse, outcome) {
            (true, Err(e)) => disagreements.push(format!("{name}: refused a valid case: {e}")),
            (false, Ok(())) => disagreements.push(format!("{name}: accepted an invalid case")),
            _ => {}
        }
    }

    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree:\n{}",
        disagreements.len(),
        names.len(),
        disagreements.join("\n")
    );
    assert_eq!(names.len(), EXPECTED_CASES, "suite case count changed");
    assert_eq!((valid, invalid), (44, 167));
}
