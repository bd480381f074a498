//! Label families: one series per distinct set of label values.
//!
//! Lookups by borrowed values take no lock and allocate nothing when the
//! series exists; they go through a concurrent hash set. Creating or removing
//! a series is the rare slow path and takes a mutex that also keeps the
//! creation order that scrapes follow.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use foldhash::fast::RandomState;
use papaya::{Equivalent, HashSet};
use parking_lot::Mutex;

use crate::labels::{render_pairs, LabelValues};
use crate::metrics::Metric;
use crate::view::{Point, Scratch};

/// One series of a family: its label values, their pre-rendered text and
/// the metric.
#[derive(Debug)]
pub(crate) struct Series<M, const N: usize> {
    values: [Box<str>; N],
    rendered: Box<str>,
    metric: M,
}

/// The hash-set key: a series, hashed and compared by its label values.
struct Key<M, const N: usize>(Arc<Series<M, N>>);

impl<M, const N: usize> Hash for Key<M, N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // `str` hashes its bytes then a terminator, so ("ab", "c") and
        // ("a", "bc") hash differently.
        for v in &self.0.values {
            (**v).hash(state);
        }
    }
}

impl<M, const N: usize> PartialEq for Key<M, N> {
    fn eq(&self, other: &Self) -> bool {
        self.0.values == other.0.values
    }
}

impl<M, const N: usize> Eq for Key<M, N> {}

/// A borrowed lookup key that hashes like [`Key`].
struct Query<'a, const N: usize>([&'a str; N]);

impl<const N: usize> Hash for Query<'_, N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for v in self.0 {
            v.hash(state);
        }
    }
}

impl<M, const N: usize> Equivalent<Key<M, N>> for Query<'_, N> {
    fn equivalent(&self, key: &Key<M, N>) -> bool {
        self.0.iter().zip(&key.0.values).all(|(a, b)| *a == &**b)
    }
}

struct Inner<M, const N: usize> {
    names: [Box<str>; N],
    template: M,
    index: HashSet<Key<M, N>, RandomState>,
    /// Series in creation order. Held by creators, removers and scrapes,
    /// never by lookups.
    order: Mutex<Vec<Arc<Series<M, N>>>>,
}

/// A family of metrics of type `M` told apart by `N` label values.
///
/// Cloning is cheap and yields a handle to the same family. Handles to
/// series stay valid while held, even after the series is removed; updates
/// through them are then no longer exposed.
///
/// # Examples
///
/// ```
/// use beamline::{Counter, Family, Format, Registry};
///
/// let registry = Registry::new();
/// let requests = registry.register(
///     "http_requests",
///     "Requests by method and code.",
///     Family::<Counter, 2>::new(["method", "code"]),
/// )?;
/// requests.get(["GET", "200"]).inc();
/// requests.with(["GET", "200"], |c| c.inc_by(2));
/// let created = requests.get(["POST", "500"]);
/// created.inc();
/// assert_eq!(requests.get(["GET", "200"]).get(), 3);
/// assert_eq!(requests.len(), 2);
///
/// let text = String::from_utf8(registry.encode_to_vec(Format::PrometheusText)).unwrap();
/// assert!(text.contains("http_requests_total{method=\"GET\",code=\"200\"} 3\n"));
/// assert!(text.contains("http_requests_total{method=\"POST\",code=\"500\"} 1\n"));
/// # Ok::<(), beamline::Error>(())
/// ```
pub struct Family<M: Metric, const N: usize> {
    inner: Arc<Inner<M, N>>,
}

impl<M: Metric, const N: usize> Clone for Family<M, N> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<M: Metric, const N: usize> fmt::Debug for Family<M, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("labels", &self.inner.names)
            .field("series", &self.len())
            .finish_non_exhaustive()
    }
}

impl<M: Metric + Default, const N: usize> Family<M, N> {
    /// Returns an empty family with the given label names, whose series start
    /// as `M::default()`. Names are validated when the family is registered.
    pub fn new(label_names: [&str; N]) -> Self {
        Self::with_template(label_names, M::default())
    }
}

impl<M: Metric, const N: usize> Family<M, N> {
    /// Returns an empty family whose series are configured like `template`
    /// (same buckets, same states), each with fresh values.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::{Buckets, Family, Histogram};
    ///
    /// let latency = Family::<Histogram, 1>::with_template(
    ///     ["route"],
    ///     Histogram::new(Buckets::exponential(0.001, 2.0, 12)?),
    /// );
    /// latency.get(["/state"]).observe(0.004);
    /// assert_eq!(latency.get(["/state"]).count(), 1);
    /// # Ok::<(), beamline::Error>(())
    /// ```
    pub fn with_template(label_names: [&str; N], template: M) -> Self {
        Self {
            inner: Arc::new(Inner {
                names: label_names.map(Into::into),
                template,
                index: HashSet::builder().hasher(RandomState::default()).build(),
                order: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Returns a handle to the series with these label values, creating it on
    /// first use. Allocates nothing when the series exists.
    #[inline]
    pub fn get(&self, values: impl LabelValues<N>) -> M {
        self.with(values, M::clone)
    }

    /// Runs `f` on the series with these label values, creating it on first
    /// use, without cloning the handle.
    #[inline]
    pub fn with<R>(&self, values: impl LabelValues<N>, f: impl FnOnce(&M) -> R) -> R {
        let values = values.values();
        {
            let index = self.inner.index.pin();
            if let Some(key) = index.get(&Query(values)) {
                return f(&key.0.metric);
            }
        }
        let series = self.create(values);
        f(&series.metric)
    }

    #[cold]
    fn create(&self, values: [&str; N]) -> Arc<Series<M, N>> {
        let mut order = self.inner.order.lock();
        let index = self.inner.index.pin();
        // Another thread may have created it while this one waited.
        if let Some(key) = index.get(&Query(values)) {
            return Arc::clone(&key.0);
        }
        let mut rendered = String::new();
        let own = self.inner.template.own_labels();
        render_pairs(
            &mut rendered,
            self.inner
                .names
                .iter()
                .map(|n| &**n)
                .zip(values)
                .chain(own.iter().map(|(n, v)| (&**n, &**v))),
        );
        let series = Arc::new(Series {
            values: values.map(Into::into),
            rendered: rendered.into(),
            metric: self.inner.template.fresh(),
        });
        index.insert(Key(Arc::clone(&series)));
        order.push(Arc::clone(&series));
        series
    }

    /// Removes the series with these label values. Returns whether it
    /// existed. Handles to it keep working but are no longer exposed.
    pub fn remove(&self, values: impl LabelValues<N>) -> bool {
        let values = values.values();
        let mut order = self.inner.order.lock();
        let removed = self.inner.index.pin().remove(&Query(values));
        if removed {
            order.retain(|s| s.values.iter().zip(values).any(|(a, b)| &**a != b));
        }
        removed
    }

    /// Removes every series.
    pub fn clear(&self) {
        let mut order = self.inner.order.lock();
        self.inner.index.pin().clear();
        order.clear();
    }

    /// Returns the number of series.
    pub fn len(&self) -> usize {
        self.inner.order.lock().len()
    }

    /// Returns whether the family has no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn label_names(&self) -> &[Box<str>] {
        &self.inner.names
    }

    pub(crate) fn template(&self) -> &M {
        &self.inner.template
    }

    /// Hands each series' labels and state to `f`, in creation order.
    pub(crate) fn visit(
        &self,
        scratch: &mut Scratch,
        f: &mut dyn FnMut(&SeriesLabels<'_>, Point<'_>),
    ) {
        let order = self.inner.order.lock();
        for series in order.iter() {
            let labels = SeriesLabels {
                rendered: &series.rendered,
                names: &self.inner.names,
                values: &series.values,
                own: self.inner.template.own_labels(),
            };
            series.metric.visit(scratch, &mut |p| f(&labels, p));
        }
    }
}

/// The labels of one series as encoders need them: pre-rendered text, and
/// the pairs for formats that carry them structured.
#[derive(Debug)]
pub struct SeriesLabels<'a> {
    /// `name="value"` pairs, escaped, comma-separated, no braces.
    pub(crate) rendered: &'a str,
    pub(crate) names: &'a [Box<str>],
    pub(crate) values: &'a [Box<str>],
    /// Pairs the metric carries itself (info metrics).
    pub(crate) own: &'a [(Box<str>, Box<str>)],
}

impl SeriesLabels<'_> {
    /// Returns every pair, family labels first.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.names
            .iter()
            .zip(self.values)
            .map(|(n, v)| (&**n, &**v))
            .chain(self.own.iter().map(|(n, v)| (&**n, &**v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Counter;

    #[test]
    fn concatenations_are_distinct_series() {
        let f: Family<Counter, 2> = Family::new(["a", "b"]);
        f.get(["ab", "c"]).inc();
        f.get(["a", "bc"]).inc_by(2);
        assert_eq!(f.len(), 2);
        assert_eq!(f.get(["ab", "c"]).get(), 1);
        assert_eq!(f.get(["a", "bc"]).get(), 2);
    }

    #[test]
    fn handles_outlive_removal() {
        let f: Family<Counter, 1> = Family::new(["a"]);
        let h = f.get(["x"]);
        h.inc();
        assert!(f.remove(["x"]));
        assert!(!f.remove(["x"]));
        h.inc();
        assert_eq!(h.get(), 2);
        assert_eq!(f.get(["x"]).get(), 0, "a removed series comes back fresh");
        f.clear();
        assert!(f.is_empty());
    }

    #[test]
    fn remove_keeps_the_other_series_in_order() {
        let f: Family<Counter, 2> = Family::new(["a", "b"]);
        for v in [["1", "x"], ["1", "y"], ["2", "x"]] {
            f.get(v).inc();
        }
        f.remove(["1", "y"]);
        let order: Vec<String> = f
            .inner
            .order
            .lock()
            .iter()
            .map(|s| s.rendered.to_string())
            .collect();
        assert_eq!(order, ["a=\"1\",b=\"x\"", "a=\"2\",b=\"x\""]);
    }
}
