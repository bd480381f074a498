//! Registries built from fuzzer input render to both protobuf forms, which
//! decode with the generated message types to the same families, series and
//! values as the OpenMetrics text (itself checked against the model by
//! `check::openmetrics`).
#![no_main]

use std::collections::BTreeMap;

use beamline::parse::{Exposition, FamilyType};
use beamline::Format;
use beamline_fuzz::{check, spec};
use libfuzzer_sys::fuzz_target;
use prost::Message;

#[path = "../../src/encoding/proto/openmetrics.rs"]
#[allow(dead_code, clippy::all)]
mod om;
#[path = "../../src/encoding/proto/prometheus.rs"]
#[allow(dead_code, clippy::all)]
mod prom;

type Key = Vec<(String, String)>;

/// The text samples of one family, by series labels (without `le`,
/// `quantile` or the state label), as (sample name, extra label, value).
fn series(exposition: &Exposition<'_>, family: usize) -> BTreeMap<Key, Vec<(String, f64)>> {
    let f = &exposition.families[family];
    let mut out: BTreeMap<Key, Vec<(String, f64)>> = BTreeMap::new();
    for s in &f.samples {
        let mut key: Key = s
            .labels
            .iter()
            .filter(|(n, _)| {
                !(*n == "le"
                    && s.name.ends_with("_bucket")
                    && matches!(
                        f.family_type,
                        FamilyType::Histogram | FamilyType::GaugeHistogram
                    ))
                    && !(*n == "quantile" && f.family_type == FamilyType::Summary)
                    && !(*n == f.name && f.family_type == FamilyType::StateSet)
            })
            .map(|(n, v)| ((*n).to_owned(), v.to_string()))
            .collect();
        key.sort();
        out.entry(key).or_default().push((s.name.to_owned(), s.value));
    }
    out
}

fn om_labels(labels: &[om::Label]) -> Key {
    let mut key: Key = labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect();
    key.sort();
    key
}

fn value_of(samples: &[(String, f64)], suffix: &str) -> Option<f64> {
    samples.iter().find(|(n, _)| n.ends_with(suffix)).map(|(_, v)| *v)
}

fn check_openmetrics(exposition: &Exposition<'_>, bytes: &[u8]) {
    let set = om::MetricSet::decode(bytes).expect("the OpenMetrics MetricSet decodes");
    assert_eq!(set.metric_families.len(), exposition.families.len());
    for (i, (family, text)) in set.metric_families.iter().zip(&exposition.families).enumerate() {
        assert_eq!(family.name, text.name);
        let by_series = series(exposition, i);
        assert_eq!(family.metrics.len(), by_series.len(), "series of {}", family.name);
        for metric in &family.metrics {
            let mut key = om_labels(&metric.labels);
            let point = metric.metric_points.first().and_then(|p| p.value.clone());
            if let Some(om::metric_point::Value::InfoValue(info)) = &point {
                key.extend(om_labels(&info.info));
                key.sort();
            }
            let samples = by_series
                .get(&key)
                .unwrap_or_else(|| panic!("{}: no text series {key:?}", family.name));
            match point {
                Some(om::metric_point::Value::GaugeValue(g)) => {
                    let v = match g.value {
                        Some(om::gauge_value::Value::DoubleValue(v)) => v,
                        Some(om::gauge_value::Value::IntValue(v)) => v as f64,
                        None => 0.0,
                    };
                    assert!(check::same_f64(v, samples[0].1), "{}", family.name);
                }
                Some(om::metric_point::Value::UnknownValue(u)) => {
                    let v = match u.value {
                        Some(om::unknown_value::Value::DoubleValue(v)) => v,
                        Some(om::unknown_value::Value::IntValue(v)) => v as f64,
                        None => 0.0,
                    };
                    assert!(check::same_f64(v, samples[0].1), "{}", family.name);
                }
                Some(om::metric_point::Value::CounterValue(c)) => {
                    let v = match c.total {
                        Some(om::counter_value::Total::DoubleValue(v)) => v,
                        Some(om::counter_value::Total::IntValue(v)) => v as f64,
                        None => 0.0,
                    };
                    let text = value_of(samples, "_total").expect("a _total sample");
                    assert!(check::same_f64(v, text), "{}: {v} != {text}", family.name);
                }
                Some(om::metric_point::Value::HistogramValue(h)) => {
                    let buckets: Vec<f64> = samples
                        .iter()
                        .filter(|(n, _)| n.ends_with("_bucket"))
                        .map(|(_, v)| *v)
                        .collect();
                    let decoded: Vec<f64> = h.buckets.iter().map(|b| b.count as f64).collect();
                    assert_eq!(decoded, buckets, "{}", family.name);
                }
                Some(om::metric_point::Value::StateSetValue(s)) => {
                    let decoded: Vec<f64> =
                        s.states.iter().map(|s| f64::from(u8::from(s.enabled))).collect();
                    let text: Vec<f64> = samples.iter().map(|(_, v)| *v).collect();
                    assert_eq!(decoded, text, "{}", family.name);
                }
                Some(om::metric_point::Value::SummaryValue(s)) => {
                    if let Some(count) = value_of(samples, "_count") {
                        assert_eq!(s.count as f64, count, "{}", family.name);
                    }
                }
                Some(om::metric_point::Value::InfoValue(_)) => {
                    assert_eq!(value_of(samples, "_info"), Some(1.0));
                }
                None => panic!("{}: a metric without a point", family.name),
            }
        }
    }
}

fn check_prometheus(exposition: &Exposition<'_>, mut bytes: &[u8]) {
    let mut names = Vec::new();
    while !bytes.is_empty() {
        let family = prom::MetricFamily::decode_length_delimited(&mut bytes)
            .expect("a delimited Prometheus MetricFamily decodes");
        names.push(family.name.unwrap_or_default());
    }
    let expected: Vec<String> = exposition
        .families
        .iter()
        .map(|f| match f.family_type {
            FamilyType::Counter => format!("{}_total", f.name),
            FamilyType::Info => format!("{}_info", f.name),
            _ => f.name.to_owned(),
        })
        .collect();
    assert_eq!(names, expected);
}

fuzz_target!(|input: spec::RegistrySpec| {
    let built = spec::build(&input);
    let text = String::from_utf8(built.registry.encode_to_vec(Format::OpenMetricsText))
        .expect("OpenMetrics text is UTF-8");
    let exposition = check::openmetrics(&built, &text);
    check_openmetrics(
        &exposition,
        &built.registry.encode_to_vec(Format::OpenMetricsProtobuf),
    );
    check_prometheus(
        &exposition,
        &built.registry.encode_to_vec(Format::PrometheusProtobuf),
    );
});
