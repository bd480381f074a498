//! Validated configuration of a sketch and its error type.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::mapping::Mapping;

/// Why a [`SketchConfig`] was rejected.
///
/// # Examples
///
/// ```
/// use beamline::quantile::{SketchConfig, SketchError};
///
/// let err = SketchConfig::new(&[0.5, 1.0]).unwrap_err();
/// assert_eq!(err, SketchError::QuantileOutOfRange { quantile: 1.0 });
/// assert_eq!(err.to_string(), "quantile 1 is not strictly between 0 and 1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SketchError {
    /// A quantile is NaN, infinite, or not strictly between 0 and 1.
    QuantileOutOfRange {
        /// The rejected quantile.
        quantile: f64,
    },
    /// The same quantile is listed twice.
    DuplicateQuantile {
        /// The repeated quantile.
        quantile: f64,
    },
    /// The number of age buckets is 0 or above [`SketchConfig::MAX_AGE_BUCKETS`].
    AgeBucketsOutOfRange {
        /// The rejected number.
        age_buckets: usize,
    },
    /// `max_age / age_buckets`, the time one age bucket covers, is below
    /// [`SketchConfig::MIN_BUCKET_DURATION`] (1 ms).
    AgeBucketTooShort {
        /// The window length.
        max_age: Duration,
        /// The number of age buckets it is split into.
        age_buckets: usize,
    },
    /// The relative error is NaN or outside
    /// [`SketchConfig::MIN_RELATIVE_ERROR`]`..`[`SketchConfig::MAX_RELATIVE_ERROR`]
    /// (0.001 inclusive to 0.5 exclusive).
    RelativeErrorOutOfRange {
        /// The rejected relative error.
        relative_error: f64,
    },
}

impl fmt::Display for SketchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SketchError::QuantileOutOfRange { quantile } => {
                write!(f, "quantile {quantile} is not strictly between 0 and 1")
            }
            SketchError::DuplicateQuantile { quantile } => {
                write!(f, "quantile {quantile} is listed more than once")
            }
            SketchError::AgeBucketsOutOfRange { age_buckets } => write!(
                f,
                "age bucket count {age_buckets} is outside 1..={}",
                SketchConfig::MAX_AGE_BUCKETS
            ),
            SketchError::AgeBucketTooShort {
                max_age,
                age_buckets,
            } => write!(
                f,
                "max age {max_age:?} split into {age_buckets} age buckets gives buckets \
                 shorter than {:?}",
                SketchConfig::MIN_BUCKET_DURATION
            ),
            SketchError::RelativeErrorOutOfRange { relative_error } => write!(
                f,
                "relative error {relative_error} is outside {}..{}",
                SketchConfig::MIN_RELATIVE_ERROR,
                SketchConfig::MAX_RELATIVE_ERROR
            ),
        }
    }
}

impl std::error::Error for SketchError {}

/// What a [`Sketch`](super::Sketch) reports and over which window: the quantiles, the window
/// length `max_age`, the number of age buckets it is split into, and the relative-error
/// bound of the reported values.
///
/// Cloning is cheap: the bucket-mapping table derived from the relative error is shared.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use beamline::quantile::SketchConfig;
///
/// let config = SketchConfig::new(&[0.99, 0.5])?
///     .with_max_age(Duration::from_secs(60))?
///     .with_age_buckets(3)?
///     .with_relative_error(0.02)?;
/// assert_eq!(config.quantiles(), &[0.5, 0.99]);
/// assert_eq!(config.max_age(), Duration::from_secs(60));
/// assert_eq!(config.age_buckets(), 3);
/// assert_eq!(config.relative_error(), 0.02);
/// # Ok::<(), beamline::quantile::SketchError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SketchConfig {
    quantiles: Box<[f64]>,
    max_age: Duration,
    age_buckets: usize,
    relative_error: f64,
    mapping: Arc<Mapping>,
}

impl SketchConfig {
    /// Default window length: 10 minutes.
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);
    /// Default number of age buckets the window is split into.
    pub const DEFAULT_AGE_BUCKETS: usize = 5;
    /// Default relative-error bound: 1 %.
    pub const DEFAULT_RELATIVE_ERROR: f64 = 0.01;
    /// Largest number of age buckets; each one adds a copy of every counter.
    pub const MAX_AGE_BUCKETS: usize = 64;
    /// Shortest time one age bucket may cover.
    pub const MIN_BUCKET_DURATION: Duration = Duration::from_millis(1);
    /// Smallest relative-error bound; the memory per octave of values grows as its
    /// inverse.
    pub const MIN_RELATIVE_ERROR: f64 = 0.001;
    /// Relative-error bounds must stay below this; at 0.5 a bucket would span from 1 to
    /// infinity.
    pub const MAX_RELATIVE_ERROR: f64 = 0.5;

    /// Returns a configuration reporting `quantiles` (kept in ascending order) with the
    /// default window and relative error.
    ///
    /// An empty list is accepted: the sketch then reports nothing.
    ///
    /// # Errors
    ///
    /// [`SketchError::QuantileOutOfRange`] for a quantile that is not finite and strictly
    /// between 0 and 1, and [`SketchError::DuplicateQuantile`] for a repeated one.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::quantile::{SketchConfig, SketchError};
    ///
    /// let config = SketchConfig::new(&[0.9, 0.5, 0.99])?;
    /// assert_eq!(config.quantiles(), &[0.5, 0.9, 0.99]);
    /// assert_eq!(
    ///     SketchConfig::new(&[0.5, 0.5]).unwrap_err(),
    ///     SketchError::DuplicateQuantile { quantile: 0.5 },
    /// );
    /// # Ok::<(), SketchError>(())
    /// ```
    pub fn new(quantiles: &[f64]) -> Result<SketchConfig, SketchError> {
        if let Some(&quantile) = quantiles.iter().find(|q| !(**q > 0.0 && **q < 1.0)) {
            return Err(SketchError::QuantileOutOfRange { quantile });
        }
        let mut sorted = quantiles.to_vec();
        sorted.sort_by(f64::total_cmp);
        if let Some(pair) = sorted.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(SketchError::DuplicateQuantile { quantile: pair[0] });
        }
        Ok(SketchConfig {
            quantiles: sorted.into_boxed_slice(),
            max_age: SketchConfig::DEFAULT_MAX_AGE,
            age_buckets: SketchConfig::DEFAULT_AGE_BUCKETS,
            relative_error: SketchConfig::DEFAULT_RELATIVE_ERROR,
            mapping: Arc::new(Mapping::new(SketchConfig::DEFAULT_RELATIVE_ERROR)),
        })
    }

    /// Returns this configuration with a window of `max_age`.
    ///
    /// # Errors
    ///
    /// [`SketchError::AgeBucketTooShort`] if `max_age` divided by the number of age buckets
    /// is below [`SketchConfig::MIN_BUCKET_DURATION`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use beamline::quantile::{SketchConfig, SketchError};
    ///
    /// let config = SketchConfig::new(&[0.5])?.with_max_age(Duration::from_secs(30))?;
    /// assert_eq!(config.max_age(), Duration::from_secs(30));
    /// assert_eq!(
    ///     config.with_max_age(Duration::from_millis(4)).unwrap_err(),
    ///     SketchError::AgeBucketTooShort { max_age: Duration::from_millis(4), age_buckets: 5 },
    /// );
    /// # Ok::<(), SketchError>(())
    /// ```
    pub fn with_max_age(self, max_age: Duration) -> Result<SketchConfig, SketchError> {
        check_bucket_duration(max_age, self.age_buckets)?;
        Ok(SketchConfig { max_age, ..self })
    }

    /// Returns this configuration with the window split into `age_buckets` age buckets.
    ///
    /// The window then covers between `max_age * (age_buckets - 1) / age_buckets` and
    /// `max_age` of the most recent time (see [`Sketch`](super::Sketch)); more buckets make
    /// it smoother and cost one more copy of the counters each.
    ///
    /// # Errors
    ///
    /// [`SketchError::AgeBucketsOutOfRange`] for 0 or more than
    /// [`SketchConfig::MAX_AGE_BUCKETS`], and [`SketchError::AgeBucketTooShort`] if the
    /// window divided by `age_buckets` is below [`SketchConfig::MIN_BUCKET_DURATION`].
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::quantile::{SketchConfig, SketchError};
    ///
    /// let config = SketchConfig::new(&[0.5])?.with_age_buckets(1)?;
    /// assert_eq!(config.age_buckets(), 1);
    /// assert_eq!(
    ///     config.with_age_buckets(0).unwrap_err(),
    ///     SketchError::AgeBucketsOutOfRange { age_buckets: 0 },
    /// );
    /// # Ok::<(), SketchError>(())
    /// ```
    pub fn with_age_buckets(self, age_buckets: usize) -> Result<SketchConfig, SketchError> {
        if age_buckets == 0 || age_buckets > SketchConfig::MAX_AGE_BUCKETS {
            return Err(SketchError::AgeBucketsOutOfRange { age_buckets });
        }
        check_bucket_duration(self.max_age, age_buckets)?;
        Ok(SketchConfig {
            age_buckets,
            ..self
        })
    }

    /// Returns this configuration with relative-error bound `relative_error`: every
    /// reported quantile `v'` then satisfies `|v' - v| <= relative_error * |v|` for the true
    /// value `v` at its rank.
    ///
    /// # Errors
    ///
    /// [`SketchError::RelativeErrorOutOfRange`] unless
    /// [`SketchConfig::MIN_RELATIVE_ERROR`] `<= relative_error <`
    /// [`SketchConfig::MAX_RELATIVE_ERROR`].
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::quantile::{SketchConfig, SketchError};
    ///
    /// let config = SketchConfig::new(&[0.5])?.with_relative_error(0.05)?;
    /// assert_eq!(config.relative_error(), 0.05);
    /// assert_eq!(
    ///     config.with_relative_error(0.5).unwrap_err(),
    ///     SketchError::RelativeErrorOutOfRange { relative_error: 0.5 },
    /// );
    /// # Ok::<(), SketchError>(())
    /// ```
    pub fn with_relative_error(self, relative_error: f64) -> Result<SketchConfig, SketchError> {
        let range = SketchConfig::MIN_RELATIVE_ERROR..SketchConfig::MAX_RELATIVE_ERROR;
        if !range.contains(&relative_error) {
            return Err(SketchError::RelativeErrorOutOfRange { relative_error });
        }
        Ok(SketchConfig {
            relative_error,
            mapping: Arc::new(Mapping::new(relative_error)),
            ..self
        })
    }

    /// Returns the quantiles reported, in ascending order.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::quantile::SketchConfig;
    ///
    /// assert_eq!(SketchConfig::new(&[0.99, 0.5])?.quantiles(), &[0.5, 0.99]);
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    pub fn quantiles(&self) -> &[f64] {
        &self.quantiles
    }

    /// Returns the window length.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use beamline::quantile::SketchConfig;
    ///
    /// assert_eq!(SketchConfig::new(&[0.5])?.max_age(), Duration::from_secs(600));
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    /// Returns the number of age buckets the window is split into.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::quantile::SketchConfig;
    ///
    /// assert_eq!(SketchConfig::new(&[0.5])?.age_buckets(), 5);
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    pub fn age_buckets(&self) -> usize {
        self.age_buckets
    }

    /// Returns the relative-error bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use beamline::quantile::SketchConfig;
    ///
    /// assert_eq!(SketchConfig::new(&[0.5])?.relative_error(), 0.01);
    /// # Ok::<(), beamline::quantile::SketchError>(())
    /// ```
    pub fn relative_error(&self) -> f64 {
        self.relative_error
    }

    /// Returns the time one age bucket covers.
    pub(super) fn bucket_duration(&self) -> Duration {
        bucket_duration(self.max_age, self.age_buckets)
    }

    pub(super) fn mapping(&self) -> &Arc<Mapping> {
        &self.mapping
    }
}

fn bucket_duration(max_age: Duration, age_buckets: usize) -> Duration {
    // `age_buckets` is at most `MAX_AGE_BUCKETS`, so it fits in `u32`.
    max_age / u32::try_from(age_buckets).unwrap_or(u32::MAX)
}

fn check_bucket_duration(max_age: Duration, age_buckets: usize) -> Result<(), SketchError> {
    if bucket_duration(max_age, age_buckets) < SketchConfig::MIN_BUCKET_DURATION {
        return Err(SketchError::AgeBucketTooShort {
            max_age,
            age_buckets,
        });
    }
    Ok(())
}
