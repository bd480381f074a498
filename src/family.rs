//! Label families: one series per distinct set of label values.
//!
//! Lookups by borrowed values take no lock and allocate nothing when the
//! series exists (see `index` for how). Creating or removing a series is the
//! rare slow path and takes a mutex that also keeps the creation order that
//! scrapes follow.
//!
//! A family can bound its number of series (`with_max_series`): past the
//! cap, new label sets fold into one overflow series whose every value is
//! [`OVERFLOW_LABEL_VALUE`], and the distinct label sets folded are counted
//! in fixed memory: exactly up to 256, then as an estimate (see `distinct`). It can also drop series
//! left idle (`with_idle_expiry`, see `expiry`).

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::labels::{render_pairs, LabelValues};
use crate::metrics::{Counter, Metric};
use crate::view::{Point, Scratch};

mod distinct;
mod expiry;
mod index;

use distinct::Distinct;
use expiry::{Activity, Expiry, Verdict};
use index::{Gaps, Index, Series, Writer};

/// The value of every label of a family's overflow series: the series that
/// label sets fold into once the family holds its maximum number of series
/// (see [`Family::with_max_series`]).
///
/// Any string is a valid label value; this one starts with two underscores
/// so that it reads as beamline's own. A caller that looks this label set up
/// itself gets the overflow series.
pub const OVERFLOW_LABEL_VALUE: &str = "__overflow__";

/// The cardinality settings of a family, which a registry reads and
/// completes at registration.
#[derive(Debug)]
pub struct Limits {
    /// The most series besides the overflow one; `usize::MAX` for no cap.
    max_series: AtomicUsize,
    /// The distinct label sets folded into the overflow series, as
    /// counted by `folded`: a counter, so that it never goes down.
    overflowed: Counter,
    /// The count behind `overflowed`, allocated on the first fold.
    folded: Distinct,
}

impl Limits {
    fn new() -> Self {
        Self {
            max_series: AtomicUsize::new(usize::MAX),
            overflowed: Counter::new(),
            folded: Distinct::new(),
        }
    }

    /// Records that the label set with this hash was folded. Raises the
    /// counter only when the count of distinct folded sets rises: a label
    /// set folded again leaves it as it is.
    fn fold(&self, hash: u64) {
        let rise = self.folded.insert(hash);
        if rise > 0 {
            self.overflowed.inc_by(rise);
        }
    }

    /// Returns the cap, if any.
    pub(crate) fn max_series(&self) -> Option<usize> {
        match self.max_series.load(Ordering::Relaxed) {
            usize::MAX => None,
            max => Some(max),
        }
    }

    /// Sets the cap (`usize::MAX` removes it).
    pub(crate) fn set_max_series(&self, max: usize) {
        self.max_series.store(max, Ordering::Relaxed);
    }

    /// Returns the counter of distinct folded label sets.
    pub(crate) fn overflowed(&self) -> &Counter {
        &self.overflowed
    }
}

struct Inner<M, const N: usize> {
    names: [Box<str>; N],
    template: M,
    index: Index<M, N>,
    limits: Limits,
    /// The hash of the overflow series' values.
    overflow_hash: u64,
    expiry: Expiry,
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
            .field("max_series", &self.max_series())
            .field("idle_expiry", &self.inner.expiry.after())
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
        let names = label_names.map(Box::from);
        let index = Index::new(Gaps::new(&names));
        let overflow_hash = index.hash(&[OVERFLOW_LABEL_VALUE; N]);
        Self {
            inner: Arc::new(Inner {
                names,
                template,
                index,
                limits: Limits::new(),
                overflow_hash,
                expiry: Expiry::new(),
            }),
        }
    }

    /// Caps the number of series at `max`, besides the overflow series.
    ///
    /// Series that exist keep working. Once the family holds `max` series,
    /// a lookup of a new label set returns the overflow series, whose every
    /// label value is [`OVERFLOW_LABEL_VALUE`], and the label set joins the
    /// count of distinct folded label sets (see
    /// [`overflowed`](Self::overflowed)); removing or expiring series makes
    /// room again. Folding allocates nothing and takes no lock once the
    /// overflow series exists (the first fold also allocates the 6 KiB that
    /// the count needs). Lookups that race with a removal may fold a label
    /// set that the family had just made room for.
    ///
    /// A registry exposes the count of every capped family it holds as
    /// `beamline_overflowed_label_sets_total{family="..."}`; set the cap
    /// before registering. [`Registry::set_default_max_series`] caps
    /// families registered without one.
    ///
    /// [`Registry::set_default_max_series`]: crate::Registry::set_default_max_series
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::{Counter, Family, OVERFLOW_LABEL_VALUE};
    ///
    /// let by_user = Family::<Counter, 1>::new(["user"]).with_max_series(2);
    /// by_user.get(["ada"]).inc();
    /// by_user.get(["grace"]).inc();
    /// by_user.get(["mallory"]).inc(); // folded
    /// by_user.get(["mallory"]).inc_by(2); // folded again: the same label set
    /// by_user.get(["ada"]).inc(); // existed before the cap: still its own
    /// assert_eq!(by_user.get(["ada"]).get(), 2);
    /// assert_eq!(by_user.get([OVERFLOW_LABEL_VALUE]).get(), 3);
    /// assert_eq!(by_user.overflowed(), 1); // one distinct label set folded
    /// assert_eq!(by_user.len(), 3);
    /// ```
    #[must_use]
    pub fn with_max_series(self, max: usize) -> Self {
        self.inner.limits.set_max_series(max);
        self
    }

    /// Returns the cap on the number of series, if any.
    pub fn max_series(&self) -> Option<usize> {
        self.inner.limits.max_series()
    }

    /// Returns how many distinct label sets were folded into the overflow
    /// series, the same number a registry exposes.
    ///
    /// The count needs 6 KiB however many label sets arrive. Up to 256
    /// label sets it is exact (unless two of them have equal 64-bit hashes,
    /// a chance of about n² / 2^65); past that it is an estimate with a
    /// standard error of about 1.6% (so within 5% in all but about 2 cases
    /// in 1000), and never less than 256. Looking up a folded label set
    /// again leaves it as it is, and it never goes down, not even when
    /// removals make room again. Without a cap, or until the first fold, it
    /// stays 0 and costs a few words.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::{Counter, Family};
    ///
    /// let by_user = Family::<Counter, 1>::new(["user"]).with_max_series(0);
    /// for _ in 0..1000 {
    ///     by_user.get(["mallory"]).inc(); // one label set, folded 1000 times
    /// }
    /// assert_eq!(by_user.overflowed(), 1);
    /// for i in 0..200 {
    ///     by_user.get([format!("user-{i}")]).inc();
    /// }
    /// assert_eq!(by_user.overflowed(), 201); // exact up to 256
    /// for i in 0..100_000 {
    ///     by_user.get([format!("user-{i}")]).inc();
    /// }
    /// let folded = by_user.overflowed();
    /// assert!((90_000..=110_000).contains(&folded), "{folded}"); // 100_001 sets
    /// ```
    pub fn overflowed(&self) -> u64 {
        self.inner.limits.overflowed.get()
    }

    /// Drops series that stay idle for `after` (at least a millisecond).
    ///
    /// A series is active when it is looked up through the family
    /// ([`get`](Self::get), [`with`](Self::with)) or when its exposed value
    /// changed (an update through a held handle, found by comparing values
    /// between checks). Checks run during every scrape, and when a series
    /// is created if the last check is older than a quarter of `after`; a
    /// series expires at the first check at least `after` past its last
    /// observed activity, so activity is only seen at the granularity of
    /// checks: an update made just after a check is noticed at the next
    /// one, and an idle series lives until the first check `after` past
    /// the last check that noticed it. The update path of a metric costs
    /// nothing more; a lookup costs a relaxed load, plus a relaxed store
    /// once per check interval.
    ///
    /// Like [`with_max_series`](Self::with_max_series), this changes the
    /// family that every clone of it shares, and it may be called on a
    /// family that already has series: they are watched from that moment,
    /// as if just created.
    ///
    /// What expiry does depends on whether a handle to the series is held
    /// outside the family (a value returned by [`get`](Self::get) and not
    /// yet dropped):
    ///
    /// - nobody holds one: the series is removed, as by
    ///   [`remove`](Self::remove); the next lookup creates a fresh series
    ///   that starts from zero;
    /// - a handle is held: the series is hidden from scrapes but stays in
    ///   the family. It comes back as the same series with its accumulated
    ///   value (no counter reset) in the first scrape after its next update
    ///   through that handle, or after its next lookup.
    ///
    /// A lookup that runs in the instant its series is removed may update
    /// the removed copy, exactly as with [`remove`](Self::remove); expiry
    /// only removes series idle for `after`, so that needs a lookup just as
    /// the check runs after that long a quiet.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use beamline::{Counter, Family, Format, Registry};
    ///
    /// let registry = Registry::new();
    /// let jobs = registry.register(
    ///     "jobs",
    ///     "Jobs by queue.",
    ///     Family::<Counter, 1>::new(["queue"]).with_idle_expiry(Duration::from_millis(20)),
    /// )?;
    /// let held = jobs.get(["mail"]);
    /// held.inc();
    /// jobs.get(["print"]).inc();
    /// let scrape = || String::from_utf8(registry.encode_to_vec(Format::PrometheusText)).unwrap();
    /// assert!(scrape().contains("jobs_total{queue=\"print\"} 1\n"));
    /// std::thread::sleep(Duration::from_millis(30));
    /// let text = scrape(); // both idle: "print" is removed, "mail" hidden
    /// assert!(!text.contains("print") && !text.contains("mail"));
    /// assert_eq!(jobs.len(), 1);
    /// held.inc(); // the held handle brings its series back, value kept
    /// assert!(scrape().contains("jobs_total{queue=\"mail\"} 2\n"));
    /// # Ok::<(), beamline::Error>(())
    /// ```
    #[must_use]
    pub fn with_idle_expiry(self, after: Duration) -> Self {
        let inner = &*self.inner;
        let writer = inner.index.lock();
        inner.expiry.enable(after);
        // Series made while expiry was off start being watched now, as if
        // made at this moment.
        for series in &writer.order {
            if series.activity().is_none() {
                series.watch(Self::fresh_activity(&inner.expiry, &series.metric));
            }
        }
        drop(writer);
        self
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
        let inner = &*self.inner;
        let hash = inner.index.hash(&values);
        let found = inner.index.find(hash, &values, |series| {
            inner.expiry.touch(|| series.activity());
            f(&series.metric)
        });
        match found {
            Ok(r) => r,
            Err(f) => f(&self.resolve(hash, values)),
        }
    }

    /// Finds or creates the series of a label set the lock-free lookup
    /// missed: the overflow series, without a lock, when the family is full
    /// and it exists; otherwise under the lock.
    #[cold]
    fn resolve(&self, hash: u64, values: [&str; N]) -> Arc<Series<M, N>> {
        let inner = &*self.inner;
        if let Some(max) = inner.limits.max_series() {
            // Counting the overflow series, more than `max` means full.
            if inner.index.live() > max && values != [OVERFLOW_LABEL_VALUE; N] {
                let marker = [OVERFLOW_LABEL_VALUE; N];
                if let Ok(series) = inner.index.find(inner.overflow_hash, &marker, Arc::clone) {
                    inner.expiry.touch(|| series.activity());
                    inner.limits.fold(hash);
                    return series;
                }
            }
        }
        self.get_or_create(hash, values)
    }

    #[cold]
    fn get_or_create(&self, hash: u64, values: [&str; N]) -> Arc<Series<M, N>> {
        let inner = &*self.inner;
        let mut writer = inner.index.lock();
        // Another thread may have created it while this one waited.
        if let Some(series) = Index::find_locked(&writer, hash, &values) {
            return series;
        }
        if inner.expiry.due() {
            self.sweep_locked(&mut writer);
        }
        let marker = [OVERFLOW_LABEL_VALUE; N];
        if let Some(max) = inner.limits.max_series() {
            let overflow = Index::find_locked(&writer, inner.overflow_hash, &marker);
            let ordinary = writer.order.len() - usize::from(overflow.is_some());
            if ordinary >= max && values != marker {
                inner.limits.fold(hash);
                return match overflow {
                    Some(series) => series,
                    None => self.insert_locked(&mut writer, inner.overflow_hash, marker),
                };
            }
        }
        self.insert_locked(&mut writer, hash, values)
    }

    fn insert_locked(
        &self,
        writer: &mut Writer<M, N>,
        hash: u64,
        values: [&str; N],
    ) -> Arc<Series<M, N>> {
        let inner = &*self.inner;
        let own = inner.template.own_labels();
        let pairs = || {
            inner
                .names
                .iter()
                .map(|n| &**n)
                .zip(values)
                .chain(own.iter().map(|(n, v)| (&**n, &**v)))
        };
        // Sized for the text without escapes, so that the usual label set
        // takes one allocation of the exact size.
        let len: usize = pairs().map(|(n, v)| n.len() + v.len() + 4).sum();
        let mut rendered = String::with_capacity(len.saturating_sub(1));
        render_pairs(&mut rendered, pairs());
        let metric = inner.template.fresh();
        let activity = inner
            .expiry
            .after()
            .map(|_| Self::fresh_activity(&inner.expiry, &metric));
        let series = Series::new(
            hash,
            &values,
            rendered.into_boxed_str(),
            *inner.index.gaps(),
            metric,
            activity,
        );
        inner.index.insert_locked(writer, series)
    }

    /// The activity record of a series made now with this metric.
    fn fresh_activity(expiry: &Expiry, metric: &M) -> Activity {
        let fingerprint = expiry::fresh_fingerprint(expiry, metric);
        Activity::new(expiry.now(), fingerprint, expiry.clock())
    }

    /// Checks every series for idleness outside a scrape, under the lock.
    fn sweep_locked(&self, writer: &mut Writer<M, N>) {
        let Some(sweep) = self.inner.expiry.begin() else {
            return;
        };
        let mut scratch = Scratch::default();
        let mut dropped = false;
        for series in &writer.order {
            let Some(activity) = series.activity() else {
                continue;
            };
            series.metric.visit(&mut scratch, &mut |point| {
                let verdict = sweep.judge(activity, &point, || series.metric.is_shared());
                dropped |= Self::drop_if(series, verdict);
            });
        }
        if dropped {
            self.inner.index.purge_locked(writer);
        }
    }

    /// Marks a series removed when the sweep says so; returns whether it did.
    fn drop_if(series: &Series<M, N>, verdict: Verdict) -> bool {
        let drop = verdict == Verdict::Drop;
        if drop {
            series.removed.store(true, Ordering::Relaxed);
        }
        drop
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

    /// Returns the number of series, the overflow series and hidden idle
    /// ones included.
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

    pub(crate) fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Hands each series' labels and state to `f`, in creation order, and
    /// checks for idle series on the way.
    pub(crate) fn visit(
        &self,
        scratch: &mut Scratch,
        f: &mut dyn FnMut(&SeriesLabels<'_>, Point<'_>),
    ) {
        let inner = &*self.inner;
        let mut writer = inner.index.lock();
        let sweep = inner.expiry.begin();
        let mut dropped = false;
        let gaps = inner.index.gaps();
        for series in &writer.order {
            let labels = SeriesLabels {
                rendered: &series.rendered,
                names: &inner.names,
                values: series.stored_values(gaps),
                own: inner.template.own_labels(),
            };
            let judged = sweep.zip(series.activity());
            series.metric.visit(scratch, &mut |point| {
                let verdict = judged.map_or(Verdict::Expose, |(sweep, activity)| {
                    sweep.judge(activity, &point, || series.metric.is_shared())
                });
                dropped |= Self::drop_if(series, verdict);
                if verdict == Verdict::Expose {
                    f(&labels, point);
                }
            });
        }
        if dropped {
            inner.index.purge_locked(&mut writer);
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
    pub(crate) values: Values<'a>,
    /// Pairs the metric carries itself (info metrics).
    pub(crate) own: &'a [(Box<str>, Box<str>)],
}

#[cfg_attr(
    not(feature = "protobuf"),
    allow(dead_code, reason = "read by the protobuf encoders only")
)]
impl SeriesLabels<'_> {
    /// Hands `f` the family's pairs, in label-name order, without the
    /// metric's own.
    #[inline]
    pub(crate) fn for_each_family_pair(&self, mut f: impl FnMut(&str, &str)) {
        let names = self.names.iter().map(|n| &**n);
        match self.values {
            Values::Given(values) => names.zip(values).for_each(|(n, v)| f(n, v)),
            Values::Kept(values) => names.zip(values).for_each(|(n, v)| f(n, v)),
            Values::InText { ends, gaps } => {
                let values = in_text(self.rendered, ends, gaps);
                names.zip(values).for_each(|(n, v)| f(n, v));
            }
        }
    }

    /// Hands `f` every pair, the family's first, then the metric's own.
    #[inline]
    pub(crate) fn for_each_pair(&self, mut f: impl FnMut(&str, &str)) {
        self.for_each_family_pair(&mut f);
        self.own.iter().for_each(|(n, v)| f(n, v));
    }
}

/// Returns the values that stand verbatim in `rendered`: value `i` ends at
/// `ends[i]` and starts `gaps[i]` bytes after the one before.
fn in_text<'a>(
    rendered: &'a str,
    ends: &'a [u32],
    gaps: &'a [usize],
) -> impl Iterator<Item = &'a str> {
    let mut before = 0;
    ends.iter().zip(gaps).map(move |(&end, &gap)| {
        let end = end as usize;
        let value = rendered.get(before + gap..end).unwrap_or("");
        before = end;
        value
    })
}

/// Where the label values of a series are found.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    /// The values themselves.
    Given(&'a [&'a str]),
    /// Kept apart from the rendered text, which escapes them.
    Kept(&'a [Box<str>]),
    /// In the rendered text, verbatim: value `i` ends at `ends[i]` and
    /// starts `gaps[i]` bytes after the end of the one before (or after the
    /// start of the text).
    InText { ends: &'a [u32], gaps: &'a [usize] },
}

impl<'a> Values<'a> {
    /// Returns value `i` of a series whose rendered text is `rendered`
    /// ("" past the last).
    #[cfg(test)]
    pub(crate) fn get(self, rendered: &'a str, i: usize) -> &'a str {
        match self {
            Self::Given(values) => values.get(i).copied().unwrap_or(""),
            Self::Kept(values) => values.get(i).map_or("", |v| &**v),
            Self::InText { ends, gaps } => in_text(rendered, ends, gaps).nth(i).unwrap_or(""),
        }
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
    fn expiry_turned_on_later_covers_the_series_made_before() {
        let f: Family<Counter, 2> = Family::new(["a", "b"]);
        let kept = f.get(["held", "q\"uote"]);
        kept.inc();
        f.get(["idle", "x"]).inc();
        let f = f.with_idle_expiry(Duration::from_millis(1));
        assert_eq!(f.len(), 2);
        // Lookups find the series, with their values, through the new table.
        assert_eq!(f.get(["held", "q\"uote"]).get(), 1);
        std::thread::sleep(Duration::from_millis(5));
        let mut seen = Vec::new();
        f.visit(&mut Scratch::default(), &mut |labels, _| {
            let mut values = Vec::new();
            labels.for_each_family_pair(|_, v| values.push(v.to_owned()));
            seen.push(values.join("/"));
        });
        assert!(seen.is_empty(), "{seen:?}");
        assert_eq!(f.len(), 1, "the idle series nobody holds is gone");
        kept.inc();
        f.visit(&mut Scratch::default(), &mut |labels, _| {
            let mut values = Vec::new();
            labels.for_each_family_pair(|_, v| values.push(v.to_owned()));
            seen.push(values.join("/"));
        });
        assert_eq!(seen, ["held/q\"uote"]);
    }

    #[test]
    fn expiry_turned_on_later_removes_what_a_live_thread_made() {
        let f: Family<Counter, 1> = Family::new(["queue"]);
        f.get(["main"]).inc();
        // A thread that made a series and stays alive keeps the family's
        // table in its lookup cache; expiry must still remove the series.
        let (made, done) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let worker = {
            let f = f.clone();
            let (made, done) = (made.0, done.1);
            std::thread::spawn(move || {
                f.get(["worker"]).inc();
                made.send(()).expect("the test waits");
                done.recv().expect("the test ends the thread");
            })
        };
        made.1.recv().expect("the worker made its series");
        let f = f.with_idle_expiry(Duration::from_millis(1));
        let scrape = |f: &Family<Counter, 1>| {
            let mut seen = 0;
            f.visit(&mut Scratch::default(), &mut |_, _| seen += 1);
            seen
        };
        assert_eq!(scrape(&f), 2);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(scrape(&f), 0);
        assert_eq!(f.len(), 0, "nobody holds them: removed, not hidden");
        assert_eq!(f.get(["worker"]).get(), 0, "a later lookup starts afresh");
        done.0.send(()).expect("the worker waits");
        worker.join().expect("no panic");
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

#[cfg(all(test, loom))]
mod loom_tests {
    //! Models of a family's lock-free lookups racing with creation, removal
    //! and scrapes (`RUSTFLAGS="--cfg loom" cargo test --lib --release loom`).

    use loom::thread;

    use super::*;
    use crate::view::Num;

    /// The series a scrape would expose: rendered labels and counter value.
    fn scrape(family: &Family<Counter, 1>) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        family.visit(&mut Scratch::default(), &mut |labels, point| {
            if let Point::Counter {
                value: Num::U64(v), ..
            } = point
            {
                out.push((labels.rendered.to_owned(), v));
            }
        });
        out
    }

    #[test]
    fn loom_concurrent_creations_make_one_series() {
        loom::model(|| {
            let family: Family<Counter, 1> = Family::new(["a"]);
            let other = family.clone();
            let t = thread::spawn(move || other.get(["x"]).inc());
            family.with(["x"], Counter::inc);
            t.join().expect("no panic");
            assert_eq!(scrape(&family), [("a=\"x\"".to_owned(), 2)]);
        });
    }

    #[test]
    fn loom_creation_races_removal() {
        loom::model(|| {
            let family: Family<Counter, 1> = Family::new(["a"]);
            let other = family.clone();
            let t = thread::spawn(move || other.get(["x"]).inc());
            let removed = family.remove(["x"]);
            t.join().expect("no panic");
            // Removal either found nothing (the series came after it, with
            // its update) or took the series, update and all.
            if removed {
                assert!(scrape(&family).is_empty());
                assert_eq!(family.get(["x"]).get(), 0, "it comes back fresh");
            } else {
                assert_eq!(scrape(&family), [("a=\"x\"".to_owned(), 1)]);
            }
        });
    }

    #[test]
    fn loom_scrape_races_creation() {
        loom::model(|| {
            let family: Family<Counter, 1> = Family::new(["a"]);
            let other = family.clone();
            let t = thread::spawn(move || {
                other.get(["x"]).inc();
                other.get(["y"]).inc();
            });
            let seen = scrape(&family);
            // Creation order, whole series only, values at most final.
            let labels: Vec<&str> = seen.iter().map(|(l, _)| l.as_str()).collect();
            assert!(
                [&[][..], &["a=\"x\""], &["a=\"x\"", "a=\"y\""]].contains(&labels.as_slice()),
                "{seen:?}"
            );
            assert!(seen.iter().all(|&(_, v)| v <= 1));
            t.join().expect("no panic");
            let after = scrape(&family);
            assert_eq!(
                after,
                [("a=\"x\"".to_owned(), 1), ("a=\"y\"".to_owned(), 1)]
            );
        });
    }

    #[test]
    fn loom_lookups_past_the_cap_fold_exactly_once() {
        loom::model(|| {
            let family: Family<Counter, 1> = Family::new(["a"]).with_max_series(1);
            let other = family.clone();
            let t = thread::spawn(move || other.get(["x"]).inc());
            family.with(["y"], Counter::inc);
            t.join().expect("no panic");
            let seen = scrape(&family);
            assert_eq!(seen.len(), 2, "{seen:?}");
            assert_eq!(seen[1], (format!("a=\"{OVERFLOW_LABEL_VALUE}\""), 1));
            assert_eq!(family.overflowed(), 1);
        });
    }
}
