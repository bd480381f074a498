//! metrics with metrics-exporter-prometheus, used the way their
//! documentation shows: the `counter!`/`histogram!` macros against an
//! installed recorder, `PrometheusHandle::render*` for scrapes.
//!
//! The exporter defers work to scrape time: a histogram observation is
//! pushed onto a queue of raw samples and sorted into buckets (or into a
//! quantile summary) only when the handle drains it (`run_upkeep`, or a
//! render). The observe figures here include that drain.

use std::hint::black_box;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::alloc::{self, HeapUse};
use crate::data::{self, LABELS};
use crate::harness::{self, Case};
use crate::Encoded;

const NAME: &str = "metrics";

/// The process-wide recorder the update workloads use, installed once.
fn global() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .expect("first recorder")
    })
}

pub fn w1() -> Case {
    global();
    let c = metrics::counter!("w1_requests");
    Case::new(NAME, move |n| {
        let start = harness::Stopwatch::start();
        for _ in 0..n {
            black_box(&c).increment(1);
        }
        start.elapsed()
    })
}

pub fn w2_w3_w4() -> [Case; 3] {
    global();
    for (m, s) in LABELS {
        metrics::counter!("w2_requests", "method" => m, "status" => s).absolute(0);
        metrics::counter!("w3_requests", "method" => m, "status" => s).absolute(0);
    }
    let op = |k: usize| {
        let (m, s) = LABELS[k];
        metrics::counter!("w2_requests", "method" => m, "status" => s).increment(1);
    };
    let rt = data::runtime_labels();
    let borrowed = move |k: usize| {
        let (m, s) = &rt[k];
        metrics::counter!("w3_requests", "method" => m.clone(), "status" => s.clone()).increment(1);
    };
    [
        Case::new(NAME, move |n| harness::timed_loop(&op, n, 0)),
        Case::new(NAME, move |n| harness::timed_loop(&borrowed, n, 0)),
        Case::new(NAME, move |n| harness::two_threads(&op, n)).on_two_threads(),
    ]
}

/// Times `n` observations followed by the drain that sorts the queued
/// samples into buckets or into the quantile summary: per-observation work
/// the exporter defers to its upkeep or to a scrape. The per-scrape cost of
/// computing quantiles is not included (it does not grow with the number
/// of observations).
fn observe_then_drain(builder: PrometheusBuilder, label: &str) -> Case {
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    let h = metrics::with_local_recorder(&recorder, || metrics::histogram!("latency_seconds"));
    let values = data::values();
    Case::new(label, move |n| {
        let start = harness::Stopwatch::start();
        for j in 0..n as usize {
            black_box(&h).record(values[j & 255]);
        }
        handle.run_upkeep();
        start.elapsed()
    })
}

/// Histogram with 11 buckets.
pub fn w5() -> Case {
    let builder = PrometheusBuilder::new()
        .set_buckets(&data::BUCKETS)
        .expect("valid buckets");
    observe_then_drain(builder, NAME)
}

/// The exporter's default for a histogram without buckets: a summary, here
/// with the same quantiles as beamline's.
pub fn w6() -> Case {
    let builder = PrometheusBuilder::new()
        .set_quantiles(&data::QUANTILES)
        .expect("valid quantiles");
    observe_then_drain(builder, NAME)
}

fn recorder() -> PrometheusRecorder {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("request_duration_seconds".into()),
            &data::BUCKETS,
        )
        .expect("valid buckets")
        .build_recorder();
    metrics::with_local_recorder(&recorder, || {
        metrics::describe_counter!("http_requests", "Requests by method and path");
        for p in 0..data::W7_PATHS {
            let path = data::path(p);
            for (mi, m) in data::METHODS.iter().enumerate() {
                metrics::counter!("http_requests", "method" => *m, "path" => path.clone())
                    .increment(data::counter_value(p * 4 + mi));
            }
        }
        metrics::describe_histogram!("request_duration_seconds", "Request latency by path");
        let values = data::values();
        for i in 0..data::W7_HIST_SERIES {
            let h = metrics::histogram!("request_duration_seconds", "path" => data::path(i));
            for k in 0..8 {
                h.record(values[(i * 8 + k) & 255]);
            }
        }
        for g in 0..data::W7_GAUGES {
            let name = format!("pool_size_{g}");
            metrics::describe_gauge!(name.clone(), "A gauge");
            metrics::gauge!(name).set(g as f64 * 1000.0 + 17.0);
        }
    });
    recorder
}

fn encoded(render: fn(&PrometheusHandle, &mut Vec<u8>)) -> Encoded {
    let recorder = recorder();
    let handle = recorder.handle();
    let mut buf = Vec::new();
    render(&handle, &mut buf);
    let bytes = buf.len();
    Encoded {
        case: Case::new(NAME, move |n| {
            harness::repeat(
                &mut || {
                    buf.clear();
                    render(&handle, &mut buf);
                    black_box(&buf);
                },
                n,
            )
        }),
        bytes,
    }
}

pub fn prometheus_text() -> Encoded {
    encoded(|h, buf| h.render_to_write(buf).expect("vec grows"))
}

pub fn prometheus_protobuf() -> Encoded {
    encoded(|h, buf| h.render_protobuf_to_write(buf).expect("vec grows"))
}

pub fn w9(labels: &[(String, String)]) -> HeapUse {
    alloc::start();
    let recorder = PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || {
        for (m, p) in labels {
            metrics::counter!("w9_requests", "method" => m.clone(), "path" => p.clone())
                .increment(1);
        }
    });
    let used = alloc::stop();
    drop(recorder);
    used
}
