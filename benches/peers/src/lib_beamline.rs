//! beamline, used the way its documentation shows.

use std::hint::black_box;
use std::io;

use beamline::{Buckets, Counter, Family, Format, Gauge, Histogram, Registry, Summary};

use crate::alloc::{self, HeapUse};
use crate::data::{self, LABELS};
use crate::harness::{self, Case};
use crate::Encoded;

const NAME: &str = "beamline";

fn requests(registry: &Registry, name: &str) -> Family<Counter, 2> {
    registry
        .register(name, "Requests.", Family::new(["method", "status"]))
        .expect("valid family")
}

pub fn w1() -> Case {
    let registry = Registry::new();
    let c = registry
        .register("w1_requests", "Requests.", Counter::new())
        .expect("valid counter");
    Case::new(NAME, move |n| {
        let start = harness::Stopwatch::start();
        for _ in 0..n {
            black_box(&c).inc();
        }
        start.elapsed()
    })
}

/// Workloads 2 (`with`), 2 (`get`), 3 and 4.
pub fn w2_w3_w4() -> [Case; 4] {
    let registry = Registry::new();
    let fam = requests(&registry, "w2_requests");
    for (m, s) in LABELS {
        fam.get([m, s]);
    }
    let with = {
        let fam = fam.clone();
        move |k: usize| {
            let (m, s) = LABELS[k];
            fam.with([m, s], Counter::inc);
        }
    };
    let get = {
        let fam = fam.clone();
        move |k: usize| {
            let (m, s) = LABELS[k];
            fam.get([m, s]).inc();
        }
    };
    let rt = data::runtime_labels();
    let borrowed = {
        let fam = fam.clone();
        move |k: usize| {
            let (m, s) = &rt[k];
            fam.with([m.as_str(), s.as_str()], Counter::inc);
        }
    };
    let with2 = with.clone();
    [
        Case::new(NAME, move |n| harness::timed_loop(&with, n, 0)),
        Case::new("beamline get(..).inc()", move |n| {
            harness::timed_loop(&get, n, 0)
        }),
        Case::new(NAME, move |n| harness::timed_loop(&borrowed, n, 0)),
        Case::new(NAME, move |n| harness::two_threads(&with2, n)).on_two_threads(),
    ]
}

fn buckets() -> Buckets {
    Buckets::new(data::BUCKETS).expect("valid buckets")
}

pub fn w5() -> Case {
    let registry = Registry::new();
    let h = registry
        .register("w5_seconds", "Latency.", Histogram::new(buckets()))
        .expect("valid histogram");
    let values = data::values();
    Case::new(NAME, move |n| {
        let start = harness::Stopwatch::start();
        for j in 0..n as usize {
            black_box(&h).observe(values[j & 255]);
        }
        start.elapsed()
    })
}

/// Summary observe with quantiles. beamline does the sketch update in
/// `observe` and defers nothing that grows with the observations.
pub fn w6() -> Case {
    let registry = Registry::new();
    let s = registry
        .register(
            "w6_seconds",
            "Latency.",
            Summary::with_quantiles(&data::QUANTILES).expect("valid quantiles"),
        )
        .expect("valid summary");
    let values = data::values();
    Case::new(NAME, move |n| {
        let start = harness::Stopwatch::start();
        for j in 0..n as usize {
            black_box(&s).observe(values[j & 255]);
        }
        black_box(&registry);
        start.elapsed()
    })
}

/// Workload 7's registry.
pub fn registry() -> Registry {
    let registry = Registry::new();
    let fam: Family<Counter, 2> = registry
        .register(
            "http_requests",
            "Requests by method and path.",
            Family::new(["method", "path"]),
        )
        .expect("valid family");
    for p in 0..data::W7_PATHS {
        let path = data::path(p);
        for (mi, m) in data::METHODS.iter().enumerate() {
            fam.get([*m, path.as_str()])
                .inc_by(data::counter_value(p * 4 + mi));
        }
    }
    let hist: Family<Histogram, 1> = registry
        .register(
            "request_duration_seconds",
            "Request latency by path.",
            Family::with_template(["path"], Histogram::new(buckets())),
        )
        .expect("valid family");
    let values = data::values();
    for i in 0..data::W7_HIST_SERIES {
        let h = hist.get([data::path(i)]);
        for k in 0..8 {
            h.observe(values[(i * 8 + k) & 255]);
        }
    }
    for g in 0..data::W7_GAUGES {
        let gauge = registry
            .register(&format!("pool_size_{g}"), "A gauge.", Gauge::new())
            .expect("valid gauge");
        gauge.set(g as i64 * 1000 + 17);
    }
    registry
}

pub fn encode(format: Format) -> Encoded {
    let registry = registry();
    let mut buf = Vec::new();
    registry.encode_append(format, &mut buf);
    let bytes = buf.len();
    Encoded {
        case: Case::new(NAME, move |n| {
            harness::repeat(
                &mut || {
                    buf.clear();
                    registry.encode_append(format, &mut buf);
                    black_box(&buf);
                },
                n,
            )
        }),
        bytes,
    }
}

/// Creates one counter series per label pair and reports the heap it took.
pub fn w9(labels: &[(String, String)]) -> HeapUse {
    alloc::start();
    let registry = Registry::new();
    let fam = requests(&registry, "w9_requests");
    for (m, p) in labels {
        fam.with([m.as_str(), p.as_str()], Counter::inc);
    }
    let used = alloc::stop();
    assert_eq!(fam.len(), labels.len());
    drop(registry);
    used
}

/// Workload 10: a registry holding one counter family of `n` series.
pub fn w10_registry(labels: &[(String, String)]) -> Registry {
    let registry = Registry::new();
    let fam: Family<Counter, 2> = registry
        .register(
            "http_requests",
            "Requests by method and path.",
            Family::new(["method", "path"]),
        )
        .expect("valid family");
    for (i, (m, p)) in labels.iter().enumerate() {
        fam.get([m.as_str(), p.as_str()])
            .inc_by(data::counter_value(i));
    }
    registry
}

/// Streams the registry into a writer that drops the bytes.
pub fn w10_stream(registry: Registry) -> Case {
    Case::new(NAME, move |n| {
        harness::repeat(
            &mut || {
                registry
                    .encode(Format::OpenMetricsText, &mut io::sink())
                    .expect("sink never fails");
            },
            n,
        )
    })
}

/// Heap held at the peak of one streaming encode, and the exposition's size.
pub fn w10_peak(registry: &Registry) -> (isize, usize) {
    let mut counter = CountingSink(0);
    alloc::start();
    registry
        .encode(Format::OpenMetricsText, &mut counter)
        .expect("sink never fails");
    let used = alloc::stop();
    (used.peak, counter.0)
}

struct CountingSink(usize);

impl io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
