//! Exemplars: a sample of the labels (a trace id, a run id) behind a value.
//!
//! See OpenMetrics 1.0, "Exemplars". An exemplar is stored behind an atomic
//! pointer, so recording one never blocks a scrape or an update.

use std::sync::Arc;

use arc_swap::ArcSwapOption;

use crate::error::Error;
use crate::validation;

/// One exemplar: its labels, value and time.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    pub(crate) labels: Box<[(Box<str>, Box<str>)]>,
    pub(crate) value: f64,
    pub(crate) timestamp: f64,
}

impl Exemplar {
    /// Validates `labels` and builds an exemplar stamped with the current
    /// time.
    pub(crate) fn new(labels: &[(&str, &str)], value: f64) -> Result<Self, Error> {
        validation::exemplar_labels(labels)?;
        Ok(Self {
            labels: labels
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
            value,
            timestamp: crate::metrics::unix_now(),
        })
    }

    /// Returns the label pairs.
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.labels.iter().map(|(n, v)| (&**n, &**v))
    }

    /// Returns the exemplar's value.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Returns when the exemplar was recorded, in seconds since the Unix epoch.
    pub fn timestamp(&self) -> f64 {
        self.timestamp
    }
}

/// The latest exemplar of a counter or a bucket.
#[derive(Debug, Default)]
pub struct ExemplarSlot(ArcSwapOption<Exemplar>);

impl ExemplarSlot {
    pub(crate) fn store(&self, exemplar: Exemplar) {
        self.0.store(Some(Arc::new(exemplar)));
    }

    /// Returns the latest exemplar, if one was recorded.
    pub(crate) fn load(&self) -> Option<Arc<Exemplar>> {
        self.0.load_full()
    }
}
