//! prometheus-client, used the way its documentation shows: label sets as
//! derived structs, `Family::get_or_create`, `encoding::text::encode`.

use std::hint::black_box;

#[allow(deprecated)]
use prometheus_client::encoding::openmetrics_protobuf;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::{prometheus_protobuf, prometheus_text, text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use prost::Message;

use crate::alloc::{self, HeapUse};
use crate::data::{self, LABELS};
use crate::harness::{self, Case};
use crate::Encoded;

const NAME: &str = "prometheus-client";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StaticLabels {
    method: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OwnedLabels {
    method: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    path: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PathLabels {
    path: String,
}

pub fn w1() -> Case {
    let mut registry = Registry::default();
    let c: Counter = Counter::default();
    registry.register("w1_requests", "Requests", c.clone());
    Case::new(NAME, move |n| {
        let start = harness::Stopwatch::start();
        for _ in 0..n {
            black_box(&c).inc();
        }
        black_box(&registry);
        start.elapsed()
    })
}

/// Workloads 2, 3 and 4.
pub fn w2_w3_w4() -> [Case; 3] {
    let mut registry = Registry::default();
    let fam = Family::<StaticLabels, Counter>::default();
    registry.register("w2_requests", "Requests", fam.clone());
    for (method, status) in LABELS {
        drop(fam.get_or_create(&StaticLabels { method, status }));
    }
    let op = {
        let fam = fam.clone();
        move |k: usize| {
            let (method, status) = LABELS[k];
            fam.get_or_create(&StaticLabels { method, status }).inc();
        }
    };
    let owned = Family::<OwnedLabels, Counter>::default();
    registry.register("w3_requests", "Requests", owned.clone());
    let rt = data::runtime_labels();
    for (m, s) in &rt {
        drop(owned.get_or_create(&OwnedLabels {
            method: m.clone(),
            status: s.clone(),
        }));
    }
    let borrowed = move |k: usize| {
        let (m, s) = &rt[k];
        owned
            .get_or_create(&OwnedLabels {
                method: m.clone(),
                status: s.clone(),
            })
            .inc();
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
    registry.register("w5_seconds", "Latency", h.clone());
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
    registry.register("http_requests", "Requests by method and path", fam.clone());
    for p in 0..data::W7_PATHS {
        let path = data::path(p);
        for (mi, m) in data::METHODS.iter().enumerate() {
            fam.get_or_create(&RouteLabels {
                method: m.to_string(),
                path: path.clone(),
            })
            .inc_by(data::counter_value(p * 4 + mi));
        }
    }
    let hist =
        Family::<PathLabels, Histogram>::new_with_constructor(|| Histogram::new(data::BUCKETS));
    registry.register(
        "request_duration_seconds",
        "Request latency by path",
        hist.clone(),
    );
    let values = data::values();
    for i in 0..data::W7_HIST_SERIES {
        let h = hist.get_or_create(&PathLabels {
            path: data::path(i),
        });
        for k in 0..8 {
            h.observe(values[(i * 8 + k) & 255]);
        }
    }
    for g in 0..data::W7_GAUGES {
        let gauge: Gauge = Gauge::default();
        gauge.set(g as i64 * 1000 + 17);
        registry.register(format!("pool_size_{g}"), "A gauge", gauge);
    }
    registry
}

pub fn openmetrics_text() -> Encoded {
    let registry = registry();
    let mut buf = String::new();
    text::encode(&mut buf, &registry).expect("encodes");
    let bytes = buf.len();
    Encoded {
        case: Case::new(NAME, move |n| {
            harness::repeat(
                &mut || {
                    buf.clear();
                    text::encode(&mut buf, &registry).expect("encodes");
                    black_box(&buf);
                },
                n,
            )
        }),
        bytes,
    }
}

pub fn prometheus_text() -> Encoded {
    let registry = registry();
    let mut buf = String::new();
    prometheus_text::encode(&mut buf, &registry).expect("encodes");
    let bytes = buf.len();
    Encoded {
        case: Case::new(NAME, move |n| {
            harness::repeat(
                &mut || {
                    buf.clear();
                    prometheus_text::encode(&mut buf, &registry).expect("encodes");
                    black_box(&buf);
                },
                n,
            )
        }),
        bytes,
    }
}

fn prom_proto(registry: &Registry, buf: &mut Vec<u8>) {
    let families = prometheus_protobuf::encode(registry).expect("encodes");
    for family in &families {
        family.encode_length_delimited(buf).expect("vec grows");
    }
}

pub fn prometheus_protobuf() -> Encoded {
    let registry = registry();
    let mut buf = Vec::new();
    prom_proto(&registry, &mut buf);
    let bytes = buf.len();
    Encoded {
        case: Case::new(NAME, move |n| {
            harness::repeat(
                &mut || {
                    buf.clear();
                    prom_proto(&registry, &mut buf);
                    black_box(&buf);
                },
                n,
            )
        }),
        bytes,
    }
}

/// Deprecated in prometheus-client 0.26 in favour of the Prometheus
/// protobuf, but still its OpenMetrics protobuf encoder.
#[allow(deprecated)]
pub fn openmetrics_protobuf() -> Encoded {
    let registry = registry();
    let mut buf = Vec::new();
    let set = openmetrics_protobuf::encode(&registry).expect("encodes");
    set.encode(&mut buf).expect("vec grows");
    let bytes = buf.len();
    Encoded {
        case: Case::new(NAME, move |n| {
            harness::repeat(
                &mut || {
                    buf.clear();
                    let set = openmetrics_protobuf::encode(&registry).expect("encodes");
                    set.encode(&mut buf).expect("vec grows");
                    black_box(&buf);
                },
                n,
            )
        }),
        bytes,
    }
}

pub fn w9(labels: &[(String, String)]) -> HeapUse {
    alloc::start();
    let mut registry = Registry::default();
    let fam = Family::<RouteLabels, Counter>::default();
    registry.register("w9_requests", "Requests", fam.clone());
    for (m, p) in labels {
        fam.get_or_create(&RouteLabels {
            method: m.clone(),
            path: p.clone(),
        })
        .inc();
    }
    let used = alloc::stop();
    drop(registry);
    used
}
