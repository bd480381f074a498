//! The update path and a full encode in every format, each beside its raw
//! baseline.
//!
//! `cargo bench --bench core`. Read the figures as ratios within one run.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use beamline::{Buckets, Counter, Family, Format, Gauge, Histogram, Registry};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn counter(c: &mut Criterion) {
    let mut group = c.benchmark_group("counter");
    let bare = AtomicU64::new(0);
    group.bench_function("bare_atomic_fetch_add", |b| {
        b.iter(|| black_box(&bare).fetch_add(1, Ordering::Relaxed));
    });
    let counter = Counter::new();
    group.bench_function("beamline_inc", |b| b.iter(|| black_box(&counter).inc()));
    group.finish();
}

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const CODES: [&str; 5] = ["200", "201", "404", "500", "503"];

fn family(c: &mut Criterion) {
    let mut group = c.benchmark_group("family_lookup_inc");
    let bare = AtomicU64::new(0);
    group.bench_function("bare_atomic_fetch_add", |b| {
        b.iter(|| black_box(&bare).fetch_add(1, Ordering::Relaxed));
    });
    let family: Family<Counter, 2> = Family::new(["method", "code"]);
    for m in METHODS {
        for code in CODES {
            family.get([m, code]).inc();
        }
    }
    // The label values go through `black_box` as one array. Passed one by
    // one, each `&str` is written to the stack as two 8-byte words and read
    // back as one 16-byte word, which the processor cannot forward from the
    // pending writes: a stall of the bench's own making, as long as the
    // lookup itself on some machines.
    group.bench_function("with_str", |b| {
        b.iter(|| family.with(black_box(["POST", "404"]), Counter::inc));
    });
    group.bench_function("get_str", |b| {
        b.iter(|| family.get(black_box(["POST", "404"])).inc());
    });
    // A service's families, each looked up in turn: the per-thread cache of
    // family tables keeps all of them.
    let families: Vec<_> = (0..100)
        .map(|_| {
            let family: Family<Counter, 2> = Family::new(["method", "code"]);
            family.get(["POST", "404"]).inc();
            family
        })
        .collect();
    let mut turn = 0;
    group.bench_function("with_str_100_families_in_turn", |b| {
        b.iter(|| {
            turn = (turn + 1) % families.len();
            let family = black_box(&families[turn]);
            family.with(black_box(["POST", "404"]), Counter::inc);
        });
    });
    group.finish();
}

/// The registry every encode bench uses: a 2-label counter family of 1,000
/// series, a 1-label histogram family of 100 series with 11 buckets, and 10
/// gauges.
fn bench_registry() -> Registry {
    let registry = Registry::new();
    let requests = registry
        .register(
            "http_requests",
            "Requests by method and path.",
            Family::<Counter, 2>::new(["method", "path"]),
        )
        .expect("valid");
    for i in 0..1000u64 {
        let path = format!("/api/v1/item/{i}");
        requests
            .get([METHODS[(i % 4) as usize], path.as_str()])
            .inc_by(i * 7);
    }
    let latency = registry
        .register(
            "http_request_duration_seconds",
            "Latency by route.",
            Family::<Histogram, 1>::with_template(["route"], Histogram::new(Buckets::default())),
        )
        .expect("valid");
    for i in 0..100u32 {
        let h = latency.get([format!("/route/{i}").as_str()]);
        for j in 0..20u32 {
            h.observe(f64::from(j) * 0.013 + f64::from(i) * 0.001);
        }
    }
    for i in 0..10 {
        registry
            .register(&format!("gauge_{i}"), "A gauge.", Gauge::new())
            .expect("valid")
            .set(i * 1000);
    }
    registry
}

fn encode(c: &mut Criterion) {
    let registry = bench_registry();
    let mut group = c.benchmark_group("encode");
    let formats = [
        ("openmetrics_text", Format::OpenMetricsText),
        ("prometheus_text", Format::PrometheusText),
        #[cfg(feature = "protobuf")]
        ("openmetrics_protobuf", Format::OpenMetricsProtobuf),
        #[cfg(feature = "protobuf")]
        ("prometheus_protobuf", Format::PrometheusProtobuf),
    ];
    for (name, format) in formats {
        let size = registry.encode_to_vec(format).len();
        println!("{name}: {size} bytes");
        group.throughput(Throughput::Bytes(size as u64));
        let mut buf = Vec::with_capacity(size);
        group.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                registry.encode_append(format, &mut buf);
                black_box(buf.len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, counter, family, encode);
criterion_main!(benches);
