//! The two protobuf exposition formats: the OpenMetrics data model
//! ([OpenMetrics 1.0, "Protobuf format"][om]) and Prometheus'
//! `io.prometheus.client` messages ([exposition formats][prom]).
//!
//! Both encoders build one family at a time and write it as soon as the next
//! family starts, so a scrape holds at most one encoded family in memory.
//!
//! [om]: https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md#protobuf-format
//! [prom]: https://prometheus.io/docs/instrumenting/exposition_formats/

use prost_types::Timestamp;

mod openmetrics;
mod prometheus;
#[cfg(test)]
mod tests;

pub(crate) use openmetrics::OpenMetrics;
pub(crate) use prometheus::Prometheus;

/// The range `google.protobuf.Timestamp` allows: 0001-01-01T00:00:00Z to
/// 9999-12-31T23:59:59Z.
const MIN_SECONDS: f64 = -62_135_596_800.0;
const MAX_SECONDS: f64 = 253_402_300_799.0;

/// Turns seconds since the Unix epoch into a `Timestamp`, rounded to the
/// nanosecond; `None` for NaN, infinities and instants outside the range a
/// `Timestamp` allows, which no clock reading produces.
fn timestamp(seconds: f64) -> Option<Timestamp> {
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
        return None;
    }
    let whole = seconds.floor();
    // `seconds - whole` lies in [0, 1), so the nanoseconds fit an i32; a
    // fraction that rounds up to a whole second carries into the seconds.
    let nanos = ((seconds - whole) * 1e9).round();
    #[allow(
        clippy::cast_possible_truncation,
        reason = "both values were range-checked above"
    )]
    let (mut secs, mut nanos) = (whole as i64, nanos as i32);
    if nanos >= 1_000_000_000 {
        secs += 1;
        nanos -= 1_000_000_000;
    }
    Some(Timestamp {
        seconds: secs,
        nanos,
    })
}

/// Replaces the contents of `target` with `value`, keeping its allocation.
fn set(target: &mut String, value: &str) {
    target.clear();
    target.push_str(value);
}
