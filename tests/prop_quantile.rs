//! Properties of the quantile sketch: accuracy against exact quantiles of sorted data,
//! special values, window rotation on a manual clock, concurrency, memory and configuration.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use beamline::quantile::{Clock, ManualClock, Sketch, SketchConfig, SketchError};
use proptest::prelude::*;

const RANKS: [f64; 4] = [0.5, 0.9, 0.99, 0.999];

/// The value of rank `max(1, ceil(q * n))` among `sorted` (ascending, no NaN), as the sketch
/// defines it.
fn exact(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len() as u64;
    let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
    sorted[(rank - 1) as usize]
}

/// Whether `estimate` is within the relative bound of `truth`; zero, subnormals and
/// infinities are reported exactly (subnormals as zero).
fn within(estimate: f64, truth: f64, alpha: f64) -> bool {
    if truth.is_infinite() {
        return estimate == truth;
    }
    if truth.abs() < f64::MIN_POSITIVE {
        return estimate == 0.0;
    }
    (estimate - truth).abs() <= alpha * truth.abs()
}

fn sketch_with(config: SketchConfig) -> (Sketch, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    (Sketch::new(config, clock.clone()), clock)
}

fn sorted_without_nan(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted
}

/// Checks every quantile in `qs` of a sketch fed `values` against the sorted data.
fn check_accuracy(values: &[f64], alpha: f64, qs: &[f64]) -> Result<(), TestCaseError> {
    let config = SketchConfig::new(&[])
        .unwrap()
        .with_relative_error(alpha)
        .unwrap();
    let (sketch, _clock) = sketch_with(config);
    for &value in values {
        sketch.observe(value);
    }
    let sorted = sorted_without_nan(values);
    let snapshot = sketch.snapshot();
    prop_assert_eq!(snapshot.count(), sorted.len() as u64);
    for &q in qs {
        let truth = exact(&sorted, q);
        let estimate = snapshot.quantile(q);
        prop_assert!(
            within(estimate, truth, alpha),
            "q {} of {} values: estimate {} for true {} (alpha {})",
            q,
            sorted.len(),
            estimate,
            truth,
            alpha
        );
    }
    Ok(())
}

/// Uniform draws in `(0, 1]`, the raw material of the distributions below.
fn unit(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(f64::EPSILON..=1.0, 1..max_len)
}

fn uniform() -> impl Strategy<Value = Vec<f64>> {
    (0.0..1e3f64, 1e-3..1e6f64, unit(2000))
        .prop_map(|(low, width, us)| us.into_iter().map(|u| low + u * width).collect())
}

fn log_normal() -> impl Strategy<Value = Vec<f64>> {
    (-12.0..6.0f64, 0.1..3.0f64, unit(2000), unit(2000)).prop_map(|(mu, sigma, u1, u2)| {
        u1.iter()
            .zip(u2.iter().cycle())
            .map(|(a, b)| {
                let normal = (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos();
                (mu + sigma * normal).exp()
            })
            .collect()
    })
}

fn pareto() -> impl Strategy<Value = Vec<f64>> {
    (1e-6..1e3f64, 0.3..3.0f64, unit(2000)).prop_map(|(scale, shape, us)| {
        us.into_iter()
            .map(|u| scale / u.powf(1.0 / shape))
            .collect()
    })
}

fn constant() -> impl Strategy<Value = Vec<f64>> {
    (-1e9..1e9f64, 1..500usize).prop_map(|(value, n)| vec![value; n])
}

fn duplicates() -> impl Strategy<Value = Vec<f64>> {
    (
        prop::collection::vec(1e-9..1e9f64, 1..6),
        prop::collection::vec(any::<prop::sample::Index>(), 1..2000),
    )
        .prop_map(|(distinct, picks)| picks.iter().map(|i| *i.get(&distinct)).collect())
}

/// Any of the shapes above, with some values negated and some replaced by zero.
fn data() -> impl Strategy<Value = Vec<f64>> {
    let shapes = prop_oneof![uniform(), log_normal(), pareto(), constant(), duplicates()];
    (shapes, any::<u64>(), 0..3u8).prop_map(|(values, seed, mix)| {
        let mut state = seed;
        values
            .into_iter()
            .map(|v| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                match (mix, state >> 60) {
                    (1, 0..=5) => -v,
                    (2, 0) => 0.0,
                    (2, 1..=7) => -v,
                    _ => v,
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn default_bound_holds_at_reported_ranks(values in data()) {
        check_accuracy(&values, 0.01, &RANKS)?;
    }

    #[test]
    fn bound_holds_for_other_errors_and_any_rank(
        values in data(),
        alpha in prop::sample::select(vec![0.001, 0.004, 0.02, 0.05, 0.2, 0.45]),
        qs in prop::collection::vec(0.0..=1.0f64, 1..8),
    ) {
        check_accuracy(&values, alpha, &qs)?;
    }

    #[test]
    fn configured_quantiles_match_the_snapshot(values in data()) {
        let (sketch, _clock) = sketch_with(SketchConfig::new(&RANKS).unwrap());
        for &value in &values {
            sketch.observe(value);
        }
        let mut out = Vec::new();
        sketch.quantiles(&mut out);
        let snapshot = sketch.snapshot();
        let expected: Vec<(f64, f64)> = RANKS.iter().map(|&q| (q, snapshot.quantile(q))).collect();
        prop_assert_eq!(out, expected);
    }
}

#[test]
fn special_values_have_fixed_places() {
    let (sketch, _clock) = sketch_with(SketchConfig::new(&[]).unwrap());
    for value in [
        f64::NAN,
        -f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        f64::MIN_POSITIVE / 4.0,
        -5e-324,
        -2.0,
        3.0,
        f64::MAX,
        f64::MIN,
    ] {
        sketch.observe(value);
    }
    let snapshot = sketch.snapshot();
    // NaN is ignored; the rest in order: -inf, MIN, -2, four zeros, 3, MAX, +inf.
    assert_eq!(snapshot.count(), 10);
    let at = |rank: u64| snapshot.quantile(rank as f64 / 10.0);
    assert_eq!(at(1), f64::NEG_INFINITY);
    assert!(within(at(2), f64::MIN, 0.01) && at(2).is_finite());
    assert!(within(at(3), -2.0, 0.01));
    for rank in 4..=7 {
        assert_eq!(at(rank), 0.0);
    }
    assert!(within(at(8), 3.0, 0.01));
    assert!(within(at(9), f64::MAX, 0.01) && at(9).is_finite());
    assert_eq!(at(10), f64::INFINITY);
}

#[test]
fn only_nan_leaves_the_window_empty() {
    let (sketch, _clock) = sketch_with(SketchConfig::new(&[0.5]).unwrap());
    sketch.observe(f64::NAN);
    let mut out = Vec::new();
    sketch.quantiles(&mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, 0.5);
    assert!(out[0].1.is_nan());
    assert_eq!(sketch.snapshot().count(), 0);
}

fn ten_second_window() -> SketchConfig {
    // Five age buckets of 2 s.
    SketchConfig::new(&[0.5])
        .unwrap()
        .with_max_age(Duration::from_secs(10))
        .unwrap()
}

#[test]
fn observation_lives_until_max_age_from_the_start_of_its_bucket() {
    let (sketch, clock) = sketch_with(ten_second_window());
    sketch.observe(4.0);
    clock.set(Duration::from_millis(1999));
    sketch.observe(5.0);
    clock.set(Duration::from_millis(9999));
    assert_eq!(sketch.snapshot().count(), 2);
    // At 10 s the bucket [0, 2 s) leaves the window: the second observation was 8.001 s old.
    clock.set(Duration::from_secs(10));
    assert_eq!(sketch.snapshot().count(), 0);
    assert!(sketch.snapshot().quantile(0.5).is_nan());
}

#[test]
fn rotation_keeps_younger_buckets() {
    let (sketch, clock) = sketch_with(ten_second_window());
    for second in 0..20u32 {
        clock.set(Duration::from_secs(u64::from(second)));
        sketch.observe(f64::from(second + 1));
    }
    // At 19 s the window holds buckets [10 s, 12 s) to [18 s, 20 s): values 11 to 20.
    let snapshot = sketch.snapshot();
    assert_eq!(snapshot.count(), 10);
    assert!(within(snapshot.quantile(0.0), 11.0, 0.01));
    assert!(within(snapshot.quantile(1.0), 20.0, 0.01));
}

#[test]
fn long_idle_periods_expire_everything_and_the_sketch_restarts() {
    let (sketch, clock) = sketch_with(ten_second_window());
    sketch.observe(1.0);
    clock.set(Duration::from_secs(86_400 * 365 * 50));
    assert_eq!(sketch.snapshot().count(), 0);
    sketch.observe(2.0);
    let snapshot = sketch.snapshot();
    assert_eq!(snapshot.count(), 1);
    assert!(within(snapshot.quantile(0.5), 2.0, 0.01));
}

#[test]
fn clock_stepping_back_drops_observations_until_it_catches_up() {
    let (sketch, clock) = sketch_with(ten_second_window());
    clock.set(Duration::from_secs(30));
    sketch.observe(1.0);
    clock.set(Duration::from_secs(5));
    sketch.observe(2.0);
    clock.set(Duration::from_secs(31));
    let snapshot = sketch.snapshot();
    assert_eq!(snapshot.count(), 1);
    assert!(within(snapshot.quantile(0.5), 1.0, 0.01));
}

/// Cells untouched while their age bucket cycles through many generations must neither
/// look newer than the bucket (dropping new observations) half a tag cycle later, nor
/// resurrect their ancient count a full tag cycle later. Four million rotations take about
/// a second in release builds and over a minute in debug ones:
/// `cargo test --release --test prop_quantile -- --ignored`.
#[test]
#[ignore = "slow in debug builds; run with --release"]
fn counts_survive_the_generation_tag_wrapping() {
    let config = SketchConfig::new(&[])
        .unwrap()
        .with_age_buckets(1)
        .unwrap()
        .with_max_age(Duration::from_millis(1))
        .unwrap();
    let (sketch, clock) = sketch_with(config);
    sketch.observe(1000.0);
    sketch.observe(2000.0);
    // One age bucket: every millisecond moves it to a new generation. Tags have 22 bits.
    let cycle = 1u32 << 22;
    for rotation in 1..=cycle + 2 {
        clock.advance(Duration::from_millis(1));
        sketch.observe(1.0);
        if rotation == cycle / 2 + 1 {
            sketch.observe(2000.0);
            let snapshot = sketch.snapshot();
            assert_eq!(snapshot.count(), 2, "rotation {rotation}");
            assert!(within(snapshot.quantile(1.0), 2000.0, 0.01));
        } else if rotation >= cycle - 1 {
            let snapshot = sketch.snapshot();
            assert_eq!(snapshot.count(), 1, "rotation {rotation}");
            assert!(within(snapshot.quantile(1.0), 1.0, 0.01));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Random schedules of observations and clock steps: after each step the window holds
    /// exactly the observations whose age bucket is one of the last `age_buckets`.
    #[test]
    fn window_holds_exactly_the_recent_age_buckets(
        age_buckets in 1..6usize,
        steps in prop::collection::vec((0..2500u64, prop::collection::vec(-1e3..1e3f64, 0..20)), 1..40),
    ) {
        let bucket_ms = 1000u64;
        let config = SketchConfig::new(&[])
            .unwrap()
            .with_age_buckets(age_buckets)
            .unwrap()
            .with_max_age(Duration::from_millis(bucket_ms * age_buckets as u64))
            .unwrap();
        let (sketch, clock) = sketch_with(config);
        let mut seen: Vec<(u64, f64)> = Vec::new();
        let mut now = 0u64;
        for (advance, values) in steps {
            now += advance;
            clock.set(Duration::from_millis(now));
            for value in values {
                sketch.observe(value);
                seen.push((now / bucket_ms, value));
            }
            let epoch = now / bucket_ms;
            let live: Vec<f64> = seen
                .iter()
                .filter(|(e, _)| epoch - e < age_buckets as u64)
                .map(|&(_, v)| v)
                .collect();
            let sorted = sorted_without_nan(&live);
            let snapshot = sketch.snapshot();
            prop_assert_eq!(snapshot.count(), sorted.len() as u64);
            for q in [0.0, 0.5, 0.9, 1.0] {
                if sorted.is_empty() {
                    prop_assert!(snapshot.quantile(q).is_nan());
                } else {
                    prop_assert!(within(snapshot.quantile(q), exact(&sorted, q), 0.01));
                }
            }
        }
    }
}

/// Checks one read taken while other threads observe: monotone in `q` and inside the
/// range of values that can be observed, widened by the bound.
fn assert_sane(out: &[(f64, f64)], low: f64, high: f64, alpha: f64) {
    for pair in out.windows(2) {
        assert!(pair[0].1 <= pair[1].1, "not monotone: {out:?}");
    }
    for &(_, value) in out {
        assert!(
            value >= low - alpha * low.abs() && value <= high + alpha * high.abs(),
            "{value} outside [{low}, {high}]: {out:?}"
        );
    }
}

const QS: [f64; 7] = [0.001, 0.1, 0.25, 0.5, 0.9, 0.99, 0.999];

fn thread_values(thread: u64, n: u64) -> impl Iterator<Item = f64> {
    // 64 distinct values over 1e-6 to 1e3 and both signs, shared by all threads so that
    // they keep hitting the same counters, visited in a different order by each thread.
    (0..n).map(move |i| {
        let x = (i * 29 + thread * 13) % 64;
        let value = 1e-6 * 10f64.powf(x as f64 * 9.0 / 64.0);
        if x.is_multiple_of(5) {
            -value
        } else {
            value
        }
    })
}

#[test]
fn concurrent_observers_and_reader_see_sane_quantiles() {
    let (sketch, _clock) = sketch_with(SketchConfig::new(&QS).unwrap());
    let per_thread = 100_000u64;
    let done = AtomicBool::new(false);
    let reads = thread::scope(|scope| {
        let observers: Vec<_> = (0..2)
            .map(|t| {
                let sketch = &sketch;
                scope.spawn(move || thread_values(t, per_thread).for_each(|v| sketch.observe(v)))
            })
            .collect();
        let reader = scope.spawn(|| {
            let mut out = Vec::new();
            let mut reads = 0u64;
            while !done.load(Ordering::Relaxed) || reads == 0 {
                sketch.quantiles(&mut out);
                if out[0].1.is_nan() {
                    assert!(out.iter().all(|(_, v)| v.is_nan()));
                } else {
                    assert_sane(&out, -1e3, 1e3, 0.01);
                }
                reads += 1;
            }
            reads
        });
        for observer in observers {
            observer.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        reader.join().unwrap()
    });
    assert!(reads > 0);

    let mut all: Vec<f64> = (0..2).flat_map(|t| thread_values(t, per_thread)).collect();
    all.sort_by(f64::total_cmp);
    let snapshot = sketch.snapshot();
    assert_eq!(snapshot.count(), 2 * per_thread);
    for q in QS {
        assert!(within(snapshot.quantile(q), exact(&all, q), 0.01));
    }
}

/// Observers run while another thread moves the clock through dozens of 1 ms age buckets.
/// Each observation's clock reading lies between the clock values read just before and
/// just after `observe`; once everything has stopped, the window must count every
/// observation surely inside it, none surely outside it, and nothing twice.
#[test]
fn rotation_racing_with_observers_neither_loses_nor_double_counts() {
    let age_buckets = 3u64;
    let config = SketchConfig::new(&QS)
        .unwrap()
        .with_age_buckets(age_buckets as usize)
        .unwrap()
        .with_max_age(Duration::from_millis(age_buckets))
        .unwrap();
    let (sketch, clock) = sketch_with(config);
    let bucket = Duration::from_millis(1).as_nanos() as u64;
    let epoch = |d: Duration| d.as_nanos() as u64 / bucket;
    let last_epoch = 40;
    // The clock moves by a quarter bucket every `STEP` observations, so the test's length
    // does not depend on how the two cores are shared.
    const STEP: u64 = 500;
    let observed = AtomicU64::new(0);

    let records: Vec<(u64, u64)> = thread::scope(|scope| {
        let observers: Vec<_> = (0..2)
            .map(|t| {
                let (sketch, clock, observed) = (&sketch, &clock, &observed);
                scope.spawn(move || {
                    let mut records = Vec::new();
                    for value in thread_values(t, u64::MAX) {
                        let before = epoch(clock.now());
                        if before >= last_epoch {
                            break;
                        }
                        sketch.observe(value);
                        records.push((before, epoch(clock.now())));
                        observed.fetch_add(1, Ordering::Relaxed);
                    }
                    records
                })
            })
            .collect();
        scope.spawn(|| {
            let mut out = Vec::new();
            let mut next = STEP;
            while epoch(clock.now()) < last_epoch {
                let so_far = observed.load(Ordering::Relaxed);
                if so_far < next {
                    thread::yield_now();
                    continue;
                }
                clock.advance(Duration::from_micros(250));
                next = so_far + STEP;
                sketch.quantiles(&mut out);
                if !out[0].1.is_nan() {
                    assert_sane(&out, -1e3, 1e3, 0.01);
                }
            }
        });
        observers
            .into_iter()
            .flat_map(|o| o.join().unwrap())
            .collect()
    });

    // Observations must have raced with rotation for the check to mean something.
    let straddling = records.iter().filter(|(b, a)| a > b).count();
    assert!(records.len() > 1000, "only {} observations", records.len());
    // Check at the final time and a few later ones, nothing running any more.
    for _ in 0..4 {
        let now = epoch(clock.now());
        let oldest = (now + 1).saturating_sub(age_buckets);
        let surely_in = records
            .iter()
            .filter(|(before, _)| *before >= oldest)
            .count();
        let maybe_in = records.iter().filter(|(_, after)| *after >= oldest).count();
        let count = sketch.snapshot().count() as usize;
        assert!(
            surely_in <= count && count <= maybe_in,
            "count {count} outside {surely_in}..={maybe_in} ({straddling} straddling)"
        );
        clock.advance(Duration::from_micros(700));
    }
}

#[test]
fn memory_for_one_microsecond_to_ten_seconds_is_bounded() {
    let (sketch, _clock) = sketch_with(SketchConfig::new(&RANKS).unwrap());
    let empty = sketch.memory_bytes();
    // Log-uniform over 1e-6 to 10 s, endpoints included.
    let values = (0..=100_000).map(|i| 1e-6 * 10f64.powf(7.0 * f64::from(i) / 100_000.0));
    for value in values.clone() {
        sketch.observe(value);
    }
    let full = sketch.memory_bytes();
    // The module documentation states 39,576 bytes and 5,016 empty on x86-64; the bounds
    // leave room for other layouts of std types. Counters alone are 24 octaves * 1,440.
    assert!(full <= 40 * 1024, "{full} bytes");
    assert!(empty <= 6 * 1024, "an empty sketch takes {empty} bytes");
    assert!(full - empty >= 24 * 1440 && full - empty <= 24 * 1440 + 2048);

    // More observations in the same range allocate nothing.
    for _ in 0..3 {
        for value in values.clone() {
            sketch.observe(value);
        }
    }
    assert_eq!(sketch.memory_bytes(), full);

    // A wider range costs one chunk of 36 buckets * 5 age buckets * 8 bytes per octave.
    sketch.observe(40.0);
    assert_eq!(sketch.memory_bytes(), full + 1440);
    sketch.observe(-1.0);
    assert!(sketch.memory_bytes() > full + 1440);
}

#[test]
fn invalid_configurations_name_the_bad_value() {
    let base = || SketchConfig::new(&[0.5]).unwrap();
    let cases: Vec<(Result<SketchConfig, SketchError>, SketchError, &str)> = vec![
        (
            SketchConfig::new(&[0.0]),
            SketchError::QuantileOutOfRange { quantile: 0.0 },
            "quantile 0 is not strictly between 0 and 1",
        ),
        (
            SketchConfig::new(&[0.5, -0.1]),
            SketchError::QuantileOutOfRange { quantile: -0.1 },
            "quantile -0.1 is not strictly between 0 and 1",
        ),
        (
            SketchConfig::new(&[f64::INFINITY]),
            SketchError::QuantileOutOfRange {
                quantile: f64::INFINITY,
            },
            "quantile inf is not strictly between 0 and 1",
        ),
        (
            SketchConfig::new(&[0.9, 0.1, 0.9]),
            SketchError::DuplicateQuantile { quantile: 0.9 },
            "quantile 0.9 is listed more than once",
        ),
        (
            base().with_age_buckets(65),
            SketchError::AgeBucketsOutOfRange { age_buckets: 65 },
            "age bucket count 65 is outside 1..=64",
        ),
        (
            base().with_max_age(Duration::ZERO),
            SketchError::AgeBucketTooShort {
                max_age: Duration::ZERO,
                age_buckets: 5,
            },
            "max age 0ns split into 5 age buckets gives buckets shorter than 1ms",
        ),
        (
            base()
                .with_max_age(Duration::from_millis(10))
                .unwrap()
                .with_age_buckets(11),
            SketchError::AgeBucketTooShort {
                max_age: Duration::from_millis(10),
                age_buckets: 11,
            },
            "max age 10ms split into 11 age buckets gives buckets shorter than 1ms",
        ),
        (
            base().with_relative_error(0.0),
            SketchError::RelativeErrorOutOfRange {
                relative_error: 0.0,
            },
            "relative error 0 is outside 0.001..0.5",
        ),
        (
            base().with_relative_error(0.0009),
            SketchError::RelativeErrorOutOfRange {
                relative_error: 0.0009,
            },
            "relative error 0.0009 is outside 0.001..0.5",
        ),
        (
            base().with_relative_error(0.5),
            SketchError::RelativeErrorOutOfRange {
                relative_error: 0.5,
            },
            "relative error 0.5 is outside 0.001..0.5",
        ),
    ];
    for (result, expected, message) in cases {
        let err = result.unwrap_err();
        assert_eq!(err, expected);
        assert_eq!(err.to_string(), message);
    }

    let nan = SketchConfig::new(&[f64::NAN]).unwrap_err();
    assert!(matches!(nan, SketchError::QuantileOutOfRange { quantile } if quantile.is_nan()));
    let nan = base().with_relative_error(f64::NAN).unwrap_err();
    assert!(matches!(
        nan,
        SketchError::RelativeErrorOutOfRange { relative_error } if relative_error.is_nan()
    ));
}

#[test]
fn sketch_and_clocks_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Sketch>();
    shared::<SketchConfig>();
    shared::<ManualClock>();
    shared::<beamline::quantile::SystemClock>();
    shared::<beamline::quantile::SketchSnapshot>();
}

#[test]
fn boundary_configurations_are_accepted() {
    let config = SketchConfig::new(&[f64::EPSILON, 1.0 - f64::EPSILON])
        .unwrap()
        .with_age_buckets(64)
        .unwrap()
        .with_max_age(Duration::from_millis(64))
        .unwrap()
        .with_relative_error(0.001)
        .unwrap()
        .with_relative_error(0.499)
        .unwrap();
    assert_eq!(config.quantiles(), &[f64::EPSILON, 1.0 - f64::EPSILON]);
    assert_eq!(config.age_buckets(), 64);
    assert!(SketchConfig::new(&[]).unwrap().quantiles().is_empty());
}
