//! fastmetrics, used the way its documentation shows: label-set structs,
//! `Family::with_or_new`, `format::text::encode`, and its two protobuf
//! back ends (`prost` and `protobuf`); the faster of the two is reported.

use std::hint::black_box;

use fastmetrics::encoder::{EncodeLabelSet, LabelSetEncoder};
use fastmetrics::error::Result;
use fastmetrics::format::prost::ProtobufProfile;
use fastmetrics::format::text::{self, TextProfile};
use fastmetrics::metrics::counter::Counter;
use fastmetrics::metrics::family::Family;
use fastmetrics::metrics::gauge::Gauge;
use fastmetrics::metrics::histogram::Histogram;
use fastmetrics::raw::LabelSetSchema;
use fastmetrics::registry::Registry;

use crate::alloc::{self, HeapUse};
use crate::data::{self, LABELS};
use crate::harness::{self, Case};
use crate::Encoded;

const NAME: &str = "fastmetrics";

#[derive(Clone, Eq, PartialEq, Hash)]
struct StaticLabels {
    method: &'static str,
    status: &'static str,
}

impl LabelSetSchema for StaticLabels {
    fn names() -> Option<&'static [&'static str]> {
        Some(&["method", "status"])
    }
}

impl EncodeLabelSet for StaticLabels {
    fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> Result<()> {
        encoder.encode(&("method", self.method))?;
        encoder.encode(&("status", self.status))?;
        Ok(())
    }
}

#[derive(Clone, Eq, PartialEq, Hash)]
struct OwnedLabels {
    method: String,
    status: String,
}

impl LabelSetSchema for OwnedLabels {
    fn names() -> Option<&'static [&'static str]> {
        Some(&["method", "status"])
    }
}

impl EncodeLabelSet for OwnedLabels {
    fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> Result<()> {
        encoder.encode(&("method", self.method.as_str()))?;
        encoder.encode(&("status", self.status.as_str()))?;
        Ok(())
    }
}

#[derive(Clone, Eq, PartialEq, Hash)]
struct RouteLabels {
    method: String,
    path: String,
}

impl LabelSetSchema for RouteLabels {
    fn names() -> Option<&'static [&'static str]> {
        Some(&["method", "path"])
    }
}

impl EncodeLabelSet for RouteLabels {
    fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> Result<()> {
        encoder.encode(&("method", self.method.as_str()))?;
        encoder.encode(&("path", self.path.as_str()))?;
        Ok(())
    }
}

#[derive(Clone, Eq, PartialEq, Hash)]
struct PathLabels {
    path: String,
}

impl LabelSetSchema for PathLabels {
    fn names() -> Option<&'static [&'static str]> {
        Some(&["path"])
    }
}

impl EncodeLabelSet for PathLabels {
    fn encode(&self, encoder: &mut dyn LabelSetEncoder) -> Result<()> {
        encoder.encode(&("path", self.path.as_str()))?;
        Ok(())
    }
}

pub fn w1() -> Case {
    let mut registry = Registry::default();
    let c = <Counter>::default();
    registry
        .register("w1_requests", "Requests", c.clone())
        .expect("registers");
    Case::new(NAME, move |n| {
        let start = harness::Stopwatch::start();
        for _ in 0..n {
            black_box(&c).inc();
        }
        black_box(&registry);
        start.elapsed()
    })
}

pub fn w2_w3_w4() -> [Case; 3] {
    let mut registry = Registry::default();
    let fam = Family::<StaticLabels, Counter>::default();
    registry
        .register("w2_requests", "Requests", fam.clone())
        .expect("registers");
    for (method, status) in LABELS {
        fam.with_or_new(&StaticLabels { method, status }, |_| ());
    }
    let op = {
        let fam = fam.clone();
        move |k: usize| {
            let (method, status) = LABELS[k];
            fam.with_or_new(&StaticLabels { method, status }, |c| c.inc());
        }
    };
    let owned = Family::<OwnedLabels, Counter>::default();
    registry
        .register("w3_requests", "Requests", owned.clone())
        .expect("registers");
    let rt = data::runtime_labels();
    let borrowed = move |k: usize| {
        let (m, s) = &rt[k];
        owned.with_or_new(
            &OwnedLabels {
                method: m.clone(),
                status: s.clone(),
            },
            |c| c.inc(),
        );
    };
    let op2 = op.clone();
    [
        Case::new(NAME, move |n| harness::timed_loop(&op, n, 0)),
        Case::new(NAME, move |n| harness::timed_loop(&borrowed, n, 0)),
        Case::new(NAME, move |n| harness::two_threads(&op2, n)).on_two_threads(),
    ]
}

pub fn w5() -> Case {
    let mut registry = Registry::default();
    let h = Histogram::new(data::BUCKETS);
    registry
        .register("w5_seconds", "Latency", h.clone())
        .expect("registers");
    let values = data::values();
    Case::new(NAME, move |n| {
        let start = harness::Stopwatch::start();
        for j in 0..n as usize {
            black_box(&h).observe(values[j & 255]);
        }
        start.elapsed()
    })
}

fn registry() -> Registry {
    let mut registry = Registry::default();
    let fam = Family::<RouteLabels, Counter>::default();
    registry
        .register("http_requests", "Requests by method and path", fam.clone())
        .expect("registers");
    for p in 0..data::W7_PATHS {
        let path = data::path(p);
        for (mi, m) in data::METHODS.iter().enumerate() {
            let labels = RouteLabels {
                method: m.to_string(),
                path: path.clone(),
            };
            fam.with_or_new(&labels, |c| c.inc_by(data::counter_value(p * 4 + mi)));
        }
    }
    let hist = Family::<PathLabels, Histogram>::new(|| Histogram::new(data::BUCKETS));
    registry
        .register(
            "request_duration_seconds",
            "Request latency by path",
            hist.clone(),
        )
        .expect("registers");
    let values = data::values();
    for i in 0..data::W7_HIST_SERIES {
        hist.with_or_new(
            &PathLabels {
                path: data::path(i),
            },
            |h| {
                for k in 0..8 {
                    h.observe(values[(i * 8 + k) & 255]);
                }
            },
        );
    }
    for g in 0..data::W7_GAUGES {
        let gauge = <Gauge>::default();
        gauge.set(g as i64 * 1000 + 17);
        registry
            .register(format!("pool_size_{g}"), "A gauge", gauge)
            .expect("registers");
    }
    registry
}

fn text_case(profile: TextProfile) -> Encoded {
    let registry = registry();
    let mut buf = String::new();
    text::encode(&mut buf, &registry, profile).expect("encodes");
    let bytes = buf.len();
    Encoded {
        case: Case::new(NAME, move |n| {
            harness::repeat(
                &mut || {
                    buf.clear();
                    text::encode(&mut buf, &registry, profile).expect("encodes");
                    black_box(&buf);
                },
                n,
            )
        }),
        bytes,
    }
}

pub fn openmetrics_text() -> Encoded {
    text_case(TextProfile::default())
}

pub fn prometheus_text() -> Encoded {
    text_case(TextProfile::PrometheusV0_0_4)
}

fn proto_case(profile: ProtobufProfile, prost_backend: bool) -> Encoded {
    let registry = registry();
    let mut buf = Vec::new();
    let encode = move |buf: &mut Vec<u8>| {
        if prost_backend {
            fastmetrics::format::prost::encode(buf, &registry, profile).expect("encodes");
        } else {
            fastmetrics::format::protobuf::encode(buf, &registry, profile).expect("encodes");
        }
    };
    encode(&mut buf);
    let bytes = buf.len();
    let name = if prost_backend {
        "fastmetrics (prost)"
    } else {
        "fastmetrics (protobuf)"
    };
    Encoded {
        case: Case::new(name, move |n| {
            harness::repeat(
                &mut || {
                    buf.clear();
                    encode(&mut buf);
                    black_box(&buf);
                },
                n,
            )
        }),
        bytes,
    }
}

/// Both back ends, prost first.
pub fn prometheus_protobuf() -> [Encoded; 2] {
    [
        proto_case(ProtobufProfile::Prometheus, true),
        proto_case(ProtobufProfile::Prometheus, false),
    ]
}

pub fn openmetrics_protobuf() -> [Encoded; 2] {
    [
        proto_case(ProtobufProfile::OpenMetrics1, true),
        proto_case(ProtobufProfile::OpenMetrics1, false),
    ]
}

pub fn w9(labels: &[(String, String)]) -> HeapUse {
    alloc::start();
    let mut registry = Registry::default();
    let fam = Family::<RouteLabels, Counter>::default();
    registry
        .register("w9_requests", "Requests", fam.clone())
        .expect("registers");
    for (m, p) in labels {
        let key = RouteLabels {
            method: m.clone(),
            path: p.clone(),
        };
        fam.with_or_new(&key, |c| c.inc());
    }
    let used = alloc::stop();
    drop(registry);
    used
}
