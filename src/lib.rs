//! Lock-free metrics with OpenMetrics and Prometheus exposition.
//!
//! beamline keeps counters, gauges, histograms, summaries, info, state sets,
//! gauge histograms and unknown metrics, alone or in label
//! [families](Family), in a [`Registry`], and renders them as OpenMetrics text
//! 1.0, Prometheus text 0.0.4 or either protobuf form, whichever the scraper
//! asks for through [`negotiate`].
//!
//! - Updates (`inc`, `set`, `observe`) take `&self`, use atomics only, and
//!   never lock, allocate or format.
//! - Names, label names, units and buckets are validated when a metric is
//!   registered; afterwards nothing a caller passes can make the exposition
//!   invalid.
//! - Scrapes copy pre-rendered label text and format only numbers.
//!
//! The main types:
//! - [`Registry`]: registration, sub-registries, collectors, encoding.
//! - [`Counter`], [`FloatCounter`], [`Gauge`], [`FloatGauge`],
//!   [`Histogram`], [`Summary`], [`Info`], [`StateSet`], [`GaugeHistogram`],
//!   [`Unknown`]: the metric types.
//! - [`Family`]: one series per set of label values.
//! - [`GaugeFn`], [`CounterFn`], [`Collector`]: values computed at scrape
//!   time.
//! - [`Format`], [`negotiate`]: the wire formats.
//! - [`quantile`]: the sliding-window sketch behind summary quantiles.
//! - [`parse`]: a strict OpenMetrics text parser.
//! - [`testing`]: helpers for tests of instrumented code.
//!
//! # Examples
//!
//! ```
//! use beamline::{Buckets, Counter, Family, FloatGauge, Format, Histogram, Registry};
//!
//! let registry = Registry::new();
//! let energy = registry.register_with_unit(
//!     "beam_energy_electronvolts",
//!     "Total beam energy.",
//!     "electronvolts",
//!     FloatGauge::new(),
//! )?;
//! let runs = registry.register(
//!     "runs",
//!     "Finished runs by outcome.",
//!     Family::<Counter, 1>::new(["outcome"]),
//! )?;
//! let ramp = registry.register(
//!     "ramp_duration_seconds",
//!     "Time to reach flat-top.",
//!     Histogram::new(Buckets::new([20.0, 30.0])?),
//! )?;
//!
//! energy.set(6.8e12);
//! runs.get(["success"]).inc();
//! ramp.observe(29.4);
//!
//! let text = String::from_utf8(registry.encode_to_vec(Format::PrometheusText)).unwrap();
//! let expected = concat!(
//!     "# HELP beam_energy_electronvolts Total beam energy.\n",
//!     "# TYPE beam_energy_electronvolts gauge\n",
//!     "beam_energy_electronvolts 6800000000000.0\n",
//!     "# HELP runs_total Finished runs by outcome.\n",
//!     "# TYPE runs_total counter\n",
//!     "runs_total{outcome=\"success\"} 1\n",
//!     "# HELP ramp_duration_seconds Time to reach flat-top.\n",
//!     "# TYPE ramp_duration_seconds histogram\n",
//!     "ramp_duration_seconds_bucket{le=\"20.0\"} 0\n",
//!     "ramp_duration_seconds_bucket{le=\"30.0\"} 1\n",
//!     "ramp_duration_seconds_bucket{le=\"+Inf\"} 1\n",
//!     "ramp_duration_seconds_count 1\n",
//!     "ramp_duration_seconds_sum 29.4\n",
//! );
//! assert_eq!(text, expected);
//! # Ok::<(), beamline::Error>(())
//! ```

mod encoding;
mod error;
mod family;
mod labels;
mod metrics;
pub mod parse;
pub mod quantile;
mod registry;
mod sync;
pub mod testing;
mod validation;
mod view;

pub use encoding::{negotiate, Format};
pub use error::Error;
pub use family::{Family, OVERFLOW_LABEL_VALUE};
pub use labels::LabelValues;
pub use metrics::{
    Buckets, Counter, CounterFn, Exemplar, FloatCounter, FloatGauge, Gauge, GaugeFn,
    GaugeHistogram, Histogram, InProgress, Info, Metric, MetricType, Observe, StateSet, Summary,
    Timer, Unknown,
};
pub use registry::{Collection, Collector, Register, Registry};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
