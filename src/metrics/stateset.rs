//! State sets: a fixed list of named states, each set or not.
//!
//! See OpenMetrics 1.0, "StateSet". Each state is one sample whose label,
//! named after the family, holds the state name; the value is 1 or 0.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{sealed, Metric, MetricType};
use crate::error::Error;
use crate::view::{Point, Scratch};

#[derive(Debug)]
struct Core {
    states: Box<[Box<str>]>,
    /// One bit per state, 64 states a word. With up to 64 states,
    /// [`StateSet::set_only`] is a single store and so is atomic.
    bits: Box<[AtomicU64]>,
}

/// A state set.
///
/// # Examples
///
/// ```
/// use beamline::StateSet;
///
/// let state = StateSet::new(&["stopped", "accelerating", "colliding"]);
/// assert!(state.set_only("accelerating"));
/// assert_eq!(state.is_set("accelerating"), Some(true));
/// assert_eq!(state.is_set("stopped"), Some(false));
/// assert!(!state.set("warp", true)); // unknown state: nothing changes
/// assert_eq!(state.is_set("warp"), None);
/// ```
#[derive(Debug, Clone)]
pub struct StateSet(Arc<Core>);

impl Default for StateSet {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl StateSet {
    /// Returns a state set with every state unset. The list is validated
    /// (not empty, no repeats) when the metric is registered.
    pub fn new(states: &[&str]) -> Self {
        let words = states.len().div_ceil(64);
        Self(Arc::new(Core {
            states: states.iter().map(|s| (*s).into()).collect(),
            bits: (0..words).map(|_| AtomicU64::new(0)).collect(),
        }))
    }

    fn index(&self, state: &str) -> Option<usize> {
        self.0.states.iter().position(|s| &**s == state)
    }

    /// Sets or clears `state`. Returns `false`, changing nothing, when the
    /// state is unknown.
    pub fn set(&self, state: &str, on: bool) -> bool {
        let Some(i) = self.index(state) else {
            return false;
        };
        let bit = 1u64 << (i % 64);
        let word = &self.0.bits[i / 64];
        if on {
            word.fetch_or(bit, Ordering::Relaxed);
        } else {
            word.fetch_and(!bit, Ordering::Relaxed);
        }
        true
    }

    /// Sets `state` and clears every other one. Returns `false`, changing
    /// nothing, when the state is unknown.
    pub fn set_only(&self, state: &str) -> bool {
        let Some(i) = self.index(state) else {
            return false;
        };
        for (w, word) in self.0.bits.iter().enumerate() {
            let value = if w == i / 64 { 1u64 << (i % 64) } else { 0 };
            word.store(value, Ordering::Relaxed);
        }
        true
    }

    /// Returns whether `state` is set, or `None` when it is unknown.
    pub fn is_set(&self, state: &str) -> Option<bool> {
        let i = self.index(state)?;
        Some(self.0.bits[i / 64].load(Ordering::Relaxed) & (1u64 << (i % 64)) != 0)
    }

    /// Returns the state names.
    pub fn states(&self) -> impl Iterator<Item = &str> {
        self.0.states.iter().map(|s| &**s)
    }
}

impl sealed::Sealed for StateSet {
    const TYPE: MetricType = MetricType::StateSet;

    fn fresh(&self) -> Self {
        let names: Vec<&str> = self.states().collect();
        Self::new(&names)
    }

    fn is_shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }

    fn visit(&self, scratch: &mut Scratch, f: &mut dyn FnMut(Point<'_>)) {
        scratch.flags.clear();
        for i in 0..self.0.states.len() {
            let word = self.0.bits[i / 64].load(Ordering::Relaxed);
            scratch.flags.push(word & (1u64 << (i % 64)) != 0);
        }
        f(Point::StateSet {
            states: &self.0.states,
            set: &scratch.flags,
        });
    }

    fn check(&self) -> Result<(), Error> {
        if self.0.states.is_empty() {
            return Err(Error::InvalidStates {
                state: String::new(),
                reason: "a state set needs at least one state",
            });
        }
        for (i, state) in self.0.states.iter().enumerate() {
            if self.0.states[..i].contains(state) {
                return Err(Error::InvalidStates {
                    state: state.to_string(),
                    reason: "states must be distinct",
                });
            }
        }
        Ok(())
    }
}

impl Metric for StateSet {}
