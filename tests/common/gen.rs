//! Random registries for the property tests: every metric type, label
//! values that need escaping, special float values, exemplars on counters
//! and histogram buckets, info metrics with labels of their own.
//!
//! [`register`] fills a registry from a [`Spec`] and returns the samples that
//! its OpenMetrics text must read back as.

use std::collections::BTreeMap;

use beamline::{
    Buckets, Counter, Family, FloatCounter, FloatGauge, Gauge, GaugeHistogram, Histogram, Info,
    Registry, StateSet, Summary, Unknown,
};
use proptest::prelude::*;

/// A family's type and one value per series.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Counter(Vec<u64>),
    FloatCounter(Vec<f64>),
    Gauge(Vec<i64>),
    FloatGauge(Vec<f64>),
    /// One observation per series.
    Histogram(Vec<f64>),
    /// One observation per series.
    GaugeHistogram(Vec<f64>),
    /// One observation per series.
    Summary(Vec<f64>),
    /// Which of the states `a`, `b`, `c` are set.
    StateSet(Vec<bool>),
    /// The info's own label values, under [`INFO_LABELS`].
    Info(Vec<String>),
    Unknown(Vec<f64>),
}

/// One family to register.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) labels: Vec<String>,
    pub(crate) series: Vec<Vec<String>>,
    pub(crate) kind: Kind,
    /// The `trace_id` of the exemplar recorded on each counter increment or
    /// histogram observation, if any.
    pub(crate) exemplar: Option<String>,
}

/// Label values: any characters, with the ones text escapes made likely.
pub(crate) fn text_value() -> impl Strategy<Value = String> {
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

pub(crate) fn special_f64() -> impl Strategy<Value = f64> {
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

/// The number of labels of every generated family.
pub(crate) const LABELS: usize = 3;

/// The names of an info's own labels: longer than any generated family
/// label name, so they never collide.
pub(crate) const INFO_LABELS: [&str; 2] = ["own_label_a", "own_label_b"];

fn kind(n: usize) -> impl Strategy<Value = Kind> {
    use proptest::collection::vec as v;
    prop_oneof![
        v(counter_u64(), n..=n).prop_map(Kind::Counter),
        v(counter_f64(), n..=n).prop_map(Kind::FloatCounter),
        v(any::<i64>(), n..=n).prop_map(Kind::Gauge),
        v(special_f64(), n..=n).prop_map(Kind::FloatGauge),
        v(-100.0..100.0f64, n..=n).prop_map(Kind::Histogram),
        v(-100.0..100.0f64, n..=n).prop_map(Kind::GaugeHistogram),
        v(prop_oneof![0.0..100.0f64, -100.0..0.0f64], n..=n).prop_map(Kind::Summary),
        v(any::<bool>(), 3..=3).prop_map(Kind::StateSet),
        v(text_value(), 0..=2).prop_map(Kind::Info),
        v(special_f64(), n..=n).prop_map(Kind::Unknown),
    ]
}

/// A family named `f{index}_...x`, so that families never collide and no
/// name starts with an underscore.
pub(crate) fn spec(index: usize) -> impl Strategy<Value = Spec> {
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
                // A state set's name is also a label name: no colon.
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
pub(crate) type Expected = Vec<(
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

/// Every histogram's bounds, and their text in `le`.
pub(crate) const BOUNDS: [f64; 3] = [-10.0, 0.0, 10.0];
pub(crate) const BOUNDS_TEXT: [&str; 4] = ["-10.0", "0.0", "10.0", "+Inf"];

fn with(map: &BTreeMap<String, String>, k: &str, v: &str) -> BTreeMap<String, String> {
    let mut m = map.clone();
    m.insert(k.into(), v.into());
    m
}

fn values(series: &[String]) -> [&str; LABELS] {
    std::array::from_fn(|j| series[j].as_str())
}

/// Registers `s` in `r`, sets its values, and returns the samples its
/// OpenMetrics text holds, in order.
///
/// # Panics
///
/// When the registration or an exemplar is refused.
#[allow(
    clippy::cast_precision_loss,
    clippy::too_many_lines,
    reason = "test model"
)]
pub(crate) fn register(r: &Registry, s: &Spec) -> Expected {
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
                    let h = f.get(values(series));
                    match ex {
                        Some(e) => h.observe_with_exemplar(x, &[("trace_id", e)]).unwrap(),
                        None => h.observe(x),
                    }
                }
                if let Some(f) = &fg {
                    f.get(values(series)).observe(x);
                }
                let l = labels_of(s, series);
                // The observation's bucket is the first that holds it, and
                // keeps its exemplar.
                let own = BOUNDS.iter().position(|b| x <= *b).unwrap_or(BOUNDS.len());
                let bounds = BOUNDS.iter().chain([f64::INFINITY].iter());
                for (i, (b, text)) in bounds.zip(BOUNDS_TEXT).enumerate() {
                    let e = if gauge || i != own { None } else { ex };
                    push(
                        "_bucket",
                        with(&l, "le", text),
                        Some(f64::from(u8::from(x <= *b))),
                        e,
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
                // `_count` and `_sum` are counters: left out while the sum
                // is negative.
                if x >= 0.0 {
                    push("_count", l.clone(), Some(1.0), None);
                    push("_sum", l.clone(), Some(x), None);
                }
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
        Kind::Info(own) => {
            let pairs: Vec<(&str, &str)> = INFO_LABELS
                .iter()
                .copied()
                .zip(own.iter().map(String::as_str))
                .collect();
            let f = r
                .register(
                    name,
                    &s.help,
                    Family::<Info, LABELS>::with_template(names, Info::new(&pairs)),
                )
                .unwrap();
            for series in &s.series {
                f.get(values(series));
                let mut l = labels_of(s, series);
                for (n, v) in &pairs {
                    l.insert((*n).into(), (*v).into());
                }
                push("_info", l, Some(1.0), None);
            }
        }
    }
    out
}

/// Whether two values are the same number: NaN equals NaN, and the two
/// zeros are told apart.
pub(crate) fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The OpenMetrics type name of a kind.
pub(crate) fn type_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Counter(_) | Kind::FloatCounter(_) => "counter",
        Kind::Gauge(_) | Kind::FloatGauge(_) => "gauge",
        Kind::Histogram(_) => "histogram",
        Kind::GaugeHistogram(_) => "gaugehistogram",
        Kind::Summary(_) => "summary",
        Kind::StateSet(_) => "stateset",
        Kind::Info(_) => "info",
        Kind::Unknown(_) => "unknown",
    }
}
