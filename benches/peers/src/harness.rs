//! Timing: calibrated samples, libraries interleaved round by round, medians.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

/// Set while allocations are counted: `two_threads` then makes one try
/// only, so that the count divides by the operations really made.
static COUNTING: AtomicBool = AtomicBool::new(false);

use crate::alloc;

/// Reads the calling thread's CPU time. On a machine shared with other
/// builds, wall time counts the moments another process held the core;
/// thread CPU time counts only the moments this thread ran.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec, and
    // CLOCK_THREAD_CPUTIME_ID is supported by every Linux kernel.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Measures the CPU time this thread spends between `start` and `elapsed`.
pub struct Stopwatch(Duration);

impl Stopwatch {
    pub fn start() -> Self {
        Self(thread_cpu_time())
    }

    pub fn elapsed(&self) -> Duration {
        thread_cpu_time().saturating_sub(self.0)
    }
}

/// One thing to time. `run(n)` performs the operation `n` times and returns
/// the time that took (setup excluded).
pub struct Case {
    pub name: String,
    pub run: Box<dyn FnMut(u64) -> Duration>,
    /// Operations one iteration performs in all (2 for two threads).
    pub ops: f64,
}

impl Case {
    pub fn new(name: impl Into<String>, run: impl FnMut(u64) -> Duration + 'static) -> Self {
        Self {
            name: name.into(),
            run: Box::new(run),
            ops: 1.0,
        }
    }

    /// Marks a case whose every iteration runs on two threads at once.
    pub fn on_two_threads(mut self) -> Self {
        self.ops = 2.0;
        self
    }
}

/// How long one sample should take, and how many rounds to take.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub sample: Duration,
    pub rounds: usize,
}

/// The median and quartiles of a case's samples, in nanoseconds per
/// operation, and its allocations per operation.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub median: f64,
    pub q1: f64,
    pub q3: f64,
    pub allocs: f64,
}

/// Finds the number of operations that makes one sample last about
/// `target`, warming the case up on the way.
fn calibrate(case: &mut Case, target: Duration) -> u64 {
    let mut n = 1u64;
    loop {
        let t = (case.run)(n);
        if t >= target / 4 || n >= 1 << 40 {
            let per = t.as_secs_f64() / n as f64;
            let want = (target.as_secs_f64() / per.max(1e-12)).round() as u64;
            return want.clamp(1, 1 << 40);
        }
        n *= 2;
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Times every case: one calibrated sample per case per round, the order
/// of the cases rotating each round so that slow drifts of the machine
/// (other builds) fall on all of them alike. Then counts allocations per
/// operation in a separate, untimed run.
pub fn measure(cases: &mut [Case], cfg: Config) -> Vec<Stats> {
    let iters: Vec<u64> = cases.iter_mut().map(|c| calibrate(c, cfg.sample)).collect();
    let mut samples = vec![Vec::with_capacity(cfg.rounds); cases.len()];
    for round in 0..cfg.rounds {
        for k in 0..cases.len() {
            let i = (k + round) % cases.len();
            let t = (cases[i].run)(iters[i]);
            samples[i].push(t.as_secs_f64() * 1e9 / iters[i] as f64);
        }
    }
    cases
        .iter_mut()
        .zip(samples)
        .zip(&iters)
        .map(|((case, mut s), &n)| {
            s.sort_by(f64::total_cmp);
            let n_alloc = n.clamp(1, 100_000);
            COUNTING.store(true, Relaxed);
            alloc::start();
            (case.run)(n_alloc);
            let used = alloc::stop();
            COUNTING.store(false, Relaxed);
            let stats = Stats {
                median: quantile(&s, 0.5),
                q1: quantile(&s, 0.25),
                q3: quantile(&s, 0.75),
                allocs: used.allocs as f64 / (n_alloc as f64 * case.ops),
            };
            eprintln!(
                "  {:<48} {:>12.2} ns  [{:.2} .. {:.2}]  {:.2} allocs/op",
                case.name, stats.median, stats.q1, stats.q3, stats.allocs
            );
            stats
        })
        .collect()
}

/// Times `op(pick)` `n` times on this thread, `pick` walking a fixed
/// pseudo-random sequence of series.
#[inline(never)]
pub fn timed_loop<F: Fn(usize)>(op: &F, n: u64, offset: usize) -> Duration {
    let start = Stopwatch::start();
    for j in 0..n as usize {
        op(std::hint::black_box(crate::data::PICKS[(j + offset) & 255]));
    }
    start.elapsed()
}

/// Runs `timed_loop` on two threads at once, released together by a
/// barrier, and returns the longer of the two wall times: the time per
/// operation per thread while both contend.
///
/// Contention exists only while both threads really run together, which a
/// loaded machine does not guarantee; a try in which either thread spent
/// less than 95% of its wall time on a core is discarded and run again (up
/// to 50 tries, after which the try that ran most together is kept).
pub fn two_threads<F: Fn(usize) + Sync>(op: &F, n: u64) -> Duration {
    let mut best: Option<(f64, Duration)> = None;
    let tries = if COUNTING.load(Relaxed) { 1 } else { 50 };
    for _ in 0..tries {
        let barrier = std::sync::Barrier::new(2);
        let barrier = &barrier;
        let run = move |offset: usize| {
            move || {
                barrier.wait();
                let wall = std::time::Instant::now();
                let cpu = timed_loop(op, n, offset);
                (wall.elapsed(), cpu)
            }
        };
        let ((wa, ca), (wb, cb)) = std::thread::scope(|s| {
            let a = s.spawn(run(0));
            let b = s.spawn(run(101));
            (a.join().expect("thread a"), b.join().expect("thread b"))
        });
        let together =
            (ca.as_secs_f64() / wa.as_secs_f64()).min(cb.as_secs_f64() / wb.as_secs_f64());
        let wall = wa.max(wb);
        if together >= 0.95 {
            return wall;
        }
        if best.is_none_or(|(t, _)| together > t) {
            best = Some((together, wall));
        }
    }
    best.map_or(Duration::ZERO, |(_, w)| w)
}

/// Times a closure that does one whole operation (an encode, say) `n` times.
#[inline(never)]
pub fn repeat<F: FnMut()>(f: &mut F, n: u64) -> Duration {
    let start = Stopwatch::start();
    for _ in 0..n {
        f();
    }
    start.elapsed()
}
