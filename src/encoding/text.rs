//! OpenMetrics text 1.0 and Prometheus text 0.0.4.
//!
//! See OpenMetrics 1.0, "Text format", and the Prometheus "Exposition
//! formats" page for 0.0.4. The two share their sample syntax; 0.0.4 has no
//! `_created`, exemplars, `# UNIT` or `# EOF`, and knows no info, state set
//! or gauge histogram types.

use super::number::{put_f64, put_i64, put_u64};
use super::{Encoder, Out};
use crate::family::SeriesLabels;
use crate::metrics::exemplar::ExemplarSlot;
use crate::metrics::MetricType;
use crate::registry::Descriptor;
use crate::view::{BucketLayout, Num, Point};

pub(crate) struct Text<'o, O: Out> {
    out: &'o mut O,
    openmetrics: bool,
}

impl<'o, O: Out> Text<'o, O> {
    pub(crate) fn new(out: &'o mut O, openmetrics: bool) -> Self {
        Self { out, openmetrics }
    }

    fn put(&mut self, bytes: &[u8]) {
        self.out.put(bytes);
    }

    /// Writes `value` escaping backslash and line feed, and double quote
    /// when `quote` is set.
    fn put_escaped(&mut self, value: &str, quote: bool) {
        let mut start = 0;
        for (i, b) in value.bytes().enumerate() {
            let escaped: &[u8] = match b {
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'"' if quote => b"\\\"",
                _ => continue,
            };
            self.out.put(&value.as_bytes()[start..i]);
            self.out.put(escaped);
            start = i + 1;
        }
        self.out.put(&value.as_bytes()[start..]);
    }

    fn put_num(&mut self, value: Num) {
        match value {
            Num::U64(v) => put_u64(self.out, v),
            Num::I64(v) => put_i64(self.out, v),
            Num::F64(v) => put_f64(self.out, v),
        }
    }

    /// Writes `name suffix{labels} ` up to the value.
    fn start(
        &mut self,
        desc: &Descriptor,
        suffix: &str,
        labels: &SeriesLabels<'_>,
        extra: Option<(&str, &str)>,
    ) {
        self.put(desc.name.as_bytes());
        self.put(suffix.as_bytes());
        let mut first = true;
        for part in [&*desc.const_rendered, labels.rendered] {
            if !part.is_empty() {
                self.put(if first { b"{" } else { b"," });
                self.put(part.as_bytes());
                first = false;
            }
        }
        if let Some((name, value)) = extra {
            self.put(if first { b"{" } else { b"," });
            self.put(name.as_bytes());
            self.put(b"=\"");
            self.put_escaped(value, true);
            self.put(b"\"");
            first = false;
        }
        self.put(if first { b" " } else { b"} " });
    }

    fn line(
        &mut self,
        desc: &Descriptor,
        suffix: &str,
        labels: &SeriesLabels<'_>,
        extra: Option<(&str, &str)>,
        value: Num,
    ) {
        self.start(desc, suffix, labels, extra);
        self.put_num(value);
        self.put(b"\n");
    }

    /// Writes ` # {labels} value timestamp` when an exemplar is present and
    /// the format has exemplars.
    fn exemplar(&mut self, slot: Option<&ExemplarSlot>) {
        if !self.openmetrics {
            return;
        }
        let Some(exemplar) = slot.and_then(ExemplarSlot::load) else {
            return;
        };
        self.put(b" # {");
        for (i, (name, value)) in exemplar.labels().enumerate() {
            if i > 0 {
                self.put(b",");
            }
            self.put(name.as_bytes());
            self.put(b"=\"");
            self.put_escaped(value, true);
            self.put(b"\"");
        }
        self.put(b"} ");
        put_f64(self.out, exemplar.value());
        self.put(b" ");
        put_f64(self.out, exemplar.timestamp());
    }

    fn histogram(
        &mut self,
        desc: &Descriptor,
        labels: &SeriesLabels<'_>,
        point: &HistogramParts<'_>,
    ) {
        let mut cumulative = 0u64;
        for (i, (count, le)) in point.counts.iter().zip(&point.layout.le).enumerate() {
            cumulative = cumulative.saturating_add(*count);
            self.start(desc, "_bucket", labels, Some(("le", le)));
            put_u64(self.out, cumulative);
            self.exemplar(point.exemplars.and_then(|e| e.get(i)));
            self.put(b"\n");
        }
        let gauge = point.gauge && self.openmetrics;
        let (count, sum) = if gauge {
            ("_gcount", "_gsum")
        } else {
            ("_count", "_sum")
        };
        let exposed = if point.gauge {
            point.layout.exposes_gsum(point.sum)
        } else {
            point.layout.exposes_sum(point.sum)
        };
        if exposed {
            self.line(desc, count, labels, None, Num::U64(cumulative));
            self.line(desc, sum, labels, None, Num::F64(point.sum));
        }
        if let (Some(created), true) = (point.created, self.openmetrics) {
            self.line(desc, "_created", labels, None, Num::F64(created));
        }
    }
}

struct HistogramParts<'a> {
    layout: &'a BucketLayout,
    counts: &'a [u64],
    sum: f64,
    created: Option<f64>,
    exemplars: Option<&'a [ExemplarSlot]>,
    gauge: bool,
}

impl<O: Out> Encoder for Text<'_, O> {
    fn family(&mut self, desc: &Descriptor) {
        if self.openmetrics {
            self.put(b"# TYPE ");
            self.put(desc.name.as_bytes());
            self.put(b" ");
            self.put(desc.metric_type.as_str().as_bytes());
            self.put(b"\n");
            if let Some(unit) = &desc.unit {
                self.put(b"# UNIT ");
                self.put(desc.name.as_bytes());
                self.put(b" ");
                self.put(unit.as_bytes());
                self.put(b"\n");
            }
            if !desc.help.is_empty() {
                self.put(b"# HELP ");
                self.put(desc.name.as_bytes());
                self.put(b" ");
                self.put_escaped(&desc.help, true);
                self.put(b"\n");
            }
            return;
        }
        // 0.0.4 names a family after its samples where they carry a suffix
        // of their own, and knows fewer types.
        let (suffix, kind) = match desc.metric_type {
            MetricType::Counter => ("_total", "counter"),
            MetricType::Info => ("_info", "gauge"),
            MetricType::Gauge | MetricType::StateSet => ("", "gauge"),
            MetricType::Histogram | MetricType::GaugeHistogram => ("", "histogram"),
            MetricType::Summary => ("", "summary"),
            MetricType::Unknown => ("", "untyped"),
        };
        if !desc.help.is_empty() {
            self.put(b"# HELP ");
            self.put(desc.name.as_bytes());
            self.put(suffix.as_bytes());
            self.put(b" ");
            self.put_escaped(&desc.help, false);
            self.put(b"\n");
        }
        self.put(b"# TYPE ");
        self.put(desc.name.as_bytes());
        self.put(suffix.as_bytes());
        self.put(b" ");
        self.put(kind.as_bytes());
        self.put(b"\n");
    }

    fn series(&mut self, desc: &Descriptor, labels: &SeriesLabels<'_>, point: Point<'_>) {
        match point {
            Point::Counter {
                value,
                created,
                exemplar,
            } => {
                self.start(desc, "_total", labels, None);
                self.put_num(value);
                self.exemplar(exemplar);
                self.put(b"\n");
                if let (Some(created), true) = (created, self.openmetrics) {
                    self.line(desc, "_created", labels, None, Num::F64(created));
                }
            }
            Point::Gauge(value) | Point::Unknown(value) => {
                self.line(desc, "", labels, None, value);
            }
            Point::Info => self.line(desc, "_info", labels, None, Num::U64(1)),
            Point::StateSet { states, set } => {
                for (state, on) in states.iter().zip(set) {
                    let extra = Some((&*desc.name, &**state));
                    self.line(desc, "", labels, extra, Num::U64(u64::from(*on)));
                }
            }
            Point::Histogram {
                layout,
                counts,
                sum,
                created,
                exemplars,
            } => self.histogram(
                desc,
                labels,
                &HistogramParts {
                    layout,
                    counts,
                    sum,
                    created: Some(created),
                    exemplars: Some(exemplars),
                    gauge: false,
                },
            ),
            Point::GaugeHistogram {
                layout,
                counts,
                sum,
            } => self.histogram(
                desc,
                labels,
                &HistogramParts {
                    layout,
                    counts,
                    sum,
                    created: None,
                    exemplars: None,
                    gauge: true,
                },
            ),
            Point::Summary {
                count,
                sum,
                created,
                quantiles,
            } => {
                for (text, _, value) in quantiles {
                    // OpenMetrics forbids negative quantile values; a summary
                    // of negative observations keeps them in 0.0.4 only.
                    if self.openmetrics && *value < 0.0 {
                        continue;
                    }
                    self.line(desc, "", labels, Some(("quantile", text)), Num::F64(*value));
                }
                // `_count` and `_sum` are counters: left out while the sum is
                // negative.
                if sum >= 0.0 {
                    self.line(desc, "_count", labels, None, Num::U64(count));
                    self.line(desc, "_sum", labels, None, Num::F64(sum));
                }
                if self.openmetrics {
                    self.line(desc, "_created", labels, None, Num::F64(created));
                }
            }
        }
    }

    fn finish(&mut self) {
        if self.openmetrics {
            self.put(b"# EOF\n");
        }
    }
}
