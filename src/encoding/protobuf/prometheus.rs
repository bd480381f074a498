//! Prometheus protobuf: varint-length-delimited
//! `io.prometheus.client.MetricFamily` messages, the format a Prometheus
//! server asks for first when native histograms are on (the schema is
//! `metrics.proto` in `src/encoding/proto`).
//!
//! Prometheus reads each family as the series it would read from text 0.0.4,
//! adding no suffix to counters and `_bucket`, `_count` and `_sum` to
//! histograms, gauge histograms and summaries. So families are named after
//! their text 0.0.4 samples: a counter `x` is the family `x_total`, an info
//! `x` the gauge `x_info` (value 1), and a state set the gauge `x` with one
//! series per state, labelled `x="state"`. Unknown metrics are `UNTYPED`.
//!
//! Prometheus reads an absent `sample_count` or `sample_sum` as 0, so both
//! are always sent with their true values, even where OpenMetrics would
//! leave `_count` and `_sum` out (negative bounds or sums). Histograms keep
//! their `+Inf` bucket, which Prometheus would otherwise make up from the
//! count, so that its exemplar is kept.
//!
//! The schema is proto2: every field set is written, zero or not.

use super::wire::{Fields, Wire};
use super::{put_timestamp, set, total};
use crate::encoding::{Encoder, Out};
use crate::family::SeriesLabels;
use crate::metrics::exemplar::ExemplarSlot;
use crate::metrics::MetricType;
use crate::registry::Descriptor;
use crate::view::{BucketLayout, Point};

/// Writes each family as one length-delimited `MetricFamily`.
pub(crate) struct Prometheus<'o, O: Out> {
    out: &'o mut O,
    /// The family being written, reused from one family to the next.
    wire: Wire,
    /// The family's constant labels, encoded once as `Metric.label`.
    consts: Fields,
    /// The family's unit, written after its metrics as field 5.
    unit: Option<String>,
    /// Whether `wire` holds a family not yet sent.
    open: bool,
}

impl<'o, O: Out> Prometheus<'o, O> {
    pub(crate) fn new(out: &'o mut O) -> Self {
        Self {
            out,
            wire: Wire::default(),
            consts: Fields::default(),
            unit: None,
            open: false,
        }
    }

    fn flush(&mut self) {
        if !self.open {
            return;
        }
        self.open = false;
        if let Some(unit) = &self.unit {
            self.wire.string(5, &[unit]);
        }
        self.out.put(self.wire.end(None));
    }
}

/// The family's name suffix and `MetricType` as Prometheus reads them.
fn kind(t: MetricType) -> (&'static str, i64) {
    const COUNTER: i64 = 0;
    const GAUGE: i64 = 1;
    const SUMMARY: i64 = 2;
    const UNTYPED: i64 = 3;
    const HISTOGRAM: i64 = 4;
    const GAUGE_HISTOGRAM: i64 = 5;
    match t {
        MetricType::Counter => ("_total", COUNTER),
        MetricType::Info => ("_info", GAUGE),
        MetricType::Gauge | MetricType::StateSet => ("", GAUGE),
        MetricType::Histogram => ("", HISTOGRAM),
        MetricType::GaugeHistogram => ("", GAUGE_HISTOGRAM),
        MetricType::Summary => ("", SUMMARY),
        MetricType::Unknown => ("", UNTYPED),
    }
}

/// A `LabelPair` message as field `field`.
fn label(w: &mut Wire, field: u32, name: &str, value: &str) {
    let at = w.open(field);
    w.string(1, &[name]);
    w.string(2, &[value]);
    w.close(at);
}

/// An `Exemplar` message as field `field`, when the slot holds one.
fn exemplar(w: &mut Wire, field: u32, slot: Option<&ExemplarSlot>) {
    let Some(exemplar) = slot.and_then(ExemplarSlot::load) else {
        return;
    };
    let at = w.open(field);
    for (name, value) in exemplar.labels() {
        label(w, 1, name, value);
    }
    w.double(2, exemplar.value());
    put_timestamp(w, 3, exemplar.timestamp());
    w.close(at);
}

/// A message holding only `value` as field 1 (`Gauge`, `Untyped`) as field
/// `field` of `Metric`.
fn single(w: &mut Wire, field: u32, value: f64) {
    let at = w.open(field);
    w.double(1, value);
    w.close(at);
}

/// A `Counter` as `Metric` field 3.
fn counter(w: &mut Wire, value: f64, created: Option<f64>, slot: Option<&ExemplarSlot>) {
    let at = w.open(3);
    w.double(1, value);
    exemplar(w, 2, slot);
    if let Some(created) = created {
        put_timestamp(w, 3, created);
    }
    w.close(at);
}

/// A `Histogram` as `Metric` field 7.
fn histogram(
    w: &mut Wire,
    layout: &BucketLayout,
    counts: &[u64],
    sum: f64,
    created: Option<f64>,
    exemplars: Option<&[ExemplarSlot]>,
) {
    let at = w.open(7);
    w.uint64(1, total(counts));
    w.double(2, sum);
    let mut cumulative = 0u64;
    for (i, count) in counts.iter().enumerate() {
        cumulative = cumulative.saturating_add(*count);
        let bucket = w.open(3);
        w.uint64(1, cumulative);
        w.double(2, layout.bounds.get(i).copied().unwrap_or(f64::INFINITY));
        exemplar(w, 3, exemplars.and_then(|e| e.get(i)));
        w.close(bucket);
    }
    if let Some(created) = created {
        put_timestamp(w, 15, created);
    }
    w.close(at);
}

/// A `Summary` as `Metric` field 4.
fn summary(
    w: &mut Wire,
    count: u64,
    sum: f64,
    created: f64,
    quantiles: &[(std::sync::Arc<str>, f64, f64)],
) {
    let at = w.open(4);
    w.uint64(1, count);
    w.double(2, sum);
    for (_, quantile, value) in quantiles {
        let q = w.open(3);
        w.double(1, *quantile);
        w.double(2, *value);
        w.close(q);
    }
    put_timestamp(w, 4, created);
    w.close(at);
}

impl<O: Out> Prometheus<'_, O> {
    /// Writes one `Metric`: its labels (the constant ones, the family's, an
    /// info metric's own, then `extra`; Prometheus sorts them itself), then
    /// what `value` writes.
    fn metric(
        &mut self,
        labels: &SeriesLabels<'_>,
        extra: Option<(&str, &str)>,
        value: impl FnOnce(&mut Wire),
    ) {
        // TODO: the label fields could be encoded once when the series is
        // created, as its text is; today each scrape encodes them again.
        let w = &mut self.wire;
        let metric = w.open(4);
        w.raw(self.consts.bytes());
        labels.for_each_pair(|name, value| label(w, 1, name, value));
        if let Some((name, value)) = extra {
            label(w, 1, name, value);
        }
        value(w);
        w.close(metric);
    }
}

impl<O: Out> Encoder for Prometheus<'_, O> {
    fn family(&mut self, desc: &Descriptor) {
        self.flush();
        let (suffix, kind) = kind(desc.metric_type);
        let w = &mut self.wire;
        w.begin();
        w.string(1, &[&desc.name, suffix]);
        if !desc.help.is_empty() {
            w.string(2, &[&desc.help]);
        }
        w.int64(3, kind);
        self.consts.clear();
        for (name, value) in desc.const_labels.iter() {
            label(self.consts.wire(), 1, name, value);
        }
        match (&desc.unit, &mut self.unit) {
            (Some(unit), Some(kept)) => set(kept, unit),
            (unit, kept) => *kept = unit.as_deref().map(str::to_owned),
        }
        self.open = true;
    }

    fn series(&mut self, desc: &Descriptor, labels: &SeriesLabels<'_>, point: Point<'_>) {
        match point {
            Point::Counter {
                value,
                created,
                exemplar,
            } => self.metric(labels, None, |w| {
                counter(w, value.as_f64(), created, exemplar);
            }),
            Point::Gauge(value) => self.metric(labels, None, |w| single(w, 2, value.as_f64())),
            Point::Unknown(value) => self.metric(labels, None, |w| single(w, 5, value.as_f64())),
            Point::Info => self.metric(labels, None, |w| single(w, 2, 1.0)),
            Point::StateSet { states, set } => {
                for (state, on) in states.iter().zip(set) {
                    let value = f64::from(u8::from(*on));
                    let extra = Some((&*desc.name, &**state));
                    self.metric(labels, extra, |w| single(w, 2, value));
                }
            }
            Point::Histogram {
                layout,
                counts,
                sum,
                created,
                exemplars,
            } => self.metric(labels, None, |w| {
                histogram(w, layout, counts, sum, Some(created), Some(exemplars));
            }),
            Point::GaugeHistogram {
                layout,
                counts,
                sum,
            } => self.metric(labels, None, |w| {
                histogram(w, layout, counts, sum, None, None);
            }),
            Point::Summary {
                count,
                sum,
                created,
                quantiles,
            } => self.metric(labels, None, |w| {
                summary(w, count, sum, created, quantiles);
            }),
        }
    }

    fn finish(&mut self) {
        self.flush();
    }
}
