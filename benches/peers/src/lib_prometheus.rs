//! prometheus (the TiKV crate), used the way its documentation shows:
//! `IntCounterVec::with_label_values`, `registry.gather()` then an encoder.

use std::hint::black_box;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    ProtobufEncoder, Registry, TextEncoder,
};

use crate::alloc::{self, HeapUse};
use crate::data::{self, LABELS};
use crate::harness::{self, Case};
use crate::Encoded;

const NAME: &str = "prometheus";

pub fn w1() -> Case {
    let registry = Registry::new();
    let c = IntCounter::new("w1_requests_total", "Requests").expect("valid");
    registry.register(Box::new(c.clone())).expect("registers");
    Case::new(NAME, move |n| {
        let start = harness::Stopwatch::start();
        for _ in 0..n {
            black_box(&c).inc();
        }
        black_box(&registry);
        start.elapsed()
    })
}

fn requests(registry: &Registry, name: &str, labels: &[&str]) -> IntCounterVec {
    let v = IntCounterVec::new(Opts::new(name, "Requests"), labels).expect("valid");
    registry.register(Box::new(v.clone())).expect("registers");
    v
}

pub fn w2_w3_w4() -> [Case; 3] {
    let registry = Registry::new();
    let fam = requests(&registry, "w2_requests_total", &["method", "status"]);
    for (m, s) in LABELS {
        fam.with_label_values(&[m, s]);
    }
    let op = {
        let fam = fam.clone();
        move |k: usize| {
            let (m, s) = LABELS[k];
            fam.with_label_values(&[m, s]).inc();
        }
    };
    let rt = data::runtime_labels();
    let borrowed = {
        let fam = fam.clone();
        move |k: usize| {
            let (m, s) = &rt[k];
            fam.with_label_values(&[m.as_str(), s.as_str()]).inc();
        }
    };
    let op2 = op.clone();
    [
        Case::new(NAME, move |n| harness::timed_loop(&op, n, 0)),
        Case::new(NAME, move |n| harness::timed_loop(&borrowed, n, 0)),
        Case::new(NAME, move |n| harness::two_threads(&op2, n)).on_two_threads(),
    ]
}

pub fn w5() -> Case {
    let registry = Registry::new();
    let h = Histogram::with_opts(
        HistogramOpts::new("w5_seconds", "Latency").buckets(data::BUCKETS.to_vec()),
    )
    .expect("valid");
    registry.register(Box::new(h.clone())).expect("registers");
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
    let registry = Registry::new();
    let fam = requests(&registry, "http_requests_total", &["method", "path"]);
    for p in 0..data::W7_PATHS {
        let path = data::path(p);
        for (mi, m) in data::METHODS.iter().enumerate() {
            fam.with_label_values(&[*m, path.as_str()])
                .inc_by(data::counter_value(p * 4 + mi));
        }
    }
    let hist = HistogramVec::new(
        HistogramOpts::new("request_duration_seconds", "Request latency by path")
            .buckets(data::BUCKETS.to_vec()),
        &["path"],
    )
    .expect("valid");
    registry
        .register(Box::new(hist.clone()))
        .expect("registers");
    let values = data::values();
    for i in 0..data::W7_HIST_SERIES {
        let h = hist.with_label_values(&[data::path(i)]);
        for k in 0..8 {
            h.observe(values[(i * 8 + k) & 255]);
        }
    }
    for g in 0..data::W7_GAUGES {
        let gauge = IntGauge::new(format!("pool_size_{g}"), "A gauge").expect("valid");
        gauge.set(g as i64 * 1000 + 17);
        registry.register(Box::new(gauge)).expect("registers");
    }
    registry
}

fn encoded<E: Encoder + 'static>(encoder: E) -> Encoded {
    let registry = registry();
    let mut buf = Vec::new();
    encoder
        .encode(&registry.gather(), &mut buf)
        .expect("encodes");
    let bytes = buf.len();
    Encoded {
        case: Case::new(NAME, move |n| {
            harness::repeat(
                &mut || {
                    buf.clear();
                    encoder
                        .encode(&registry.gather(), &mut buf)
                        .expect("encodes");
                    black_box(&buf);
                },
                n,
            )
        }),
        bytes,
    }
}

pub fn prometheus_text() -> Encoded {
    encoded(TextEncoder::new())
}

pub fn prometheus_protobuf() -> Encoded {
    encoded(ProtobufEncoder::new())
}

pub fn w9(labels: &[(String, String)]) -> HeapUse {
    alloc::start();
    let registry = Registry::new();
    let fam = requests(&registry, "w9_requests_total", &["method", "path"]);
    for (m, p) in labels {
        fam.with_label_values(&[m.as_str(), p.as_str()]).inc();
    }
    let used = alloc::stop();
    drop(registry);
    used
}
