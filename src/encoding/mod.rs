//! Wire formats: content negotiation, and the encoders that turn a
//! registry's view into bytes.
//!
//! Each format is one module that implements [`Encoder`]; the registry walks
//! its families and feeds whichever encoder a scrape asked for.

use std::io;

use bytes::BufMut;

use crate::family::SeriesLabels;
use crate::registry::{Descriptor, Registry};
use crate::view::Point;

mod negotiate;
pub(crate) mod number;
// The generated message types decode the encoders' output in tests; the
// encoders themselves write the wire format directly.
#[cfg(all(test, feature = "protobuf"))]
pub(crate) mod proto;
#[cfg(feature = "protobuf")]
mod protobuf;
mod text;

pub use negotiate::negotiate;

/// An exposition format.
///
/// The two protobuf formats exist only with the `protobuf` cargo feature (on
/// by default); without it, [`negotiate`] never picks them.
///
/// # Examples
///
/// ```
/// use beamline::Format;
///
/// assert_eq!(
///     Format::OpenMetricsText.content_type(),
///     "application/openmetrics-text; version=1.0.0; charset=utf-8"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// OpenMetrics text 1.0.0.
    OpenMetricsText,
    /// Prometheus text 0.0.4, for older scrapers.
    PrometheusText,
    /// The OpenMetrics protobuf `MetricSet`.
    #[cfg(feature = "protobuf")]
    OpenMetricsProtobuf,
    /// Length-delimited Prometheus `io.prometheus.client.MetricFamily`
    /// messages.
    #[cfg(feature = "protobuf")]
    PrometheusProtobuf,
}

impl Format {
    /// Returns the HTTP `Content-Type` to serve this format with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::OpenMetricsText => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Self::PrometheusText => "text/plain; version=0.0.4; charset=utf-8",
            #[cfg(feature = "protobuf")]
            Self::OpenMetricsProtobuf => "application/openmetrics-protobuf; version=1.0.0",
            #[cfg(feature = "protobuf")]
            Self::PrometheusProtobuf => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; \
                 encoding=delimited"
            }
        }
    }
}

/// A byte sink an encoder writes into.
///
/// Binary encoders hand over whole messages with [`put`](Out::put). Text
/// encoders assemble their lines in place, in the vector
/// [`lines`](Out::lines) returns, and call
/// [`lines_done`](Out::lines_done) each time it ends on a line boundary;
/// one encoder uses one of the two ways.
pub(crate) trait Out {
    fn put(&mut self, bytes: &[u8]);

    /// Returns the vector to append lines to.
    fn lines(&mut self) -> &mut Vec<u8>;

    /// Tells the sink that what [`lines`](Out::lines) holds ends on a line
    /// boundary, so it may pass it on.
    fn lines_done(&mut self);
}

impl Out for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    #[inline]
    fn lines(&mut self) -> &mut Vec<u8> {
        self
    }

    #[inline]
    fn lines_done(&mut self) {}
}

/// A `BufMut` sink that stops, and remembers it, when the buffer is full.
///
/// Text lines gather in `staged` and move to the buffer a few KiB at a
/// time: a `BufMut` can only be written through `put_slice`, whose checks
/// would otherwise be paid on every small piece of every line.
struct BufOut<'a, B: BufMut + ?Sized> {
    buf: &'a mut B,
    staged: Vec<u8>,
    full: bool,
}

/// How many staged bytes a [`BufOut`] gathers before moving them: small
/// enough to stay in the first-level cache.
const STAGED: usize = 8 * 1024;

impl<B: BufMut + ?Sized> BufOut<'_, B> {
    /// Moves the staged lines to the buffer. When they do not all fit, the
    /// whole lines that do are written, and the sink is full.
    fn drain(&mut self) {
        if !self.full {
            let room = self.buf.remaining_mut();
            if room >= self.staged.len() {
                self.buf.put_slice(&self.staged);
            } else {
                let fits = &self.staged[..room];
                let lines = fits.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                self.buf.put_slice(&fits[..lines]);
                self.full = true;
            }
        }
        self.staged.clear();
    }
}

impl<B: BufMut + ?Sized> Out for BufOut<'_, B> {
    fn put(&mut self, bytes: &[u8]) {
        if !self.staged.is_empty() {
            self.drain();
        }
        if self.full || self.buf.remaining_mut() < bytes.len() {
            self.full = true;
        } else {
            self.buf.put_slice(bytes);
        }
    }

    #[inline]
    fn lines(&mut self) -> &mut Vec<u8> {
        &mut self.staged
    }

    #[inline]
    fn lines_done(&mut self) {
        if self.staged.len() >= STAGED {
            self.drain();
        }
    }
}

/// An `io::Write` sink that streams in chunks, so a scrape never holds the
/// whole exposition in memory.
struct WriteOut<'a, W: io::Write + ?Sized> {
    writer: &'a mut W,
    chunk: Vec<u8>,
    error: Option<io::Error>,
}

const CHUNK: usize = 64 * 1024;

impl<W: io::Write + ?Sized> WriteOut<'_, W> {
    fn flush(&mut self) {
        if self.error.is_none() && !self.chunk.is_empty() {
            if let Err(e) = self.writer.write_all(&self.chunk) {
                self.error = Some(e);
            }
        }
        self.chunk.clear();
    }
}

impl<W: io::Write + ?Sized> Out for WriteOut<'_, W> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.chunk.extend_from_slice(bytes);
        self.lines_done();
    }

    #[inline]
    fn lines(&mut self) -> &mut Vec<u8> {
        &mut self.chunk
    }

    #[inline]
    fn lines_done(&mut self) {
        if self.chunk.len() >= CHUNK {
            self.flush();
        }
    }
}

/// The events of a scrape, in order: for each family its descriptor, then
/// each series; `finish` once at the end.
pub(crate) trait Encoder {
    fn family(&mut self, desc: &Descriptor);
    fn series(&mut self, desc: &Descriptor, labels: &SeriesLabels<'_>, point: Point<'_>);
    fn finish(&mut self);
}

fn run<O: Out>(registry: &Registry, format: Format, out: &mut O) {
    match format {
        Format::OpenMetricsText => registry.walk(&mut text::Text::new(out, true)),
        Format::PrometheusText => registry.walk(&mut text::Text::new(out, false)),
        #[cfg(feature = "protobuf")]
        Format::OpenMetricsProtobuf => registry.walk(&mut protobuf::OpenMetrics::new(out)),
        #[cfg(feature = "protobuf")]
        Format::PrometheusProtobuf => registry.walk(&mut protobuf::Prometheus::new(out)),
    }
}

impl Registry {
    /// Renders every family in `format` into `writer`, in chunks of 64 KiB,
    /// so the whole exposition never sits in memory at once.
    ///
    /// # Errors
    ///
    /// Returns the first error `writer` reported; the rest of the scrape is
    /// skipped.
    pub fn encode<W: io::Write + ?Sized>(&self, format: Format, writer: &mut W) -> io::Result<()> {
        let mut out = WriteOut {
            writer,
            chunk: Vec::with_capacity(CHUNK),
            error: None,
        };
        run(self, format, &mut out);
        out.flush();
        match out.error {
            Some(e) => Err(e),
            None => out.writer.flush(),
        }
    }

    /// Renders every family in `format` into `buf`.
    ///
    /// # Errors
    ///
    /// Returns an error of kind [`io::ErrorKind::WriteZero`] when `buf` ran
    /// out of room; the lines (in the text formats) or messages (in
    /// protobuf) before the first one that did not fit were written.
    pub fn encode_to_buf<B: BufMut + ?Sized>(&self, format: Format, buf: &mut B) -> io::Result<()> {
        // Only the text formats stage lines; a series rarely passes the
        // threshold by more than another threshold's worth.
        let staged = match format {
            Format::OpenMetricsText | Format::PrometheusText => 2 * STAGED,
            #[cfg(feature = "protobuf")]
            _ => 0,
        };
        let mut out = BufOut {
            buf,
            staged: Vec::with_capacity(staged),
            full: false,
        };
        run(self, format, &mut out);
        out.drain();
        if out.full {
            Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "the buffer has no room for the whole exposition",
            ))
        } else {
            Ok(())
        }
    }

    /// Renders every family in `format` into a new vector.
    pub fn encode_to_vec(&self, format: Format) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_append(format, &mut out);
        out
    }

    /// Appends every family in `format` to `vec`, growing it as needed.
    ///
    /// Lines are assembled in `vec` itself, so this is the fastest way to
    /// scrape: clearing and reusing one vector across scrapes also saves
    /// its allocation. [`encode_to_buf`](Self::encode_to_buf) copies
    /// through a small staging buffer, since a `BufMut` takes only whole
    /// slices.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::{Counter, Format, Registry};
    ///
    /// let registry = Registry::new();
    /// let kicks = registry.register("kicks", "RF kicks.", Counter::new())?;
    /// let mut body = Vec::new();
    /// for expected in ["kicks_total 0\n", "kicks_total 1\n"] {
    ///     body.clear();
    ///     registry.encode_append(Format::PrometheusText, &mut body);
    ///     assert!(String::from_utf8_lossy(&body).contains(expected));
    ///     kicks.inc();
    /// }
    /// # Ok::<(), beamline::Error>(())
    /// ```
    pub fn encode_append(&self, format: Format, vec: &mut Vec<u8>) {
        run(self, format, vec);
    }
}
