//! Label families: one series per distinct set of label values.
//!
//! Lookups by borrowed values take no lock and allocate nothing when the
//! series exists (see `index` for how). Creating or removing a series is the
//! rare slow path and takes a mutex that also keeps the creation order that
//! scrapes follow.

use std::fmt;
use std::sync::Arc;

use crate::labels::{render_pairs, LabelValues};
use crate::metrics::Metric;
use crate::view::{Point, Scratch};

mod index;

use index::{Index, Series};

struct Inner<M, const N: usize> {
    names: [Box<str>; N],
    template: M,
    index: Index<M, N>,
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
                index: Index::new(),
            }),
        }
    }

    /// Returns a handle to the series with these label values, creating it on
    /// first use. Allocates nothing when the series exists; the clone costs
    /// one reference-count increment, which [`with`](Self::with) avoids.
    #[inline]
    pub fn get(&self, values: impl LabelValues<N>) -> M {
        self.with(values, M::clone)
    }

    /// Runs `f` on the series with these label values, creating it on first
    /// use, without cloning the handle.
    #[inline]
    pub fn with<R>(&self, values: impl LabelValues<N>, f: impl FnOnce(&M) -> R) -> R {
        let values = values.values();
        let index = &self.inner.index;
        let hash = index.hash(&values);
        match index.find(hash, &values, |series| f(&series.metric)) {
            Ok(r) => r,
            Err(f) => f(&self.get_or_create(hash, values)),
        }
    }

    #[cold]
    fn get_or_create(&self, hash: u64, values: [&str; N]) -> Arc<Series<M, N>> {
        let index = &self.inner.index;
        let mut writer = index.lock();
        // Another thread may have created it while this one waited.
        if let Some(series) = Index::find_locked(&writer, hash, &values) {
            return series;
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
        index.insert_locked(
            &mut writer,
            hash,
            values.map(Into::into),
            rendered.into(),
            self.inner.template.fresh(),
        )
    }

    /// Removes the series with these label values. Returns whether it
    /// existed. Handles to it keep working but are no longer exposed.
    pub fn remove(&self, values: impl LabelValues<N>) -> bool {
        let values = values.values();
        let index = &self.inner.index;
        let hash = index.hash(&values);
        index.remove_locked(&mut index.lock(), hash, &values)
    }

    /// Removes every series.
    pub fn clear(&self) {
        let index = &self.inner.index;
        index.clear_locked(&mut index.lock());
    }

    /// Returns the number of series.
    pub fn len(&self) -> usize {
        self.inner.index.lock().order.len()
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
        let writer = self.inner.index.lock();
        for series in &writer.order {
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
#[cfg_attr(
    not(feature = "protobuf"),
    allow(dead_code, reason = "read by the protobuf encoders only")
)]
pub struct SeriesLabels<'a> {
    /// `name="value"` pairs, escaped, comma-separated, no braces.
    pub(crate) rendered: &'a str,
    pub(crate) names: &'a [Box<str>],
    pub(crate) values: &'a [Box<str>],
    /// Pairs the metric carries itself (info metrics).
    pub(crate) own: &'a [(Box<str>, Box<str>)],
}

#[cfg_attr(
    not(feature = "protobuf"),
    allow(dead_code, reason = "read by the protobuf encoders only")
)]
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
            .index
            .lock()
            .order
            .iter()
            .map(|s| s.rendered.to_string())
            .collect();
        assert_eq!(order, ["a=\"1\",b=\"x\"", "a=\"2\",b=\"x\""]);
    }
}
