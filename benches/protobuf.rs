//! A full encode of the same registry in each format, protobuf beside text.
//!
//! `cargo bench --bench protobuf`. Throughput is in bytes of output, so
//! compare the times (and sizes, printed first) as ratios within one run.

use std::hint::black_box;

use beamline::{Buckets, Counter, Family, Format, Gauge, Histogram, Registry};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

/// The registry of the `core` bench's encode group: a 2-label counter
/// family of 1,000 series, a 1-label histogram family of 100 series with 11
/// buckets, and 10 gauges.
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
    let mut group = c.benchmark_group("encode_formats");
    for (name, format) in [
        ("openmetrics_text", Format::OpenMetricsText),
        ("prometheus_text", Format::PrometheusText),
        ("openmetrics_protobuf", Format::OpenMetricsProtobuf),
        ("prometheus_protobuf", Format::PrometheusProtobuf),
    ] {
        let size = registry.encode_to_vec(format).len();
        println!("{name}: {size} bytes");
        group.throughput(Throughput::Bytes(size as u64));
        let mut buf = Vec::with_capacity(size);
        group.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                registry
                    .encode_to_buf(format, &mut buf)
                    .expect("a vector grows");
                black_box(buf.len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
