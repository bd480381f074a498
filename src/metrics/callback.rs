//! Gauges and counters whose value a closure computes at scrape time.
//!
//! A closure that panics costs only its own sample: the scrape goes on, and
//! nothing is poisoned.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::view::Num;

type ValueFn = Arc<dyn Fn() -> f64 + Send + Sync>;

/// Calls `f`, turning a panic into `None`.
pub(crate) fn call_guarded(f: &ValueFn) -> Option<f64> {
    catch_unwind(AssertUnwindSafe(|| f())).ok()
}

/// A gauge computed by a closure at each scrape, like Python's
/// `Gauge.set_function`.
///
/// # Examples
///
/// ```
/// use beamline::{Format, GaugeFn, Registry};
///
/// let registry = Registry::new();
/// registry.register("answer", "The answer.", GaugeFn::new(|| 42.0))?;
/// let text = String::from_utf8(registry.encode_to_vec(Format::PrometheusText)).unwrap();
/// assert!(text.contains("answer 42.0\n"));
/// # Ok::<(), beamline::Error>(())
/// ```
#[derive(Clone)]
pub struct GaugeFn(pub(crate) ValueFn);

impl GaugeFn {
    /// Wraps `f`; it runs on the scraping thread.
    pub fn new(f: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Returns the current value, or `None` when the closure panicked.
    pub(crate) fn value(&self) -> Option<Num> {
        call_guarded(&self.0).map(Num::F64)
    }
}

impl fmt::Debug for GaugeFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GaugeFn")
    }
}

/// A counter computed by a closure at each scrape. Values that a counter
/// cannot hold (negative, NaN) are left out of the scrape.
///
/// # Examples
///
/// ```
/// use beamline::{CounterFn, Format, Registry};
///
/// let registry = Registry::new();
/// registry.register("bytes_read", "Bytes read.", CounterFn::new(|| 1024.0))?;
/// let text = String::from_utf8(registry.encode_to_vec(Format::PrometheusText)).unwrap();
/// assert!(text.contains("bytes_read_total 1024.0\n"));
/// # Ok::<(), beamline::Error>(())
/// ```
#[derive(Clone)]
pub struct CounterFn(pub(crate) ValueFn);

impl CounterFn {
    /// Wraps `f`; it runs on the scraping thread.
    pub fn new(f: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Returns the current value, or `None` when the closure panicked or
    /// returned a value a counter cannot hold.
    pub(crate) fn value(&self) -> Option<Num> {
        call_guarded(&self.0)
            .filter(|v| !v.is_nan() && *v >= 0.0)
            .map(Num::F64)
    }
}

impl fmt::Debug for CounterFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CounterFn")
    }
}
