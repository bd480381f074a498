//! OpenMetrics text 1.0 and Prometheus text 0.0.4.
//!
//! See OpenMetrics 1.0, "Text format", and the Prometheus "Exposition
//! formats" page for 0.0.4. The two share their sample syntax; 0.0.4 has no
//! `_created`, exemplars, `# UNIT` or `# EOF`, and knows no info, state set
//! or gauge histogram types.

use super::number::{put_f64, put_i64, put_timestamp, put_u64, LastSeconds};
use super::{Encoder, Out};
use crate::family::SeriesLabels;
use crate::metrics::exemplar::ExemplarSlot;
use crate::metrics::MetricType;
use crate::registry::Descriptor;
use crate::view::{summary_exposes_quantile, summary_exposes_sum, BucketLayout, Num, Point};

/// A text encoder. Every line is assembled in the sink's line buffer
/// ([`Out::lines`]), and the sink is told after each family header and
/// each series that it may pass the finished lines on.
pub(crate) struct Text<'o, O: Out> {
    out: &'o mut O,
    openmetrics: bool,
    /// The current histogram series' `name_bucket{labels,le="`, which all
    /// its bucket lines start with.
    head: Vec<u8>,
    names: SampleNames,
    seconds: LastSeconds,
}

impl<'o, O: Out> Text<'o, O> {
    pub(crate) fn new(out: &'o mut O, openmetrics: bool) -> Self {
        Self {
            out,
            openmetrics,
            head: Vec::new(),
            names: SampleNames::default(),
            seconds: LastSeconds::default(),
        }
    }
}

/// What a sample's name adds to its family's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suffix {
    Total,
    Created,
    Bucket,
    Count,
    Sum,
    Gcount,
    Gsum,
    Info,
}

impl Suffix {
    const ALL: usize = 8;

    fn text(self) -> &'static str {
        match self {
            Self::Total => "_total",
            Self::Created => "_created",
            Self::Bucket => "_bucket",
            Self::Count => "_count",
            Self::Sum => "_sum",
            Self::Gcount => "_gcount",
            Self::Gsum => "_gsum",
            Self::Info => "_info",
        }
    }
}

/// The current family's name joined to each suffix its samples use, so
/// that a line starts with one copy instead of two. Joined on first use,
/// as a family uses few of the suffixes.
#[derive(Default)]
struct SampleNames {
    /// The family name, then each joined name in the order first used.
    text: Vec<u8>,
    name_len: usize,
    /// Where the name joined to each suffix sits in `text`.
    joined: [Option<(usize, usize)>; Suffix::ALL],
}

impl SampleNames {
    fn start_family(&mut self, name: &str) {
        self.text.clear();
        self.text.extend_from_slice(name.as_bytes());
        self.name_len = name.len();
        self.joined = [None; Suffix::ALL];
    }

    /// Returns the family name.
    fn plain(&self) -> &[u8] {
        self.text.get(..self.name_len).unwrap_or_default()
    }

    /// Returns the family name followed by `suffix`.
    #[inline]
    fn get(&mut self, suffix: Suffix) -> &[u8] {
        let i = suffix as usize;
        let (start, end) = match self.joined.get(i).copied().flatten() {
            Some(range) => range,
            None => {
                let start = self.text.len();
                self.text.extend_from_within(..self.name_len);
                self.text.extend_from_slice(suffix.text().as_bytes());
                let range = (start, self.text.len());
                if let Some(slot) = self.joined.get_mut(i) {
                    *slot = Some(range);
                }
                range
            }
        };
        self.text.get(start..end).unwrap_or_default()
    }
}

/// Appends `value` escaping backslash and line feed, and double quote when
/// `quote` is set.
fn put_escaped(buf: &mut Vec<u8>, value: &str, quote: bool) {
    let bytes = value.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'"' if quote => b"\\\"",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(escaped);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
}

fn put_num(buf: &mut Vec<u8>, value: Num) {
    match value {
        Num::U64(v) => put_u64(buf, v),
        Num::I64(v) => put_i64(buf, v),
        Num::F64(v) => put_f64(buf, v),
    }
}

/// Appends `sample{labels} `, up to the value; `sample` is the family
/// name with the sample's suffix.
#[inline]
fn start(buf: &mut Vec<u8>, sample: &[u8], desc: &Descriptor, labels: &SeriesLabels<'_>) {
    buf.extend_from_slice(sample);
    let consts = desc.const_rendered.as_bytes();
    let own = labels.rendered.as_bytes();
    match (consts.is_empty(), own.is_empty()) {
        (true, true) => buf.push(b' '),
        (true, false) | (false, true) => {
            buf.push(b'{');
            buf.extend_from_slice(if own.is_empty() { consts } else { own });
            buf.extend_from_slice(b"} ");
        }
        (false, false) => {
            buf.push(b'{');
            buf.extend_from_slice(consts);
            buf.push(b',');
            buf.extend_from_slice(own);
            buf.extend_from_slice(b"} ");
        }
    }
}

/// Appends `sample{labels,` (the comma only after a pair), ready for one
/// more label.
fn open(buf: &mut Vec<u8>, sample: &[u8], desc: &Descriptor, labels: &SeriesLabels<'_>) {
    buf.extend_from_slice(sample);
    buf.push(b'{');
    for part in [&*desc.const_rendered, labels.rendered] {
        if !part.is_empty() {
            buf.extend_from_slice(part.as_bytes());
            buf.push(b',');
        }
    }
}

/// Appends a whole line with one more label, `extra`, whose value is
/// escaped.
fn line_with(
    buf: &mut Vec<u8>,
    (sample, desc): (&[u8], &Descriptor),
    labels: &SeriesLabels<'_>,
    extra: (&str, &str),
    value: Num,
) {
    open(buf, sample, desc, labels);
    buf.extend_from_slice(extra.0.as_bytes());
    buf.extend_from_slice(b"=\"");
    put_escaped(buf, extra.1, true);
    buf.extend_from_slice(b"\"} ");
    put_num(buf, value);
    buf.push(b'\n');
}

/// Appends a whole line.
#[inline]
fn line(
    buf: &mut Vec<u8>,
    sample: &[u8],
    desc: &Descriptor,
    labels: &SeriesLabels<'_>,
    value: Num,
) {
    start(buf, sample, desc, labels);
    put_num(buf, value);
    buf.push(b'\n');
}

/// Appends a `_created` line.
#[inline]
fn created_line(
    buf: &mut Vec<u8>,
    (sample, seconds): (&[u8], &mut LastSeconds),
    desc: &Descriptor,
    labels: &SeriesLabels<'_>,
    created: f64,
) {
    start(buf, sample, desc, labels);
    put_timestamp(buf, created, seconds);
    buf.push(b'\n');
}

/// Appends ` # {labels} value timestamp` when the slot holds an exemplar.
fn exemplar(buf: &mut Vec<u8>, slot: Option<&ExemplarSlot>, seconds: &mut LastSeconds) {
    let Some(exemplar) = slot.and_then(ExemplarSlot::load) else {
        return;
    };
    buf.extend_from_slice(b" # {");
    for (i, (name, value)) in exemplar.labels().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b"=\"");
        put_escaped(buf, value, true);
        buf.push(b'"');
    }
    buf.extend_from_slice(b"} ");
    put_f64(buf, exemplar.value());
    buf.push(b' ');
    put_timestamp(buf, exemplar.timestamp(), seconds);
}

/// Appends the lines of a histogram or gauge histogram series.
fn histogram(
    buf: &mut Vec<u8>,
    (head, names, seconds): (&mut Vec<u8>, &mut SampleNames, &mut LastSeconds),
    openmetrics: bool,
    (desc, labels): (&Descriptor, &SeriesLabels<'_>),
    point: &HistogramParts<'_>,
) {
    head.clear();
    open(head, names.get(Suffix::Bucket), desc, labels);
    head.extend_from_slice(b"le=\"");
    // Only OpenMetrics carries exemplars.
    let exemplars = point.exemplars.filter(|_| openmetrics);
    let mut cumulative = 0u64;
    for (i, (count, le)) in point.counts.iter().zip(&point.layout.le).enumerate() {
        cumulative = cumulative.saturating_add(*count);
        buf.extend_from_slice(head);
        // `le` holds canonical float text (digits, `.`, `e`, signs, `Inf`),
        // which needs no escaping.
        debug_assert!(!le.contains(['\\', '"', '\n']), "canonical bound text");
        buf.extend_from_slice(le.as_bytes());
        buf.extend_from_slice(b"\"} ");
        put_u64(buf, cumulative);
        if let Some(slots) = exemplars {
            exemplar(buf, slots.get(i), seconds);
        }
        buf.push(b'\n');
    }
    let gauge = point.gauge && openmetrics;
    let (count, sum) = if gauge {
        (Suffix::Gcount, Suffix::Gsum)
    } else {
        (Suffix::Count, Suffix::Sum)
    };
    // The OpenMetrics rules; Prometheus text, like Prometheus protobuf,
    // has the pair always.
    let exposed = !openmetrics
        || if point.gauge {
            point.layout.exposes_gsum(point.sum)
        } else {
            point.layout.exposes_sum(point.sum)
        };
    if exposed {
        line(buf, names.get(count), desc, labels, Num::U64(cumulative));
        line(buf, names.get(sum), desc, labels, Num::F64(point.sum));
    }
    if let (Some(created), true) = (point.created, openmetrics) {
        created_line(
            buf,
            (names.get(Suffix::Created), seconds),
            desc,
            labels,
            created,
        );
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
        self.names.start_family(&desc.name);
        let buf = self.out.lines();
        let name = desc.name.as_bytes();
        if self.openmetrics {
            for (label, text) in [
                (&b"# TYPE "[..], Some(desc.metric_type.as_str())),
                (b"# UNIT ", desc.unit.as_deref()),
            ] {
                if let Some(text) = text {
                    buf.extend_from_slice(label);
                    buf.extend_from_slice(name);
                    buf.push(b' ');
                    buf.extend_from_slice(text.as_bytes());
                    buf.push(b'\n');
                }
            }
            if !desc.help.is_empty() {
                buf.extend_from_slice(b"# HELP ");
                buf.extend_from_slice(name);
                buf.push(b' ');
                put_escaped(buf, &desc.help, true);
                buf.push(b'\n');
            }
            self.out.lines_done();
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
            buf.extend_from_slice(b"# HELP ");
            buf.extend_from_slice(name);
            buf.extend_from_slice(suffix.as_bytes());
            buf.push(b' ');
            put_escaped(buf, &desc.help, false);
            buf.push(b'\n');
        }
        buf.extend_from_slice(b"# TYPE ");
        buf.extend_from_slice(name);
        buf.extend_from_slice(suffix.as_bytes());
        buf.push(b' ');
        buf.extend_from_slice(kind.as_bytes());
        buf.push(b'\n');
        self.out.lines_done();
    }

    fn series(&mut self, desc: &Descriptor, labels: &SeriesLabels<'_>, point: Point<'_>) {
        let openmetrics = self.openmetrics;
        let buf = self.out.lines();
        let (names, seconds) = (&mut self.names, &mut self.seconds);
        match point {
            Point::Counter {
                value,
                created,
                exemplar: slot,
            } => {
                start(buf, names.get(Suffix::Total), desc, labels);
                put_num(buf, value);
                if openmetrics {
                    exemplar(buf, slot, seconds);
                }
                buf.push(b'\n');
                if let (Some(created), true) = (created, openmetrics) {
                    let sample = (names.get(Suffix::Created), &mut *seconds);
                    created_line(buf, sample, desc, labels, created);
                }
            }
            Point::Gauge(value) | Point::Unknown(value) => {
                line(buf, names.plain(), desc, labels, value);
            }
            Point::Info => line(buf, names.get(Suffix::Info), desc, labels, Num::U64(1)),
            Point::StateSet { states, set } => {
                for (state, on) in states.iter().zip(set) {
                    let extra = (&*desc.name, &**state);
                    let value = Num::U64(u64::from(*on));
                    line_with(buf, (names.plain(), desc), labels, extra, value);
                }
            }
            Point::Histogram {
                layout,
                counts,
                sum,
                created,
                exemplars,
            } => histogram(
                buf,
                (&mut self.head, names, seconds),
                openmetrics,
                (desc, labels),
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
            } => histogram(
                buf,
                (&mut self.head, names, seconds),
                openmetrics,
                (desc, labels),
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
                    if openmetrics && !summary_exposes_quantile(*value) {
                        continue;
                    }
                    let extra = ("quantile", &**text);
                    line_with(buf, (names.plain(), desc), labels, extra, Num::F64(*value));
                }
                if !openmetrics || summary_exposes_sum(sum) {
                    line(buf, names.get(Suffix::Count), desc, labels, Num::U64(count));
                    line(buf, names.get(Suffix::Sum), desc, labels, Num::F64(sum));
                }
                if openmetrics {
                    let sample = (names.get(Suffix::Created), &mut *seconds);
                    created_line(buf, sample, desc, labels, created);
                }
            }
        }
        self.out.lines_done();
    }

    fn finish(&mut self) {
        if self.openmetrics {
            self.out.lines().extend_from_slice(b"# EOF\n");
        }
        self.out.lines_done();
    }
}
