//! The two protobuf exposition formats: the OpenMetrics data model
//! ([OpenMetrics 1.0, "Protobuf format"][om]) and Prometheus'
//! `io.prometheus.client` messages ([exposition formats][prom]).
//!
//! Both encoders write the wire format directly, one family at a time, and
//! send each family as soon as the next one starts: a scrape holds at most
//! one encoded family in memory. The generated message types in
//! `encoding::proto` decode what they write in the tests.
//!
//! [om]: https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md#protobuf-format
//! [prom]: https://prometheus.io/docs/instrumenting/exposition_formats/

use wire::Wire;

use super::number::whole_micros;

mod openmetrics;
mod prometheus;
#[cfg(test)]
mod tests;
mod wire;

pub(crate) use openmetrics::OpenMetrics;
pub(crate) use prometheus::Prometheus;

/// The range `google.protobuf.Timestamp` allows: 0001-01-01T00:00:00Z to
/// 9999-12-31T23:59:59Z.
const MIN_SECONDS: f64 = -62_135_596_800.0;
const MAX_SECONDS: f64 = 253_402_300_799.0;

/// Splits seconds since the Unix epoch into the whole seconds and the
/// nanoseconds (counted forward, 0 to 999,999,999) of a
/// `google.protobuf.Timestamp`, rounded to the nanosecond; `None` for NaN,
/// infinities and instants outside the range a `Timestamp` allows, which no
/// clock reading produces.
fn timestamp(seconds: f64) -> Option<(i64, i32)> {
    if let Some(micros) = whole_micros(seconds) {
        // A timestamp beamline took itself: the nanoseconds of its
        // microseconds, as the text formats write it, rather than those of
        // the nearest `f64`, whose last digits are noise.
        let secs = i64::try_from(micros / 1_000_000).ok()?;
        let nanos = i32::try_from(micros % 1_000_000 * 1_000).ok()?;
        return Some((secs, nanos));
    }
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
        return None;
    }
    // Casts rather than `floor` and `round`, which are library calls on
    // most targets; the range check above keeps both casts in range.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the value was range-checked above"
    )]
    let mut secs = seconds as i64;
    #[allow(clippy::cast_precision_loss, reason = "below 2^53, so exact")]
    let mut whole = secs as f64;
    // The cast truncates toward zero; the nanoseconds count forward.
    if whole > seconds {
        secs -= 1;
        whole -= 1.0;
    }
    // The fraction lies in [0, 1): rounded half up, the nanoseconds fit an
    // i32, and a fraction that rounds to a whole second carries.
    #[allow(clippy::cast_possible_truncation, reason = "between 0 and 1e9")]
    let mut nanos = ((seconds - whole) * 1e9 + 0.5) as i32;
    if nanos >= 1_000_000_000 {
        secs += 1;
        nanos -= 1_000_000_000;
    }
    Some((secs, nanos))
}

/// Writes a `google.protobuf.Timestamp` (proto3: zero fields left out) as
/// field `field`; nothing when `seconds` cannot be one.
fn put_timestamp(w: &mut Wire, field: u32, seconds: f64) {
    let Some((secs, nanos)) = timestamp(seconds) else {
        return;
    };
    let at = w.open(field);
    if secs != 0 {
        w.int64(1, secs);
    }
    if nanos != 0 {
        w.int64(2, i64::from(nanos));
    }
    w.close(at);
}

/// The number of observations in per-bucket counts.
fn total(counts: &[u64]) -> u64 {
    counts.iter().fold(0, |sum, c| sum.saturating_add(*c))
}

/// Replaces the contents of `target` with `value`, keeping its allocation.
fn set(target: &mut String, value: &str) {
    target.clear();
    target.push_str(value);
}
