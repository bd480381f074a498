//! measured, used the way its documentation shows: label groups whose
//! string values are looked up in a `lasso` interner, `CounterVec::inc`,
//! metric groups collected into a `BufferedTextEncoder` (Prometheus text;
//! measured has no OpenMetrics or protobuf output and no summaries).
//!
//! Where the values are known up front (workloads 2-4 and 7) the label
//! sets are `fixed_with = RodeoReader`, measured's fastest choice for
//! strings; such a family cannot take a value outside its set, which every
//! other library here can. Workload 9 creates values at run time, so it
//! uses `dynamic_with = ThreadedRodeo`.

use std::hint::black_box;

use measured::lasso::{Rodeo, RodeoReader, ThreadedRodeo};
use measured::metric::histogram::Thresholds;
use measured::text::BufferedTextEncoder;
use measured::{Counter, CounterVec, Gauge, Histogram, HistogramVec, LabelGroup, MetricGroup};

use crate::alloc::{self, HeapUse};
use crate::data::{self, LABELS};
use crate::harness::{self, Case};
use crate::Encoded;

const NAME: &str = "measured";

#[derive(LabelGroup, Clone, Copy)]
#[label(set = RequestSet)]
struct Request<'a> {
    #[label(fixed_with = RodeoReader)]
    method: &'a str,
    #[label(fixed_with = RodeoReader)]
    status: &'a str,
}

#[derive(LabelGroup, Clone, Copy)]
#[label(set = RouteSet)]
struct Route<'a> {
    #[label(fixed_with = RodeoReader)]
    method: &'a str,
    #[label(fixed_with = RodeoReader)]
    path: &'a str,
}

#[derive(LabelGroup, Clone, Copy)]
#[label(set = PathSet)]
struct PathLabel<'a> {
    #[label(fixed_with = RodeoReader)]
    path: &'a str,
}

#[derive(LabelGroup, Clone, Copy)]
#[label(set = DynRouteSet)]
struct DynRoute<'a> {
    #[label(dynamic_with = ThreadedRodeo, default)]
    method: &'a str,
    #[label(dynamic_with = ThreadedRodeo, default)]
    path: &'a str,
}

fn reader<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> RodeoReader {
    let mut rodeo = Rodeo::new();
    for v in values {
        rodeo.get_or_intern(v.as_ref());
    }
    rodeo.into_reader()
}

pub fn w1() -> Case {
    let c = Counter::new();
    Case::new(NAME, move |n| {
        let start = harness::Stopwatch::start();
        for _ in 0..n {
            black_box(&c).inc();
        }
        start.elapsed()
    })
}

fn requests() -> CounterVec<RequestSet> {
    CounterVec::with_label_set(RequestSet::new(
        reader(data::METHODS),
        reader(data::STATUSES),
    ))
}

pub fn w2_w3_w4() -> [Case; 3] {
    let vec = std::sync::Arc::new(requests());
    for (method, status) in LABELS {
        vec.inc_by(Request { method, status }, 0);
    }
    let op = {
        let vec = vec.clone();
        move |k: usize| {
            let (method, status) = LABELS[k];
            vec.inc(Request { method, status });
        }
    };
    let rt = data::runtime_labels();
    let borrowed = {
        let vec = vec.clone();
        move |k: usize| {
            let (m, s) = &rt[k];
            vec.inc(Request {
                method: m,
                status: s,
            });
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
    let h = Histogram::<11>::with_metadata(Thresholds::with_buckets(data::BUCKETS));
    let values = data::values();
    Case::new(NAME, move |n| {
        let start = harness::Stopwatch::start();
        for j in 0..n as usize {
            black_box(&h).observe(values[j & 255]);
        }
        start.elapsed()
    })
}

#[derive(MetricGroup)]
#[metric(new(methods: RodeoReader, paths: RodeoReader, hist_paths: RodeoReader))]
struct W7Metrics {
    /// Requests by method and path
    #[metric(label_set = RouteSet::new(methods, paths))]
    http_requests: CounterVec<RouteSet>,
    /// Request latency by path
    #[metric(
        label_set = PathSet::new(hist_paths),
        metadata = Thresholds::with_buckets(data::BUCKETS)
    )]
    request_duration_seconds: HistogramVec<PathSet, 11>,
    /// A gauge
    pool_size_0: Gauge,
    /// A gauge
    pool_size_1: Gauge,
    /// A gauge
    pool_size_2: Gauge,
    /// A gauge
    pool_size_3: Gauge,
    /// A gauge
    pool_size_4: Gauge,
    /// A gauge
    pool_size_5: Gauge,
    /// A gauge
    pool_size_6: Gauge,
    /// A gauge
    pool_size_7: Gauge,
    /// A gauge
    pool_size_8: Gauge,
    /// A gauge
    pool_size_9: Gauge,
}

fn group() -> W7Metrics {
    let paths: Vec<String> = (0..data::W7_PATHS).map(data::path).collect();
    let hist_paths: Vec<String> = (0..data::W7_HIST_SERIES).map(data::path).collect();
    let m = W7Metrics::new(reader(data::METHODS), reader(&paths), reader(&hist_paths));
    for (p, path) in paths.iter().enumerate() {
        for (mi, method) in data::METHODS.iter().enumerate() {
            m.http_requests
                .inc_by(Route { method, path }, data::counter_value(p * 4 + mi));
        }
    }
    let values = data::values();
    for (i, path) in hist_paths.iter().enumerate() {
        for k in 0..8 {
            m.request_duration_seconds
                .observe(PathLabel { path }, values[(i * 8 + k) & 255]);
        }
    }
    let gauges = [
        &m.pool_size_0,
        &m.pool_size_1,
        &m.pool_size_2,
        &m.pool_size_3,
        &m.pool_size_4,
        &m.pool_size_5,
        &m.pool_size_6,
        &m.pool_size_7,
        &m.pool_size_8,
        &m.pool_size_9,
    ];
    for (g, gauge) in gauges.into_iter().enumerate() {
        gauge.set(g as i64 * 1000 + 17);
    }
    m
}

pub fn prometheus_text() -> Encoded {
    let m = group();
    let mut enc = BufferedTextEncoder::new();
    m.collect_group_into(&mut enc).expect("infallible");
    let bytes = enc.finish().len();
    Encoded {
        case: Case::new(NAME, move |n| {
            harness::repeat(
                &mut || {
                    m.collect_group_into(&mut enc).expect("infallible");
                    black_box(enc.finish());
                },
                n,
            )
        }),
        bytes,
    }
}

pub fn w9(labels: &[(String, String)]) -> HeapUse {
    alloc::start();
    let vec = CounterVec::<DynRouteSet>::new();
    for (method, path) in labels {
        vec.inc(DynRoute { method, path });
    }
    let used = alloc::stop();
    drop(vec);
    used
}
