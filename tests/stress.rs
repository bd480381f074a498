//! Everything at once on every core for a bounded time: updates, series
//! created and removed, lookups past a cap, and scrapes. A watchdog fails
//! the run when a thread stops making progress (a deadlock); afterwards the
//! totals are exact, every scrape was valid and consistent, and clearing
//! the families gives the heap back (measured with dhat).
//!
//! `BEAMLINE_STRESS_SECS` sets the duration (10 s by default); run with
//! `--nocapture` to see the operation counts.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use beamline::parse::parse_openmetrics;
use beamline::{
    Buckets, Counter, Family, Format, Gauge, Histogram, Registry, OVERFLOW_LABEL_VALUE,
};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const KEYS: [&str; 16] = [
    "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12", "k13", "k14",
    "k15",
];
/// A thread that has not moved for this long is taken for deadlocked.
const STALL: Duration = Duration::from_secs(5);
const CAP: usize = 64;

#[derive(Clone)]
struct Metrics {
    registry: Registry,
    ops: Counter,
    hits: Family<Counter, 1>,
    latency: Family<Histogram, 1>,
    churn: Family<Gauge, 1>,
    capped: Family<Counter, 1>,
}

impl Metrics {
    fn new() -> Metrics {
        let registry = Registry::new();
        let ops = registry
            .register("ops", "Updates.", Counter::new())
            .unwrap();
        let hits = registry
            .register("hits", "Hits.", Family::new(["key"]))
            .unwrap();
        let buckets = Buckets::new([1.0, 2.0, 3.0]).unwrap();
        let latency = registry
            .register(
                "latency",
                "Latency.",
                Family::with_template(["key"], Histogram::new(buckets)),
            )
            .unwrap();
        let churn = registry
            .register("churn", "Short-lived series.", Family::new(["id"]))
            .unwrap();
        let capped = registry
            .register(
                "capped",
                "Unbounded keys.",
                Family::new(["id"]).with_max_series(CAP),
            )
            .unwrap();
        Metrics {
            registry,
            ops,
            hits,
            latency,
            churn,
            capped,
        }
    }

    fn scrape(&self) -> String {
        String::from_utf8(self.registry.encode_to_vec(Format::OpenMetricsText)).unwrap()
    }
}

/// What one updater did, to compare with the final exposition.
#[derive(Default)]
struct Tally {
    hits: [u64; KEYS.len()],
    observations: [u64; KEYS.len()],
    sums: [u64; KEYS.len()],
    capped: u64,
    ops: u64,
}

fn updater(m: &Metrics, seed: usize, stop: &AtomicBool, progress: &AtomicU64) -> Tally {
    let mut tally = Tally::default();
    let mut unique = String::new();
    let mut n = seed;
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..256 {
            let k = n % KEYS.len();
            m.hits.with([KEYS[k]], Counter::inc);
            let value = (n % 5) as u64;
            #[allow(clippy::cast_precision_loss, reason = "small integers")]
            m.latency.get([KEYS[k]]).observe(value as f64);
            m.ops.inc();
            tally.hits[k] += 1;
            tally.observations[k] += 1;
            tally.sums[k] += value;
            tally.ops += 1;
            if n.is_multiple_of(8) {
                unique.clear();
                write!(unique, "t{seed}-{n}").unwrap();
                m.capped.with([unique.as_str()], Counter::inc);
                tally.capped += 1;
            }
            n = n.wrapping_add(7919);
        }
        progress.fetch_add(1, Ordering::Relaxed);
    }
    tally
}

/// Creates, updates and removes short-lived series; clears now and then.
fn churner(m: &Metrics, stop: &AtomicBool, progress: &AtomicU64) -> (u64, u64, u64) {
    let (mut created, mut removed, mut clears) = (0u64, 0u64, 0u64);
    let mut name = String::new();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        name.clear();
        write!(name, "c{n}").unwrap();
        m.churn.get([name.as_str()]).set(i64::try_from(n).unwrap());
        created += 1;
        if n >= 50 {
            name.clear();
            write!(name, "c{}", n - 50).unwrap();
            removed += u64::from(m.churn.remove([name.as_str()]));
        }
        if n % 10_000 == 9_999 {
            m.churn.clear();
            clears += 1;
        }
        n += 1;
        progress.fetch_add(1, Ordering::Relaxed);
    }
    (created, removed, clears)
}

/// Scrapes until told to stop; checks each scrape; returns how many.
fn scraper(m: &Metrics, stop: &AtomicBool, progress: &AtomicU64) -> u64 {
    let mut scrapes = 0;
    let mut last_hits = [0.0; KEYS.len()];
    while !stop.load(Ordering::Relaxed) {
        let text = m.scrape();
        let exposition = parse_openmetrics(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        for (k, key) in KEYS.iter().enumerate() {
            let count = exposition.sample("latency_count", &[("key", key)]);
            let inf = exposition.sample("latency_bucket", &[("key", key), ("le", "+Inf")]);
            if let (Some(count), Some(inf)) = (count, inf) {
                assert_eq!(count.value, inf.value, "_count equals +Inf for {key}");
            }
            if let Some(hits) = exposition.sample("hits_total", &[("key", key)]) {
                assert!(hits.value >= last_hits[k], "a counter went back");
                last_hits[k] = hits.value;
            }
        }
        let capped = exposition.family("capped").unwrap();
        // Samples are `_total` and `_created`: at most CAP + 1 series.
        assert!(capped.samples.len() <= 2 * (CAP + 1));
        scrapes += 1;
        progress.fetch_add(1, Ordering::Relaxed);
    }
    scrapes
}

/// Ends the process when a thread has not moved for `STALL`: a deadlocked
/// thread can be neither joined nor unwound.
fn watchdog(names: Vec<&'static str>, progress: Vec<Arc<AtomicU64>>, stop: Arc<AtomicBool>) {
    let mut last: Vec<(u64, Instant)> = progress
        .iter()
        .map(|p| (p.load(Ordering::Relaxed), Instant::now()))
        .collect();
    while !stop.load(Ordering::Relaxed) {
        thread::sleep(Duration::from_millis(200));
        for ((name, p), (seen, at)) in names.iter().zip(&progress).zip(&mut last) {
            let now = p.load(Ordering::Relaxed);
            if now != *seen {
                (*seen, *at) = (now, Instant::now());
            } else if at.elapsed() > STALL && !stop.load(Ordering::Relaxed) {
                eprintln!("stress: thread {name} made no progress for {STALL:?}: deadlock");
                std::process::exit(101);
            }
        }
    }
}

/// Reads `name{key="k"}` values of the final exposition.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let exposition = parse_openmetrics(text).unwrap();
    exposition
        .sample(name, labels)
        .unwrap_or_else(|| panic!("no {name} {labels:?}"))
        .value
}

/// What one round did.
struct Round {
    tallies: Vec<Tally>,
    created: u64,
    removed: u64,
    clears: u64,
    scrapes: u64,
    cores: usize,
}

/// Runs every kind of thread against `m` for `duration`, under the
/// watchdog.
fn round(m: &Metrics, duration: Duration) -> Round {
    let cores = thread::available_parallelism().map_or(2, usize::from);
    let stop = Arc::new(AtomicBool::new(false));
    let mut names = Vec::new();
    let mut progress = Vec::new();
    let mut track = |name: &'static str| {
        let p = Arc::new(AtomicU64::new(0));
        names.push(name);
        progress.push(Arc::clone(&p));
        p
    };
    let updaters: Vec<_> = (0..cores)
        .map(|i| {
            let (m, stop, p) = (m.clone(), Arc::clone(&stop), track("updater"));
            thread::spawn(move || updater(&m, i * 1_000_003, &stop, &p))
        })
        .collect();
    let churn = {
        let (m, stop, p) = (m.clone(), Arc::clone(&stop), track("churner"));
        thread::spawn(move || churner(&m, &stop, &p))
    };
    let scrapes = {
        let (m, stop, p) = (m.clone(), Arc::clone(&stop), track("scraper"));
        thread::spawn(move || scraper(&m, &stop, &p))
    };
    let dog = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || watchdog(names, progress, stop))
    };
    thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let tallies = updaters.into_iter().map(|t| t.join().unwrap()).collect();
    let (created, removed, clears) = churn.join().unwrap();
    let scrapes = scrapes.join().unwrap();
    dog.join().unwrap();
    Round {
        tallies,
        created,
        removed,
        clears,
        scrapes,
        cores,
    }
}

fn clear_all(m: &Metrics) {
    m.hits.clear();
    m.latency.clear();
    m.churn.clear();
    m.capped.clear();
}

#[test]
fn everything_at_once_loses_nothing_and_gives_memory_back() {
    let _profiler = dhat::Profiler::builder()
        .testing()
        .trim_backtraces(Some(4))
        .build();
    let seconds: u64 = std::env::var("BEAMLINE_STRESS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let m = Metrics::new();
    // Short rounds first, until the heap after `clear` stops changing: the
    // process makes one-time allocations that it keeps for good (parking_lot's
    // table of parked threads, arc-swap's per-thread debt nodes, thread-local
    // buffers), and those are not the families' memory.
    let (mut warm_ops, mut baseline) = (0, None);
    // The most capped lookups of each updater in any round: every round
    // repeats the same label sets of each updater, from the first.
    let mut longest: Vec<u64> = Vec::new();
    for _ in 0..6 {
        let warm = round(&m, Duration::from_millis(300));
        warm_ops += warm.tallies.iter().map(|t| t.ops).sum::<u64>();
        longest.resize(warm.tallies.len(), 0);
        for (l, t) in longest.iter_mut().zip(&warm.tallies) {
            *l = (*l).max(t.capped);
        }
        clear_all(&m);
        drop(m.scrape());
        let now = dhat::HeapStats::get().curr_bytes;
        if baseline.replace(now) == Some(now) {
            break;
        }
    }
    let baseline = baseline.unwrap();

    let Round {
        tallies,
        created,
        removed,
        clears,
        scrapes,
        cores,
    } = round(&m, Duration::from_secs(seconds));

    // Exact totals.
    let text = m.scrape();
    let ops: u64 = tallies.iter().map(|t| t.ops).sum();
    #[allow(clippy::cast_precision_loss, reason = "totals stay far below 2^53")]
    let f = |v: u64| v as f64;
    assert_eq!(value(&text, "ops_total", &[]), f(warm_ops + ops));
    for (k, key) in KEYS.iter().enumerate() {
        let hits: u64 = tallies.iter().map(|t| t.hits[k]).sum();
        let observations: u64 = tallies.iter().map(|t| t.observations[k]).sum();
        let sum: u64 = tallies.iter().map(|t| t.sums[k]).sum();
        assert_eq!(value(&text, "hits_total", &[("key", key)]), f(hits));
        assert_eq!(
            value(&text, "latency_count", &[("key", key)]),
            f(observations)
        );
        let inf = [("key", *key), ("le", "+Inf")];
        assert_eq!(value(&text, "latency_bucket", &inf), f(observations));
        assert_eq!(value(&text, "latency_sum", &[("key", key)]), f(sum));
    }
    let capped_lookups: u64 = tallies.iter().map(|t| t.capped).sum();
    let exposition = parse_openmetrics(&text).unwrap();
    let capped_total: f64 = exposition
        .family("capped")
        .unwrap()
        .samples
        .iter()
        .filter(|s| s.name == "capped_total")
        .map(|s| s.value)
        .sum();
    assert_eq!(capped_total, f(capped_lookups), "folded updates are kept");
    // Each capped lookup of a round is of a new label set, and the family
    // starts the round empty: all past the first CAP fold.
    let folded = capped_lookups - CAP as u64;
    let overflow = value(&text, "capped_total", &[("id", OVERFLOW_LABEL_VALUE)]);
    assert_eq!(overflow, f(folded), "the cap is exact");
    let counted = m.capped.overflowed();
    let exposed = value(
        &text,
        "beamline_overflowed_label_sets_total",
        &[("family", "capped")],
    );
    assert_eq!(exposed, f(counted));
    // The distinct folded label sets of every round: at least this round's,
    // at most every label set looked up. The estimate's standard error is
    // 1.6%; 10% is more than 6 of them.
    let seen: u64 = tallies
        .iter()
        .zip(longest.iter().chain(std::iter::repeat(&0)))
        .map(|(t, &l)| t.capped.max(l))
        .sum();
    assert!(
        f(counted) >= 0.9 * f(folded) && f(counted) <= 1.1 * f(seen),
        "{counted} counted for {folded} to {seen} distinct folded label sets"
    );
    drop(exposition);
    drop(text);

    // Memory: clearing every family returns the heap to where it was.
    clear_all(&m);
    let peak = dhat::HeapStats::get().max_bytes;
    let after = dhat::HeapStats::get().curr_bytes;
    eprintln!(
        "stress: {seconds} s on {cores} cores: {ops} updates, {capped_lookups} capped lookups \
         ({folded} folded, {counted} distinct label sets counted), {created} series created, \
         {removed} removed, {clears} clears, {scrapes} scrapes; heap {baseline} B before, \
         {after} B after clear (peak {peak} B)"
    );
    assert!(ops > 0 && created > 0 && scrapes > 0);
    assert_eq!(
        after, baseline,
        "memory returns to its baseline after clear"
    );
}
