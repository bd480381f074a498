//! Both protobuf encoders, read back with the generated message types.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use prost_types::Timestamp;

use super::{timestamp, OpenMetrics, Prometheus};
use crate::encoding::proto::{openmetrics as om, prometheus as prom};
use crate::encoding::Encoder;
use crate::family::SeriesLabels;
use crate::registry::Descriptor;
use crate::view::Point;
use crate::{
    Buckets, Counter, CounterFn, Family, FloatCounter, FloatGauge, Format, Gauge, GaugeFn,
    GaugeHistogram, Histogram, Info, MetricType, Registry, StateSet, Summary, Unknown,
};

/// Stands for a clock reading checked to lie within the test's run.
const CLOCK: Timestamp = Timestamp {
    seconds: 0,
    nanos: 0,
};

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Checks that `ts` is a reading taken within `window`, then replaces it with
/// [`CLOCK`] so that whole messages compare exactly.
fn clocked(ts: &mut Option<Timestamp>, window: (f64, f64)) {
    let got = ts.take().expect("a timestamp");
    assert!((0..1_000_000_000).contains(&got.nanos), "{got:?}");
    #[allow(clippy::cast_precision_loss, reason = "test arithmetic")]
    let seconds = got.seconds as f64 + f64::from(got.nanos) / 1e9;
    assert!(
        seconds >= window.0 - 1e-6 && seconds <= window.1 + 1e-6,
        "{seconds} not in {window:?}"
    );
    *ts = Some(CLOCK);
}

/// A registry with every metric type, constant labels, exemplars, a unit,
/// edge values, and the sums OpenMetrics has to leave out.
fn every_type() -> Registry {
    let r = Registry::new();
    let lab = r.sub_registry("lab", &[("site", "cern")]).unwrap();
    let kicks = lab
        .register("kicks", "Kicks.", Family::<Counter, 1>::new(["ring"]))
        .unwrap();
    kicks
        .get(["main"])
        .inc_by_with_exemplar(u64::MAX, &[("trace_id", "abc")])
        .unwrap();
    r.register_with_unit("sent_bytes", "Bytes.", "bytes", FloatCounter::new())
        .unwrap()
        .inc_by(1.5);
    r.register("depth", "Depth.", Gauge::new())
        .unwrap()
        .set(i64::MIN);
    r.register("temp", "", FloatGauge::new()).unwrap().set(-0.0);
    let latency = r
        .register_with_unit(
            "latency_seconds",
            "Latency.",
            "seconds",
            Histogram::new(Buckets::new([0.1, 1.0]).unwrap()),
        )
        .unwrap();
    latency.observe_with_exemplar(0.05, &[("id", "a")]).unwrap();
    latency.observe_with_exemplar(5.0, &[("id", "b")]).unwrap();
    r.register(
        "offset",
        "Offset.",
        Histogram::new(Buckets::new([-1.0, 0.0]).unwrap()),
    )
    .unwrap()
    .observe(-2.0);
    r.register(
        "deviation",
        "Deviation.",
        GaugeHistogram::new(Buckets::new([-1.0, 1.0]).unwrap()),
    )
    .unwrap()
    .observe(-3.0);
    r.register("ticks", "Ticks.", Summary::new())
        .unwrap()
        .observe(2.0);
    r.register("drift", "Drift.", Summary::new())
        .unwrap()
        .observe(-1.0);
    r.register(
        "build",
        "Build.",
        Family::<Info, 1>::with_template(["host"], Info::new(&[("version", "1.0")])),
    )
    .unwrap()
    .get(["a"]);
    r.register("state", "State.", StateSet::new(&["on", "off"]))
        .unwrap()
        .set_only("off");
    r.register("legacy", "Legacy.", Unknown::new())
        .unwrap()
        .set(f64::INFINITY);
    r.register("idle", "Idle.", Family::<Gauge, 1>::new(["x"]))
        .unwrap();
    r.register("uptime", "Uptime.", GaugeFn::new(|| 12.5))
        .unwrap();
    r.register("polls", "Polls.", CounterFn::new(|| 7.0))
        .unwrap();
    r
}

fn om_label(name: &str, value: &str) -> om::Label {
    om::Label {
        name: name.into(),
        value: value.into(),
    }
}

fn om_family(name: &str, t: om::MetricType, unit: &str, help: &str) -> om::MetricFamily {
    om::MetricFamily {
        name: name.into(),
        r#type: t.into(),
        unit: unit.into(),
        help: help.into(),
        metrics: Vec::new(),
    }
}

fn om_metric(labels: Vec<om::Label>, value: om::metric_point::Value) -> om::Metric {
    om::Metric {
        labels,
        metric_points: vec![om::MetricPoint {
            value: Some(value),
            timestamp: None,
        }],
    }
}

fn om_bucket(
    count: u64,
    upper_bound: f64,
    exemplar: Option<(&str, &str, f64)>,
) -> om::histogram_value::Bucket {
    om::histogram_value::Bucket {
        count,
        upper_bound,
        exemplar: exemplar.map(|(n, v, value)| om::Exemplar {
            value,
            timestamp: Some(CLOCK),
            label: vec![om_label(n, v)],
        }),
    }
}

/// Replaces every clock reading in `set` with [`CLOCK`], checking each.
fn om_clocked(set: &mut om::MetricSet, window: (f64, f64)) {
    use om::metric_point::Value;
    for point in set
        .metric_families
        .iter_mut()
        .flat_map(|f| &mut f.metrics)
        .flat_map(|m| &mut m.metric_points)
    {
        match point.value.as_mut() {
            Some(Value::CounterValue(c)) => {
                if c.created.is_some() {
                    clocked(&mut c.created, window);
                }
                if let Some(e) = &mut c.exemplar {
                    clocked(&mut e.timestamp, window);
                }
            }
            Some(Value::HistogramValue(h)) => {
                if h.created.is_some() {
                    clocked(&mut h.created, window);
                }
                for e in h.buckets.iter_mut().filter_map(|b| b.exemplar.as_mut()) {
                    clocked(&mut e.timestamp, window);
                }
            }
            Some(Value::SummaryValue(s)) => clocked(&mut s.created, window),
            _ => {}
        }
    }
}

#[test]
fn openmetrics_set_holds_every_type() {
    use om::metric_point::Value;
    use om::MetricType as T;

    let start = now();
    let registry = every_type();
    let bytes = registry.encode_to_vec(Format::OpenMetricsProtobuf);
    let window = (start, now());
    let mut set = om::MetricSet::decode(&bytes[..]).unwrap();
    om_clocked(&mut set, window);

    let counter = |total, created: bool, exemplar: Option<om::Exemplar>| {
        Value::CounterValue(om::CounterValue {
            total: Some(total),
            created: created.then_some(CLOCK),
            exemplar,
        })
    };
    let mut expected = Vec::new();
    let mut f = om_family("lab_kicks", T::Counter, "", "Kicks.");
    f.metrics.push(om_metric(
        vec![om_label("site", "cern"), om_label("ring", "main")],
        counter(
            om::counter_value::Total::IntValue(u64::MAX),
            true,
            Some(om::Exemplar {
                #[allow(clippy::cast_precision_loss, reason = "as the metric records it")]
                value: u64::MAX as f64,
                timestamp: Some(CLOCK),
                label: vec![om_label("trace_id", "abc")],
            }),
        ),
    ));
    expected.push(f);
    let mut f = om_family("sent_bytes", T::Counter, "bytes", "Bytes.");
    f.metrics.push(om_metric(
        vec![],
        counter(om::counter_value::Total::DoubleValue(1.5), true, None),
    ));
    expected.push(f);
    let mut f = om_family("depth", T::Gauge, "", "Depth.");
    f.metrics.push(om_metric(
        vec![],
        Value::GaugeValue(om::GaugeValue {
            value: Some(om::gauge_value::Value::IntValue(i64::MIN)),
        }),
    ));
    expected.push(f);
    let mut f = om_family("temp", T::Gauge, "", "");
    f.metrics.push(om_metric(
        vec![],
        Value::GaugeValue(om::GaugeValue {
            value: Some(om::gauge_value::Value::DoubleValue(-0.0)),
        }),
    ));
    expected.push(f);
    let mut f = om_family("latency_seconds", T::Histogram, "seconds", "Latency.");
    f.metrics.push(om_metric(
        vec![],
        Value::HistogramValue(om::HistogramValue {
            sum: Some(om::histogram_value::Sum::DoubleValue(5.05)),
            count: 2,
            created: Some(CLOCK),
            buckets: vec![
                om_bucket(1, 0.1, Some(("id", "a", 0.05))),
                om_bucket(1, 1.0, None),
                om_bucket(2, f64::INFINITY, Some(("id", "b", 5.0))),
            ],
        }),
    ));
    expected.push(f);
    // Negative bounds: no sum.
    let mut f = om_family("offset", T::Histogram, "", "Offset.");
    f.metrics.push(om_metric(
        vec![],
        Value::HistogramValue(om::HistogramValue {
            sum: None,
            count: 1,
            created: Some(CLOCK),
            buckets: vec![
                om_bucket(1, -1.0, None),
                om_bucket(1, 0.0, None),
                om_bucket(1, f64::INFINITY, None),
            ],
        }),
    ));
    expected.push(f);
    // Negative bounds: a negative gsum is allowed.
    let mut f = om_family("deviation", T::GaugeHistogram, "", "Deviation.");
    f.metrics.push(om_metric(
        vec![],
        Value::HistogramValue(om::HistogramValue {
            sum: Some(om::histogram_value::Sum::DoubleValue(-3.0)),
            count: 1,
            created: None,
            buckets: vec![
                om_bucket(1, -1.0, None),
                om_bucket(1, 1.0, None),
                om_bucket(1, f64::INFINITY, None),
            ],
        }),
    ));
    expected.push(f);
    for (name, help, sum) in [("ticks", "Ticks.", Some(2.0)), ("drift", "Drift.", None)] {
        let mut f = om_family(name, T::Summary, "", help);
        f.metrics.push(om_metric(
            vec![],
            Value::SummaryValue(om::SummaryValue {
                sum: sum.map(om::summary_value::Sum::DoubleValue),
                count: 1,
                created: Some(CLOCK),
                quantile: vec![],
            }),
        ));
        expected.push(f);
    }
    let mut f = om_family("build", T::Info, "", "Build.");
    f.metrics.push(om_metric(
        vec![om_label("host", "a")],
        Value::InfoValue(om::InfoValue {
            info: vec![om_label("version", "1.0")],
        }),
    ));
    expected.push(f);
    let mut f = om_family("state", T::StateSet, "", "State.");
    let state = |name: &str, enabled| om::state_set_value::State {
        enabled,
        name: name.into(),
    };
    f.metrics.push(om_metric(
        vec![],
        Value::StateSetValue(om::StateSetValue {
            states: vec![state("on", false), state("off", true)],
        }),
    ));
    expected.push(f);
    let mut f = om_family("legacy", T::Unknown, "", "Legacy.");
    f.metrics.push(om_metric(
        vec![],
        Value::UnknownValue(om::UnknownValue {
            value: Some(om::unknown_value::Value::DoubleValue(f64::INFINITY)),
        }),
    ));
    expected.push(f);
    expected.push(om_family("idle", T::Gauge, "", "Idle."));
    let mut f = om_family("uptime", T::Gauge, "", "Uptime.");
    f.metrics.push(om_metric(
        vec![],
        Value::GaugeValue(om::GaugeValue {
            value: Some(om::gauge_value::Value::DoubleValue(12.5)),
        }),
    ));
    expected.push(f);
    let mut f = om_family("polls", T::Counter, "", "Polls.");
    f.metrics.push(om_metric(
        vec![],
        counter(om::counter_value::Total::DoubleValue(7.0), false, None),
    ));
    expected.push(f);

    assert_eq!(set.metric_families.len(), expected.len());
    for (got, want) in set.metric_families.iter().zip(&expected) {
        assert_eq!(got, want);
    }
}

fn prom_label(name: &str, value: &str) -> prom::LabelPair {
    prom::LabelPair {
        name: Some(name.into()),
        value: Some(value.into()),
    }
}

fn prom_family(name: &str, t: prom::MetricType, help: Option<&str>) -> prom::MetricFamily {
    prom::MetricFamily {
        name: Some(name.into()),
        help: help.map(Into::into),
        r#type: Some(t.into()),
        metric: Vec::new(),
        unit: None,
    }
}

fn prom_gauge(label: Vec<prom::LabelPair>, value: f64) -> prom::Metric {
    prom::Metric {
        label,
        gauge: Some(prom::Gauge { value: Some(value) }),
        ..prom::Metric::default()
    }
}

fn prom_bucket(count: u64, upper_bound: f64, exemplar: Option<(&str, &str, f64)>) -> prom::Bucket {
    prom::Bucket {
        cumulative_count: Some(count),
        upper_bound: Some(upper_bound),
        exemplar: exemplar.map(|(n, v, value)| prom::Exemplar {
            label: vec![prom_label(n, v)],
            value: Some(value),
            timestamp: Some(CLOCK),
        }),
        ..prom::Bucket::default()
    }
}

/// Splits a stream of varint-length-delimited families.
pub(super) fn prom_families(mut bytes: &[u8]) -> Vec<prom::MetricFamily> {
    let mut families = Vec::new();
    while !bytes.is_empty() {
        families.push(prom::MetricFamily::decode_length_delimited(&mut bytes).unwrap());
    }
    families
}

/// Replaces every clock reading in `families` with [`CLOCK`], checking each.
fn prom_clocked(families: &mut [prom::MetricFamily], window: (f64, f64)) {
    for metric in families.iter_mut().flat_map(|f| &mut f.metric) {
        if let Some(c) = &mut metric.counter {
            if c.created_timestamp.is_some() {
                clocked(&mut c.created_timestamp, window);
            }
            if let Some(e) = &mut c.exemplar {
                clocked(&mut e.timestamp, window);
            }
        }
        if let Some(h) = &mut metric.histogram {
            if h.created_timestamp.is_some() {
                clocked(&mut h.created_timestamp, window);
            }
            for e in h.bucket.iter_mut().filter_map(|b| b.exemplar.as_mut()) {
                clocked(&mut e.timestamp, window);
            }
        }
        if let Some(s) = &mut metric.summary {
            clocked(&mut s.created_timestamp, window);
        }
    }
}

#[test]
fn prometheus_stream_holds_every_type() {
    use prom::MetricType as T;

    let start = now();
    let registry = every_type();
    let bytes = registry.encode_to_vec(Format::PrometheusProtobuf);
    let window = (start, now());
    let mut families = prom_families(&bytes);
    prom_clocked(&mut families, window);

    let mut expected = Vec::new();
    let mut f = prom_family("lab_kicks_total", T::Counter, Some("Kicks."));
    f.metric.push(prom::Metric {
        label: vec![prom_label("site", "cern"), prom_label("ring", "main")],
        counter: Some(prom::Counter {
            #[allow(clippy::cast_precision_loss, reason = "a double field")]
            value: Some(u64::MAX as f64),
            exemplar: Some(prom::Exemplar {
                label: vec![prom_label("trace_id", "abc")],
                #[allow(clippy::cast_precision_loss, reason = "a double field")]
                value: Some(u64::MAX as f64),
                timestamp: Some(CLOCK),
            }),
            created_timestamp: Some(CLOCK),
        }),
        ..prom::Metric::default()
    });
    expected.push(f);
    let mut f = prom_family("sent_bytes_total", T::Counter, Some("Bytes."));
    f.unit = Some("bytes".into());
    f.metric.push(prom::Metric {
        counter: Some(prom::Counter {
            value: Some(1.5),
            exemplar: None,
            created_timestamp: Some(CLOCK),
        }),
        ..prom::Metric::default()
    });
    expected.push(f);
    let mut f = prom_family("depth", T::Gauge, Some("Depth."));
    #[allow(clippy::cast_precision_loss, reason = "a double field")]
    f.metric.push(prom_gauge(vec![], i64::MIN as f64));
    expected.push(f);
    let mut f = prom_family("temp", T::Gauge, None);
    f.metric.push(prom_gauge(vec![], -0.0));
    expected.push(f);
    let histogram = |count, sum, buckets, created: bool| prom::Histogram {
        sample_count: Some(count),
        sample_sum: Some(sum),
        bucket: buckets,
        created_timestamp: created.then_some(CLOCK),
        ..prom::Histogram::default()
    };
    let mut f = prom_family("latency_seconds", T::Histogram, Some("Latency."));
    f.unit = Some("seconds".into());
    f.metric.push(prom::Metric {
        histogram: Some(histogram(
            2,
            5.05,
            vec![
                prom_bucket(1, 0.1, Some(("id", "a", 0.05))),
                prom_bucket(1, 1.0, None),
                prom_bucket(2, f64::INFINITY, Some(("id", "b", 5.0))),
            ],
            true,
        )),
        ..prom::Metric::default()
    });
    expected.push(f);
    // Prometheus would read an absent count or sum as 0: both are sent.
    let mut f = prom_family("offset", T::Histogram, Some("Offset."));
    f.metric.push(prom::Metric {
        histogram: Some(histogram(
            1,
            -2.0,
            vec![
                prom_bucket(1, -1.0, None),
                prom_bucket(1, 0.0, None),
                prom_bucket(1, f64::INFINITY, None),
            ],
            true,
        )),
        ..prom::Metric::default()
    });
    expected.push(f);
    let mut f = prom_family("deviation", T::GaugeHistogram, Some("Deviation."));
    f.metric.push(prom::Metric {
        histogram: Some(histogram(
            1,
            -3.0,
            vec![
                prom_bucket(1, -1.0, None),
                prom_bucket(1, 1.0, None),
                prom_bucket(1, f64::INFINITY, None),
            ],
            false,
        )),
        ..prom::Metric::default()
    });
    expected.push(f);
    for (name, help, sum) in [("ticks", "Ticks.", 2.0), ("drift", "Drift.", -1.0)] {
        let mut f = prom_family(name, T::Summary, Some(help));
        f.metric.push(prom::Metric {
            summary: Some(prom::Summary {
                sample_count: Some(1),
                sample_sum: Some(sum),
                quantile: vec![],
                created_timestamp: Some(CLOCK),
            }),
            ..prom::Metric::default()
        });
        expected.push(f);
    }
    let mut f = prom_family("build_info", T::Gauge, Some("Build."));
    f.metric.push(prom_gauge(
        vec![prom_label("host", "a"), prom_label("version", "1.0")],
        1.0,
    ));
    expected.push(f);
    let mut f = prom_family("state", T::Gauge, Some("State."));
    f.metric
        .push(prom_gauge(vec![prom_label("state", "on")], 0.0));
    f.metric
        .push(prom_gauge(vec![prom_label("state", "off")], 1.0));
    expected.push(f);
    let mut f = prom_family("legacy", T::Untyped, Some("Legacy."));
    f.metric.push(prom::Metric {
        untyped: Some(prom::Untyped {
            value: Some(f64::INFINITY),
        }),
        ..prom::Metric::default()
    });
    expected.push(f);
    expected.push(prom_family("idle", T::Gauge, Some("Idle.")));
    let mut f = prom_family("uptime", T::Gauge, Some("Uptime."));
    f.metric.push(prom_gauge(vec![], 12.5));
    expected.push(f);
    let mut f = prom_family("polls_total", T::Counter, Some("Polls."));
    f.metric.push(prom::Metric {
        counter: Some(prom::Counter {
            value: Some(7.0),
            exemplar: None,
            created_timestamp: None,
        }),
        ..prom::Metric::default()
    });
    expected.push(f);

    assert_eq!(families.len(), expected.len());
    for (got, want) in families.iter().zip(&expected) {
        assert_eq!(got, want);
    }
}

/// A summary with quantiles, fed straight to the encoders: no public
/// metric produces quantiles yet.
fn feed_summary(encoder: &mut dyn Encoder) {
    let desc = Descriptor {
        name: "rpc_seconds".into(),
        help: "RPC latency.".into(),
        unit: Some("seconds".into()),
        metric_type: MetricType::Summary,
        const_labels: Arc::from(vec![("zone".into(), "b".into())]),
        const_rendered: "zone=\"b\"".into(),
    };
    let names: [Box<str>; 1] = ["method".into()];
    let values = ["GET"];
    let labels = SeriesLabels {
        rendered: "method=\"GET\"",
        names: &names,
        values: crate::family::Values::Given(&values),
        own: &[],
    };
    let quantiles = [("0.5".into(), 0.5, 1.25), ("0.99".into(), 0.99, f64::NAN)];
    encoder.family(&desc);
    encoder.series(
        &desc,
        &labels,
        Point::Summary {
            count: 3,
            sum: 6.5,
            created: 1_700_000_000.25,
            quantiles: &quantiles,
        },
    );
    encoder.finish();
}

#[test]
fn summary_quantiles_in_both_formats() {
    let mut bytes = Vec::new();
    feed_summary(&mut OpenMetrics::new(&mut bytes));
    let set = om::MetricSet::decode(&bytes[..]).unwrap();
    let [family] = &set.metric_families[..] else {
        panic!("one family: {set:?}")
    };
    assert_eq!(
        (&*family.name, family.r#type(), &*family.unit, &*family.help),
        (
            "rpc_seconds",
            om::MetricType::Summary,
            "seconds",
            "RPC latency."
        )
    );
    let [metric] = &family.metrics[..] else {
        panic!("one metric")
    };
    assert_eq!(
        metric.labels,
        [om_label("zone", "b"), om_label("method", "GET")]
    );
    let Some(om::metric_point::Value::SummaryValue(summary)) = &metric.metric_points[0].value
    else {
        panic!("a summary: {metric:?}")
    };
    assert_eq!(summary.count, 3);
    assert_eq!(summary.sum, Some(om::summary_value::Sum::DoubleValue(6.5)));
    assert_eq!(
        summary.created,
        Some(Timestamp {
            seconds: 1_700_000_000,
            nanos: 250_000_000
        })
    );
    let quantiles: Vec<(f64, f64)> = summary
        .quantile
        .iter()
        .map(|q| (q.quantile, q.value))
        .collect();
    assert_eq!(quantiles[0], (0.5, 1.25));
    assert_eq!(quantiles[1].0, 0.99);
    assert!(quantiles[1].1.is_nan());

    let mut bytes = Vec::new();
    feed_summary(&mut Prometheus::new(&mut bytes));
    let families = prom_families(&bytes);
    let [family] = &families[..] else {
        panic!("one family: {families:?}")
    };
    assert_eq!(family.name(), "rpc_seconds");
    assert_eq!(family.r#type(), prom::MetricType::Summary);
    assert_eq!(family.unit(), "seconds");
    let summary = family.metric[0].summary.as_ref().unwrap();
    assert_eq!(
        family.metric[0].label,
        [prom_label("zone", "b"), prom_label("method", "GET")]
    );
    assert_eq!((summary.sample_count(), summary.sample_sum()), (3, 6.5));
    assert_eq!(summary.quantile[0].quantile(), 0.5);
    assert_eq!(summary.quantile[0].value(), 1.25);
    assert_eq!(summary.quantile[1].quantile(), 0.99);
    assert!(summary.quantile[1].value().is_nan());
    assert_eq!(
        summary.created_timestamp,
        Some(Timestamp {
            seconds: 1_700_000_000,
            nanos: 250_000_000
        })
    );
}

/// NaN survives, and `-0.0` keeps its sign although proto3 leaves `+0.0`
/// out.
#[test]
fn special_values_survive() {
    for (value, same) in [
        (f64::NAN, f64::is_nan as fn(f64) -> bool),
        (-0.0, |v: f64| v == 0.0 && v.is_sign_negative()),
    ] {
        let r = Registry::new();
        r.register("g", "", FloatGauge::new()).unwrap().set(value);
        let bytes = r.encode_to_vec(Format::OpenMetricsProtobuf);
        let set = om::MetricSet::decode(&bytes[..]).unwrap();
        let point = &set.metric_families[0].metrics[0].metric_points[0].value;
        let Some(om::metric_point::Value::GaugeValue(om::GaugeValue {
            value: Some(om::gauge_value::Value::DoubleValue(v)),
        })) = point
        else {
            panic!("a double gauge: {point:?}")
        };
        assert!(same(*v), "{v}");
        let families = prom_families(&r.encode_to_vec(Format::PrometheusProtobuf));
        let v = families[0].metric[0].gauge.unwrap().value();
        assert!(same(v), "{v}");
    }
}

#[test]
fn an_empty_registry_is_an_empty_message() {
    let r = Registry::new();
    assert!(r.encode_to_vec(Format::OpenMetricsProtobuf).is_empty());
    assert!(r.encode_to_vec(Format::PrometheusProtobuf).is_empty());
}

#[test]
fn every_sink_gets_the_same_bytes() {
    let registry = every_type();
    for format in [Format::OpenMetricsProtobuf, Format::PrometheusProtobuf] {
        let vec = registry.encode_to_vec(format);
        let mut written = Vec::new();
        registry.encode(format, &mut written).unwrap();
        let mut buf = bytes::BytesMut::new();
        registry.encode_to_buf(format, &mut buf).unwrap();
        // Clock readings are taken at registration, so all three agree.
        assert_eq!(written, vec);
        assert_eq!(&buf[..], &vec[..]);
        let mut small = [0u8; 16];
        let err = registry
            .encode_to_buf(format, &mut &mut small[..])
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WriteZero);
    }
}

#[test]
fn timestamps_split_into_seconds_and_nanos() {
    let ts = |seconds, nanos| Some((seconds, nanos));
    assert_eq!(timestamp(0.0), ts(0, 0));
    assert_eq!(timestamp(1.5), ts(1, 500_000_000));
    // The fraction counts forward from the seconds, also before 1970.
    assert_eq!(timestamp(-1.25), ts(-2, 750_000_000));
    // A fraction that rounds to a whole second carries.
    assert_eq!(timestamp(2.999_999_999_9), ts(3, 0));
    assert_eq!(timestamp(1_700_000_000.125), ts(1_700_000_000, 125_000_000));
    // A whole-microsecond time carries its microseconds, not the float's
    // nanosecond noise (1764864000.766486 is 1764864000.76648592948...).
    assert_eq!(
        timestamp(1_764_864_000.766_486),
        ts(1_764_864_000, 766_486_000)
    );
    assert_eq!(timestamp(1.000_001), ts(1, 1_000));
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e12] {
        assert_eq!(timestamp(bad), None, "{bad}");
    }
}

/// Fields in number order, defaults left out as proto3 asks, nothing prost
/// would write differently: decoding and encoding again gives the same
/// bytes.
#[test]
fn the_bytes_are_canonical() {
    let registry = every_type();
    let open = registry.encode_to_vec(Format::OpenMetricsProtobuf);
    assert_eq!(
        om::MetricSet::decode(&open[..]).unwrap().encode_to_vec(),
        open
    );
    let stream = registry.encode_to_vec(Format::PrometheusProtobuf);
    let again: Vec<u8> = prom_families(&stream)
        .iter()
        .flat_map(Message::encode_length_delimited_to_vec)
        .collect();
    assert_eq!(again, stream);
}

/// A family larger than 16 KiB needs a three-byte length, and many families
/// follow one another.
#[test]
fn large_families_keep_their_framing() {
    let r = Registry::new();
    for f in 0..3 {
        let family = r
            .register(&format!("f{f}"), "", Family::<Counter, 1>::new(["id"]))
            .unwrap();
        for i in 0..2000u64 {
            family.get([format!("series-{i}").as_str()]).inc_by(i);
        }
    }
    let open = r.encode_to_vec(Format::OpenMetricsProtobuf);
    let set = om::MetricSet::decode(&open[..]).unwrap();
    let stream = r.encode_to_vec(Format::PrometheusProtobuf);
    let families = prom_families(&stream);
    assert_eq!(set.metric_families.len(), 3);
    assert_eq!(families.len(), 3);
    for (om_family, prom_family) in set.metric_families.iter().zip(&families) {
        assert_eq!(om_family.metrics.len(), 2000);
        assert_eq!(prom_family.metric.len(), 2000);
        let last = &prom_family.metric[1999];
        assert_eq!(last.label[0].value(), "series-1999");
        assert_eq!(last.counter.as_ref().unwrap().value(), 1999.0);
    }
    assert!(stream.len() > 3 * 16 * 1024);
}

#[test]
fn negative_summaries_keep_openmetrics_rules_in_protobuf() {
    let registry = Registry::new();
    let s = registry
        .register("s", "help", crate::Summary::with_quantiles(&[0.5]).unwrap())
        .unwrap();
    s.observe(-1.0);

    let set =
        om::MetricSet::decode(&registry.encode_to_vec(Format::OpenMetricsProtobuf)[..]).unwrap();
    let Some(om::metric_point::Value::SummaryValue(summary)) =
        &set.metric_families[0].metrics[0].metric_points[0].value
    else {
        panic!("a summary: {set:?}")
    };
    // As in the text: no negative sum, no negative quantile.
    assert_eq!((summary.count, &summary.sum), (1, &None));
    assert_eq!(summary.quantile, []);

    let families = prom_families(&registry.encode_to_vec(Format::PrometheusProtobuf));
    let summary = families[0].metric[0].summary.as_ref().unwrap();
    assert_eq!((summary.sample_count(), summary.sample_sum()), (1, -1.0));
    assert_eq!(summary.quantile.len(), 1);
    assert!(summary.quantile[0].value() < -0.98, "{summary:?}");
}
