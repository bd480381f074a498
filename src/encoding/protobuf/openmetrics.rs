//! OpenMetrics protobuf: one `openmetrics.MetricSet` per scrape
//! (OpenMetrics 1.0, "Protobuf format"; the schema is
//! `openmetrics_data_model.proto` in `src/encoding/proto`).
//!
//! Sample rules follow the text encoder: a histogram's sum is left out where
//! OpenMetrics forbids `_sum` (negative bucket bounds, a negative or NaN
//! sum), a gauge histogram's where `_gsum` is forbidden, a summary's while
//! the sum is negative or NaN. The count is a field of its own that a
//! decoder cannot tell from 0 when absent, and it is never invalid, so it is
//! always sent; a reader that renders text shows `_count` only beside a sum.
//!
//! The schema is proto3: zero numbers, empty strings and `false` are left
//! out, except inside a `oneof`, where presence is the value. A double is
//! left out only when it is `+0.0`, so that `-0.0` keeps its sign.

use super::wire::{Fields, Wire};
use super::{put_timestamp, total};
use crate::encoding::{Encoder, Out};
use crate::family::SeriesLabels;
use crate::metrics::exemplar::ExemplarSlot;
use crate::metrics::MetricType;
use crate::registry::Descriptor;
use crate::view::{summary_exposes_quantile, summary_exposes_sum, BucketLayout, Num, Point};

/// `MetricSet.metric_families`.
const SET_FAMILIES: u32 = 1;

/// Writes the families of a scrape as one `MetricSet`.
///
/// A `MetricSet` has a single field, its repeated families, so the
/// concatenation of each family written as that field is the encoding of
/// the whole set: each family goes out as soon as it is complete.
pub(crate) struct OpenMetrics<'o, O: Out> {
    out: &'o mut O,
    /// The family being written, reused from one family to the next.
    wire: Wire,
    /// The family's constant labels, encoded once as `Metric.labels`.
    consts: Fields,
    /// Whether `wire` holds a family not yet sent.
    open: bool,
}

impl<'o, O: Out> OpenMetrics<'o, O> {
    pub(crate) fn new(out: &'o mut O) -> Self {
        Self {
            out,
            wire: Wire::default(),
            consts: Fields::default(),
            open: false,
        }
    }

    fn flush(&mut self) {
        if self.open {
            self.open = false;
            self.out.put(self.wire.end(Some(SET_FAMILIES)));
        }
    }
}

/// The `MetricType` enum value.
fn metric_type(t: MetricType) -> i64 {
    match t {
        MetricType::Unknown => 0,
        MetricType::Gauge => 1,
        MetricType::Counter => 2,
        MetricType::StateSet => 3,
        MetricType::Info => 4,
        MetricType::Histogram => 5,
        MetricType::GaugeHistogram => 6,
        MetricType::Summary => 7,
    }
}

/// A proto3 `string` field: left out when empty.
fn text(w: &mut Wire, field: u32, value: &str) {
    if !value.is_empty() {
        w.string(field, &[value]);
    }
}

/// A proto3 `double` field outside a `oneof`: left out when `+0.0`.
fn double(w: &mut Wire, field: u32, value: f64) {
    if value.to_bits() != 0 {
        w.double(field, value);
    }
}

/// A proto3 `uint64` field: left out when 0.
fn uint(w: &mut Wire, field: u32, value: u64) {
    if value != 0 {
        w.uint64(field, value);
    }
}

/// A `Label` message as field `field`.
fn label(w: &mut Wire, field: u32, name: &str, value: &str) {
    let at = w.open(field);
    text(w, 1, name);
    text(w, 2, value);
    w.close(at);
}

/// An `Exemplar` message as field `field`, when the slot holds one.
fn exemplar(w: &mut Wire, field: u32, slot: Option<&ExemplarSlot>) {
    let Some(exemplar) = slot.and_then(ExemplarSlot::load) else {
        return;
    };
    let at = w.open(field);
    double(w, 1, exemplar.value());
    put_timestamp(w, 2, exemplar.timestamp());
    for (name, value) in exemplar.labels() {
        label(w, 3, name, value);
    }
    w.close(at);
}

/// A `GaugeValue` or `UnknownValue` (same layout) as field `field`:
/// `int_value` for an integer that fits an int64, else `double_value`.
fn number(w: &mut Wire, field: u32, value: Num) {
    let at = w.open(field);
    match value {
        Num::I64(v) => w.int64(2, v),
        Num::U64(v) => match i64::try_from(v) {
            Ok(v) => w.int64(2, v),
            Err(_) => w.double(1, value.as_f64()),
        },
        Num::F64(v) => w.double(1, v),
    }
    w.close(at);
}

/// A `CounterValue` as `MetricPoint` field 3: `int_value` (a uint64) for
/// integers.
fn counter(w: &mut Wire, value: Num, created: Option<f64>, slot: Option<&ExemplarSlot>) {
    let at = w.open(3);
    match value {
        Num::U64(v) => w.uint64(2, v),
        Num::I64(v) => match u64::try_from(v) {
            Ok(v) => w.uint64(2, v),
            Err(_) => w.double(1, value.as_f64()),
        },
        Num::F64(v) => w.double(1, v),
    }
    if let Some(created) = created {
        put_timestamp(w, 3, created);
    }
    exemplar(w, 4, slot);
    w.close(at);
}

/// A `HistogramValue` as `MetricPoint` field 4: cumulative buckets, the
/// `+Inf` one last.
fn histogram(
    w: &mut Wire,
    layout: &BucketLayout,
    counts: &[u64],
    sum: Option<f64>,
    created: Option<f64>,
    exemplars: Option<&[ExemplarSlot]>,
) {
    let at = w.open(4);
    if let Some(sum) = sum {
        w.double(1, sum);
    }
    uint(w, 3, total(counts));
    if let Some(created) = created {
        put_timestamp(w, 4, created);
    }
    let mut cumulative = 0u64;
    for (i, count) in counts.iter().enumerate() {
        cumulative = cumulative.saturating_add(*count);
        let bucket = w.open(5);
        uint(w, 1, cumulative);
        double(w, 2, layout.bounds.get(i).copied().unwrap_or(f64::INFINITY));
        exemplar(w, 3, exemplars.and_then(|e| e.get(i)));
        w.close(bucket);
    }
    w.close(at);
}

/// A `SummaryValue` as `MetricPoint` field 7.
fn summary(
    w: &mut Wire,
    count: u64,
    sum: f64,
    created: f64,
    quantiles: &[(std::sync::Arc<str>, f64, f64)],
) {
    let at = w.open(7);
    if summary_exposes_sum(sum) {
        w.double(1, sum);
    }
    uint(w, 3, count);
    put_timestamp(w, 4, created);
    for (_, quantile, value) in quantiles
        .iter()
        .filter(|(_, _, v)| summary_exposes_quantile(*v))
    {
        let q = w.open(5);
        double(w, 1, *quantile);
        double(w, 2, *value);
        w.close(q);
    }
    w.close(at);
}

/// The `MetricPoint`'s value, its `oneof` field.
fn point_value(w: &mut Wire, labels: &SeriesLabels<'_>, point: Point<'_>) {
    match point {
        Point::Counter {
            value,
            created,
            exemplar,
        } => counter(w, value, created, exemplar),
        Point::Gauge(value) => number(w, 2, value),
        Point::Unknown(value) => number(w, 1, value),
        Point::Info => {
            let at = w.open(6);
            for (name, value) in labels.own {
                label(w, 1, name, value);
            }
            w.close(at);
        }
        Point::StateSet { states, set } => {
            let at = w.open(5);
            for (name, on) in states.iter().zip(set) {
                let state = w.open(1);
                if *on {
                    w.boolean(1, true);
                }
                text(w, 2, name);
                w.close(state);
            }
            w.close(at);
        }
        Point::Histogram {
            layout,
            counts,
            sum,
            created,
            exemplars,
        } => {
            let sum = layout.exposes_sum(sum).then_some(sum);
            histogram(w, layout, counts, sum, Some(created), Some(exemplars));
        }
        Point::GaugeHistogram {
            layout,
            counts,
            sum,
        } => {
            let sum = layout.exposes_gsum(sum).then_some(sum);
            histogram(w, layout, counts, sum, None, None);
        }
        Point::Summary {
            count,
            sum,
            created,
            quantiles,
        } => summary(w, count, sum, created, quantiles),
    }
}

impl<O: Out> Encoder for OpenMetrics<'_, O> {
    fn family(&mut self, desc: &Descriptor) {
        self.flush();
        let w = &mut self.wire;
        w.begin();
        text(w, 1, &desc.name);
        let kind = metric_type(desc.metric_type);
        if kind != 0 {
            w.int64(2, kind);
        }
        text(w, 3, desc.unit.as_deref().unwrap_or(""));
        text(w, 4, &desc.help);
        self.consts.clear();
        for (name, value) in desc.const_labels.iter() {
            label(self.consts.wire(), 1, name, value);
        }
        self.open = true;
    }

    fn series(&mut self, _: &Descriptor, labels: &SeriesLabels<'_>, point: Point<'_>) {
        // An info metric's own pairs are its value, not part of the series'
        // identity, so only the family's labels follow the constant ones.
        // TODO: the label fields could be encoded once when the series is
        // created, as its text is; today each scrape encodes them again.
        let w = &mut self.wire;
        let metric = w.open(5);
        w.raw(self.consts.bytes());
        labels.for_each_family_pair(|name, value| label(w, 1, name, value));
        let at = w.open(2);
        point_value(w, labels, point);
        w.close(at);
        w.close(metric);
    }

    fn finish(&mut self) {
        self.flush();
    }
}
