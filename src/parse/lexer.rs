//! Syntax of a single line, for both dialects: the ABNF of OpenMetrics 1.0
//! (section "Text format") and the whitespace-tolerant Prometheus 0.0.4 text
//! format.
//!
//! Every position handled here is a byte offset into the line that sits
//! either at the line's end or on an ASCII byte; UTF-8 never uses ASCII
//! values inside a multi-byte character, so such offsets are always
//! character boundaries. Slices are still taken with `str::get`.

use std::borrow::Cow;

use super::error::{ParseError, ParseErrorKind as Kind};
use super::number::{self, NumberError};
use super::{Dialect, Exemplar, FamilyType};

/// The most characters an exemplar's label names and values may hold
/// together (OpenMetrics 1.0, "Exemplars").
const EXEMPLAR_MAX_CHARS: usize = 128;

/// A line label sets, names and escapes are cut from.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line<'a> {
    pub(super) number: usize,
    pub(super) text: &'a str,
}

impl Line<'_> {
    /// Returns the 1-based character column of byte offset `pos`.
    pub(super) fn column(&self, pos: usize) -> usize {
        self.text.get(..pos).map_or(pos, |s| s.chars().count()) + 1
    }

    /// Builds an error at byte offset `pos` of this line.
    pub(super) fn error(&self, pos: usize, kind: Kind) -> ParseError {
        ParseError::new(self.number, self.column(pos), kind)
    }
}

/// What one line holds.
#[derive(Debug)]
pub(super) enum Parsed<'a> {
    Eof,
    Comment,
    Meta(Meta<'a>),
    Sample(RawSample<'a>),
}

#[derive(Debug)]
pub(super) struct Meta<'a> {
    pub(super) name: &'a str,
    pub(super) name_pos: usize,
    pub(super) value: MetaValue<'a>,
    pub(super) value_pos: usize,
}

#[derive(Debug)]
pub(super) enum MetaValue<'a> {
    Type(FamilyType),
    Help(Cow<'a, str>),
    Unit(&'a str),
}

/// A timestamp with the text it was read from, kept for exact comparisons.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stamp<'a> {
    pub(super) value: f64,
    pub(super) text: &'a str,
    pub(super) pos: usize,
}

#[derive(Debug)]
pub(super) struct RawSample<'a> {
    pub(super) name: &'a str,
    /// Where the label set starts, or would start.
    pub(super) labels_pos: usize,
    pub(super) labels: Vec<(&'a str, Cow<'a, str>)>,
    /// Byte offset of each label's name, parallel to `labels`.
    pub(super) label_pos: Vec<usize>,
    pub(super) value: f64,
    pub(super) value_text: &'a str,
    pub(super) value_pos: usize,
    pub(super) timestamp: Option<Stamp<'a>>,
    pub(super) exemplar: Option<RawExemplar<'a>>,
}

#[derive(Debug)]
pub(super) struct RawExemplar<'a> {
    pub(super) exemplar: Exemplar<'a>,
    pub(super) hash_pos: usize,
    pub(super) value_pos: usize,
}

type Labels<'a> = (Vec<(&'a str, Cow<'a, str>)>, Vec<usize>);

/// Parses one line (without its `\n`) in the given dialect.
pub(super) fn parse_line<'a>(line: Line<'a>, dialect: Dialect) -> Result<Parsed<'a>, ParseError> {
    let mut cursor = Cursor {
        line,
        bytes: line.text.as_bytes(),
        pos: 0,
        dialect,
    };
    match dialect {
        Dialect::OpenMetrics => cursor.openmetrics_line(),
        Dialect::Prometheus => cursor.prometheus_line(),
    }
}

struct Cursor<'a> {
    line: Line<'a>,
    bytes: &'a [u8],
    pos: usize,
    dialect: Dialect,
}

fn is_metric_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':'
}

fn is_metric_char(b: u8) -> bool {
    is_metric_start(b) || b.is_ascii_digit()
}

fn is_label_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl<'a> Cursor<'a> {
    fn prom(&self) -> bool {
        self.dialect == Dialect::Prometheus
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn err(&self, kind: Kind) -> ParseError {
        self.line.error(self.pos, kind)
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.line.text.get(start..end).unwrap_or_default()
    }

    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        self.slice(start, self.pos)
    }

    /// Reads up to the next separator: a space in OpenMetrics, a space or a
    /// tab in Prometheus 0.0.4.
    fn token(&mut self) -> (&'a str, usize) {
        let start = self.pos;
        let prom = self.prom();
        let text = self.take_while(|b| !(b == b' ' || (prom && b == b'\t')));
        (text, start)
    }

    /// Skips blanks in Prometheus 0.0.4, where they may separate any tokens;
    /// does nothing in OpenMetrics, where every separator is one space.
    fn skip_blanks(&mut self) -> usize {
        if self.prom() {
            self.take_while(is_blank).len()
        } else {
            0
        }
    }

    /// Consumes the single space OpenMetrics puts between tokens.
    fn space(&mut self, expected: &'static str) -> Result<(), ParseError> {
        match self.peek() {
            Some(b' ') => {
                self.pos += 1;
                Ok(())
            }
            None => Err(self.err(Kind::UnexpectedEndOfLine { expected })),
            Some(_) => Err(self.err(Kind::ExpectedSpace)),
        }
    }

    fn openmetrics_line(&mut self) -> Result<Parsed<'a>, ParseError> {
        match self.peek() {
            None => Err(self.err(Kind::EmptyLine)),
            Some(b'#') => self.openmetrics_hash_line(),
            Some(_) => self.sample().map(Parsed::Sample),
        }
    }

    fn openmetrics_hash_line(&mut self) -> Result<Parsed<'a>, ParseError> {
        let text = self.line.text;
        if text == "# EOF" {
            return Ok(Parsed::Eof);
        }
        if text.starts_with("# EOF") {
            return Err(self.line.error(5, Kind::TextAfterEof));
        }
        if !text.starts_with("# ") {
            return Err(self.err(Kind::InvalidComment));
        }
        self.pos = 2;
        let (keyword, keyword_pos) = self.token();
        if !matches!(keyword, "TYPE" | "HELP" | "UNIT") {
            return Err(self.line.error(keyword_pos, Kind::InvalidComment));
        }
        self.space("metric name")?;
        let (name, name_pos) = self.metric_name()?;
        self.end_of_name(false)?;
        self.space("metadata value")?;
        let value_pos = self.pos;
        let value = match keyword {
            "TYPE" => MetaValue::Type(self.type_value()?),
            "HELP" => MetaValue::Help(self.help_text()?),
            _ => MetaValue::Unit(self.unit_value()?),
        };
        Ok(Parsed::Meta(Meta {
            name,
            name_pos,
            value,
            value_pos,
        }))
    }

    fn prometheus_line(&mut self) -> Result<Parsed<'a>, ParseError> {
        self.skip_blanks();
        match self.peek() {
            None => Ok(Parsed::Comment),
            Some(b'#') => {
                self.pos += 1;
                self.skip_blanks();
                let keyword = self.token().0;
                if !matches!(keyword, "TYPE" | "HELP") {
                    // Version 0.0.4 ignores any other comment line.
                    return Ok(Parsed::Comment);
                }
                if self.skip_blanks() == 0 {
                    return Err(self.err(Kind::UnexpectedEndOfLine {
                        expected: "metric name",
                    }));
                }
                let (name, name_pos) = self.metric_name()?;
                self.end_of_name(false)?;
                self.skip_blanks();
                let value_pos = self.pos;
                let value = if keyword == "TYPE" {
                    MetaValue::Type(self.type_value()?)
                } else {
                    MetaValue::Help(self.help_text()?)
                };
                Ok(Parsed::Meta(Meta {
                    name,
                    name_pos,
                    value,
                    value_pos,
                }))
            }
            Some(_) => self.sample().map(Parsed::Sample),
        }
    }

    fn metric_name(&mut self) -> Result<(&'a str, usize), ParseError> {
        let start = self.pos;
        match self.peek() {
            None => {
                return Err(self.err(Kind::UnexpectedEndOfLine {
                    expected: "metric name",
                }))
            }
            Some(b) if is_metric_start(b) => {}
            Some(_) => return Err(self.err(Kind::InvalidMetricName)),
        }
        let name = self.take_while(is_metric_char);
        if !self.prom() && name.starts_with('_') {
            return Err(self.line.error(
                start,
                Kind::ReservedMetricName {
                    name: name.to_owned(),
                },
            ));
        }
        Ok((name, start))
    }

    /// Checks that a metric name ends at a separator (or at `{` where a
    /// label set may follow) rather than at a character names cannot hold.
    fn end_of_name(&self, brace_allowed: bool) -> Result<(), ParseError> {
        match self.peek() {
            None | Some(b' ') => Ok(()),
            Some(b'{') if brace_allowed => Ok(()),
            Some(b'\t') if self.prom() => Ok(()),
            Some(b'\t') => Err(self.err(Kind::ExpectedSpace)),
            Some(_) => Err(self.err(Kind::InvalidMetricName)),
        }
    }

    fn type_value(&mut self) -> Result<FamilyType, ParseError> {
        let (word, pos) = self.token();
        let family_type = match self.dialect {
            Dialect::OpenMetrics => super::type_from_openmetrics(word),
            Dialect::Prometheus => super::type_from_prometheus(word),
        };
        let family_type = family_type.ok_or_else(|| {
            self.line.error(
                pos,
                Kind::UnknownType {
                    found: word.to_owned(),
                },
            )
        })?;
        self.skip_blanks();
        if self.at_end() {
            Ok(family_type)
        } else {
            Err(self.err(Kind::TrailingText))
        }
    }

    fn unit_value(&mut self) -> Result<&'a str, ParseError> {
        let unit = self.take_while(is_metric_char);
        match self.peek() {
            None => Ok(unit),
            Some(b' ') => Err(self.err(Kind::TrailingText)),
            Some(_) => Err(self.err(Kind::InvalidUnit)),
        }
    }

    /// Reads the rest of the line as an escaped HELP string. OpenMetrics
    /// keeps unknown escapes as written (`\a` stands for `\\a`) and takes a
    /// bare `"`, as the official parser suite does; 0.0.4 knows only `\\`
    /// and `\n` in HELP text.
    fn help_text(&mut self) -> Result<Cow<'a, str>, ParseError> {
        let start = self.pos;
        let mut escaped = false;
        let mut i = start;
        while let Some(offset) = self
            .bytes
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\\'))
        {
            let backslash = i + offset;
            escaped = true;
            match self.bytes.get(backslash + 1) {
                None => return Err(self.line.error(backslash, Kind::InvalidEscape)),
                Some(b'\\' | b'n') => {}
                Some(_) if self.prom() => {
                    return Err(self.line.error(backslash, Kind::InvalidEscape))
                }
                Some(_) => {}
            }
            i = backslash + 2;
        }
        self.pos = self.bytes.len();
        let raw = self.slice(start, self.pos);
        Ok(if escaped {
            Cow::Owned(unescape(raw))
        } else {
            Cow::Borrowed(raw)
        })
    }

    fn sample(&mut self) -> Result<RawSample<'a>, ParseError> {
        let (name, _) = self.metric_name()?;
        self.end_of_name(true)?;
        let labels_pos = self.pos;
        let (labels, label_pos) = if self.peek() == Some(b'{') {
            let labels = self.label_set()?;
            if self.prom() {
                self.skip_blanks();
            } else {
                self.space("sample value")?;
            }
            labels
        } else {
            if self.prom() {
                if self.skip_blanks() == 0 {
                    self.space("sample value")?;
                }
            } else {
                self.space("sample value")?;
            }
            (Vec::new(), Vec::new())
        };

        let (value_text, value_pos) = self.token();
        let value = self.number(value_text, value_pos, Kind::InvalidValue, false)?;
        let mut sample = RawSample {
            name,
            labels_pos,
            labels,
            label_pos,
            value,
            value_text,
            value_pos,
            timestamp: None,
            exemplar: None,
        };
        if self.prom() {
            self.prometheus_tail(&mut sample)?;
        } else {
            self.openmetrics_tail(&mut sample)?;
        }
        Ok(sample)
    }

    /// Parses a number token, mapping grammar failures to `syntax_error`.
    fn number(
        &self,
        text: &str,
        pos: usize,
        syntax_error: Kind,
        real_only: bool,
    ) -> Result<f64, ParseError> {
        let parsed = if real_only {
            number::parse_real(text)
        } else {
            number::parse_number(text)
        };
        parsed.map_err(|e| match e {
            NumberError::Syntax => self.line.error(pos, syntax_error),
            NumberError::OutOfRange => self.line.error(pos, Kind::NumberOutOfRange),
        })
    }

    /// Consumes a space that must be followed by more text.
    fn inner_space(&mut self) -> Result<(), ParseError> {
        if self.bytes.get(self.pos + 1).is_none() {
            return Err(self.err(Kind::TrailingText));
        }
        self.pos += 1;
        Ok(())
    }

    fn openmetrics_tail(&mut self, sample: &mut RawSample<'a>) -> Result<(), ParseError> {
        if self.at_end() {
            return Ok(());
        }
        self.inner_space()?;
        if self.peek() != Some(b'#') {
            sample.timestamp = Some(self.timestamp()?);
            if self.at_end() {
                return Ok(());
            }
            self.inner_space()?;
            if self.peek() != Some(b'#') {
                return Err(self.err(Kind::InvalidExemplar));
            }
        }
        sample.exemplar = Some(self.exemplar()?);
        Ok(())
    }

    fn timestamp(&mut self) -> Result<Stamp<'a>, ParseError> {
        let (text, pos) = self.token();
        let value = match self.dialect {
            Dialect::OpenMetrics => self.number(text, pos, Kind::InvalidTimestamp, true)?,
            Dialect::Prometheus => number::parse_millis(text).map_err(|e| match e {
                NumberError::Syntax => self.line.error(pos, Kind::InvalidTimestamp),
                NumberError::OutOfRange => self.line.error(pos, Kind::NumberOutOfRange),
            })?,
        };
        Ok(Stamp { value, text, pos })
    }

    fn exemplar(&mut self) -> Result<RawExemplar<'a>, ParseError> {
        let hash_pos = self.pos;
        if self.bytes.get(self.pos + 1) != Some(&b' ')
            || self.bytes.get(self.pos + 2) != Some(&b'{')
        {
            return Err(self.err(Kind::InvalidExemplar));
        }
        self.pos += 2;
        let brace_pos = self.pos;
        let (labels, _) = self.label_set()?;
        let length: usize = labels
            .iter()
            .map(|(name, value)| name.chars().count() + value.chars().count())
            .sum();
        if length > EXEMPLAR_MAX_CHARS {
            return Err(self.line.error(brace_pos, Kind::ExemplarTooLong { length }));
        }
        if self.peek() != Some(b' ') {
            return Err(self.err(Kind::InvalidExemplar));
        }
        self.pos += 1;
        let (value_text, value_pos) = self.token();
        let value = self.number(value_text, value_pos, Kind::InvalidValue, false)?;
        let mut timestamp = None;
        if !self.at_end() {
            self.inner_space()?;
            timestamp = Some(self.timestamp()?.value);
            if !self.at_end() {
                return Err(self.err(Kind::TrailingText));
            }
        }
        Ok(RawExemplar {
            exemplar: Exemplar {
                labels,
                value,
                timestamp,
            },
            hash_pos,
            value_pos,
        })
    }

    fn prometheus_tail(&mut self, sample: &mut RawSample<'a>) -> Result<(), ParseError> {
        self.skip_blanks();
        if self.at_end() {
            return Ok(());
        }
        sample.timestamp = Some(self.timestamp()?);
        self.skip_blanks();
        if self.at_end() {
            Ok(())
        } else {
            Err(self.err(Kind::TrailingText))
        }
    }

    /// Parses `{name="value",...}` starting at the `{`.
    fn label_set(&mut self) -> Result<Labels<'a>, ParseError> {
        self.pos += 1;
        let mut labels = Vec::new();
        let mut positions = Vec::new();
        self.skip_blanks();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok((labels, positions));
        }
        loop {
            self.skip_blanks();
            let name_pos = self.pos;
            let name = self.label_name()?;
            let value = self.label_value()?;
            labels.push((name, value));
            positions.push(name_pos);
            if self.label_set_ends()? {
                break;
            }
        }
        match first_duplicate(&labels) {
            Some(i) => {
                let name = labels.get(i).map_or("", |l| l.0).to_owned();
                let pos = positions.get(i).copied().unwrap_or(self.pos);
                Err(self.line.error(pos, Kind::DuplicateLabelName { name }))
            }
            None => Ok((labels, positions)),
        }
    }

    /// Consumes what follows a label value: `}` ends the set (returns
    /// true), `,` announces another label. A comma before `}` is allowed in
    /// 0.0.4 only.
    fn label_set_ends(&mut self) -> Result<bool, ParseError> {
        self.skip_blanks();
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b',') => {
                let comma = self.pos;
                self.pos += 1;
                self.skip_blanks();
                if self.peek() != Some(b'}') {
                    return Ok(false);
                }
                if !self.prom() {
                    return Err(self.line.error(comma, Kind::TrailingComma));
                }
                self.pos += 1;
                Ok(true)
            }
            None => Err(self.err(Kind::UnexpectedEndOfLine {
                expected: "',' or '}'",
            })),
            Some(_) => Err(self.err(Kind::ExpectedCommaOrBrace)),
        }
    }

    /// Reads a label name and the `=` and blanks after it.
    fn label_name(&mut self) -> Result<&'a str, ParseError> {
        let start = self.pos;
        match self.peek() {
            None => {
                return Err(self.err(Kind::UnexpectedEndOfLine {
                    expected: "label name",
                }))
            }
            Some(b) if is_label_char(b) && !b.is_ascii_digit() => {}
            Some(_) => return Err(self.err(Kind::InvalidLabelName)),
        }
        let name = self.take_while(is_label_char);
        let reserved = if self.prom() {
            name.starts_with("__")
        } else {
            name.starts_with('_')
        };
        if reserved {
            return Err(self.line.error(
                start,
                Kind::ReservedLabelName {
                    name: name.to_owned(),
                },
            ));
        }
        self.skip_blanks();
        match self.peek() {
            Some(b'=') => self.pos += 1,
            None => {
                return Err(self.err(Kind::UnexpectedEndOfLine { expected: "'='" }));
            }
            Some(b'"' | b'}' | b',' | b' ' | b'\t') => return Err(self.err(Kind::MissingEquals)),
            Some(_) => return Err(self.err(Kind::InvalidLabelName)),
        }
        self.skip_blanks();
        Ok(name)
    }

    /// Reads a double-quoted label value, unescaping it only when needed.
    fn label_value(&mut self) -> Result<Cow<'a, str>, ParseError> {
        match self.peek() {
            Some(b'"') => {}
            None => {
                return Err(self.err(Kind::UnexpectedEndOfLine {
                    expected: "label value",
                }))
            }
            Some(_) => return Err(self.err(Kind::MissingQuote)),
        }
        let open = self.pos;
        let start = open + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            let Some(offset) = self
                .bytes
                .get(i..)
                .and_then(|rest| rest.iter().position(|&b| b == b'"' || b == b'\\'))
            else {
                return Err(self.line.error(open, Kind::UnterminatedLabelValue));
            };
            let at = i + offset;
            if self.bytes.get(at) == Some(&b'"') {
                self.pos = at + 1;
                let raw = self.slice(start, at);
                return Ok(if escaped {
                    Cow::Owned(unescape(raw))
                } else {
                    Cow::Borrowed(raw)
                });
            }
            escaped = true;
            match self.bytes.get(at + 1) {
                None => return Err(self.line.error(open, Kind::UnterminatedLabelValue)),
                Some(b'\\' | b'"' | b'n') => {}
                Some(_) if self.prom() => return Err(self.line.error(at, Kind::InvalidEscape)),
                Some(_) => {}
            }
            i = at + 2;
        }
    }
}

/// Resolves the escapes of a label value or HELP text. An unknown escape
/// stands for itself: OpenMetrics reads `\a` as the two characters `\a`.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Returns the index of the first label whose name an earlier label already
/// used.
fn first_duplicate(labels: &[(&str, Cow<'_, str>)]) -> Option<usize> {
    // Label sets are nearly always small; a quadratic scan beats sorting
    // there, and sorting keeps huge hostile label sets from stalling.
    if labels.len() <= 16 {
        return (1..labels.len()).find(|&i| {
            let name = labels.get(i).map(|l| l.0);
            labels.iter().take(i).any(|l| Some(l.0) == name)
        });
    }
    let mut order: Vec<(&str, usize)> = labels.iter().enumerate().map(|(i, l)| (l.0, i)).collect();
    order.sort_unstable();
    order
        .windows(2)
        .filter_map(|w| match w {
            [a, b] if a.0 == b.0 => Some(b.1),
            _ => None,
        })
        .min()
}
