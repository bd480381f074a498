//! The registry: named metric families, their validation, sub-registries,
//! collectors, and the walk that scrapes hand to encoders.
//!
//! See OpenMetrics 1.0, "Metric Families" and "Suffixes" for the naming
//! rules enforced here.

use std::collections::HashMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::encoding::Encoder;
use crate::error::Error;
use crate::family::{Family, Limits, SeriesLabels, Values};
use crate::labels::render_pairs;
use crate::metrics::{Counter, CounterFn, GaugeFn, Metric, MetricType};
use crate::validation;
use crate::view::{Point, Scratch};

/// What encoders know of a family: validated, with its text pre-rendered.
#[derive(Debug)]
pub(crate) struct Descriptor {
    pub(crate) name: Box<str>,
    pub(crate) help: Box<str>,
    pub(crate) unit: Option<Box<str>>,
    pub(crate) metric_type: MetricType,
    #[cfg_attr(
        not(feature = "protobuf"),
        allow(dead_code, reason = "read by the protobuf encoders only")
    )]
    pub(crate) const_labels: Arc<[(Box<str>, Box<str>)]>,
    /// The constant labels as `name="value"` text, comma-separated.
    pub(crate) const_rendered: Box<str>,
}

/// Something a registry can hold: a metric, a family, or a callback metric.
///
/// Implemented by every beamline metric type, by [`Family`], [`GaugeFn`] and
/// [`CounterFn`]; it cannot be implemented outside this crate.
pub trait Register: register_sealed::Sealed + Clone + Send + Sync + 'static {}

pub(crate) mod register_sealed {
    use std::sync::Arc;

    use crate::error::Error;
    use crate::metrics::MetricType;

    pub trait Sealed {
        fn metric_type(&self) -> MetricType;
        fn label_names(&self) -> Vec<&str>;
        fn check(&self) -> Result<(), Error>;
        fn source(&self) -> Arc<dyn super::Source>;

        /// The cardinality settings of a family; `None` for the rest.
        fn limits(&self) -> Option<&crate::family::Limits> {
            None
        }
    }
}

/// A family's series at scrape time.
pub trait Source: Send + Sync {
    /// Hands each series' labels and state to `f`.
    fn visit(&self, scratch: &mut Scratch, f: &mut dyn FnMut(&SeriesLabels<'_>, Point<'_>));

    /// Returns whether visiting runs the user's code (a callback metric),
    /// which may scrape the registry again.
    fn calls_back(&self) -> bool {
        false
    }
}

/// A metric standing alone, with its own labels pre-rendered.
struct Single<M> {
    metric: M,
    rendered: Box<str>,
}

impl<M: Metric> Source for Single<M> {
    fn visit(&self, scratch: &mut Scratch, f: &mut dyn FnMut(&SeriesLabels<'_>, Point<'_>)) {
        let labels = SeriesLabels {
            rendered: &self.rendered,
            names: &[],
            values: Values::Given(&[]),
            own: self.metric.own_labels(),
        };
        self.metric.visit(scratch, &mut |p| f(&labels, p));
    }
}

impl<M: Metric> register_sealed::Sealed for M {
    fn metric_type(&self) -> MetricType {
        M::TYPE
    }

    fn label_names(&self) -> Vec<&str> {
        self.own_labels().iter().map(|(n, _)| &**n).collect()
    }

    fn check(&self) -> Result<(), Error> {
        crate::metrics::sealed::Sealed::check(self)
    }

    fn source(&self) -> Arc<dyn Source> {
        let mut rendered = String::new();
        render_pairs(
            &mut rendered,
            self.own_labels().iter().map(|(n, v)| (&**n, &**v)),
        );
        Arc::new(Single {
            metric: self.clone(),
            rendered: rendered.into(),
        })
    }
}

impl<M: Metric> Register for M {}

impl<M: Metric, const N: usize> Source for Family<M, N> {
    fn visit(&self, scratch: &mut Scratch, f: &mut dyn FnMut(&SeriesLabels<'_>, Point<'_>)) {
        Family::visit(self, scratch, f);
    }
}

impl<M: Metric, const N: usize> register_sealed::Sealed for Family<M, N> {
    fn metric_type(&self) -> MetricType {
        M::TYPE
    }

    fn label_names(&self) -> Vec<&str> {
        self.label_names()
            .iter()
            .map(|n| &**n)
            .chain(self.template().own_labels().iter().map(|(n, _)| &**n))
            .collect()
    }

    fn check(&self) -> Result<(), Error> {
        crate::metrics::sealed::Sealed::check(self.template())
    }

    fn source(&self) -> Arc<dyn Source> {
        Arc::new(self.clone())
    }

    fn limits(&self) -> Option<&Limits> {
        Some(Family::limits(self))
    }
}

impl<M: Metric, const N: usize> Register for Family<M, N> {}

/// The family a registry adds for the overflow counters of its capped
/// families: `beamline_overflowed_label_sets_total{family="..."}`.
const OVERFLOW_FAMILY: &str = "beamline_overflowed_label_sets";
const OVERFLOW_HELP: &str = "Distinct label sets that a family at its series cap folded \
                             into its overflow series (an estimate, 1.6% standard error).";

/// One capped family's overflow counter: its `family` label value, that
/// label rendered, and the counter.
type OverflowSeries = (Box<str>, Box<str>, Counter);

/// The overflow counters of the capped families, one series each.
struct OverflowCounters {
    names: [Box<str>; 1],
    series: Mutex<Vec<OverflowSeries>>,
}

impl OverflowCounters {
    fn new() -> Self {
        Self {
            names: ["family".into()],
            series: Mutex::new(Vec::new()),
        }
    }

    fn add(&self, family: &str, counter: Counter) {
        let mut rendered = String::new();
        render_pairs(&mut rendered, [("family", family)]);
        self.series
            .lock()
            .push((family.into(), rendered.into(), counter));
    }
}

impl Source for OverflowCounters {
    fn visit(&self, scratch: &mut Scratch, f: &mut dyn FnMut(&SeriesLabels<'_>, Point<'_>)) {
        for (family, rendered, counter) in self.series.lock().iter() {
            let values = [&**family];
            let labels = SeriesLabels {
                rendered,
                names: &self.names,
                values: Values::Given(&values),
                own: &[],
            };
            crate::metrics::sealed::Sealed::visit(counter, scratch, &mut |p| f(&labels, p));
        }
    }
}

macro_rules! callback_source {
    ($t:ty, $kind:expr, $point:expr) => {
        impl Source for $t {
            fn visit(&self, _: &mut Scratch, f: &mut dyn FnMut(&SeriesLabels<'_>, Point<'_>)) {
                if let Some(value) = self.value() {
                    let labels = SeriesLabels {
                        rendered: "",
                        names: &[],
                        values: Values::Given(&[]),
                        own: &[],
                    };
                    f(&labels, $point(value));
                }
            }

            fn calls_back(&self) -> bool {
                true
            }
        }

        impl register_sealed::Sealed for $t {
            fn metric_type(&self) -> MetricType {
                $kind
            }

            fn label_names(&self) -> Vec<&str> {
                Vec::new()
            }

            fn check(&self) -> Result<(), Error> {
                Ok(())
            }

            fn source(&self) -> Arc<dyn Source> {
                Arc::new(self.clone())
            }
        }

        impl Register for $t {}
    };
}

callback_source!(GaugeFn, MetricType::Gauge, Point::Gauge);
callback_source!(CounterFn, MetricType::Counter, |value| Point::Counter {
    value,
    created: None,
    exemplar: None,
});

/// Produces whole families at scrape time, for values that live elsewhere
/// (another library's statistics, a process table).
///
/// A collector that panics loses only its own families for that scrape.
///
/// # Examples
///
/// ```
/// use beamline::{Collection, Collector, Family, FloatGauge, Format, Registry};
///
/// #[derive(Debug)]
/// struct Queues;
///
/// impl Collector for Queues {
///     fn collect(&self, out: &mut Collection<'_>) {
///         let depth = Family::<FloatGauge, 1>::new(["queue"]);
///         depth.get(["mail"]).set(3.0);
///         // An invalid family is refused and left out of the scrape.
///         let _ = out.add("queue_depth", "Items waiting.", depth);
///     }
/// }
///
/// let registry = Registry::new();
/// registry.register_collector(Queues);
/// let text = String::from_utf8(registry.encode_to_vec(Format::PrometheusText)).unwrap();
/// assert!(text.contains("queue_depth{queue=\"mail\"} 3.0\n"));
/// ```
pub trait Collector: Send + Sync + fmt::Debug + 'static {
    /// Adds the current families to `out`.
    fn collect(&self, out: &mut Collection<'_>);
}

/// The families a [`Collector`] produces during one scrape, validated like
/// registered ones.
pub struct Collection<'a> {
    scope: &'a Scope,
    state: &'a RwLock<State>,
    local: &'a mut Claims,
    entries: Vec<(Descriptor, Arc<dyn Source>)>,
}

impl fmt::Debug for Collection<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collection")
            .field("families", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl Collection<'_> {
    /// Adds a family under `name` with `help`.
    ///
    /// # Errors
    ///
    /// Returns the same errors as [`Registry::register`], including names
    /// already taken by registered families or earlier collected ones.
    pub fn add<R: Register>(&mut self, name: &str, help: &str, metric: R) -> Result<(), Error> {
        self.add_inner(name, help, None, &metric)
    }

    /// Adds a family with a unit.
    ///
    /// # Errors
    ///
    /// Returns the same errors as [`Registry::register_with_unit`].
    pub fn add_with_unit<R: Register>(
        &mut self,
        name: &str,
        help: &str,
        unit: &str,
        metric: R,
    ) -> Result<(), Error> {
        self.add_inner(name, help, Some(unit), &metric)
    }

    fn add_inner<R: Register>(
        &mut self,
        name: &str,
        help: &str,
        unit: Option<&str>,
        metric: &R,
    ) -> Result<(), Error> {
        let desc = self.scope.describe(name, help, unit, metric)?;
        let claimed = sample_names(&desc);
        self.state.read().claims.check(&desc.name, &claimed)?;
        self.local.check(&desc.name, &claimed)?;
        self.local.insert(&desc.name, claimed);
        self.entries.push((desc, metric.source()));
        Ok(())
    }
}

/// The sample names each family owns, to detect collisions.
#[derive(Debug, Default)]
struct Claims(HashMap<Box<str>, Box<str>>);

impl Claims {
    fn check(&self, family: &str, samples: &[String]) -> Result<(), Error> {
        for sample in samples {
            if let Some(owner) = self.0.get(sample.as_str()) {
                if &**owner == family {
                    return Err(Error::DuplicateFamily {
                        name: family.into(),
                    });
                }
                return Err(Error::SampleNameCollision {
                    name: family.into(),
                    sample: sample.clone(),
                    existing: owner.to_string(),
                });
            }
        }
        Ok(())
    }

    fn insert(&mut self, family: &str, samples: Vec<String>) {
        for sample in samples {
            self.0.insert(sample.into(), family.into());
        }
    }
}

/// The family name and every sample name it exposes.
fn sample_names(desc: &Descriptor) -> Vec<String> {
    let mut names = vec![desc.name.to_string()];
    for suffix in desc.metric_type.sample_suffixes() {
        if !suffix.is_empty() {
            names.push(format!("{}{suffix}", desc.name));
        }
    }
    names
}

/// A name prefix and constant labels, shared by a registry and the
/// sub-registries made from it.
#[derive(Debug, Default)]
struct Scope {
    prefix: String,
    const_labels: Arc<[(Box<str>, Box<str>)]>,
    const_rendered: Box<str>,
}

impl Scope {
    /// Validates a registration and returns its descriptor.
    fn describe<R: Register>(
        &self,
        name: &str,
        help: &str,
        unit: Option<&str>,
        metric: &R,
    ) -> Result<Descriptor, Error> {
        let full = format!("{}{name}", self.prefix);
        validation::metric_name(&full)?;
        let metric_type = metric.metric_type();
        if metric_type == MetricType::StateSet && validation::label_name(&full).is_err() {
            return Err(Error::StateSetName { name: full });
        }
        if metric_type == MetricType::Counter && full.ends_with("_total") {
            return Err(Error::CounterTotalSuffix { name: full });
        }
        if let Some(unit) = unit {
            if matches!(metric_type, MetricType::Info | MetricType::StateSet) {
                return Err(Error::UnitNotAllowed {
                    name: full,
                    metric_type: metric_type.as_str(),
                });
            }
            validation::unit(&full, unit)?;
        }
        let names = metric.label_names();
        validation::label_names(
            self.const_labels
                .iter()
                .map(|(n, _)| &**n)
                .chain(names.iter().copied()),
            metric_type.reserved_label(&full),
        )?;
        metric.check()?;
        Ok(Descriptor {
            name: full.into(),
            help: help.into(),
            unit: unit.map(Into::into),
            metric_type,
            const_labels: Arc::clone(&self.const_labels),
            const_rendered: self.const_rendered.clone(),
        })
    }
}

enum Entry {
    Family(Descriptor, Arc<dyn Source>),
    Collector(Arc<Scope>, Box<dyn Collector>),
}

#[derive(Default)]
struct State {
    entries: Vec<Arc<Entry>>,
    claims: Claims,
    /// The cap given to families registered without one.
    default_max_series: Option<usize>,
    /// The overflow counters, once a capped family is registered.
    overflow: Option<Arc<OverflowCounters>>,
}

/// Holds metric families and renders them in any supported format.
///
/// Cloning is cheap and yields a handle to the same registry. Families are
/// exposed in registration order, series in creation order, so two scrapes
/// of an unchanged registry are byte-identical.
///
/// # Examples
///
/// ```
/// use beamline::{Counter, Format, Registry};
///
/// let registry = Registry::new();
/// let kicks = registry.register("kicks", "RF kicks.", Counter::new())?;
/// kicks.inc_by(3);
/// let text = String::from_utf8(registry.encode_to_vec(Format::OpenMetricsText)).unwrap();
/// assert!(text.starts_with("# TYPE kicks counter\n# HELP kicks RF kicks.\nkicks_total 3\n"));
/// assert!(text.ends_with("# EOF\n"));
/// # Ok::<(), beamline::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    state: Arc<RwLock<State>>,
    scope: Arc<Scope>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("families", &self.state.read().entries.len())
            .field("prefix", &self.scope.prefix)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// Returns an empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `metric` under `name` with `help`, and returns it.
    ///
    /// # Errors
    ///
    /// Returns an error when the name, a label name or the metric's own
    /// configuration breaks a rule, or when the name or one of its sample
    /// names is taken; nothing is registered then.
    pub fn register<R: Register>(&self, name: &str, help: &str, metric: R) -> Result<R, Error> {
        self.register_inner(name, help, None, metric)
    }

    /// Registers `metric` under `name` with `help` and `unit`, which must end
    /// the name (`"seconds"` for `"latency_seconds"`).
    ///
    /// # Errors
    ///
    /// As [`register`](Self::register), and also when the unit is not the
    /// name's suffix or the metric is an info or a state set.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::{Error, FloatGauge, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register_with_unit("energy_electronvolts", "Beam energy.", "electronvolts",
    ///     FloatGauge::new())?;
    /// let err = registry
    ///     .register_with_unit("speed", "Beam speed.", "meters_per_second", FloatGauge::new())
    ///     .unwrap_err();
    /// assert!(matches!(err, Error::UnitNotSuffix { .. }));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn register_with_unit<R: Register>(
        &self,
        name: &str,
        help: &str,
        unit: &str,
        metric: R,
    ) -> Result<R, Error> {
        self.register_inner(name, help, Some(unit), metric)
    }

    fn register_inner<R: Register>(
        &self,
        name: &str,
        help: &str,
        unit: Option<&str>,
        metric: R,
    ) -> Result<R, Error> {
        let desc = self.scope.describe(name, help, unit, &metric)?;
        let claimed = sample_names(&desc);
        let mut state = self.state.write();
        state.claims.check(&desc.name, &claimed)?;
        let limits = metric.limits();
        let max = limits.and_then(|l| l.max_series().or(state.default_max_series));
        if let (Some(limits), Some(max)) = (limits, max) {
            let overflow = state.overflow_counters()?;
            limits.set_max_series(max);
            overflow.add(&desc.name, limits.overflowed().clone());
        }
        state.claims.insert(&desc.name, claimed);
        state
            .entries
            .push(Arc::new(Entry::Family(desc, metric.source())));
        Ok(metric)
    }

    /// Sets the cap on the number of series that families registered from
    /// now on get when they have none of their own (see
    /// [`Family::with_max_series`]); `None` stops capping them. Applies to
    /// every registry sharing this one's families (sub-registries).
    ///
    /// Each capped family's count of distinct folded label sets (see
    /// [`Family::overflowed`]) is exposed as
    /// `beamline_overflowed_label_sets_total{family="..."}`.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::{Counter, Family, Format, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.set_default_max_series(Some(100));
    /// let paths = registry.register("hits", "Hits by path.", Family::<Counter, 1>::new(["path"]))?;
    /// assert_eq!(paths.max_series(), Some(100));
    /// for i in 0..150 {
    ///     paths.get([format!("/item/{i}")]).inc();
    /// }
    /// assert_eq!(paths.len(), 101);
    /// let text = String::from_utf8(registry.encode_to_vec(Format::PrometheusText)).unwrap();
    /// assert!(text.contains("hits_total{path=\"__overflow__\"} 50\n"));
    /// let folded: Option<u64> = text
    ///     .lines()
    ///     .find_map(|l| l.strip_prefix("beamline_overflowed_label_sets_total{family=\"hits\"} "))
    ///     .and_then(|v| v.parse().ok());
    /// assert_eq!(folded, Some(50)); // the 50 folded paths
    /// # Ok::<(), beamline::Error>(())
    /// ```
    pub fn set_default_max_series(&self, max: Option<usize>) {
        self.state.write().default_max_series = max;
    }

    /// Adds a collector; its families appear at this point of the
    /// registration order, under this registry's prefix and labels.
    pub fn register_collector(&self, collector: impl Collector) {
        self.state.write().entries.push(Arc::new(Entry::Collector(
            Arc::clone(&self.scope),
            Box::new(collector),
        )));
    }

    /// Returns a registry that shares this one's families but registers
    /// under `prefix` followed by `_`, and adds `labels` to every series.
    ///
    /// # Errors
    ///
    /// Returns an error when the prefix is not a valid name start, or a label
    /// name is invalid, reserved or repeated.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::{Counter, Format, Registry};
    ///
    /// let registry = Registry::new();
    /// let lab = registry.sub_registry("accelerator", &[("ring", "lhc")])?;
    /// lab.register("kicks", "RF kicks.", Counter::new())?.inc();
    /// let text = String::from_utf8(registry.encode_to_vec(Format::PrometheusText)).unwrap();
    /// assert!(text.contains("accelerator_kicks_total{ring=\"lhc\"} 1\n"));
    /// # Ok::<(), beamline::Error>(())
    /// ```
    pub fn sub_registry(&self, prefix: &str, labels: &[(&str, &str)]) -> Result<Self, Error> {
        let full_prefix = if prefix.is_empty() {
            self.scope.prefix.clone()
        } else {
            let full = format!("{}{prefix}", self.scope.prefix);
            if validation::metric_name(&full).is_err() {
                return Err(Error::InvalidPrefix { prefix: full });
            }
            full + "_"
        };
        let const_labels: Vec<(Box<str>, Box<str>)> = self
            .scope
            .const_labels
            .iter()
            .cloned()
            .chain(labels.iter().map(|(n, v)| ((*n).into(), (*v).into())))
            .collect();
        validation::label_names(const_labels.iter().map(|(n, _)| &**n), None)?;
        let mut rendered = String::new();
        render_pairs(
            &mut rendered,
            const_labels.iter().map(|(n, v)| (&**n, &**v)),
        );
        Ok(Self {
            state: Arc::clone(&self.state),
            scope: Arc::new(Scope {
                prefix: full_prefix,
                const_labels: const_labels.into(),
                const_rendered: rendered.into(),
            }),
        })
    }

    /// Walks every family in registration order and feeds the encoder.
    ///
    /// The registry lock is held only to copy the list of entries, so
    /// collectors and callbacks may register, or scrape, from inside.
    pub(crate) fn walk(&self, encoder: &mut dyn Encoder) {
        let entries: Vec<Arc<Entry>> = self.state.read().entries.clone();
        // A collector or a callback that scrapes its own registry would
        // recurse forever: on re-entry, both are skipped.
        let walking = Walking::enter(Arc::as_ptr(&self.state) as usize);
        let reentered = walking.reentered;
        let mut scratch = Scratch::default();
        let mut collected_claims = Claims::default();
        for entry in &entries {
            match &**entry {
                Entry::Family(_, source) if reentered && source.calls_back() => {}
                Entry::Family(desc, source) => emit(encoder, &mut scratch, desc, &**source),
                Entry::Collector(..) if reentered => {}
                Entry::Collector(scope, collector) => {
                    let mut out = Collection {
                        scope,
                        state: &self.state,
                        local: &mut collected_claims,
                        entries: Vec::new(),
                    };
                    let collected = catch_unwind(AssertUnwindSafe(|| collector.collect(&mut out)));
                    if collected.is_ok() {
                        for (desc, source) in &out.entries {
                            emit(encoder, &mut scratch, desc, &**source);
                        }
                    }
                }
            }
        }
        drop(walking);
        encoder.finish();
    }
}

impl State {
    /// Returns the overflow counters, registering their family first if
    /// needed (under the same rules as any family).
    fn overflow_counters(&mut self) -> Result<Arc<OverflowCounters>, Error> {
        if let Some(overflow) = &self.overflow {
            return Ok(Arc::clone(overflow));
        }
        let desc = Scope::default().describe(
            OVERFLOW_FAMILY,
            OVERFLOW_HELP,
            None,
            &Family::<Counter, 1>::new(["family"]),
        )?;
        let claimed = sample_names(&desc);
        self.claims.check(&desc.name, &claimed)?;
        self.claims.insert(&desc.name, claimed);
        let overflow = Arc::new(OverflowCounters::new());
        self.entries.push(Arc::new(Entry::Family(
            desc,
            Arc::clone(&overflow) as Arc<dyn Source>,
        )));
        self.overflow = Some(Arc::clone(&overflow));
        Ok(overflow)
    }
}

/// Marks a registry as being scraped by this thread until dropped.
struct Walking {
    reentered: bool,
}

impl Walking {
    fn enter(key: usize) -> Self {
        let reentered = WALKING.with(|w| {
            let mut w = w.borrow_mut();
            let found = w.contains(&key);
            w.push(key);
            found
        });
        Self { reentered }
    }
}

impl Drop for Walking {
    fn drop(&mut self) {
        WALKING.with(|w| w.borrow_mut().pop());
    }
}

thread_local! {
    /// The registries this thread is scraping, innermost last.
    static WALKING: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn emit(encoder: &mut dyn Encoder, scratch: &mut Scratch, desc: &Descriptor, source: &dyn Source) {
    encoder.family(desc);
    source.visit(scratch, &mut |labels, point| {
        encoder.series(desc, labels, point);
    });
}
