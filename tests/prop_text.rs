//! Property test: arbitrary registries render to OpenMetrics text that
//! Python's strict parser accepts and reads back to the same families,
//! labels and values.

mod common;

use std::collections::BTreeMap;

use beamline::{
    Buckets, Counter, Family, FloatCounter, FloatGauge, Format, Gauge, GaugeHistogram, Histogram,
    Info, Registry, StateSet, Summary, Unknown,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Kind {
    Counter(Vec<u64>),
    FloatCounter(Vec<f64>),
    Gauge(Vec<i64>),
    FloatGauge(Vec<f64>),
    Histogram(Vec<f64>),
    GaugeHistogram(Vec<f64>),
    Summary(Vec<f64>),
    StateSet(Vec<bool>),
    Info,
    Unknown(Vec<f64>),
}

#[derive(Debug, Clone)]
struct Spec {
    name: String,
    help: String,
    labels: Vec<String>,
    series: Vec<Vec<String>>,
    kind: Kind,
    exemplar: Option<String>,
}

fn text_value() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => any::<char>(),
            1 => Just('\\'),
            1 => Just('"'),
            1 => Just('\n'),
        ],
        0..8,
    )
    .prop_map(String::from_iter)
}

fn special_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(5e-324),
        Just(f64::MIN_POSITIVE / 3.0),
        Just(f64::MAX),
        Just(f64::MIN),
        Just(1e16),
        Just(0.1),
        any::<f64>(),
        -1e6..1e6f64,
    ]
}

fn counter_u64() -> impl Strategy<Value = u64> {
    prop_oneof![Just(u64::MAX), Just(0u64), any::<u64>(), 0..1000u64]
}

fn counter_f64() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(5e-324), Just(1e300), 0.0..1e9f64]
}

const LABELS: usize = 3;

fn kind(n: usize) -> impl Strategy<Value = Kind> {
    use proptest::collection::vec as v;
    prop_oneof![
        v(counter_u64(), n..=n).prop_map(Kind::Counter),
        v(counter_f64(), n..=n).prop_map(Kind::FloatCounter),
        v(any::<i64>(), n..=n).prop_map(Kind::Gauge),
        v(special_f64(), n..=n).prop_map(Kind::FloatGauge),
        v(-100.0..100.0f64, n..=n).prop_map(Kind::Histogram),
        v(-100.0..100.0f64, n..=n).prop_map(Kind::GaugeHistogram),
        v(0.0..100.0f64, n..=n).prop_map(Kind::Summary),
        proptest::collection::vec(any::<bool>(), 3..=3).prop_map(Kind::StateSet),
        Just(Kind::Info),
        v(special_f64(), n..=n).prop_map(Kind::Unknown),
    ]
}

fn spec(index: usize) -> impl Strategy<Value = Spec> {
    (
        "[a-zA-Z_:][a-zA-Z0-9_:]{0,12}",
        text_value(),
        proptest::collection::btree_set("[a-zA-Z][a-zA-Z0-9_]{0,6}", LABELS..=LABELS),
        proptest::collection::btree_set(
            proptest::collection::vec(text_value(), LABELS..=LABELS),
            1..4,
        ),
        proptest::option::of("[a-f0-9]{1,32}"),
    )
        .prop_flat_map(move |(name, help, labels, series, exemplar)| {
            let n = series.len();
            kind(n).prop_map(move |kind| Spec {
                // A state set's name doubles as a label name: no colons.
                name: match kind {
                    Kind::StateSet(_) => format!("f{index}_{}x", name.replace(':', "_")),
                    _ => format!("f{index}_{name}x"),
                },
                help: help.clone(),
                labels: labels.iter().cloned().collect(),
                series: series.iter().cloned().collect(),
                kind,
                exemplar: exemplar.clone(),
            })
        })
}

/// One expected sample: name, labels, value (`None` when clock-dependent),
/// exemplar `trace_id`.
type Expected = Vec<(
    String,
    BTreeMap<String, String>,
    Option<f64>,
    Option<String>,
)>;

fn labels_of(spec: &Spec, series: &[String]) -> BTreeMap<String, String> {
    spec.labels
        .iter()
        .cloned()
        .zip(series.iter().cloned())
        .collect()
}

const BOUNDS: [f64; 3] = [-10.0, 0.0, 10.0];
const BOUNDS_TEXT: [&str; 4] = ["-10.0", "0.0", "10.0", "+Inf"];

fn with(map: &BTreeMap<String, String>, k: &str, v: &str) -> BTreeMap<String, String> {
    let mut m = map.clone();
    m.insert(k.into(), v.into());
    m
}

fn values(series: &[String]) -> [&str; LABELS] {
    std::array::from_fn(|j| series[j].as_str())
}

#[allow(
    clippy::cast_precision_loss,
    clippy::too_many_lines,
    reason = "test model"
)]
fn register(r: &Registry, s: &Spec) -> Expected {
    let names: [&str; LABELS] = std::array::from_fn(|i| s.labels[i].as_str());
    let mut out: Expected = Vec::new();
    let name = s.name.as_str();
    let ex = s.exemplar.as_deref();
    let mut push = |suffix: &str, l: BTreeMap<String, String>, v: Option<f64>, e: Option<&str>| {
        out.push((format!("{name}{suffix}"), l, v, e.map(Into::into)));
    };
    match &s.kind {
        Kind::Counter(v) => {
            let f = r
                .register(name, &s.help, Family::<Counter, LABELS>::new(names))
                .unwrap();
            for (series, &x) in s.series.iter().zip(v) {
                let c = f.get(values(series));
                match ex {
                    Some(e) => c.inc_by_with_exemplar(x, &[("trace_id", e)]).unwrap(),
                    None => c.inc_by(x),
                }
                let l = labels_of(s, series);
                push("_total", l.clone(), Some(x as f64), ex);
                push("_created", l, None, None);
            }
        }
        Kind::FloatCounter(v) => {
            let f = r
                .register(name, &s.help, Family::<FloatCounter, LABELS>::new(names))
                .unwrap();
            for (series, &x) in s.series.iter().zip(v) {
                f.get(values(series)).inc_by(x);
                let l = labels_of(s, series);
                push("_total", l.clone(), Some(x), None);
                push("_created", l, None, None);
            }
        }
        Kind::Gauge(v) => {
            let f = r
                .register(name, &s.help, Family::<Gauge, LABELS>::new(names))
                .unwrap();
            for (series, &x) in s.series.iter().zip(v) {
                f.get(values(series)).set(x);
                push("", labels_of(s, series), Some(x as f64), None);
            }
        }
        Kind::FloatGauge(v) | Kind::Unknown(v) => {
            let unknown = matches!(s.kind, Kind::Unknown(_));
            let fg = (!unknown).then(|| {
                r.register(name, &s.help, Family::<FloatGauge, LABELS>::new(names))
                    .unwrap()
            });
            let fu = unknown.then(|| {
                r.register(name, &s.help, Family::<Unknown, LABELS>::new(names))
                    .unwrap()
            });
            for (series, &x) in s.series.iter().zip(v) {
                if let Some(f) = &fg {
                    f.get(values(series)).set(x);
                }
                if let Some(f) = &fu {
                    f.get(values(series)).set(x);
                }
                push("", labels_of(s, series), Some(x), None);
            }
        }
        Kind::Histogram(v) | Kind::GaugeHistogram(v) => {
            let gauge = matches!(s.kind, Kind::GaugeHistogram(_));
            let buckets = Buckets::new(BOUNDS).unwrap();
            let fh = (!gauge).then(|| {
                r.register(
                    name,
                    &s.help,
                    Family::<Histogram, LABELS>::with_template(
                        names,
                        Histogram::new(buckets.clone()),
                    ),
                )
                .unwrap()
            });
            let fg = gauge.then(|| {
                r.register(
                    name,
                    &s.help,
                    Family::<GaugeHistogram, LABELS>::with_template(
                        names,
                        GaugeHistogram::new(buckets.clone()),
                    ),
                )
                .unwrap()
            });
            for (series, &x) in s.series.iter().zip(v) {
                if let Some(f) = &fh {
                    f.get(values(series)).observe(x);
                }
                if let Some(f) = &fg {
                    f.get(values(series)).observe(x);
                }
                let l = labels_of(s, series);
                for (b, text) in BOUNDS.iter().chain([f64::INFINITY].iter()).zip(BOUNDS_TEXT) {
                    push(
                        "_bucket",
                        with(&l, "le", text),
                        Some(f64::from(u8::from(x <= *b))),
                        None,
                    );
                }
                if gauge {
                    // Negative bounds: `_gsum` may be negative.
                    push("_gcount", l.clone(), Some(1.0), None);
                    push("_gsum", l, Some(x), None);
                } else {
                    // Negative bounds: no `_count` nor `_sum`.
                    push("_created", l, None, None);
                }
            }
        }
        Kind::Summary(v) => {
            let f = r
                .register(name, &s.help, Family::<Summary, LABELS>::new(names))
                .unwrap();
            for (series, &x) in s.series.iter().zip(v) {
                f.get(values(series)).observe(x);
                let l = labels_of(s, series);
                push("_count", l.clone(), Some(1.0), None);
                push("_sum", l.clone(), Some(x), None);
                push("_created", l, None, None);
            }
        }
        Kind::StateSet(on) => {
            let states = ["a", "b", "c"];
            let f = r
                .register(
                    name,
                    &s.help,
                    Family::<StateSet, LABELS>::with_template(names, StateSet::new(&states)),
                )
                .unwrap();
            for series in &s.series {
                let set = f.get(values(series));
                let l = labels_of(s, series);
                for (state, &bit) in states.iter().zip(on) {
                    set.set(state, bit);
                    push(
                        "",
                        with(&l, name, state),
                        Some(f64::from(u8::from(bit))),
                        None,
                    );
                }
            }
        }
        Kind::Info => {
            let f = r
                .register(name, &s.help, Family::<Info, LABELS>::new(names))
                .unwrap();
            for series in &s.series {
                f.get(values(series));
                push("_info", labels_of(s, series), Some(1.0), None);
            }
        }
    }
    out
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) || (a == 0.0 && b == 0.0)
}

fn type_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Counter(_) | Kind::FloatCounter(_) => "counter",
        Kind::Gauge(_) | Kind::FloatGauge(_) => "gauge",
        Kind::Histogram(_) => "histogram",
        Kind::GaugeHistogram(_) => "gaugehistogram",
        Kind::Summary(_) => "summary",
        Kind::StateSet(_) => "stateset",
        Kind::Info => "info",
        Kind::Unknown(_) => "unknown",
    }
}

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
