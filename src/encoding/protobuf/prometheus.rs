//! Prometheus protobuf: varint-length-delimited
//! `io.prometheus.client.MetricFamily` messages, the format a Prometheus
//! server asks for first when native histograms are on.
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
//! leave `_count` and `_sum` out (negative bounds or sums).

use prost::Message;

use super::{set, timestamp};
use crate::encoding::proto::prometheus as prom;
use crate::encoding::{Encoder, Out};
use crate::family::SeriesLabels;
use crate::metrics::exemplar::ExemplarSlot;
use crate::metrics::MetricType;
use crate::registry::Descriptor;
use crate::view::{BucketLayout, Point};

/// Writes each family as one length-delimited `MetricFamily`.
pub(crate) struct Prometheus<'o, O: Out> {
    out: &'o mut O,
    /// The family being built; its name keeps its allocation from one
    /// family to the next.
    family: prom::MetricFamily,
    /// Whether `family` holds a family not yet written.
    open: bool,
    /// The encoded family, reused across families.
    buf: Vec<u8>,
}

impl<'o, O: Out> Prometheus<'o, O> {
    pub(crate) fn new(out: &'o mut O) -> Self {
        Self {
            out,
            family: prom::MetricFamily::default(),
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
        self.family
            .encode_length_delimited(&mut self.buf)
            .expect("a vector grows to fit any message");
        self.out.put(&self.buf);
        self.family.metric.clear();
    }
}

/// The family's name suffix and type as Prometheus reads them.
fn kind(t: MetricType) -> (&'static str, prom::MetricType) {
    match t {
        MetricType::Counter => ("_total", prom::MetricType::Counter),
        MetricType::Info => ("_info", prom::MetricType::Gauge),
        MetricType::Gauge | MetricType::StateSet => ("", prom::MetricType::Gauge),
        MetricType::Histogram => ("", prom::MetricType::Histogram),
        MetricType::GaugeHistogram => ("", prom::MetricType::GaugeHistogram),
        MetricType::Summary => ("", prom::MetricType::Summary),
        MetricType::Unknown => ("", prom::MetricType::Untyped),
    }
}

fn label(name: &str, value: &str) -> prom::LabelPair {
    prom::LabelPair {
        name: Some(name.into()),
        value: Some(value.into()),
    }
}

/// The labels of a series: the constant labels, the family's, and an info
/// metric's own. Prometheus sorts them itself.
fn series_labels(desc: &Descriptor, labels: &SeriesLabels<'_>) -> Vec<prom::LabelPair> {
    desc.const_labels
        .iter()
        .map(|(n, v)| (&**n, &**v))
        .chain(labels.pairs())
        .map(|(n, v)| label(n, v))
        .collect()
}

fn exemplar(slot: Option<&ExemplarSlot>) -> Option<prom::Exemplar> {
    let exemplar = slot?.load()?;
    Some(prom::Exemplar {
        label: exemplar.labels().map(|(n, v)| label(n, v)).collect(),
        value: Some(exemplar.value()),
        timestamp: timestamp(exemplar.timestamp()),
    })
}

fn gauge(label: Vec<prom::LabelPair>, value: f64) -> prom::Metric {
    prom::Metric {
        label,
        gauge: Some(prom::Gauge { value: Some(value) }),
        ..prom::Metric::default()
    }
}

/// A classic histogram: cumulative buckets, the `+Inf` one included so that
/// its exemplar is kept.
fn histogram(
    layout: &BucketLayout,
    counts: &[u64],
    sum: f64,
    created: Option<f64>,
    exemplars: Option<&[ExemplarSlot]>,
) -> prom::Histogram {
    let mut cumulative = 0u64;
    let bucket = counts
        .iter()
        .enumerate()
        .map(|(i, count)| {
            cumulative = cumulative.saturating_add(*count);
            prom::Bucket {
                cumulative_count: Some(cumulative),
                upper_bound: Some(layout.bounds.get(i).copied().unwrap_or(f64::INFINITY)),
                exemplar: exemplar(exemplars.and_then(|e| e.get(i))),
                ..prom::Bucket::default()
            }
        })
        .collect();
    prom::Histogram {
        sample_count: Some(cumulative),
        sample_sum: Some(sum.abs()),
        bucket,
        created_timestamp: created.and_then(timestamp),
        ..prom::Histogram::default()
    }
}

impl<O: Out> Encoder for Prometheus<'_, O> {
    fn family(&mut self, desc: &Descriptor) {
        self.flush();
        let (suffix, kind) = kind(desc.metric_type);
        let name = self.family.name.get_or_insert_with(String::new);
        set(name, &desc.name);
        name.push_str(suffix);
        self.family.r#type = Some(kind.into());
        self.family.help = (!desc.help.is_empty()).then(|| desc.help.to_string());
        self.family
            .unit
            .clone_from(&desc.unit.as_deref().map(str::to_owned));
        self.open = true;
    }

    fn series(&mut self, desc: &Descriptor, labels: &SeriesLabels<'_>, point: Point<'_>) {
        let base = series_labels(desc, labels);
        let metric = match point {
            Point::Counter {
                value,
                created,
                exemplar: slot,
            } => prom::Metric {
                label: base,
                counter: Some(prom::Counter {
                    value: Some(value.as_f64()),
                    exemplar: exemplar(slot),
                    created_timestamp: created.and_then(timestamp),
                }),
                ..prom::Metric::default()
            },
            Point::Gauge(value) => gauge(base, value.as_f64()),
            Point::Unknown(value) => prom::Metric {
                label: base,
                untyped: Some(prom::Untyped {
                    value: Some(value.as_f64()),
                }),
                ..prom::Metric::default()
            },
            Point::Info => gauge(base, 1.0),
            Point::StateSet { states, set } => {
                for (state, on) in states.iter().zip(set) {
                    let mut label_set = base.clone();
                    label_set.push(label(&desc.name, state));
                    let metric = gauge(label_set, f64::from(u8::from(*on)));
                    self.family.metric.push(metric);
                }
                return;
            }
            Point::Histogram {
                layout,
                counts,
                sum,
                created,
                exemplars,
            } => prom::Metric {
                label: base,
                histogram: Some(histogram(
                    layout,
                    counts,
                    sum,
                    Some(created),
                    Some(exemplars),
                )),
                ..prom::Metric::default()
            },
            Point::GaugeHistogram {
                layout,
                counts,
                sum,
            } => prom::Metric {
                label: base,
                histogram: Some(histogram(layout, counts, sum, None, None)),
                ..prom::Metric::default()
            },
            Point::Summary {
                count,
                sum,
                created,
                quantiles,
            } => prom::Metric {
                label: base,
                summary: Some(prom::Summary {
                    sample_count: Some(count),
                    sample_sum: Some(sum.abs()),
                    quantile: quantiles
                        .iter()
                        .map(|(_, quantile, value)| prom::Quantile {
                            quantile: Some(*quantile),
                            value: Some(*value),
                        })
                        .collect(),
                    created_timestamp: timestamp(created),
                }),
                ..prom::Metric::default()
            },
        };
        self.family.metric.push(metric);
    }

    fn finish(&mut self) {
        self.flush();
    }
}
