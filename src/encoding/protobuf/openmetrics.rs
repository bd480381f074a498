//! OpenMetrics protobuf: one `openmetrics.MetricSet` per scrape
//! (OpenMetrics 1.0, "Protobuf format").
//!
//! Sample rules follow the text encoder: a histogram's sum is left out where
//! OpenMetrics forbids `_sum` (negative bucket bounds, a negative or NaN
//! sum), a gauge histogram's where `_gsum` is forbidden, a summary's while
//! the sum is negative or NaN. The count is a field of its own that a
//! decoder cannot tell from 0 when absent, and it is never invalid, so it is
//! always sent; a reader that renders text shows `_count` only beside a sum.

use prost::Message;

use super::{set, timestamp};
use crate::encoding::proto::openmetrics as om;
use crate::encoding::{Encoder, Out};
use crate::family::SeriesLabels;
use crate::metrics::exemplar::ExemplarSlot;
use crate::metrics::MetricType;
use crate::registry::Descriptor;
use crate::view::{BucketLayout, Num, Point};

/// Writes the families of a scrape as one `MetricSet`.
///
/// A `MetricSet` has a single field, its repeated families (field 1), so the
/// concatenation of each family written as that field is the encoding of the
/// whole set: each family goes out as soon as it is complete.
pub(crate) struct OpenMetrics<'o, O: Out> {
    out: &'o mut O,
    /// The family being built; its strings keep their allocations from one
    /// family to the next.
    family: om::MetricFamily,
    /// Whether `family` holds a family not yet written.
    open: bool,
    /// The encoded family, reused across families.
    buf: Vec<u8>,
}

/// The key of `MetricSet.metric_families`: field 1, length-delimited.
const FAMILY_KEY: u8 = 1 << 3 | 2;

impl<'o, O: Out> OpenMetrics<'o, O> {
    pub(crate) fn new(out: &'o mut O) -> Self {
        Self {
            out,
            family: om::MetricFamily::default(),
            open: false,
            buf: Vec::new(),
        }
    }

    fn flush(&mut self) {
        if !self.open {
            return;
        }
        self.open = false;
        self.buf.clear();
        self.buf.push(FAMILY_KEY);
        self.family
            .encode_length_delimited(&mut self.buf)
            .expect("a vector grows to fit any message");
        self.out.put(&self.buf);
        self.family.metrics.clear();
    }
}

fn metric_type(t: MetricType) -> om::MetricType {
    match t {
        MetricType::Counter => om::MetricType::Counter,
        MetricType::Gauge => om::MetricType::Gauge,
        MetricType::Histogram => om::MetricType::Histogram,
        MetricType::GaugeHistogram => om::MetricType::GaugeHistogram,
        MetricType::Summary => om::MetricType::Summary,
        MetricType::Info => om::MetricType::Info,
        MetricType::StateSet => om::MetricType::StateSet,
        MetricType::Unknown => om::MetricType::Unknown,
    }
}

fn label(name: &str, value: &str) -> om::Label {
    om::Label {
        name: name.into(),
        value: value.into(),
    }
}

/// The labels of a series: the constant labels, then the family's. An info
/// metric's own pairs are its value, not part of its identity.
fn series_labels(desc: &Descriptor, labels: &SeriesLabels<'_>) -> Vec<om::Label> {
    desc.const_labels
        .iter()
        .map(|(n, v)| (&**n, &**v))
        .chain(
            labels
                .names
                .iter()
                .zip(labels.values)
                .map(|(n, v)| (&**n, &**v)),
        )
        .map(|(n, v)| label(n, v))
        .collect()
}

fn exemplar(slot: Option<&ExemplarSlot>) -> Option<om::Exemplar> {
    let exemplar = slot?.load()?;
    Some(om::Exemplar {
        value: exemplar.value(),
        timestamp: timestamp(exemplar.timestamp()),
        label: exemplar.labels().map(|(n, v)| label(n, v)).collect(),
    })
}

/// The int64 `int_value` of a gauge or unknown value when the number is an
/// integer that fits, else `double_value`.
fn signed(value: Num) -> (Option<i64>, f64) {
    match value {
        Num::I64(v) => (Some(v), 0.0),
        Num::U64(v) => i64::try_from(v).map_or((None, value.as_f64()), |v| (Some(v), 0.0)),
        Num::F64(v) => (None, v),
    }
}

fn gauge(value: Num) -> om::GaugeValue {
    use om::gauge_value::Value;
    let (int, double) = signed(value);
    om::GaugeValue {
        value: Some(int.map_or(Value::DoubleValue(double), Value::IntValue)),
    }
}

fn unknown(value: Num) -> om::UnknownValue {
    use om::unknown_value::Value;
    let (int, double) = signed(value);
    om::UnknownValue {
        value: Some(int.map_or(Value::DoubleValue(double), Value::IntValue)),
    }
}

fn counter(value: Num, created: Option<f64>, slot: Option<&ExemplarSlot>) -> om::CounterValue {
    use om::counter_value::Total;
    let total = match value {
        Num::U64(v) => Total::IntValue(v),
        Num::I64(v) => u64::try_from(v).map_or(Total::DoubleValue(value.as_f64()), Total::IntValue),
        Num::F64(v) => Total::DoubleValue(v),
    };
    om::CounterValue {
        total: Some(total),
        created: created.and_then(timestamp),
        exemplar: exemplar(slot),
    }
}

/// A histogram or gauge histogram: cumulative buckets, the `+Inf` one last.
fn histogram(
    layout: &BucketLayout,
    counts: &[u64],
    sum: Option<f64>,
    created: Option<f64>,
    exemplars: Option<&[ExemplarSlot]>,
) -> om::HistogramValue {
    let mut cumulative = 0u64;
    let buckets = counts
        .iter()
        .enumerate()
        .map(|(i, count)| {
            cumulative = cumulative.saturating_add(*count);
            om::histogram_value::Bucket {
                count: cumulative,
                upper_bound: layout.bounds.get(i).copied().unwrap_or(f64::INFINITY),
                exemplar: exemplar(exemplars.and_then(|e| e.get(i))),
            }
        })
        .collect();
    om::HistogramValue {
        sum: sum.map(om::histogram_value::Sum::DoubleValue),
        count: cumulative,
        created: created.and_then(timestamp),
        buckets,
    }
}

fn value(labels: &SeriesLabels<'_>, point: Point<'_>) -> om::metric_point::Value {
    use om::metric_point::Value;
    match point {
        Point::Counter {
            value,
            created,
            exemplar,
        } => Value::CounterValue(counter(value, created, exemplar)),
        Point::Gauge(v) => Value::GaugeValue(gauge(v)),
        Point::Unknown(v) => Value::UnknownValue(unknown(v)),
        Point::Info => Value::InfoValue(om::InfoValue {
            info: labels.own.iter().map(|(n, v)| label(n, v)).collect(),
        }),
        Point::StateSet { states, set } => Value::StateSetValue(om::StateSetValue {
            states: states
                .iter()
                .zip(set)
                .map(|(name, on)| om::state_set_value::State {
                    enabled: *on,
                    name: (**name).into(),
                })
                .collect(),
        }),
        Point::Histogram {
            layout,
            counts,
            sum,
            created,
            exemplars,
        } => {
            let sum = layout.exposes_sum(sum).then_some(sum);
            Value::HistogramValue(histogram(
                layout,
                counts,
                sum,
                Some(created),
                Some(exemplars),
            ))
        }
        Point::GaugeHistogram {
            layout,
            counts,
            sum,
        } => {
            let sum = layout.exposes_gsum(sum).then_some(sum);
            Value::HistogramValue(histogram(layout, counts, sum, None, None))
        }
        Point::Summary {
            count,
            sum,
            created,
            quantiles,
        } => Value::SummaryValue(om::SummaryValue {
            sum: (sum >= 0.0).then_some(om::summary_value::Sum::DoubleValue(sum)),
            count,
            created: timestamp(created),
            quantile: quantiles
                .iter()
                .map(|(_, quantile, value)| om::summary_value::Quantile {
                    quantile: *quantile,
                    value: *value,
                })
                .collect(),
        }),
    }
}

impl<O: Out> Encoder for OpenMetrics<'_, O> {
    fn family(&mut self, desc: &Descriptor) {
        self.flush();
        let family = &mut self.family;
        set(&mut family.name, &desc.name);
        family.r#type = metric_type(desc.metric_type).into();
        set(&mut family.unit, desc.unit.as_deref().unwrap_or(""));
        set(&mut family.help, &desc.help);
        self.open = true;
    }

    fn series(&mut self, desc: &Descriptor, labels: &SeriesLabels<'_>, point: Point<'_>) {
        self.family.metrics.push(om::Metric {
            labels: series_labels(desc, labels),
            metric_points: vec![om::MetricPoint {
                value: Some(value(labels, point)),
                timestamp: None,
            }],
        });
    }

    fn finish(&mut self) {
        self.flush();
    }
}
