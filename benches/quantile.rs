//! Cost of observing into the quantile sketch, beside a classic histogram observation and a
//! raw atomic increment, on one thread and on two threads at once.
//!
//! A summary's observation is the sketch plus a count increment and an `f64` sum update;
//! `summary/*` measures exactly that, to compare with `classic_histogram`.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use beamline::quantile::{Clock, ManualClock, Sketch, SketchConfig, SystemClock};
use criterion::{criterion_group, criterion_main, Bencher, Criterion, Throughput};

/// Adds `value` to the `f64` stored as bits in `cell`.
fn add_f64(cell: &AtomicU64, value: f64) {
    let mut current = cell.load(Relaxed);
    loop {
        let next = (f64::from_bits(current) + value).to_bits();
        match cell.compare_exchange_weak(current, next, Relaxed, Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

/// The reference: linear search over 11 bounds, two atomic adds and an `f64` CAS add.
struct ClassicHistogram {
    bounds: [f64; 11],
    buckets: [AtomicU64; 12],
    count: AtomicU64,
    sum: AtomicU64,
}

impl ClassicHistogram {
    fn new() -> ClassicHistogram {
        ClassicHistogram {
            bounds: [
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ],
            buckets: Default::default(),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: f64) {
        let index = self
            .bounds
            .iter()
            .position(|&bound| value <= bound)
            .unwrap_or(self.bounds.len());
        self.buckets[index].fetch_add(1, Relaxed);
        self.count.fetch_add(1, Relaxed);
        add_f64(&self.sum, value);
    }
}

/// What a summary's observation does: the sketch, a count and a sum.
struct SummaryLike {
    sketch: Sketch,
    count: AtomicU64,
    sum: AtomicU64,
}

impl SummaryLike {
    fn new(clock: Arc<dyn Clock>) -> SummaryLike {
        SummaryLike {
            sketch: sketch(clock),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: f64) {
        self.sketch.observe(value);
        self.count.fetch_add(1, Relaxed);
        add_f64(&self.sum, value);
    }
}

fn sketch(clock: Arc<dyn Clock>) -> Sketch {
    let config = SketchConfig::new(&[0.5, 0.9, 0.99]).expect("valid quantiles");
    Sketch::new(config, clock)
}

/// 1024 latencies spread log-uniformly over 100 µs to 10 s, in seconds.
fn values() -> Vec<f64> {
    (0..1024u32)
        .map(|i| {
            let scrambled = (i * 389) % 1024;
            1e-4 * 10f64.powf(5.0 * f64::from(scrambled) / 1024.0)
        })
        .collect()
}

/// Runs `observe` over `iters` values.
fn run(values: &[f64], iters: u64, observe: &impl Fn(f64)) {
    for i in 0..iters {
        observe(black_box(values[(i & 1023) as usize]));
    }
}

/// Times `iters` observations on each of two threads running at once.
fn two_threads(b: &mut Bencher<'_>, values: &[f64], observe: &(impl Fn(f64) + Sync)) {
    b.iter_custom(|iters| {
        let barrier = Barrier::new(2);
        thread::scope(|scope| {
            scope.spawn(|| {
                barrier.wait();
                run(values, iters, observe);
            });
            barrier.wait();
            let start = Instant::now();
            run(values, iters, observe);
            let mine = start.elapsed();
            // The other thread finishes at about the same time; the scope waits for it.
            mine
        })
    });
}

fn observe(c: &mut Criterion) {
    let values = values();
    let system: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let manual: Arc<dyn Clock> = Arc::new(ManualClock::new());

    let mut group = c.benchmark_group("observe");
    group.throughput(Throughput::Elements(1));

    let counter = AtomicU64::new(0);
    let raw = |_: f64| {
        counter.fetch_add(1, Relaxed);
    };
    group.bench_function("raw_fetch_add", |b| {
        b.iter_custom(|n| timed(&values, n, &raw))
    });

    let classic = ClassicHistogram::new();
    let classic = |v: f64| classic.observe(v);
    group.bench_function("classic_histogram", |b| {
        b.iter_custom(|n| timed(&values, n, &classic))
    });

    for (name, clock) in [("system_clock", &system), ("manual_clock", &manual)] {
        let reading = |_: f64| {
            black_box(clock.now());
        };
        group.bench_function(format!("clock_read/{name}"), |b| {
            b.iter_custom(|n| timed(&values, n, &reading))
        });

        let sketch = sketch(Arc::clone(clock));
        let sketch = |v: f64| sketch.observe(v);
        group.bench_function(format!("sketch/{name}"), |b| {
            b.iter_custom(|n| timed(&values, n, &sketch))
        });

        let summary = SummaryLike::new(Arc::clone(clock));
        let summary = |v: f64| summary.observe(v);
        group.bench_function(format!("summary/{name}"), |b| {
            b.iter_custom(|n| timed(&values, n, &summary))
        });
    }

    // The library's own types, side by side: the target is a summary with
    // quantiles at most 1.5x a classic histogram.
    let histogram = beamline::Histogram::new(beamline::Buckets::default());
    let histogram = |v: f64| histogram.observe(v);
    group.bench_function("beamline/histogram", |b| {
        b.iter_custom(|n| timed(&values, n, &histogram))
    });
    let summary = beamline::Summary::with_quantiles(&[0.5, 0.9, 0.99]).expect("valid");
    let summary = |v: f64| summary.observe(v);
    group.bench_function("beamline/summary_quantiles", |b| {
        b.iter_custom(|n| timed(&values, n, &summary))
    });
    let coarse = beamline::quantile::CoarseClock::new();
    let coarse = |_: f64| {
        black_box(coarse.now());
    };
    group.bench_function("clock_read/coarse_clock", |b| {
        b.iter_custom(|n| timed(&values, n, &coarse))
    });
    group.bench_function("two_threads/beamline/histogram", |b| {
        two_threads(b, &values, &histogram)
    });
    group.bench_function("two_threads/beamline/summary_quantiles", |b| {
        two_threads(b, &values, &summary)
    });

    group.bench_function("two_threads/classic_histogram", |b| {
        two_threads(b, &values, &classic)
    });
    for (name, clock) in [("system_clock", &system), ("manual_clock", &manual)] {
        let sketch = sketch(Arc::clone(clock));
        let sketch = |v: f64| sketch.observe(v);
        group.bench_function(format!("two_threads/sketch/{name}"), |b| {
            two_threads(b, &values, &sketch)
        });

        let summary = SummaryLike::new(Arc::clone(clock));
        let summary = |v: f64| summary.observe(v);
        group.bench_function(format!("two_threads/summary/{name}"), |b| {
            two_threads(b, &values, &summary)
        });
    }
    group.finish();
}

/// Times `iters` observations on this thread.
fn timed(values: &[f64], iters: u64, observe: &impl Fn(f64)) -> Duration {
    let start = Instant::now();
    run(values, iters, observe);
    start.elapsed()
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = observe
}
criterion_main!(benches);
