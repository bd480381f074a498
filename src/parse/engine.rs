//! Families, series and points: the structural rules of OpenMetrics 1.0
//! ("MetricFamily", "Metric", "MetricPoint" and the histogram rules) and the
//! grouping rules of Prometheus text 0.0.4.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use super::error::{ParseError, ParseErrorKind as Kind};
use super::lexer::{self, Line, Meta, MetaValue, Parsed, RawSample, Stamp};
use super::number;
use super::rules::{self, Context, Discriminant, Facts, Suffix};
use super::{Dialect, Exposition, FamilyType, MetricFamily, Sample};

/// A series identity: labels sorted by name, without the label that tells
/// the samples of one point apart (`le`, `quantile`, the state).
type SeriesKey<'a> = Vec<(&'a str, Cow<'a, str>)>;

/// Parses a whole exposition in the given dialect.
pub(super) fn run(input: &str, dialect: Dialect) -> Result<Exposition<'_>, ParseError> {
    if input.starts_with('\u{feff}') {
        return Err(ParseError::new(1, 1, Kind::ByteOrderMark));
    }
    let mut engine = Engine::new(dialect);
    let mut rest = input;
    let mut last = Line {
        number: 0,
        text: "",
    };
    while !rest.is_empty() {
        let (text, next) = rest.split_once('\n').unwrap_or((rest, ""));
        let line = Line {
            number: last.number + 1,
            text,
        };
        // HELP text may end in a carriage return (the ABNF's `normal-char`
        // includes it); anywhere else it betrays a CRLF line ending.
        if text.ends_with('\r') && !text.starts_with("# HELP ") {
            return Err(line.error(text.len() - 1, Kind::CarriageReturn));
        }
        match lexer::parse_line(line, dialect)? {
            Parsed::Eof => {
                if !next.is_empty() {
                    return Err(ParseError::new(line.number + 1, 1, Kind::TextAfterEof));
                }
                return engine.finish();
            }
            Parsed::Comment => {}
            Parsed::Meta(meta) => engine.meta(line, meta)?,
            Parsed::Sample(sample) => engine.sample(line, sample)?,
        }
        last = line;
        rest = next;
    }
    end_of_input(engine, input, last)
}

/// Finishes an exposition that ran out of lines without an `# EOF`.
fn end_of_input<'a>(
    engine: Engine<'a>,
    input: &str,
    last: Line<'_>,
) -> Result<Exposition<'a>, ParseError> {
    match engine.dialect {
        // Version 0.0.4: "The last line must end with a line-feed character."
        Dialect::Prometheus if !input.is_empty() && !input.ends_with('\n') => {
            Err(last.error(last.text.len(), Kind::MissingNewline))
        }
        Dialect::Prometheus => engine.finish(),
        Dialect::OpenMetrics if input.is_empty() || input.ends_with('\n') => {
            Err(ParseError::new(last.number + 1, 1, Kind::MissingEof))
        }
        Dialect::OpenMetrics => Err(last.error(last.text.len(), Kind::MissingEof)),
    }
}

struct Engine<'a> {
    dialect: Dialect,
    families: Vec<MetricFamily<'a>>,
    /// The family being read; meaningful only while `active`.
    current: FamilyState<'a>,
    active: bool,
    /// Every sample name a finished family can produce, with its index.
    claimed: HashMap<String, usize>,
}

impl<'a> Engine<'a> {
    fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            families: Vec::new(),
            current: FamilyState::new("", 0, 0),
            active: false,
            claimed: HashMap::new(),
        }
    }

    fn is_current(&self, name: &str) -> bool {
        self.active && self.current.family.name == name
    }

    fn finish(mut self) -> Result<Exposition<'a>, ParseError> {
        self.finish_family()?;
        Ok(Exposition {
            families: self.families,
        })
    }

    fn meta(&mut self, line: Line<'a>, meta: Meta<'a>) -> Result<(), ParseError> {
        if !self.is_current(meta.name) {
            self.start_family(meta.name, line, meta.name_pos, false)?;
        }
        let state = &mut self.current;
        let (seen, keyword) = match meta.value {
            MetaValue::Type(_) => (&mut state.type_seen, "TYPE"),
            MetaValue::Help(_) => (&mut state.help_seen, "HELP"),
            MetaValue::Unit(_) => (&mut state.unit_seen, "UNIT"),
        };
        // OpenMetrics and 0.0.4 alike want the metadata of a family first,
        // and at most one line of each kind.
        if !state.family.samples.is_empty() {
            return Err(line.error(0, Kind::MetadataAfterSamples));
        }
        if *seen {
            return Err(line.error(0, Kind::DuplicateMetadata { keyword }));
        }
        *seen = true;
        state.apply_meta(line, meta)
    }

    fn sample(&mut self, line: Line<'a>, raw: RawSample<'a>) -> Result<(), ParseError> {
        let family = &self.current.family;
        let member = if self.active {
            rules::member_suffix(self.dialect, family.name, family.family_type, raw.name)
        } else {
            None
        };
        let suffix = match member {
            Some(suffix) => suffix,
            None if self.is_current(raw.name) => {
                // The family claims its bare name, but its type needs a suffix.
                let kind = Kind::BadSuffix {
                    name: raw.name.to_owned(),
                    family_type: family.family_type,
                };
                return Err(line.error(0, kind));
            }
            None => {
                self.start_family(raw.name, line, 0, true)?;
                Suffix::Bare
            }
        };
        let ctx = Context {
            dialect: self.dialect,
            family_name: self.current.family.name,
            family_type: self.current.family.family_type,
            suffix,
        };
        let facts = rules::check(ctx, line, &raw)?;
        self.current.place(ctx, line, &raw, facts)?;
        self.current.family.samples.push(Sample {
            name: raw.name,
            labels: raw.labels,
            value: raw.value,
            value_text: raw.value_text,
            timestamp: raw.timestamp.map(|t| t.value),
            exemplar: raw.exemplar.map(|e| e.exemplar),
        });
        Ok(())
    }

    /// Closes the current family and opens one named `name`, refusing a name
    /// an earlier family already claimed.
    fn start_family(
        &mut self,
        name: &'a str,
        line: Line<'a>,
        pos: usize,
        from_sample: bool,
    ) -> Result<(), ParseError> {
        self.finish_family()?;
        if let Some(owner) = self.claimed.get(name).and_then(|&i| self.families.get(i)) {
            let member = rules::member_suffix(self.dialect, owner.name, owner.family_type, name);
            let resumed = owner.name == name || (from_sample && member.is_some());
            let kind = if resumed {
                Kind::InterleavedFamily {
                    name: owner.name.to_owned(),
                }
            } else {
                Kind::ClashingName {
                    name: name.to_owned(),
                }
            };
            return Err(line.error(pos, kind));
        }
        self.current = FamilyState::new(name, line.number, line.column(pos));
        self.active = true;
        Ok(())
    }

    fn finish_family(&mut self) -> Result<(), ParseError> {
        if !self.active {
            return Ok(());
        }
        self.active = false;
        let dialect = self.dialect;
        self.current.finish_point(dialect)?;
        let state = std::mem::replace(&mut self.current, FamilyState::new("", 0, 0));
        let family = state.family;

        // "The name of a MetricFamily MUST NOT result in a potential clash
        // for sample metric names": a family claims its own name and every
        // name its type could produce, whether it produced it or not.
        let names: Vec<String> = std::iter::once(Suffix::Bare)
            .chain(rules::suffixes(dialect, family.family_type).iter().copied())
            .map(|s| format!("{}{}", family.name, s.text()))
            .collect();
        if let Some(name) = names.iter().find(|n| self.claimed.contains_key(*n)) {
            let kind = Kind::ClashingName { name: name.clone() };
            return Err(ParseError::new(state.start_line, state.start_column, kind));
        }
        let index = self.families.len();
        self.claimed.extend(names.into_iter().map(|n| (n, index)));
        self.families.push(family);
        Ok(())
    }
}

/// A family being read, with what its remaining lines are checked against.
struct FamilyState<'a> {
    family: MetricFamily<'a>,
    start_line: usize,
    start_column: usize,
    type_seen: bool,
    help_seen: bool,
    unit_seen: bool,
    /// Every series seen so far, to refuse one resuming.
    series: HashSet<SeriesKey<'a>>,
    /// The series of the last sample.
    last_series: Option<SeriesKey<'a>>,
    point: Point<'a>,
}

impl<'a> FamilyState<'a> {
    fn new(name: &'a str, start_line: usize, start_column: usize) -> Self {
        Self {
            family: MetricFamily {
                name,
                family_type: FamilyType::Unknown,
                help: None,
                unit: None,
                samples: Vec::new(),
            },
            start_line,
            start_column,
            type_seen: false,
            help_seen: false,
            unit_seen: false,
            series: HashSet::new(),
            last_series: None,
            point: Point::default(),
        }
    }

    /// Records a metadata line already known to be the first of its kind.
    fn apply_meta(&mut self, line: Line<'a>, meta: Meta<'a>) -> Result<(), ParseError> {
        let family = &mut self.family;
        let at_value = |kind| Err(line.error(meta.value_pos, kind));
        match meta.value {
            MetaValue::Type(family_type) => {
                family.family_type = family_type;
                if family.unit.is_some() && !super::allows_unit(family_type) {
                    return at_value(Kind::UnitNotAllowed);
                }
            }
            // An empty HELP or UNIT counts as absent, though still as a line
            // of its kind.
            MetaValue::Help(help) => family.help = (!help.is_empty()).then_some(help),
            MetaValue::Unit("") => {}
            MetaValue::Unit(unit) => {
                let suffixed = family
                    .name
                    .strip_suffix(unit)
                    .is_some_and(|stem| stem.ends_with('_'));
                if !suffixed {
                    let unit = unit.to_owned();
                    return at_value(Kind::UnitMismatch { unit });
                }
                if !super::allows_unit(family.family_type) {
                    return at_value(Kind::UnitNotAllowed);
                }
                family.unit = Some(Cow::Borrowed(unit));
            }
        }
        Ok(())
    }

    /// Assigns a sample to its series and point, enforcing the order rules:
    /// series and points are not interleaved, timestamps of a series never
    /// go backwards, and a repeated sample needs a timestamp to start a new
    /// point.
    fn place(
        &mut self,
        ctx: Context<'_>,
        line: Line<'a>,
        raw: &RawSample<'a>,
        facts: Facts<'a>,
    ) -> Result<(), ParseError> {
        let key = series_key(&raw.labels, facts.special);
        if self.last_series.as_ref() == Some(&key) {
            if self.starts_point(line, raw.timestamp, ctx.suffix, &facts.discriminant)? {
                self.finish_point(ctx.dialect)?;
                self.point.reset(line.number, raw.timestamp);
            }
        } else {
            if self.series.contains(&key) {
                return Err(line.error(0, Kind::InterleavedMetric));
            }
            self.finish_point(ctx.dialect)?;
            self.series.insert(key.clone());
            self.last_series = Some(key);
            self.point.reset(line.number, raw.timestamp);
        }
        self.point.add(ctx, line, raw, facts)
    }

    /// Decides whether a sample of the current series starts a new point:
    /// only a later timestamp, or a repeated sample at the same timestamp,
    /// does.
    fn starts_point(
        &self,
        line: Line<'a>,
        stamp: Option<Stamp<'a>>,
        suffix: Suffix,
        discriminant: &Discriminant<'a>,
    ) -> Result<bool, ParseError> {
        match (self.point.timestamp, stamp) {
            (None, None) if self.point.contains(suffix, discriminant) => {
                Err(line.error(0, Kind::DuplicateSample))
            }
            (None, None) => Ok(false),
            (Some(_), None) => Err(line.error(line.text.len(), Kind::MixedTimestamps)),
            (None, Some(now)) => Err(line.error(now.pos, Kind::MixedTimestamps)),
            (Some(before), Some(now)) => match number::cmp_exact(before.text, now.text) {
                Ordering::Greater => Err(line.error(now.pos, Kind::TimestampDecreased)),
                Ordering::Less => Ok(true),
                // The official suite accepts several points of one series
                // sharing a timestamp.
                Ordering::Equal => Ok(self.point.contains(suffix, discriminant)),
            },
        }
    }

    /// Checks the rules that only a complete point can show.
    fn finish_point(&mut self, dialect: Dialect) -> Result<(), ParseError> {
        let point = &mut self.point;
        if !point.open {
            return Ok(());
        }
        point.open = false;
        let openmetrics = dialect == Dialect::OpenMetrics;
        match self.family.family_type {
            FamilyType::Histogram => point.check_histogram(false, openmetrics),
            FamilyType::GaugeHistogram => point.check_histogram(true, openmetrics),
            FamilyType::Counter if openmetrics && !point.has_total => {
                Err(ParseError::new(point.first_line, 1, Kind::MissingTotal))
            }
            _ => Ok(()),
        }
    }
}

fn series_key<'a>(labels: &[(&'a str, Cow<'a, str>)], special: Option<usize>) -> SeriesKey<'a> {
    let mut key: SeriesKey<'a> = labels
        .iter()
        .enumerate()
        .filter(|&(i, _)| Some(i) != special)
        .map(|(_, label)| label.clone())
        .collect();
    // Label names are unique within a set, so sorting by name is total.
    key.sort_unstable_by(|a, b| a.0.cmp(b.0));
    key
}

/// The samples of one point read so far, with what its checks need.
#[derive(Debug, Default)]
struct Point<'a> {
    open: bool,
    first_line: usize,
    timestamp: Option<Stamp<'a>>,
    seen: SeenSamples<'a>,
    last_le: Option<f64>,
    last_bucket: Option<f64>,
    inf_bucket: Option<f64>,
    /// The count value and its line.
    count: Option<(f64, usize)>,
    sum_line: Option<usize>,
    negative_bucket: bool,
    negative_gsum: Option<ParseError>,
    has_total: bool,
    last_quantile: Option<f64>,
}

impl<'a> Point<'a> {
    fn reset(&mut self, first_line: usize, timestamp: Option<Stamp<'a>>) {
        let mut seen = std::mem::take(&mut self.seen);
        seen.clear();
        *self = Self {
            open: true,
            first_line,
            timestamp,
            seen,
            ..Self::default()
        };
    }

    /// Checks a complete histogram or gauge histogram point.
    fn check_histogram(&mut self, gauge: bool, openmetrics: bool) -> Result<(), ParseError> {
        let at_line = |number, kind| Err(ParseError::new(number, 1, kind));
        if self.inf_bucket.is_none() {
            return at_line(self.first_line, Kind::MissingInfBucket);
        }
        if !openmetrics {
            return Ok(());
        }
        // "If and only if a Sum Value is present in a MetricPoint, then the
        // MetricPoint's +Inf Bucket value MUST also appear in a Sample with a
        // MetricName with the suffix _count."
        match (self.sum_line, self.count) {
            (Some(number), None) => return at_line(number, Kind::SumWithoutCount),
            (None, Some((_, number))) => return at_line(number, Kind::CountWithoutSum),
            _ => {}
        }
        match (gauge, self.negative_bucket, self.sum_line) {
            // A sum over negative observations would not be a counter.
            (false, true, Some(number)) => at_line(number, Kind::SumWithNegativeBuckets),
            (true, false, _) => self.negative_gsum.take().map_or(Ok(()), Err),
            _ => Ok(()),
        }
    }

    fn contains(&self, suffix: Suffix, discriminant: &Discriminant<'a>) -> bool {
        self.seen.contains(suffix, discriminant)
    }

    fn add(
        &mut self,
        ctx: Context<'_>,
        line: Line<'a>,
        raw: &RawSample<'a>,
        facts: Facts<'a>,
    ) -> Result<(), ParseError> {
        let histogram = matches!(
            ctx.family_type,
            FamilyType::Histogram | FamilyType::GaugeHistogram
        );
        // Version 0.0.4 wants quantiles in increasing order; OpenMetrics
        // lets them come in any order.
        let ordered_quantiles =
            ctx.family_type == FamilyType::Summary && ctx.dialect == Dialect::Prometheus;
        let special_pos = facts
            .special
            .and_then(|i| raw.label_pos.get(i).copied())
            .unwrap_or(raw.labels_pos);
        match (ctx.suffix, facts.threshold) {
            (Suffix::Bucket, Some(le)) if histogram => {
                self.add_bucket(line, raw, le, special_pos)?;
            }
            (Suffix::Count | Suffix::GCount, _) if histogram => {
                if self.inf_bucket.is_some_and(|inf| inf != raw.value) {
                    return Err(line.error(raw.value_pos, Kind::CountMismatch));
                }
                self.count = Some((raw.value, line.number));
            }
            (Suffix::Sum, _) if histogram => self.sum_line = Some(line.number),
            (Suffix::GSum, _) => {
                self.sum_line = Some(line.number);
                if raw.value < 0.0 {
                    self.negative_gsum = Some(line.error(raw.value_pos, Kind::NegativeGsum));
                }
            }
            (Suffix::Total, _) => self.has_total = true,
            (Suffix::Bare, Some(quantile)) if ordered_quantiles => {
                if self.last_quantile.is_some_and(|prev| quantile <= prev) {
                    return Err(line.error(special_pos, Kind::QuantilesNotSorted));
                }
                self.last_quantile = Some(quantile);
            }
            _ => {}
        }
        self.seen.insert(ctx.suffix, facts.discriminant);
        Ok(())
    }

    fn add_bucket(
        &mut self,
        line: Line<'a>,
        raw: &RawSample<'a>,
        le: f64,
        le_pos: usize,
    ) -> Result<(), ParseError> {
        let value = raw.value;
        if self.last_le.is_some_and(|prev| le <= prev) {
            return Err(line.error(le_pos, Kind::BucketsNotSorted));
        }
        if self.last_bucket.is_some_and(|prev| value < prev) {
            return Err(line.error(raw.value_pos, Kind::NonCumulativeBuckets));
        }
        self.last_le = Some(le);
        self.last_bucket = Some(value);
        self.negative_bucket |= le < 0.0;
        if le == f64::INFINITY {
            if self.count.is_some_and(|(count, _)| count != value) {
                return Err(line.error(raw.value_pos, Kind::CountMismatch));
            }
            self.inf_bucket = Some(value);
        }
        Ok(())
    }
}

/// The samples of one point, as suffix and discriminant.
///
/// Most points hold a handful of samples, where a linear scan beats hashing;
/// a hash set takes over past a bound so that huge state sets or summaries
/// stay linear in time.
#[derive(Debug, Default)]
struct SeenSamples<'a> {
    few: Vec<(Suffix, Discriminant<'a>)>,
    many: HashSet<(Suffix, Discriminant<'a>)>,
}

impl<'a> SeenSamples<'a> {
    const SCAN_LIMIT: usize = 32;

    fn clear(&mut self) {
        self.few.clear();
        if !self.many.is_empty() {
            self.many = HashSet::new();
        }
    }

    fn contains(&self, suffix: Suffix, discriminant: &Discriminant<'a>) -> bool {
        if self.many.is_empty() {
            self.few
                .iter()
                .any(|(s, d)| *s == suffix && d == discriminant)
        } else {
            self.many.contains(&(suffix, discriminant.clone()))
        }
    }

    fn insert(&mut self, suffix: Suffix, discriminant: Discriminant<'a>) {
        if self.many.is_empty() && self.few.len() < Self::SCAN_LIMIT {
            self.few.push((suffix, discriminant));
        } else {
            self.many.extend(self.few.drain(..));
            self.many.insert((suffix, discriminant));
        }
    }
}
