//! beamline beside its peers: the same workloads on beamline,
//! prometheus-client, prometheus, metrics (+ metrics-exporter-prometheus),
//! fastmetrics and measured, printed as one Markdown table.
//!
//! Run with `cargo run --release --manifest-path benches/peers/Cargo.toml`;
//! `-- --quick` takes fewer samples and stops workload 10 at 100k series.

mod alloc;
mod data;
mod harness;
mod lib_beamline;
mod lib_fastmetrics;
mod lib_measured;
mod lib_metrics;
mod lib_prometheus;
mod lib_prometheus_client;
mod table;

use std::time::Duration;

use harness::{Case, Config, Stats};
use table::{Cell, Key, Lib, Row, Target};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// An encode case and the size of what it writes.
pub struct Encoded {
    pub case: Case,
    pub bytes: usize,
}

fn memcpy(bytes: usize) -> Case {
    let src = vec![b'x'; bytes];
    let mut dst = vec![0u8; bytes];
    Case::new(format!("memcpy of {bytes} bytes"), move |n| {
        harness::repeat(
            &mut || {
                dst.copy_from_slice(std::hint::black_box(&src));
                std::hint::black_box(&mut dst);
            },
            n,
        )
    })
}

/// Times a group of cases against one another and returns the stats keyed.
fn run(title: &str, cases: Vec<(Key, Case)>, cfg: Config) -> Vec<(Key, Stats)> {
    eprintln!("{title}");
    let (keys, mut cases): (Vec<Key>, Vec<Case>) = cases.into_iter().unzip();
    let stats = harness::measure(&mut cases, cfg);
    keys.into_iter().zip(stats).collect()
}

fn cells(stats: &[(Key, Stats)], with_allocs: bool) -> Vec<(Key, Cell)> {
    stats
        .iter()
        .map(|(k, s)| {
            let cell = Cell::time(s.median, if with_allocs { Some(s.allocs) } else { None });
            (k.clone(), cell)
        })
        .collect()
}

fn encoded(key: Key, e: Encoded, sizes: &mut Vec<(Key, usize)>) -> (Key, Case) {
    sizes.push((key.clone(), e.bytes));
    (key, e.case)
}

struct Args {
    cfg: Config,
    quick: bool,
    profile: Option<(String, u64)>,
}

fn args() -> Args {
    let mut quick = false;
    let mut rounds = None;
    let mut profile = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--profile" => {
                let what = it.next().unwrap_or_default();
                let n = it.next().and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
                profile = Some((what, n));
            }
            "--rounds" => rounds = it.next().and_then(|r| r.parse().ok()),
            other => eprintln!("ignoring unknown argument {other}"),
        }
    }
    let cfg = Config {
        // Short samples: on a loaded machine a sample that fits inside one
        // scheduler time slice is either clean or visibly an outlier, and
        // the median over many rounds discards the outliers.
        sample: Duration::from_micros(if quick { 500 } else { 1000 }),
        rounds: rounds.unwrap_or(if quick { 21 } else { 101 }),
    };
    Args {
        cfg,
        quick,
        profile,
    }
}

/// Runs one case `n` times and nothing else, for a profiler
/// (`valgrind --tool=callgrind ... --profile <case> <n>`).
fn profile(what: &str, n: u64) {
    let mut case = match what {
        "w1" => lib_beamline::w1(),
        "w2" => lib_beamline::w2_w3_w4()
            .into_iter()
            .next()
            .expect("four cases"),
        "w2get" => lib_beamline::w2_w3_w4()
            .into_iter()
            .nth(1)
            .expect("four cases"),
        "w3" => lib_beamline::w2_w3_w4()
            .into_iter()
            .nth(2)
            .expect("four cases"),
        "w4" => lib_beamline::w2_w3_w4()
            .into_iter()
            .nth(3)
            .expect("four cases"),
        "w5" => lib_beamline::w5(),
        "w6" => lib_beamline::w6(),
        "w7" => lib_beamline::encode(beamline::Format::OpenMetricsText).case,
        "w7b" => lib_beamline::encode(beamline::Format::PrometheusText).case,
        "w8a" => lib_beamline::encode(beamline::Format::PrometheusProtobuf).case,
        "w8b" => lib_beamline::encode(beamline::Format::OpenMetricsProtobuf).case,
        "w9" => {
            let labels = data::many_labels(n as usize);
            eprintln!("{:?}", lib_beamline::w9(&labels));
            return;
        }
        "fastmetrics-w2" => lib_fastmetrics::w2_w3_w4()
            .into_iter()
            .next()
            .expect("three"),
        "fastmetrics-w5" => lib_fastmetrics::w5(),
        "prometheus-w2" => lib_prometheus::w2_w3_w4()
            .into_iter()
            .next()
            .expect("three"),
        "measured-w4" => lib_measured::w2_w3_w4()
            .into_iter()
            .nth(2)
            .expect("three"),
        "prometheus-client-w5" => lib_prometheus_client::w5(),
        "measured-w7" => lib_measured::prometheus_text().case,
        other => {
            eprintln!("unknown case {other}");
            return;
        }
    };
    let t = (case.run)(n);
    eprintln!("{what}: {n} iterations in {t:?}");
}

fn main() {
    let Args {
        cfg,
        quick,
        profile: prof,
    } = args();
    if let Some((what, n)) = prof {
        profile(&what, n);
        return;
    }
    let mut rows: Vec<Row> = Vec::new();
    let lib = Key::Lib;

    // 1. Unlabeled counter increment.
    let s = run(
        "1. counter inc",
        vec![
            (Key::Limit, {
                let a = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
                Case::new("bare AtomicU64::fetch_add", move |n| {
                    let start = harness::Stopwatch::start();
                    for _ in 0..n {
                        std::hint::black_box(&a).fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    start.elapsed()
                })
            }),
            (lib(Lib::Beamline), lib_beamline::w1()),
            (lib(Lib::PromClient), lib_prometheus_client::w1()),
            (lib(Lib::Prometheus), lib_prometheus::w1()),
            (lib(Lib::Metrics), lib_metrics::w1()),
            (lib(Lib::Fastmetrics), lib_fastmetrics::w1()),
            (lib(Lib::Measured), lib_measured::w1()),
        ],
        cfg,
    );
    rows.push(Row::new(
        "1",
        "counter `inc`, no labels",
        cells(&s, true),
        Target::Limit(1.05),
    ));

    // 2, 3, 4. Labelled lookup and increment.
    let [b_with, b_get, b_rt, b_two] = lib_beamline::w2_w3_w4();
    let [pc2, pc3, pc4] = lib_prometheus_client::w2_w3_w4();
    let [pr2, pr3, pr4] = lib_prometheus::w2_w3_w4();
    let [me2, me3, me4] = lib_metrics::w2_w3_w4();
    let [fm2, fm3, fm4] = lib_fastmetrics::w2_w3_w4();
    let [ms2, ms3, ms4] = lib_measured::w2_w3_w4();
    let s = run(
        "2. family lookup + inc, &'static str",
        vec![
            (lib(Lib::Beamline), b_with),
            (Key::Extra("beamline `get(..).inc()`"), b_get),
            (lib(Lib::PromClient), pc2),
            (lib(Lib::Prometheus), pr2),
            (lib(Lib::Metrics), me2),
            (lib(Lib::Fastmetrics), fm2),
            (lib(Lib::Measured), ms2),
        ],
        cfg,
    );
    let (get_row, s): (Vec<_>, Vec<_>) =
        s.into_iter().partition(|(k, _)| matches!(k, Key::Extra(_)));
    rows.push(Row::new(
        "2",
        "family (method, status), 20 series, `&'static str` values: lookup + `inc`",
        cells(&s, true),
        Target::Peers {
            max: 0.5,
            zero_alloc: true,
        },
    ));
    let mut get_cells = cells(&s, true);
    get_cells.retain(|(k, _)| !matches!(k, Key::Lib(Lib::Beamline)));
    get_cells.push((lib(Lib::Beamline), cells(&get_row, true).remove(0).1));
    rows.push(Row::new(
        "2b",
        "the same with beamline's `get(..).inc()` (peers repeated from 2)",
        get_cells,
        Target::Peers {
            max: 0.5,
            zero_alloc: true,
        },
    ));
    let s = run(
        "3. family lookup + inc, values borrowed from Strings",
        vec![
            (lib(Lib::Beamline), b_rt),
            (lib(Lib::PromClient), pc3),
            (lib(Lib::Prometheus), pr3),
            (lib(Lib::Metrics), me3),
            (lib(Lib::Fastmetrics), fm3),
            (lib(Lib::Measured), ms3),
        ],
        cfg,
    );
    rows.push(Row::new(
        "3",
        "the same, values borrowed from `String`s made at run time",
        cells(&s, true),
        Target::Peers {
            max: 0.5,
            zero_alloc: true,
        },
    ));
    let s = run(
        "4. workload 2 on two threads",
        vec![
            (lib(Lib::Beamline), b_two),
            (lib(Lib::PromClient), pc4),
            (lib(Lib::Prometheus), pr4),
            (lib(Lib::Metrics), me4),
            (lib(Lib::Fastmetrics), fm4),
            (lib(Lib::Measured), ms4),
        ],
        cfg,
    );
    rows.push(Row::new(
        "4",
        "workload 2 on 2 threads at once (time per op per thread)",
        cells(&s, true),
        Target::Peers {
            max: 0.5,
            zero_alloc: true,
        },
    ));

    // 5. Histogram observe.
    let s = run(
        "5. histogram observe",
        vec![
            (lib(Lib::Beamline), lib_beamline::w5()),
            (lib(Lib::PromClient), lib_prometheus_client::w5()),
            (lib(Lib::Prometheus), lib_prometheus::w5()),
            (lib(Lib::Metrics), lib_metrics::w5()),
            (lib(Lib::Fastmetrics), lib_fastmetrics::w5()),
            (lib(Lib::Measured), lib_measured::w5()),
        ],
        cfg,
    );
    rows.push(Row::new(
        "5",
        "histogram `observe`, 11 buckets (metrics: incl. the bucketing it defers to scrape time)",
        cells(&s, true),
        Target::Peers {
            max: 1.0,
            zero_alloc: false,
        },
    ));

    // 6. Summary observe.
    let s = run(
        "6. summary observe",
        vec![
            (lib(Lib::Beamline), lib_beamline::w6()),
            (lib(Lib::Metrics), lib_metrics::w6()),
        ],
        cfg,
    );
    rows.push(Row::new(
        "6",
        "summary `observe`, quantiles 0.5, 0.9, 0.95, 0.99, 0.999, incl. the per-observation work deferred to scrape time",
        cells(&s, true),
        Target::Peers { max: 0.5, zero_alloc: false },
    ));

    // 7. Text encodes.
    let mut sizes = Vec::new();
    let om = lib_beamline::encode(beamline::Format::OpenMetricsText);
    let om_bytes = om.bytes;
    let s = run(
        "7. OpenMetrics text encode",
        vec![
            encoded(lib(Lib::Beamline), om, &mut sizes),
            encoded(
                lib(Lib::PromClient),
                lib_prometheus_client::openmetrics_text(),
                &mut sizes,
            ),
            encoded(
                lib(Lib::Prometheus),
                lib_prometheus::prometheus_text(),
                &mut sizes,
            ),
            encoded(
                lib(Lib::Metrics),
                lib_metrics::prometheus_text(),
                &mut sizes,
            ),
            encoded(
                lib(Lib::Fastmetrics),
                lib_fastmetrics::openmetrics_text(),
                &mut sizes,
            ),
            encoded(
                lib(Lib::Measured),
                lib_measured::prometheus_text(),
                &mut sizes,
            ),
            (Key::Limit, memcpy(om_bytes)),
        ],
        cfg,
    );
    let mut c = cells(&s, false);
    for (k, cell) in &mut c {
        if matches!(k, Key::Lib(Lib::Prometheus | Lib::Metrics | Lib::Measured)) {
            cell.note = "(P)";
        }
    }
    rows.push(Row::new(
        "7",
        "OpenMetrics text encode: 1,000-series counter family, 100-series histogram family, 10 gauges; (P) = Prometheus text, the library has no OpenMetrics",
        c,
        Target::Peers { max: 1.0 / 3.0, zero_alloc: false },
    ));
    let pt = lib_beamline::encode(beamline::Format::PrometheusText);
    let pt_bytes = pt.bytes;
    let s = run(
        "7b. Prometheus text encode",
        vec![
            encoded(lib(Lib::Beamline), pt, &mut sizes),
            encoded(
                lib(Lib::PromClient),
                lib_prometheus_client::prometheus_text(),
                &mut sizes,
            ),
            encoded(
                lib(Lib::Prometheus),
                lib_prometheus::prometheus_text(),
                &mut sizes,
            ),
            encoded(
                lib(Lib::Metrics),
                lib_metrics::prometheus_text(),
                &mut sizes,
            ),
            encoded(
                lib(Lib::Fastmetrics),
                lib_fastmetrics::prometheus_text(),
                &mut sizes,
            ),
            encoded(
                lib(Lib::Measured),
                lib_measured::prometheus_text(),
                &mut sizes,
            ),
            (Key::Limit, memcpy(pt_bytes)),
        ],
        cfg,
    );
    rows.push(Row::new(
        "7b",
        "the same registry, Prometheus text 0.0.4 from every library",
        cells(&s, false),
        Target::Peers {
            max: 1.0 / 3.0,
            zero_alloc: false,
        },
    ));

    // 8. Protobuf encodes.
    let pp = lib_beamline::encode(beamline::Format::PrometheusProtobuf);
    let pp_bytes = pp.bytes;
    let [fm_prost, fm_pb] = lib_fastmetrics::prometheus_protobuf();
    let s = run(
        "8. Prometheus protobuf encode",
        vec![
            encoded(lib(Lib::Beamline), pp, &mut sizes),
            encoded(
                lib(Lib::PromClient),
                lib_prometheus_client::prometheus_protobuf(),
                &mut sizes,
            ),
            encoded(
                lib(Lib::Prometheus),
                lib_prometheus::prometheus_protobuf(),
                &mut sizes,
            ),
            encoded(
                lib(Lib::Metrics),
                lib_metrics::prometheus_protobuf(),
                &mut sizes,
            ),
            encoded(lib(Lib::Fastmetrics), fm_prost, &mut sizes),
            encoded(
                Key::Variant(Lib::Fastmetrics, "protobuf back end"),
                fm_pb,
                &mut sizes,
            ),
            (Key::Limit, memcpy(pp_bytes)),
        ],
        cfg,
    );
    rows.push(Row::new(
        "8a",
        "Prometheus protobuf encode (length-delimited `MetricFamily`), same registry",
        table::best_variant(cells(&s, false)),
        Target::Peers {
            max: 1.0 / 3.0,
            zero_alloc: false,
        },
    ));
    let op = lib_beamline::encode(beamline::Format::OpenMetricsProtobuf);
    let op_bytes = op.bytes;
    let [fm_prost, fm_pb] = lib_fastmetrics::openmetrics_protobuf();
    let s = run(
        "8. OpenMetrics protobuf encode",
        vec![
            encoded(lib(Lib::Beamline), op, &mut sizes),
            encoded(
                lib(Lib::PromClient),
                lib_prometheus_client::openmetrics_protobuf(),
                &mut sizes,
            ),
            encoded(lib(Lib::Fastmetrics), fm_prost, &mut sizes),
            encoded(
                Key::Variant(Lib::Fastmetrics, "protobuf back end"),
                fm_pb,
                &mut sizes,
            ),
            (Key::Limit, memcpy(op_bytes)),
        ],
        cfg,
    );
    rows.push(Row::new(
        "8b",
        "OpenMetrics protobuf encode (`MetricSet`), same registry",
        table::best_variant(cells(&s, false)),
        Target::Peers {
            max: 1.0 / 3.0,
            zero_alloc: false,
        },
    ));

    // 9. Heap per series.
    eprintln!("9. heap per series, 100,000 series");
    let labels = data::many_labels(100_000);
    let heap: Vec<(Key, Vec<alloc::HeapUse>)> = [
        Lib::Beamline,
        Lib::PromClient,
        Lib::Prometheus,
        Lib::Metrics,
        Lib::Fastmetrics,
        Lib::Measured,
    ]
    .into_iter()
    .map(|l| {
        let f: fn(&[(String, String)]) -> alloc::HeapUse = match l {
            Lib::Beamline => lib_beamline::w9,
            Lib::PromClient => lib_prometheus_client::w9,
            Lib::Prometheus => lib_prometheus::w9,
            Lib::Metrics => lib_metrics::w9,
            Lib::Fastmetrics => lib_fastmetrics::w9,
            Lib::Measured => lib_measured::w9,
        };
        let runs: Vec<_> = (0..3).map(|_| f(&labels)).collect();
        eprintln!("  {:<20} {:?}", l.name(), runs);
        (lib(l), runs)
    })
    .collect();
    drop(labels);
    let n = 100_000.0;
    let median = |v: &[alloc::HeapUse], f: fn(&alloc::HeapUse) -> f64| {
        let mut x: Vec<f64> = v.iter().map(f).collect();
        x.sort_by(f64::total_cmp);
        x[x.len() / 2]
    };
    rows.push(Row::new(
        "9a",
        "heap bytes kept per labelled counter series (100,000 series, 2 labels)",
        heap.iter()
            .map(|(k, v)| (k.clone(), Cell::bytes(median(v, |h| h.live as f64) / n)))
            .collect(),
        Target::Peers {
            max: 1.5,
            zero_alloc: false,
        },
    ));
    rows.push(Row::new(
        "9b",
        "allocations per series created (same run)",
        heap.iter()
            .map(|(k, v)| (k.clone(), Cell::count(median(v, |h| h.allocs as f64) / n)))
            .collect(),
        Target::Info,
    ));

    // 10. Scale, beamline alone.
    let sizes_w10: &[usize] = if quick {
        &[1_000, 10_000, 100_000]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000]
    };
    // All sizes in one interleaved group, so that load from other
    // processes falls on each alike.
    let mut w10 = Vec::new();
    let mut facts = Vec::new();
    for &count in sizes_w10 {
        let labels = data::many_labels(count);
        let registry = lib_beamline::w10_registry(&labels);
        drop(labels);
        facts.push(lib_beamline::w10_peak(&registry));
        w10.push((Key::Lib(Lib::Beamline), lib_beamline::w10_stream(registry)));
    }
    let s = run(
        "10. OpenMetrics text encode streamed into io::sink()",
        w10,
        Config {
            sample: Duration::from_millis(2),
            rounds: if quick { 7 } else { 31 },
        },
    );
    let per_series: Vec<f64> = s
        .iter()
        .zip(sizes_w10)
        .map(|((_, st), &count)| st.median / count as f64)
        .collect();
    for (i, (&count, &(peak, exposition))) in sizes_w10.iter().zip(&facts).enumerate() {
        let target = if i + 1 == sizes_w10.len() {
            Target::Scale {
                first: per_series[0],
                max: 1.5,
            }
        } else {
            Target::Info
        };
        rows.push(Row::new(
            &format!("10.{}", i + 1),
            &format!(
                "streamed OpenMetrics encode into `io::sink()`, {count} counter series: time per series \
                 (exposition {}, peak heap while encoding {})",
                table::fmt_bytes(exposition as f64),
                table::fmt_bytes(peak as f64)
            ),
            vec![(lib(Lib::Beamline), Cell::time(per_series[i], None))],
            target,
        ));
    }

    eprintln!("encoded sizes (bytes): {sizes:?}");
    table::print(&rows);
}
