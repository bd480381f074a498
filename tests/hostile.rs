//! Every kind of bad input thrown at the public API, one table row each.
//!
//! For each row the library must answer with the typed error the row
//! names, or accept the input and still produce a valid exposition; it
//! must never panic, and no update made before the row may be lost. After
//! every row the registry is scraped and read back by beamline's own
//! parsers (OpenMetrics and Prometheus text) and by Python's strict
//! OpenMetrics parser.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use beamline::parse::{parse_openmetrics, parse_prometheus};
use beamline::{
    Buckets, Collection, Collector, Counter, CounterFn, Error, Family, FloatCounter, FloatGauge,
    Format, Gauge, GaugeFn, GaugeHistogram, Histogram, Info, StateSet, Summary, Unknown,
};
use beamline::{Registry, OVERFLOW_LABEL_VALUE};

/// What a row must get.
enum Expect {
    /// This typed error.
    Refused(fn(&Error) -> bool),
    /// Success, and a valid exposition.
    Accepted,
}

use Expect::{Accepted, Refused};

type Run = Box<dyn Fn(&Ctx, &str) -> Result<(), Error>>;

/// What a row works with: the shared registry and Python, when present.
struct Ctx {
    registry: Registry,
    python: Option<PathBuf>,
}

impl Ctx {
    fn om(&self) -> String {
        String::from_utf8(self.registry.encode_to_vec(Format::OpenMetricsText)).unwrap()
    }

    /// Checks the current exposition with every parser; returns it.
    fn check(&self, what: &str) -> String {
        self.check_with(what, true)
    }

    /// [`check`](Self::check), with Python's parser only if `python`.
    fn check_with(&self, what: &str, python: bool) -> String {
        let text = self.om();
        if let Err(e) = parse_openmetrics(&text) {
            let line = text
                .lines()
                .nth(e.line.saturating_sub(1))
                .unwrap_or_default();
            panic!("{what}: invalid OpenMetrics: {e}\n{line:.300}");
        }
        let prom = String::from_utf8(self.registry.encode_to_vec(Format::PrometheusText)).unwrap();
        if let Err(e) = parse_prometheus(&prom) {
            panic!("{what}: invalid Prometheus text: {e}");
        }
        if let Some(python) = self.python.as_ref().filter(|_| python) {
            if let Err(e) = common::parse_openmetrics(python, &text) {
                panic!("{what}: Python's parser refuses the exposition: {e}");
            }
        }
        text
    }

    /// The value of one sample of the current exposition.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let text = self.om();
        let exposition = parse_openmetrics(&text).unwrap();
        exposition.sample(name, labels).map(|s| s.value)
    }
}

fn row(what: &'static str, expect: Expect, run: Run) -> (&'static str, Expect, Run) {
    (what, expect, run)
}

fn invalid_name(e: &Error) -> bool {
    matches!(e, Error::InvalidMetricName { .. })
}

fn invalid_label(e: &Error) -> bool {
    matches!(e, Error::InvalidLabelName { .. })
}

fn reserved_label(e: &Error) -> bool {
    matches!(e, Error::ReservedLabelName { .. })
}

fn duplicate_label(e: &Error) -> bool {
    matches!(e, Error::DuplicateLabelName { .. })
}

fn invalid_buckets(e: &Error) -> bool {
    matches!(e, Error::InvalidBuckets { .. })
}

/// Registers a counter under `name` (for the name rows).
fn counter_named(name: &'static str) -> Run {
    Box::new(move |c, _| c.registry.register(name, "x", Counter::new()).map(drop))
}

/// Label values nothing should choke on.
const NASTY: [&str; 16] = [
    "\0",
    "a\0b",
    "\u{1}",
    "\r",
    "\t",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "\\",
    "\"",
    "\n",
    "\\n",
    "",
    "} 1\n# EOF\n",
    "é🦀\u{200d}",
];

fn name_rows() -> Vec<(&'static str, Expect, Run)> {
    let mut rows = Vec::new();
    for bad in [
        "", "9lives", "a-b", "a b", "a.b", "é", "a{b}", "a\"", "a\n", "a\0", "a\u{7f}", "a=b",
    ] {
        rows.push(row(
            "invalid metric name",
            Refused(invalid_name),
            counter_named(bad),
        ));
    }
    for reserved in ["_a", "__name__"] {
        rows.push(row(
            "reserved metric name",
            Refused(|e| matches!(e, Error::ReservedMetricName { .. })),
            counter_named(reserved),
        ));
    }
    rows.push(row(
        "counter named _total",
        Refused(|e| matches!(e, Error::CounterTotalSuffix { .. })),
        counter_named("requests_total"),
    ));
    rows.push(row(
        "a 100 KB metric name",
        Accepted,
        Box::new(|c, tag| {
            let name = format!("{tag}_{}", "n".repeat(100_000));
            c.registry.register(&name, "x", Gauge::new())?.set(1);
            Ok(())
        }),
    ));
    rows.push(row(
        "duplicate family",
        Refused(|e| matches!(e, Error::DuplicateFamily { .. })),
        Box::new(|c, tag| {
            let name = format!("{tag}_dup");
            c.registry.register(&name, "x", Gauge::new())?;
            c.registry.register(&name, "y", Counter::new()).map(drop)
        }),
    ));
    rows.push(row(
        "sample name collision",
        Refused(|e| matches!(e, Error::SampleNameCollision { .. })),
        Box::new(|c, tag| {
            let h = Histogram::new(Buckets::default());
            c.registry.register(&format!("{tag}_h"), "x", h)?;
            c.registry
                .register(&format!("{tag}_h_count"), "x", Gauge::new())
                .map(drop)
        }),
    ));
    rows.push(row(
        "unit not the suffix",
        Refused(|e| matches!(e, Error::UnitNotSuffix { .. })),
        Box::new(|c, tag| {
            let name = format!("{tag}_len_meters");
            let g = Gauge::new();
            c.registry
                .register_with_unit(&name, "x", "seconds", g)
                .map(drop)
        }),
    ));
    for unit in ["", "a b", "é", "a\n"] {
        rows.push(row(
            "invalid unit",
            Refused(|e| matches!(e, Error::InvalidUnit { .. })),
            Box::new(move |c, tag| {
                let name = format!("{tag}_x");
                let g = Gauge::new();
                c.registry.register_with_unit(&name, "x", unit, g).map(drop)
            }),
        ));
    }
    rows.push(row(
        "unit on an info",
        Refused(|e| matches!(e, Error::UnitNotAllowed { .. })),
        Box::new(|c, tag| {
            let info = Info::new(&[("v", "1")]);
            let name = format!("{tag}_build_seconds");
            c.registry
                .register_with_unit(&name, "x", "seconds", info)
                .map(drop)
        }),
    ));
    rows.push(row(
        "state set named with a colon",
        Refused(|e| matches!(e, Error::StateSetName { .. })),
        Box::new(|c, tag| {
            let states = StateSet::new(&["a"]);
            c.registry
                .register(&format!("{tag}:state"), "x", states)
                .map(drop)
        }),
    ));
    for prefix in ["9", "a-b", "_"] {
        rows.push(row(
            "invalid sub-registry prefix",
            Refused(|e| matches!(e, Error::InvalidPrefix { .. })),
            Box::new(move |c, _| c.registry.sub_registry(prefix, &[]).map(drop)),
        ));
    }
    rows
}

fn label_name_rows() -> Vec<(&'static str, Expect, Run)> {
    let mut rows = Vec::new();
    for bad in ["a-b", "", "é", "a:b", "a b", "0a"] {
        rows.push(row(
            "invalid label name",
            Refused(invalid_label),
            Box::new(move |c, tag| {
                let f = Family::<Counter, 1>::new([bad]);
                c.registry.register(&format!("{tag}_f"), "x", f).map(drop)
            }),
        ));
    }
    rows.push(row(
        "reserved label name __name__",
        Refused(reserved_label),
        Box::new(|c, tag| {
            let f = Family::<Counter, 1>::new(["__name__"]);
            c.registry.register(&format!("{tag}_f"), "x", f).map(drop)
        }),
    ));
    rows.push(row(
        "repeated label name",
        Refused(duplicate_label),
        Box::new(|c, tag| {
            let f = Family::<Counter, 2>::new(["a", "a"]);
            c.registry.register(&format!("{tag}_f"), "x", f).map(drop)
        }),
    ));
    rows.push(row(
        "le on a histogram family",
        Refused(reserved_label),
        Box::new(|c, tag| {
            let f =
                Family::<Histogram, 1>::with_template(["le"], Histogram::new(Buckets::default()));
            c.registry.register(&format!("{tag}_f"), "x", f).map(drop)
        }),
    ));
    rows.push(row(
        "le on a gauge histogram family",
        Refused(reserved_label),
        Box::new(|c, tag| {
            let t = GaugeHistogram::new(Buckets::default());
            let f = Family::<GaugeHistogram, 1>::with_template(["le"], t);
            c.registry.register(&format!("{tag}_f"), "x", f).map(drop)
        }),
    ));
    rows.push(row(
        "quantile on a summary family",
        Refused(reserved_label),
        Box::new(|c, tag| {
            let f = Family::<Summary, 1>::new(["quantile"]);
            c.registry.register(&format!("{tag}_f"), "x", f).map(drop)
        }),
    ));
    rows.push(row(
        "a state set's own name as a label",
        Refused(reserved_label),
        Box::new(|c, tag| {
            let name = format!("{tag}_mode");
            let names: [&str; 1] = [&name];
            let f = Family::<StateSet, 1>::with_template(names, StateSet::new(&["on"]));
            c.registry.register(&name, "x", f).map(drop)
        }),
    ));
    rows.push(row(
        "info label repeating a family label",
        Refused(duplicate_label),
        Box::new(|c, tag| {
            let f = Family::<Info, 1>::with_template(["a"], Info::new(&[("a", "x")]));
            c.registry.register(&format!("{tag}_f"), "x", f).map(drop)
        }),
    ));
    rows.push(row(
        "invalid info label name",
        Refused(invalid_label),
        Box::new(|c, tag| {
            let info = Info::new(&[("a-b", "x")]);
            c.registry
                .register(&format!("{tag}_f"), "x", info)
                .map(drop)
        }),
    ));
    rows.push(row(
        "constant label repeated by a family label",
        Refused(duplicate_label),
        Box::new(|c, tag| {
            let sub = c.registry.sub_registry(tag, &[("a", "1")])?;
            sub.register("f", "x", Family::<Counter, 1>::new(["a"]))
                .map(drop)
        }),
    ));
    rows.push(row(
        "reserved constant label",
        Refused(reserved_label),
        Box::new(|c, tag| c.registry.sub_registry(tag, &[("__x", "1")]).map(drop)),
    ));
    rows.push(row(
        "300 labels, one repeated",
        Refused(duplicate_label),
        Box::new(|c, tag| {
            let mut names: Vec<String> = (0..300).map(|i| format!("l{i}")).collect();
            names[299] = "l7".into();
            let refs: [&str; 300] = std::array::from_fn(|i| names[i].as_str());
            let f = Family::<Counter, 300>::new(refs);
            c.registry.register(&format!("{tag}_f"), "x", f).map(drop)
        }),
    ));
    rows
}

fn value_rows() -> Vec<(&'static str, Expect, Run)> {
    let mut rows = Vec::new();
    rows.push(row(
        "label value of 1 MB",
        Accepted,
        Box::new(|c, tag| {
            let f =
                c.registry
                    .register(&format!("{tag}_f"), "x", Family::<Counter, 1>::new(["v"]))?;
            let big: String = "a\"b\\c\nd é🦀\u{0}"
                .chars()
                .cycle()
                .take(1 << 20)
                .collect();
            f.get([big.as_str()]).inc_by(7);
            c.check("label value of 1 MB");
            let name = format!("{tag}_f_total");
            assert_eq!(c.value(&name, &[("v", big.as_str())]), Some(7.0));
            // Keeps later rows' expositions small.
            assert!(f.remove([big.as_str()]));
            Ok(())
        }),
    ));
    rows.push(row(
        "NUL, control characters, escapes and EOF lookalikes in values",
        Accepted,
        Box::new(|c, tag| {
            let f = c.registry.register(
                &format!("{tag}_f"),
                "x",
                Family::<Gauge, 2>::new(["a", "b"]),
            )?;
            for (i, v) in NASTY.iter().enumerate() {
                f.get([*v, "x"]).set(i64::try_from(i).unwrap());
            }
            c.check("nasty values");
            for (i, v) in NASTY.iter().enumerate() {
                let got = c.value(&format!("{tag}_f"), &[("a", v), ("b", "x")]);
                assert_eq!(got, Some(i as f64), "value {v:?} reads back");
            }
            Ok(())
        }),
    ));
    rows.push(row(
        "hostile HELP text",
        Accepted,
        Box::new(|c, tag| {
            let help = format!(
                "line\nbreak \\ back\\nslash \u{0} \r \"q\" {}",
                "h".repeat(100_000)
            );
            c.registry
                .register(&format!("{tag}_g"), &help, Gauge::new())?;
            let text = c.check("hostile help");
            let exposition = parse_openmetrics(&text).unwrap();
            let family = exposition.family(&format!("{tag}_g")).unwrap();
            assert_eq!(family.help.as_deref(), Some(help.as_str()));
            Ok(())
        }),
    ));
    rows.push(row(
        "a family of 300 labels",
        Accepted,
        Box::new(|c, tag| {
            let names: Vec<String> = (0..300).map(|i| format!("l{i}")).collect();
            let refs: [&str; 300] = std::array::from_fn(|i| names[i].as_str());
            let f =
                c.registry
                    .register(&format!("{tag}_f"), "x", Family::<Counter, 300>::new(refs))?;
            let values: Vec<String> = (0..300).map(|i| format!("v\"{i}\n")).collect();
            let vrefs: [&str; 300] = std::array::from_fn(|i| values[i].as_str());
            f.get(vrefs).inc_by(3);
            c.check("300 labels");
            let labels: Vec<(&str, &str)> = refs.iter().copied().zip(vrefs).collect();
            assert_eq!(c.value(&format!("{tag}_f_total"), &labels), Some(3.0));
            Ok(())
        }),
    ));
    rows.push(row(
        "label sets past a cap of zero, and no cap at usize::MAX",
        Accepted,
        Box::new(|c, tag| {
            let zero = Family::<Counter, 1>::new(["v"]).with_max_series(0);
            let zero = c.registry.register(&format!("{tag}_zero"), "x", zero)?;
            let huge = Family::<Counter, 1>::new(["v"]).with_max_series(usize::MAX);
            let huge = c.registry.register(&format!("{tag}_huge"), "x", huge)?;
            for v in NASTY {
                zero.get([v]).inc();
                huge.get([v]).inc();
            }
            // Every label set folds: there is no room for any. Their count
            // is exact this far below 256.
            assert_eq!(zero.len(), 1);
            let counted = zero.overflowed();
            assert_eq!(counted, NASTY.len() as u64);
            assert_eq!(huge.len(), NASTY.len());
            let name = format!("{tag}_zero_total");
            assert_eq!(
                c.value(&name, &[("v", OVERFLOW_LABEL_VALUE)]),
                Some(NASTY.len() as f64)
            );
            Ok(())
        }),
    ));
    rows.push(row(
        "idle expiry of zero and of Duration::MAX",
        Accepted,
        Box::new(|c, tag| {
            let now = Family::<Counter, 1>::new(["v"]).with_idle_expiry(Duration::ZERO);
            let now = c.registry.register(&format!("{tag}_now"), "x", now)?;
            let never = Family::<Counter, 1>::new(["v"]).with_idle_expiry(Duration::MAX);
            let never = c.registry.register(&format!("{tag}_never"), "x", never)?;
            now.get(["a"]).inc();
            never.get(["a"]).inc();
            c.check("expiry extremes");
            std::thread::sleep(Duration::from_millis(5));
            c.check("expiry extremes");
            assert_eq!((now.len(), never.len()), (0, 1));
            Ok(())
        }),
    ));
    rows
}

fn number_rows() -> Vec<(&'static str, Expect, Run)> {
    const SPECIAL: [f64; 8] = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        5e-324,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
    ];
    let mut rows = Vec::new();
    rows.push(row(
        "special floats in every gauge, unknown and callback",
        Accepted,
        Box::new(|c, tag| {
            for (i, v) in SPECIAL.into_iter().enumerate() {
                let g = c
                    .registry
                    .register(&format!("{tag}_g{i}"), "x", FloatGauge::new())?;
                g.set(v);
                g.add(v);
                let u = c
                    .registry
                    .register(&format!("{tag}_u{i}"), "x", Unknown::new())?;
                u.set(v);
                c.registry
                    .register(&format!("{tag}_gf{i}"), "x", GaugeFn::new(move || v))?;
                c.registry
                    .register(&format!("{tag}_cf{i}"), "x", CounterFn::new(move || v))?;
            }
            let i = Gauge::new();
            let i = c.registry.register(&format!("{tag}_i"), "x", i)?;
            i.set(i64::MAX);
            i.inc();
            i.sub(i64::MIN);
            Ok(())
        }),
    ));
    rows.push(row(
        "counters at and past u64::MAX",
        Accepted,
        Box::new(|c, tag| {
            let k = c
                .registry
                .register(&format!("{tag}_c"), "x", Counter::new())?;
            k.inc_by(u64::MAX);
            k.inc_by(u64::MAX);
            k.inc();
            assert_eq!(k.get(), u64::MAX);
            let name = format!("{tag}_c_total");
            assert_eq!(c.value(&name, &[]), Some(u64::MAX as f64));
            Ok(())
        }),
    ));
    rows.push(row(
        "float counter increments that are not finite or negative",
        Refused(|e| matches!(e, Error::InvalidIncrement { .. })),
        Box::new(|c, tag| {
            let k = c
                .registry
                .register(&format!("{tag}_c"), "x", FloatCounter::new())?;
            k.inc_by(1.5);
            for v in [
                f64::NAN,
                -1.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                -5e-324,
            ] {
                k.inc_by(v);
                assert!(k.try_inc_by(v).is_err() || v == 0.0, "{v} refused");
                let _ = k.inc_by_with_exemplar(v, &[("id", "1")]);
            }
            k.inc_by(f64::MAX);
            k.inc_by(f64::MAX);
            // Finite amounts may still overflow to +Inf, which OpenMetrics
            // allows for a counter.
            assert_eq!(k.get(), f64::INFINITY);
            k.try_inc_by(f64::NAN)
        }),
    ));
    rows.push(row(
        "special floats observed by histograms, gauge histograms and summaries",
        Accepted,
        Box::new(|c, tag| {
            for (i, v) in SPECIAL.into_iter().enumerate() {
                let b = Buckets::new([-1.0, 0.0, 1.0]).unwrap();
                let h =
                    c.registry
                        .register(&format!("{tag}_h{i}"), "x", Histogram::new(b.clone()))?;
                h.observe(1.0);
                h.observe(v);
                let _ = h.observe_with_exemplar(v, &[("id", "x")]);
                let p = Histogram::new(Buckets::new([1.0]).unwrap());
                let p = c.registry.register(&format!("{tag}_p{i}"), "x", p)?;
                p.observe(v);
                let _ = p.observe_with_exemplar(v, &[("id", "x")]);
                let g =
                    c.registry
                        .register(&format!("{tag}_gh{i}"), "x", GaugeHistogram::new(b))?;
                g.observe(v);
                g.unobserve(v);
                g.unobserve(2.0);
                let s = Summary::with_quantiles(&[0.5, 0.99])?;
                let s = c.registry.register(&format!("{tag}_s{i}"), "x", s)?;
                s.observe(1.0);
                s.observe(v);
            }
            Ok(())
        }),
    ));
    for bounds in [
        vec![f64::NAN],
        vec![f64::INFINITY],
        vec![f64::NEG_INFINITY, 0.0],
        vec![],
        vec![2.0, 1.0],
        vec![1.0, 1.0],
    ] {
        rows.push(row(
            "invalid bucket bounds",
            Refused(invalid_buckets),
            Box::new(move |_, _| Buckets::new(bounds.clone()).map(drop)),
        ));
    }
    for (start, step, count) in [
        (f64::NAN, 1.0, 3),
        (0.0, f64::NAN, 3),
        (0.0, f64::INFINITY, 3),
        (0.0, -1.0, 3),
        (0.0, 1.0, 0),
        (f64::MAX, f64::MAX, 3),
    ] {
        rows.push(row(
            "invalid linear buckets",
            Refused(invalid_buckets),
            Box::new(move |_, _| Buckets::linear(start, step, count).map(drop)),
        ));
    }
    for (start, factor, count) in [
        (f64::NAN, 2.0, 3),
        (f64::INFINITY, 2.0, 3),
        (0.0, 2.0, 3),
        (1.0, f64::NAN, 3),
        (1.0, 1.0, 3),
        (1.0, f64::INFINITY, 3),
        (1.0, 1e300, 3),
        (1.0, 2.0, 0),
    ] {
        rows.push(row(
            "invalid exponential buckets",
            Refused(invalid_buckets),
            Box::new(move |_, _| Buckets::exponential(start, factor, count).map(drop)),
        ));
    }
    for q in [f64::NAN, f64::INFINITY, -0.1, 1.5] {
        rows.push(row(
            "invalid summary quantile",
            Refused(|e| matches!(e, Error::InvalidSummary { .. })),
            Box::new(move |_, _| Summary::with_quantiles(&[q]).map(drop)),
        ));
    }
    rows
}

fn exemplar_rows() -> Vec<(&'static str, Expect, Run)> {
    type Labels = &'static [(&'static str, &'static str)];
    type Case = (Labels, fn(&Error) -> bool);
    let long: &'static str = Box::leak("x".repeat(127).into_boxed_str());
    let too_long: Labels = Box::leak(Box::new([("id", long)]));
    let cases: [Case; 5] = [
        (too_long, |e| {
            matches!(e, Error::ExemplarTooLong { length: 129 })
        }),
        (&[("id", "a\"b")], |e| {
            matches!(e, Error::ExemplarQuote { .. })
        }),
        (&[("a-b", "1")], invalid_label),
        (&[("id", "1"), ("id", "2")], duplicate_label),
        (&[("__id", "1")], reserved_label),
    ];
    let mut rows = Vec::new();
    for (labels, pred) in cases {
        rows.push(row(
            "invalid exemplar on a counter (the increment still counts)",
            Refused(pred),
            Box::new(move |c, tag| {
                let k = c
                    .registry
                    .register(&format!("{tag}_c"), "x", Counter::new())?;
                let result = k.inc_by_with_exemplar(2, labels);
                assert_eq!(k.get(), 2);
                assert!(k.exemplar().is_none());
                result
            }),
        ));
        rows.push(row(
            "invalid exemplar on a histogram (the observation still counts)",
            Refused(pred),
            Box::new(move |c, tag| {
                let h = Histogram::new(Buckets::new([1.0]).unwrap());
                let h = c.registry.register(&format!("{tag}_h"), "x", h)?;
                let result = h.observe_with_exemplar(0.5, labels);
                assert_eq!(h.count(), 1);
                result
            }),
        ));
    }
    rows.push(row(
        "exemplar of exactly 128 characters, in a Unicode value",
        Accepted,
        Box::new(|c, tag| {
            let k = c
                .registry
                .register(&format!("{tag}_c"), "x", Counter::new())?;
            let value = "é".repeat(126);
            k.inc_by_with_exemplar(1, &[("id", &value)])
        }),
    ));
    rows
}

/// A collector that misbehaves in the way its kind says.
#[derive(Debug)]
struct Rogue {
    kind: RogueKind,
    registry: Registry,
    tag: String,
    calls: Arc<AtomicUsize>,
}

#[derive(Debug, Clone, Copy)]
enum RogueKind {
    Panics,
    Registers,
    Scrapes,
    AddsInvalid,
    LocksAFamily,
}

impl Collector for Rogue {
    fn collect(&self, out: &mut Collection<'_>) {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let gauge = FloatGauge::new();
        gauge.set(1.0);
        match self.kind {
            RogueKind::Panics => {
                out.add(&format!("{}_before_panic", self.tag), "x", gauge)
                    .unwrap();
                panic!("collector panics on purpose");
            }
            RogueKind::Registers => {
                let name = format!("{}_late{n}", self.tag);
                self.registry.register(&name, "x", Counter::new()).unwrap();
                out.add(&format!("{}_collected", self.tag), "x", gauge)
                    .unwrap();
            }
            RogueKind::Scrapes => {
                let inner = self.registry.encode_to_vec(Format::OpenMetricsText);
                assert!(inner.ends_with(b"# EOF\n"));
                out.add(&format!("{}_collected", self.tag), "x", gauge)
                    .unwrap();
            }
            RogueKind::AddsInvalid => {
                assert!(out.add("9bad", "x", gauge.clone()).is_err());
                assert!(out.add("sentinel", "x", gauge.clone()).is_err());
                let dup = format!("{}_once", self.tag);
                out.add(&dup, "x", gauge.clone()).unwrap();
                assert!(out.add(&dup, "x", gauge).is_err());
                let f = Family::<Histogram, 1>::with_template(
                    ["le"],
                    Histogram::new(Buckets::default()),
                );
                assert!(out.add(&format!("{}_h", self.tag), "x", f).is_err());
            }
            RogueKind::LocksAFamily => {
                // Looks up and creates series of a registered family while
                // the scrape is under way.
                let name = format!("{}_family", self.tag);
                let f = Family::<Counter, 1>::new(["k"]);
                let _ = out.add(&format!("{}_local", self.tag), "x", f.clone());
                f.get([name.as_str()]).inc();
            }
        }
    }
}

fn callback_rows() -> Vec<(&'static str, Expect, Run)> {
    let mut rows = Vec::new();
    rows.push(row(
        "callbacks that panic",
        Accepted,
        Box::new(|c, tag| {
            c.registry.register(
                &format!("{tag}_g"),
                "x",
                GaugeFn::new(|| panic!("on purpose")),
            )?;
            c.registry.register(
                &format!("{tag}_c"),
                "x",
                CounterFn::new(|| panic!("on purpose")),
            )?;
            let text = c.check("panicking callbacks");
            assert!(text.contains(&format!("# TYPE {tag}_g gauge\n")));
            assert!(
                !text.contains(&format!("\n{tag}_g ")),
                "no sample from a panic"
            );
            Ok(())
        }),
    ));
    rows.push(row(
        "callbacks that scrape or register into their own registry",
        Accepted,
        Box::new(|c, tag| {
            let registry = c.registry.clone();
            c.registry.register(
                &format!("{tag}_scrapes"),
                "x",
                GaugeFn::new(move || registry.encode_to_vec(Format::OpenMetricsText).len() as f64),
            )?;
            let registry = c.registry.clone();
            let n = Arc::new(AtomicUsize::new(0));
            let tag2 = tag.to_owned();
            c.registry.register(
                &format!("{tag}_registers"),
                "x",
                CounterFn::new(move || {
                    let i = n.fetch_add(1, Ordering::Relaxed);
                    let _ = registry.register(&format!("{tag2}_cb{i}"), "x", Gauge::new());
                    1.0
                }),
            )?;
            let text = c.check("re-entrant callbacks");
            assert!(
                text.contains(&format!("{tag}_scrapes ")),
                "the outer scrape keeps the value"
            );
            Ok(())
        }),
    ));
    for kind in [
        RogueKind::Panics,
        RogueKind::Registers,
        RogueKind::Scrapes,
        RogueKind::AddsInvalid,
        RogueKind::LocksAFamily,
    ] {
        rows.push(row(
            "a collector that misbehaves during the scrape",
            Accepted,
            Box::new(move |c, tag| {
                let calls = Arc::new(AtomicUsize::new(0));
                c.registry.register_collector(Rogue {
                    kind,
                    registry: c.registry.clone(),
                    tag: tag.to_owned(),
                    calls: Arc::clone(&calls),
                });
                let text = c.check("rogue collector");
                assert!(calls.load(Ordering::Relaxed) >= 1, "{kind:?} ran");
                if matches!(kind, RogueKind::Panics) {
                    assert!(!text.contains(&format!("{tag}_before_panic")));
                }
                Ok(())
            }),
        ));
    }
    rows
}

/// Keeps the panics the rows cause on purpose out of the test output.
fn quiet_deliberate_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .unwrap_or_default();
        if !message.contains("on purpose") {
            default(info);
        }
    }));
}

#[test]
fn hostile_input_gets_a_typed_error_or_a_valid_exposition() {
    quiet_deliberate_panics();
    let ctx = Ctx {
        registry: Registry::new(),
        python: common::python(),
    };
    let sentinel = ctx
        .registry
        .register("sentinel", "Counts the rows.", Counter::new())
        .unwrap();
    let witness = ctx
        .registry
        .register(
            "witness",
            "One series per row.",
            Family::<Counter, 1>::new(["row"]),
        )
        .unwrap();
    let rows: Vec<_> = [
        name_rows(),
        label_name_rows(),
        value_rows(),
        number_rows(),
        exemplar_rows(),
        callback_rows(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let total = rows.len();
    for (i, (what, expect, run)) in rows.into_iter().enumerate() {
        let tag = format!("r{i}");
        let label = format!("{i}: {what}");
        let result = catch_unwind(AssertUnwindSafe(|| run(&ctx, &tag)))
            .unwrap_or_else(|_| panic!("row {label} panicked"));
        match (&expect, &result) {
            (Refused(pred), Err(e)) => {
                assert!(pred(e), "row {label}: wrong error {e:?}");
                let message = e.to_string();
                assert!(
                    message.starts_with(|c: char| !c.is_uppercase()) && !message.ends_with('.'),
                    "row {label}: message style: {message}"
                );
            }
            (Accepted, Ok(())) => {}
            (Refused(_), Ok(())) => panic!("row {label}: accepted, should be refused"),
            (Accepted, Err(e)) => panic!("row {label}: refused with {e:?}"),
        }
        sentinel.inc();
        witness.get([tag.as_str()]).inc_by(i as u64 + 1);
        // A refusal changes nothing but the two counters: our parsers
        // suffice there.
        ctx.check_with(&label, matches!(expect, Accepted));
        // No earlier update is lost.
        let text = ctx.om();
        let exposition = parse_openmetrics(&text).unwrap();
        let sentinel_total = exposition.sample("sentinel_total", &[]).unwrap().value;
        assert_eq!(sentinel_total, (i + 1) as f64, "row {label}");
        for j in 0..=i {
            let row = format!("r{j}");
            let value = exposition
                .sample("witness_total", &[("row", &row)])
                .map(|s| s.value);
            assert_eq!(value, Some((j + 1) as f64), "row {label} lost row {j}");
        }
    }
    eprintln!("hostile: {total} rows");
    assert!(total > 80);
}

#[test]
fn negative_observations_keep_a_summary_valid() {
    let registry = Registry::new();
    let s = registry
        .register("s", "x", Summary::with_quantiles(&[0.5]).unwrap())
        .unwrap();
    s.observe(f64::NEG_INFINITY);
    s.observe(-1.0);
    let text = String::from_utf8(registry.encode_to_vec(Format::OpenMetricsText)).unwrap();
    // The official suite's `bad_counter_values_19` refuses `a{quantile="0.5"} -1`.
    parse_openmetrics(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
}
