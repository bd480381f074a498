//! Info metrics: static facts carried as labels, value 1.
//!
//! See OpenMetrics 1.0, "Info". The sample is `<name>_info`.

use std::sync::Arc;

use super::{sealed, Metric, MetricType};
use crate::error::Error;
use crate::validation;
use crate::view::{Point, Scratch};

/// An info metric.
///
/// # Examples
///
/// ```
/// use beamline::{Format, Info, Registry};
///
/// let registry = Registry::new();
/// registry.register("build", "Build facts.", Info::new(&[("version", "1.2.0")]))?;
/// let text = String::from_utf8(registry.encode_to_vec(Format::OpenMetricsText)).unwrap();
/// assert!(text.contains("build_info{version=\"1.2.0\"} 1\n"));
/// # Ok::<(), beamline::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Info(Arc<[(Box<str>, Box<str>)]>);

impl Info {
    /// Returns an info metric with the given label pairs. The names are
    /// validated when the metric is registered.
    pub fn new(labels: &[(&str, &str)]) -> Self {
        Self(
            labels
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
        )
    }
}

impl sealed::Sealed for Info {
    const TYPE: MetricType = MetricType::Info;

    fn fresh(&self) -> Self {
        self.clone()
    }

    fn is_shared(&self) -> bool {
        // An info has nothing to update: a held handle cannot bring an
        // expired series back, so it may always be removed.
        false
    }

    fn visit(&self, _: &mut Scratch, f: &mut dyn FnMut(Point<'_>)) {
        f(Point::Info);
    }

    fn check(&self) -> Result<(), Error> {
        validation::label_names(self.0.iter().map(|(n, _)| &**n), None)
    }

    fn own_labels(&self) -> &[(Box<str>, Box<str>)] {
        &self.0
    }
}

impl Metric for Info {}
