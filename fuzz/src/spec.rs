//! Registries described by fuzzer input, and what each one must expose.
//!
//! Names, texts and numbers are drawn either from small vocabularies, which
//! make collisions, reserved words and special floats likely, or from raw
//! input, which reaches everything else.

use arbitrary::Arbitrary;
use beamline::{
    Buckets, Counter, CounterFn, Error, Family, FloatCounter, FloatGauge, Gauge, GaugeFn,
    GaugeHistogram, Histogram, Info, Metric, Registry, StateSet, Summary, Unknown,
};

/// Upper bounds that keep one run fast.
const MAX_FAMILIES: usize = 8;
const MAX_SERIES: usize = 4;
const MAX_OPS: usize = 8;
const MAX_PAIRS: usize = 4;
const MAX_BOUNDS: usize = 6;

const NAME_WORDS: &[&str] = &[
    "a",
    "b",
    "requests",
    "total",
    "seconds",
    "bytes",
    "count",
    "sum",
    "bucket",
    "created",
    "info",
    "gcount",
    "gsum",
    "le",
    "quantile",
    "mode",
    "x:y",
    "_",
    "__x",
    "9",
    "A",
    "é",
    "",
    "a b",
    "temp_celsius",
    "__name__",
];

const TEXT_WORDS: &[&str] = &[
    "",
    "ok",
    "\"",
    "\\",
    "\n",
    "\\n",
    "}",
    "{",
    "#",
    " # {a=\"b\"} 1",
    "=",
    ",",
    " ",
    "\t",
    "\r",
    "\0",
    "é",
    "\u{feff}",
    "+Inf",
    "NaN",
    "a\"b\\c\nd",
    "le",
    "# EOF",
];

/// Few stems and the suffixes of sample names, so that names collide the
/// way a family's samples can collide with another family.
const STEMS: &[&str] = &["a", "b", "mode"];
const SUFFIXES: &[&str] = &[
    "", "_total", "_count", "_sum", "_bucket", "_created", "_info", "_gcount", "_gsum", "_seconds",
];

/// A metric, label or unit name.
#[derive(Arbitrary, Debug, Clone)]
pub enum Name {
    Word(u8),
    Suffixed(u8, u8),
    Joined(u8, u8),
    Raw(String),
}

impl Name {
    pub fn text(&self) -> String {
        let word = |i: &u8| NAME_WORDS[usize::from(*i) % NAME_WORDS.len()];
        match self {
            Self::Word(i) => word(i).to_owned(),
            Self::Suffixed(i, j) => format!(
                "{}{}",
                STEMS[usize::from(*i) % STEMS.len()],
                SUFFIXES[usize::from(*j) % SUFFIXES.len()]
            ),
            Self::Joined(i, j) => format!("{}_{}", word(i), word(j)),
            Self::Raw(s) => s.clone(),
        }
    }
}

/// A label value or HELP text.
#[derive(Arbitrary, Debug, Clone)]
pub enum Text {
    Word(u8),
    Raw(String),
}

impl Text {
    pub fn text(&self) -> String {
        match self {
            Self::Word(i) => TEXT_WORDS[usize::from(*i) % TEXT_WORDS.len()].to_owned(),
            Self::Raw(s) => s.clone(),
        }
    }
}

/// A float, biased towards the values that break encoders.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Num {
    Int(i16),
    Fraction(i32, u8),
    Special(u8),
    Raw(f64),
}

impl Num {
    pub fn value(self) -> f64 {
        const SPECIAL: [f64; 12] = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            1e-300,
            9_007_199_254_740_993.0,
            0.1,
        ];
        match self {
            Self::Int(i) => f64::from(i),
            Self::Fraction(n, shift) => f64::from(n) / 2f64.powi(i32::from(shift % 64)),
            Self::Special(i) => SPECIAL[usize::from(i) % SPECIAL.len()],
            Self::Raw(f) => f,
        }
    }
}

/// A whole registry: an optional sub-registry scope and its families.
#[derive(Arbitrary, Debug)]
pub struct RegistrySpec {
    pub scope: Option<ScopeSpec>,
    pub families: Vec<FamilySpec>,
}

#[derive(Arbitrary, Debug)]
pub struct ScopeSpec {
    pub prefix: Name,
    pub labels: Vec<(Name, Text)>,
}

#[derive(Arbitrary, Debug)]
pub struct FamilySpec {
    pub name: Name,
    pub help: Text,
    pub unit: Option<Name>,
    pub kind: Kind,
    pub labels: Labels,
    pub series: Vec<SeriesSpec>,
}

#[derive(Arbitrary, Debug)]
pub enum Kind {
    Counter,
    FloatCounter,
    Gauge,
    FloatGauge,
    Histogram(Vec<Num>),
    GaugeHistogram(Vec<Num>),
    Summary,
    Info(Vec<(Name, Text)>),
    StateSet(Vec<Name>),
    Unknown,
    GaugeFn(Num),
    CounterFn(Num),
}

/// The label names of a family; `None` registers a bare metric.
#[derive(Arbitrary, Debug)]
pub enum Labels {
    None,
    One(Name),
    Two(Name, Name),
}

#[derive(Arbitrary, Debug)]
pub struct SeriesSpec {
    pub values: [Text; 2],
    pub ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
pub enum Op {
    Inc,
    IncBy(u64),
    IncFloat(Num),
    Set(i64),
    SetFloat(Num),
    Add(i64),
    Observe(Num),
    Unobserve(Num),
    CounterExemplar(u64, Vec<(Name, Text)>),
    FloatExemplar(Num, Vec<(Name, Text)>),
    ObserveExemplar(Num, Vec<(Name, Text)>),
    SetState(u8, bool),
    Remove,
}

/// A handle to one series, of whichever type.
#[derive(Debug, Clone)]
pub enum Handle {
    Counter(Counter),
    FloatCounter(FloatCounter),
    Gauge(Gauge),
    FloatGauge(FloatGauge),
    Histogram(Histogram),
    GaugeHistogram(GaugeHistogram),
    Summary(Summary),
    Info(Info),
    StateSet(StateSet),
    Unknown(Unknown),
    /// A callback metric and the value its closure returns.
    Callback(f64),
}

/// An exemplar as recorded: labels in order, and value.
pub type ExemplarModel = (Vec<(String, String)>, f64);

/// One live series and what the fuzz target expects of it beyond what its
/// handle reports.
#[derive(Debug, Clone)]
pub struct Series {
    /// The family's own label pairs, in label-name order.
    pub labels: Vec<(String, String)>,
    pub handle: Handle,
    /// The finite bucket bounds of a histogram or gauge histogram.
    pub bounds: Vec<f64>,
    /// Per-bucket signed counts of a histogram or gauge histogram, `+Inf`
    /// last.
    pub buckets: Vec<i64>,
    /// The latest exemplar of each histogram bucket.
    pub exemplars: Vec<Option<ExemplarModel>>,
}

/// The type a family was registered as, with what the checks need.
#[derive(Debug, Clone)]
pub enum Registered {
    Counter,
    FloatCounter,
    Gauge,
    FloatGauge,
    Histogram(Vec<f64>),
    GaugeHistogram(Vec<f64>),
    Summary,
    Info(Vec<(String, String)>),
    StateSet(Vec<String>),
    Unknown,
    GaugeFn,
    CounterFn,
}

/// A family that registered, and its live series.
#[derive(Debug)]
pub struct Expected {
    pub name: String,
    pub help: String,
    pub unit: Option<String>,
    pub kind: Registered,
    pub const_labels: Vec<(String, String)>,
    pub series: Vec<Series>,
}

/// A registry built from a spec, with the families that registered.
#[derive(Debug)]
pub struct Built {
    pub registry: Registry,
    pub families: Vec<Expected>,
}

/// Builds the registry `spec` describes. Every refusal must be an `Err`;
/// a panic anywhere here is a finding.
pub fn build(spec: &RegistrySpec) -> Built {
    let root = Registry::new();
    let mut target = root.clone();
    let mut prefix = String::new();
    let mut const_labels = Vec::new();
    if let Some(scope) = &spec.scope {
        let p = scope.prefix.text();
        let labels: Vec<(String, String)> = scope
            .labels
            .iter()
            .take(MAX_PAIRS)
            .map(|(n, v)| (n.text(), v.text()))
            .collect();
        let borrowed: Vec<(&str, &str)> = labels
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if let Ok(sub) = root.sub_registry(&p, &borrowed) {
            target = sub;
            prefix = if p.is_empty() { p } else { format!("{p}_") };
            const_labels = labels;
        }
    }
    let mut families = Vec::new();
    for family in spec.families.iter().take(MAX_FAMILIES) {
        if let Some(mut expected) = register(&target, family) {
            expected.name = format!("{prefix}{}", expected.name);
            expected.const_labels.clone_from(&const_labels);
            families.push(expected);
        }
    }
    Built {
        registry: root,
        families,
    }
}

fn bound_list(nums: &[Num]) -> Vec<f64> {
    nums.iter().take(MAX_BOUNDS).map(|n| n.value()).collect()
}

fn pairs(list: &[(Name, Text)]) -> Vec<(String, String)> {
    list.iter()
        .take(MAX_PAIRS)
        .map(|(n, v)| (n.text(), v.text()))
        .collect()
}

fn borrow(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// Registers one family and applies its operations.
fn register(registry: &Registry, spec: &FamilySpec) -> Option<Expected> {
    let name = spec.name.text();
    let help = spec.help.text();
    let unit = spec.unit.as_ref().map(Name::text);
    let label_names: Vec<String> = match &spec.labels {
        Labels::None => Vec::new(),
        Labels::One(a) => vec![a.text()],
        Labels::Two(a, b) => vec![a.text(), b.text()],
    };
    let bounds = match &spec.kind {
        Kind::Histogram(nums) | Kind::GaugeHistogram(nums) => bound_list(nums),
        _ => Vec::new(),
    };
    let ctx = Ctx {
        registry,
        name: &name,
        help: &help,
        unit: unit.as_deref(),
        label_names: &label_names,
        bounds: bounds.clone(),
    };
    let (kind, series) = match &spec.kind {
        Kind::Counter => (
            Registered::Counter,
            ctx.run(Counter::new(), Handle::Counter, &spec.series)?,
        ),
        Kind::FloatCounter => (
            Registered::FloatCounter,
            ctx.run(FloatCounter::new(), Handle::FloatCounter, &spec.series)?,
        ),
        Kind::Gauge => (
            Registered::Gauge,
            ctx.run(Gauge::new(), Handle::Gauge, &spec.series)?,
        ),
        Kind::FloatGauge => (
            Registered::FloatGauge,
            ctx.run(FloatGauge::new(), Handle::FloatGauge, &spec.series)?,
        ),
        Kind::Histogram(_) => {
            let buckets = check_buckets(&bounds, Buckets::new(bounds.iter().copied()))?;
            (
                Registered::Histogram(bounds.clone()),
                ctx.run(Histogram::new(buckets), Handle::Histogram, &spec.series)?,
            )
        }
        Kind::GaugeHistogram(_) => {
            let buckets = check_buckets(&bounds, Buckets::new(bounds.iter().copied()))?;
            (
                Registered::GaugeHistogram(bounds.clone()),
                ctx.run(
                    GaugeHistogram::new(buckets),
                    Handle::GaugeHistogram,
                    &spec.series,
                )?,
            )
        }
        Kind::Summary => (
            Registered::Summary,
            ctx.run(Summary::new(), Handle::Summary, &spec.series)?,
        ),
        Kind::Info(list) => {
            let own = pairs(list);
            (
                Registered::Info(own.clone()),
                ctx.run(Info::new(&borrow(&own)), Handle::Info, &spec.series)?,
            )
        }
        Kind::StateSet(list) => {
            let states: Vec<String> = list.iter().take(MAX_PAIRS).map(Name::text).collect();
            let borrowed: Vec<&str> = states.iter().map(String::as_str).collect();
            (
                Registered::StateSet(states.clone()),
                ctx.run(StateSet::new(&borrowed), Handle::StateSet, &spec.series)?,
            )
        }
        Kind::Unknown => (
            Registered::Unknown,
            ctx.run(Unknown::new(), Handle::Unknown, &spec.series)?,
        ),
        Kind::GaugeFn(n) => {
            let v = n.value();
            ctx.callback(GaugeFn::new(move || v))?;
            (Registered::GaugeFn, vec![callback_series(v)])
        }
        Kind::CounterFn(n) => {
            let v = n.value();
            ctx.callback(CounterFn::new(move || v))?;
            (Registered::CounterFn, vec![callback_series(v)])
        }
    };
    Some(Expected {
        name,
        help,
        unit,
        kind,
        const_labels: Vec::new(),
        series,
    })
}

/// `Buckets::new` must accept exactly the finite, strictly increasing,
/// non-empty lists.
fn check_buckets(bounds: &[f64], made: Result<Buckets, Error>) -> Option<Buckets> {
    let valid = !bounds.is_empty()
        && bounds.iter().all(|b| b.is_finite())
        && bounds.windows(2).all(|w| w[0] < w[1]);
    assert_eq!(made.is_ok(), valid, "Buckets::new({bounds:?}) = {made:?}");
    made.ok()
}

fn callback_series(v: f64) -> Series {
    Series {
        labels: Vec::new(),
        handle: Handle::Callback(v),
        bounds: Vec::new(),
        buckets: Vec::new(),
        exemplars: Vec::new(),
    }
}

struct Ctx<'a> {
    registry: &'a Registry,
    name: &'a str,
    help: &'a str,
    unit: Option<&'a str>,
    label_names: &'a [String],
    bounds: Vec<f64>,
}

impl Ctx<'_> {
    fn register<R: beamline::Register>(&self, metric: R) -> Result<R, Error> {
        match self.unit {
            Some(unit) => self
                .registry
                .register_with_unit(self.name, self.help, unit, metric),
            None => self.registry.register(self.name, self.help, metric),
        }
    }

    fn callback<R: beamline::Register>(&self, metric: R) -> Option<()> {
        self.register(metric).ok().map(drop)
    }

    /// Registers `template` alone or in a family, then runs every series'
    /// operations, and returns the live series.
    fn run<M: Metric>(
        &self,
        template: M,
        wrap: fn(M) -> Handle,
        specs: &[SeriesSpec],
    ) -> Option<Vec<Series>> {
        let n = self.label_names;
        let mut live = Lives {
            series: Vec::new(),
            bounds: self.bounds.clone(),
        };
        match n.len() {
            0 => {
                let metric = self.register(template).ok()?;
                let mut series = live.fresh(Vec::new(), wrap(metric.clone()));
                for spec in specs.iter().take(MAX_SERIES) {
                    for op in spec.ops.iter().take(MAX_OPS) {
                        if !matches!(op, Op::Remove) {
                            apply(&mut series, op);
                        }
                    }
                }
                live.series.push(series);
            }
            1 => {
                let family = Family::<M, 1>::with_template([&n[0]], template);
                let family = self.register(family).ok()?;
                live.drive(
                    specs,
                    1,
                    n,
                    |[a, _]| wrap(family.get([a])),
                    |[a, _]| family.remove([a]),
                );
            }
            _ => {
                let family = Family::<M, 2>::with_template([&n[0], &n[1]], template);
                let family = self.register(family).ok()?;
                live.drive(
                    specs,
                    2,
                    n,
                    |[a, b]| wrap(family.get([a, b])),
                    |[a, b]| family.remove([a, b]),
                );
            }
        }
        Some(live.series)
    }
}

/// The live series of a family, in creation order.
struct Lives {
    series: Vec<Series>,
    bounds: Vec<f64>,
}

impl Lives {
    fn fresh(&self, labels: Vec<(String, String)>, handle: Handle) -> Series {
        let slots = match &handle {
            Handle::Histogram(_) | Handle::GaugeHistogram(_) => self.bounds.len() + 1,
            _ => 0,
        };
        Series {
            labels,
            handle,
            bounds: self.bounds.clone(),
            buckets: vec![0; slots],
            exemplars: vec![None; slots],
        }
    }

    /// Runs each series spec against the family through `get` and `remove`,
    /// tracking which series are live.
    fn drive(
        &mut self,
        specs: &[SeriesSpec],
        arity: usize,
        names: &[String],
        get: impl Fn([&str; 2]) -> Handle,
        remove: impl Fn([&str; 2]) -> bool,
    ) {
        for spec in specs.iter().take(MAX_SERIES) {
            let values: Vec<String> = spec.values.iter().map(Text::text).collect();
            let key = [values[0].as_str(), values[1].as_str()];
            let labels: Vec<(String, String)> = names
                .iter()
                .take(arity)
                .cloned()
                .zip(values.iter().cloned())
                .collect();
            for op in spec.ops.iter().take(MAX_OPS) {
                let pos = self.series.iter().position(|s| s.labels == labels);
                if let Op::Remove = op {
                    let existed = remove(key);
                    assert_eq!(existed, pos.is_some(), "remove({labels:?})");
                    if let Some(p) = pos {
                        self.series.remove(p);
                    }
                    continue;
                }
                let handle = get(key);
                let index = pos.unwrap_or_else(|| {
                    let series = self.fresh(labels.clone(), handle);
                    self.series.push(series);
                    self.series.len() - 1
                });
                apply(&mut self.series[index], op);
            }
        }
    }
}

/// The bucket that counts `value`: the first bound not below it.
pub fn bucket_index(bounds: &[f64], value: f64) -> usize {
    bounds
        .iter()
        .position(|&b| value <= b)
        .unwrap_or(bounds.len())
}

/// Adds `delta` to the model of the bucket that counts `value`, and returns
/// that bucket; NaN is not counted.
fn count(series: &mut Series, value: f64, delta: i64) -> Option<usize> {
    if value.is_nan() {
        return None;
    }
    let i = bucket_index(&series.bounds, value);
    series.buckets[i] += delta;
    Some(i)
}

/// Applies one operation to a series, keeping the bucket model in step.
fn apply(series: &mut Series, op: &Op) {
    match (&series.handle, op) {
        (Handle::Counter(c), Op::Inc) => c.inc(),
        (Handle::Counter(c), Op::IncBy(n)) => c.inc_by(*n),
        (Handle::Counter(c), Op::CounterExemplar(n, list)) => {
            let _ = c.inc_by_with_exemplar(*n, &borrow(&pairs(list)));
        }
        (Handle::FloatCounter(c), Op::Inc) => c.inc(),
        (Handle::FloatCounter(c), Op::IncFloat(n)) => c.inc_by(n.value()),
        (Handle::FloatCounter(c), Op::FloatExemplar(n, list)) => {
            let _ = c.inc_by_with_exemplar(n.value(), &borrow(&pairs(list)));
        }
        (Handle::Gauge(g), Op::Set(v)) => g.set(*v),
        (Handle::Gauge(g), Op::Add(v)) => g.add(*v),
        (Handle::Gauge(g), Op::Inc) => g.inc(),
        (Handle::FloatGauge(g), Op::SetFloat(v)) => g.set(v.value()),
        (Handle::FloatGauge(g), Op::IncFloat(v)) => g.add(v.value()),
        (Handle::Unknown(u), Op::SetFloat(v)) => u.set(v.value()),
        (Handle::Summary(s), Op::Observe(v)) => s.observe(v.value()),
        (Handle::Histogram(h), Op::Observe(v)) => {
            let v = v.value();
            h.observe(v);
            count(series, v, 1);
        }
        (Handle::Histogram(h), Op::ObserveExemplar(v, list)) => {
            let v = v.value();
            let labels = pairs(list);
            let recorded = h.observe_with_exemplar(v, &borrow(&labels));
            if let (Some(i), true) = (count(series, v, 1), recorded.is_ok()) {
                series.exemplars[i] = Some((labels, v));
            }
        }
        (Handle::GaugeHistogram(h), Op::Observe(v)) => {
            h.observe(v.value());
            count(series, v.value(), 1);
        }
        (Handle::GaugeHistogram(h), Op::Unobserve(v)) => {
            h.unobserve(v.value());
            count(series, v.value(), -1);
        }
        (Handle::StateSet(s), Op::SetState(i, on)) => {
            let states: Vec<String> = s.states().map(str::to_owned).collect();
            if !states.is_empty() {
                let state = &states[usize::from(*i) % states.len()];
                assert!(s.set(state, *on));
            }
            assert!(!s.set("\u{0}no such state", true));
        }
        _ => {}
    }
}
