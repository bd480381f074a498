//! The inputs every library gets: the same label values, the same sequence
//! of series, the same observations, the same registry contents.

pub const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
pub const STATUSES: [&str; 5] = ["200", "201", "404", "500", "503"];

/// The 20 (method, status) pairs of workloads 2 to 4.
pub const LABELS: [(&str, &str); 20] = {
    let mut out = [("", ""); 20];
    let mut i = 0;
    while i < 20 {
        out[i] = (METHODS[i / 5], STATUSES[i % 5]);
        i += 1;
    }
    out
};

const fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// A fixed pseudo-random walk over the 20 series, so that branch
/// predictors and caches see a realistic mix rather than one series.
pub const PICKS: [usize; 256] = {
    let mut out = [0usize; 256];
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut i = 0;
    while i < 256 {
        x = xorshift(x);
        out[i] = (x % 20) as usize;
        i += 1;
    }
    out
};

/// The 11 bucket bounds of workloads 5 and 7 (Prometheus' usual defaults).
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The quantiles of workload 6's summaries.
pub const QUANTILES: [f64; 5] = [0.5, 0.9, 0.95, 0.99, 0.999];

/// Observations spread log-uniformly from 1 ms to 20 s, so every bucket is
/// hit and no branch is always taken.
pub fn values() -> Vec<f64> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..256)
        .map(|_| {
            x = xorshift(x);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            0.001 * (20_000f64).powf(u)
        })
        .collect()
}

/// The label values of workload 3: equal to `LABELS`, but owned `String`s
/// made at run time.
pub fn runtime_labels() -> Vec<(String, String)> {
    LABELS
        .iter()
        .map(|(m, s)| (m.chars().collect(), s.chars().collect()))
        .collect()
}

/// Workload 7's registry: a counter family labelled (method, path) with
/// 4 x 250 = 1,000 series, a histogram family labelled (path) with 100
/// series, and 10 gauges.
pub const W7_PATHS: usize = 250;
pub const W7_HIST_SERIES: usize = 100;
pub const W7_GAUGES: usize = 10;

pub fn path(i: usize) -> String {
    format!("/api/v1/items/{i}")
}

/// The value each counter series of workload 7 holds.
pub fn counter_value(i: usize) -> u64 {
    (i as u64 * 7919) % 100_003 + 1
}

/// Workload 9 and 10: `n` distinct (method, path) pairs, made at run time.
pub fn many_labels(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (METHODS[i % 4].to_string(), path(i / 4)))
        .collect()
}
