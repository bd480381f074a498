//! Threads update while another scrapes: every scrape is valid and
//! consistent, and the final exposition shows the exact totals.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use beamline::{Buckets, Counter, Family, FloatGauge, Format, Histogram, Registry};

const THREADS: u64 = 2;
const ROUNDS: u64 = 20_000;

/// Lets the workers and the scraper start together: spawned last, the
/// scraper could otherwise find the workers done before its first scrape.
fn start_line() -> Arc<Barrier> {
    #[allow(clippy::cast_possible_truncation, reason = "a few threads")]
    Arc::new(Barrier::new(THREADS as usize + 1))
}

/// Reads `name{labels} value` lines of Prometheus text into a map.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_owned(), value.parse().ok()?))
        })
        .collect()
}

fn setup() -> (Registry, Counter, Family<Counter, 1>, FloatGauge, Histogram) {
    let r = Registry::new();
    let c = r.register("ops", "", Counter::new()).unwrap();
    let f = r
        .register("by_worker", "", Family::<Counter, 1>::new(["worker"]))
        .unwrap();
    let g = r.register("level", "", FloatGauge::new()).unwrap();
    let h = r
        .register(
            "lat",
            "",
            Histogram::new(Buckets::new([1.0, 2.0, 3.0]).unwrap()),
        )
        .unwrap();
    (r, c, f, g, h)
}

#[test]
fn scrapes_during_updates_are_consistent_and_totals_exact() {
    let (registry, ops, by_worker, level, lat) = setup();
    let done = Arc::new(AtomicBool::new(false));
    let start = start_line();
    let workers: Vec<_> = (0..THREADS)
        .map(|w| {
            let (ops, by_worker, level, lat) =
                (ops.clone(), by_worker.clone(), level.clone(), lat.clone());
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let name = format!("w{w}");
                start.wait();
                for i in 0..ROUNDS {
                    ops.inc();
                    by_worker.get([name.as_str()]).inc();
                    level.add(1.0);
                    #[allow(clippy::cast_precision_loss, reason = "small values")]
                    lat.observe((i % 4) as f64 + 0.5);
                }
            })
        })
        .collect();

    let scraper = {
        let registry = registry.clone();
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let mut scrapes = Vec::new();
            let mut last_buckets = [0.0f64; 4];
            start.wait();
            while !done.load(Ordering::Relaxed) {
                let text = String::from_utf8(registry.encode_to_vec(Format::PrometheusText))
                    .expect("utf-8");
                let s = samples(&text);
                let les = ["1.0", "2.0", "3.0", "+Inf"];
                let buckets: Vec<f64> = les
                    .iter()
                    .map(|le| s[&format!("lat_bucket{{le=\"{le}\"}}")])
                    .collect();
                assert_eq!(s["lat_count"], buckets[3], "_count equals the +Inf bucket");
                assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "cumulative");
                for (b, last) in buckets.iter().zip(&mut last_buckets) {
                    assert!(*b >= *last, "a bucket went down between scrapes");
                    *last = *b;
                }
                // Observations cycle 0.5, 1.5, 2.5, 3.5, so the sum is
                // determined by the per-bucket counts of the same snapshot.
                let per_bucket = [
                    buckets[0],
                    buckets[1] - buckets[0],
                    buckets[2] - buckets[1],
                    buckets[3] - buckets[2],
                ];
                let expected_sum: f64 = per_bucket
                    .iter()
                    .zip([0.5, 1.5, 2.5, 3.5])
                    .map(|(n, v)| n * v)
                    .sum();
                assert_eq!(s["lat_sum"], expected_sum, "sum of the same observations");
                scrapes.push(registry.encode_to_vec(Format::OpenMetricsText));
            }
            scrapes
        })
    };

    for w in workers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let scrapes = scraper.join().unwrap();
    assert!(!scrapes.is_empty());

    let s = samples(&String::from_utf8(registry.encode_to_vec(Format::PrometheusText)).unwrap());
    #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
    let total = (THREADS * ROUNDS) as f64;
    assert_eq!(s["ops_total"], total);
    assert_eq!(s["by_worker_total{worker=\"w0\"}"], total / 2.0);
    assert_eq!(s["by_worker_total{worker=\"w1\"}"], total / 2.0);
    assert_eq!(s["level"], total);
    assert_eq!(s["lat_count"], total);
    assert_eq!(s["lat_bucket{le=\"1.0\"}"], total / 4.0);
    assert_eq!(s["lat_sum"], total / 4.0 * (0.5 + 1.5 + 2.5 + 3.5));

    // Every scrape taken during the updates is valid OpenMetrics. A sample
    // keeps the oracle's cost bounded.
    if let Some(python) = common::python() {
        let step = (scrapes.len() / 20).max(1);
        for scrape in scrapes.iter().step_by(step) {
            let text = String::from_utf8(scrape.clone()).unwrap();
            common::parse_openmetrics(&python, &text).expect("valid OpenMetrics");
        }
    }
}

#[test]
fn racing_creation_makes_one_series() {
    let registry = Registry::new();
    let family = registry
        .register("race", "", Family::<Counter, 2>::new(["a", "b"]))
        .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let family = family.clone();
            thread::spawn(move || {
                for i in 0..1000 {
                    let v = (i % 10).to_string();
                    family.get([v.as_str(), "x"]).inc();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(family.len(), 10);
    for i in 0..10 {
        assert_eq!(family.get([i.to_string().as_str(), "x"]).get(), 400);
    }
}

#[test]
fn summaries_with_quantiles_stay_exact_and_consistent_under_scrapes() {
    use beamline::Summary;

    let registry = Registry::new();
    let summary = registry
        .register("s", "", Summary::with_quantiles(&[0.5, 0.9, 0.99]).unwrap())
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let start = start_line();
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let summary = summary.clone();
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                for i in 0..ROUNDS {
                    #[allow(clippy::cast_precision_loss, reason = "small values")]
                    summary.observe((i % 100 + 1) as f64);
                }
            })
        })
        .collect();
    let scraper = {
        let registry = registry.clone();
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let mut last_count = 0.0;
            let mut scrapes = 0;
            start.wait();
            while !done.load(Ordering::Relaxed) {
                let text =
                    String::from_utf8(registry.encode_to_vec(Format::PrometheusText)).unwrap();
                let s = samples(&text);
                let count = s["s_count"];
                assert!(count >= last_count, "_count went down");
                last_count = count;
                let q: Vec<f64> = ["0.5", "0.9", "0.99"]
                    .iter()
                    .map(|q| s[&format!("s{{quantile=\"{q}\"}}")])
                    .collect();
                if count > 0.0 {
                    assert!(
                        q.windows(2).all(|w| w[0] <= w[1]),
                        "quantiles ordered: {q:?}"
                    );
                    assert!(
                        q.iter().all(|v| (1.0 * 0.99..=100.0 * 1.01).contains(v)),
                        "{q:?}"
                    );
                }
                scrapes += 1;
            }
            scrapes
        })
    };
    for w in workers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    assert!(scraper.join().unwrap() > 0);
    #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
    let total = (THREADS * ROUNDS) as f64;
    assert_eq!(summary.count(), THREADS * ROUNDS);
    // Each thread observes 1..=100 round after round: ROUNDS is a multiple
    // of 100, so the sum is exact.
    assert_eq!(summary.sum(), total / 100.0 * 5050.0);
    let q50 = summary.quantiles()[0].1;
    assert!((q50 - 50.0).abs() <= 50.0 * 0.01, "{q50}");
}
