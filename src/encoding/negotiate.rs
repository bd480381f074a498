//! Choice of the exposition format from a scrape's `Accept` header
//! ([RFC 9110 §12.5.1](https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1)).

use super::Format;

/// The answer when the header is absent or decides nothing.
const FALLBACK: Format = Format::PrometheusText;

/// Every format, in the order this crate prefers them when one media range
/// (a wildcard) allows several. Prometheus text comes first for `*/*`: a
/// client that names no format is most often curl, a browser or an older
/// agent, and 0.0.4 is the format that all of them, and every Prometheus
/// server, read. A client that can use more asks for it by name, as
/// Prometheus does. Under `application/*` the first allowed entry is
/// OpenMetrics text: protobuf goes only to clients that name it. Without the
/// `protobuf` feature the protobuf formats are not candidates at all.
const PREFERENCE: &[Format] = &[
    Format::PrometheusText,
    Format::OpenMetricsText,
    #[cfg(feature = "protobuf")]
    Format::PrometheusProtobuf,
    #[cfg(feature = "protobuf")]
    Format::OpenMetricsProtobuf,
];

/// The number of candidate formats.
const CANDIDATES: usize = PREFERENCE.len();

/// The message type and framing that the Prometheus protobuf format sends.
#[cfg(feature = "protobuf")]
const PROMETHEUS_PROTO: &str = "io.prometheus.client.MetricFamily";
#[cfg(feature = "protobuf")]
const PROMETHEUS_ENCODING: &str = "delimited";

// How closely a media range names a format. A format takes the weight of the
// most specific range that matches it (RFC 9110 §12.5.1), so
// `text/*;q=0.5, text/plain;q=0` refuses Prometheus text.
/// `*/*`.
const ANY_TYPE: u8 = 0;
/// `type/*`.
const ANY_SUBTYPE: u8 = 1;
/// `type/subtype` without a version.
const BARE: u8 = 2;
/// `type/subtype` with a version answered by another one (OpenMetrics
/// 0.0.1, answered with 1.0.0).
const ALIAS: u8 = 3;
/// `type/subtype` with exactly the parameters of what is sent, so that
/// `version=1.0.0;q=0` refuses OpenMetrics text even if `version=0.0.1` is
/// also listed.
const EXACT: u8 = 4;

/// Returns the exposition format that best satisfies an HTTP `Accept` header.
///
/// `accept` is the header's value, or `None` when the request has none. A
/// request with several `Accept` fields has them joined with `,` first, as
/// HTTP defines.
///
/// - Each media range may carry a weight `q` (0 to 1, default 1); `q=0`
///   refuses what the range matches. A format takes the weight of the most
///   specific range that matches it. The format with the highest weight
///   wins; between equal weights, the one whose range comes first in the
///   header wins.
/// - `application/openmetrics-text` matches with `version=1.0.0`, with no
///   version, and with `version=0.0.1`, which is answered with 1.0.0:
///   Prometheus lists 0.0.1 only as a fallback and reads both with one
///   parser. `text/plain` matches with `version=0.0.4` or none.
///   `application/vnd.google.protobuf` matches only with
///   `proto=io.prometheus.client.MetricFamily` and `encoding=delimited`.
///   `application/openmetrics-protobuf` matches with `version=1.0.0` or none.
///   The two protobuf types match only with the `protobuf` feature.
///   Any other version (such as OpenMetrics 2.0.0 or Prometheus text 1.0.0)
///   does not match, nor does a text range whose `charset` is not `utf-8`.
/// - The `escaping` parameter that Prometheus 3 sends takes no part in the
///   choice. The names this crate accepts are legacy names (OpenMetrics 1.0),
///   which `allow-utf-8` and `underscores`, the schemes Prometheus 3 asks for
///   unless configured otherwise, leave unchanged, as does `values`; only
///   `dots`, sent when a scrape config sets it, also rewrites underscores.
/// - Wildcards choose among the formats they allow: `*/*` and `text/*` give
///   Prometheus text 0.0.4, the format every scraper, curl and browser can
///   read; `application/*` gives OpenMetrics text.
/// - Type, subtype, parameter names and values compare without regard to
///   ASCII case; values may be quoted.
///
/// An element of the list that does not parse is skipped and the others
/// still count. A header that is absent, empty, or has no element matching
/// a format with a weight above 0 gives Prometheus text 0.0.4: RFC 9110 lets
/// a server disregard the header rather than answer 406 Not Acceptable.
///
/// Never panics and allocates nothing; the time taken grows linearly with
/// the length of the header.
///
/// # Examples
///
/// ```
/// use beamline::{negotiate, Format};
///
/// // What Prometheus 2.42 sends by default.
/// let accept = "application/openmetrics-text;version=1.0.0,\
///     application/openmetrics-text;version=0.0.1;q=0.75,\
///     text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// assert_eq!(negotiate(Some(accept)), Format::OpenMetricsText);
///
/// assert_eq!(negotiate(Some("*/*")), Format::PrometheusText);
/// assert_eq!(negotiate(None), Format::PrometheusText);
/// ```
#[must_use]
pub fn negotiate(accept: Option<&str>) -> Format {
    let Some(header) = accept else {
        return FALLBACK;
    };

    // For each entry of `PREFERENCE`, the range that decides its weight.
    let mut decided: [Option<Match>; CANDIDATES] = [None; CANDIDATES];
    let mut cursor = Cursor {
        text: header,
        pos: 0,
    };
    let mut position = 0;
    loop {
        cursor.skip_whitespace();
        match cursor.peek() {
            None => break,
            Some(b',') => {
                cursor.pos += 1;
                continue;
            }
            Some(_) => {}
        }
        match MediaRange::parse(&mut cursor) {
            Some(range) => range.record(position, &mut decided),
            None => cursor.skip_element(),
        }
        position += 1;
    }

    choose(&decided)
}

/// How one media range matches one format.
#[derive(Debug, Clone, Copy)]
struct Match {
    specificity: u8,
    weight: u16,
    /// Index of the range in the header.
    position: usize,
}

/// Picks the format with the highest weight above 0, then the one decided by
/// the earliest range, then the most specific, then the first in
/// `PREFERENCE`. Two formats share a position only when one wildcard decides
/// both, at one specificity, so in practice `PREFERENCE` settles those.
fn choose(decided: &[Option<Match>; CANDIDATES]) -> Format {
    let key = |m: Match| (m.weight, std::cmp::Reverse(m.position), m.specificity);
    let mut chosen: Option<(Format, Match)> = None;
    for (&format, slot) in PREFERENCE.iter().zip(decided) {
        let Some(candidate) = *slot else { continue };
        if candidate.weight == 0 {
            continue;
        }
        // Strictly better only, so that a full tie keeps the preferred one.
        if chosen.is_none_or(|(_, best)| key(candidate) > key(best)) {
            chosen = Some((format, candidate));
        }
    }
    chosen.map_or(FALLBACK, |(format, _)| format)
}

/// A parameter value: a token, or the inside of a quoted string with its
/// escapes still in place.
#[derive(Debug, Clone, Copy)]
struct Value<'a> {
    raw: &'a str,
    quoted: bool,
}

impl Value<'_> {
    /// Compares with `expected` regardless of ASCII case, undoing the
    /// backslash escapes of a quoted string on the fly.
    fn is(self, expected: &str) -> bool {
        if !self.quoted {
            return self.raw.eq_ignore_ascii_case(expected);
        }
        let mut want = expected.bytes();
        let mut have = self.raw.bytes();
        while let Some(mut byte) = have.next() {
            if byte == b'\\' {
                match have.next() {
                    Some(escaped) => byte = escaped,
                    None => return false,
                }
            }
            if !want.next().is_some_and(|w| w.eq_ignore_ascii_case(&byte)) {
                return false;
            }
        }
        want.next().is_none()
    }
}

/// One element of the header, with the parameters that decide a match.
#[derive(Debug)]
struct MediaRange<'a> {
    kind: &'a str,
    subtype: &'a str,
    /// In thousandths, as RFC 9110 allows at most three decimals; `None`
    /// stands for the default, 1.
    weight: Option<u16>,
    version: Option<Value<'a>>,
    proto: Option<Value<'a>>,
    encoding: Option<Value<'a>>,
    charset: Option<Value<'a>>,
}

impl<'a> MediaRange<'a> {
    /// Parses `type/subtype *( OWS ";" OWS [ name=value ] )`, leaving the
    /// cursor on the `,` that ends the element or at the end of the header.
    /// `None` when the element is malformed.
    fn parse(cursor: &mut Cursor<'a>) -> Option<Self> {
        let kind = cursor.token()?;
        if !cursor.eat(b'/') {
            return None;
        }
        let subtype = cursor.token()?;
        if kind == "*" && subtype != "*" {
            return None;
        }

        let mut range = MediaRange {
            kind,
            subtype,
            weight: None,
            version: None,
            proto: None,
            encoding: None,
            charset: None,
        };
        loop {
            cursor.skip_whitespace();
            if !cursor.eat(b';') {
                break;
            }
            cursor.skip_whitespace();
            // An empty parameter (`;;` or a trailing `;`) is allowed.
            if matches!(cursor.peek(), None | Some(b';' | b',')) {
                continue;
            }
            let name = cursor.token()?;
            if !cursor.eat(b'=') {
                return None;
            }
            let value = if cursor.eat(b'"') {
                Value {
                    raw: cursor.quoted()?,
                    quoted: true,
                }
            } else {
                Value {
                    raw: cursor.token()?,
                    quoted: false,
                }
            };
            range.set(name, value)?;
        }

        matches!(cursor.peek(), None | Some(b',')).then_some(range)
    }

    /// Keeps a parameter that matters here; `None` for a malformed weight or
    /// a repeated parameter, whose meaning would be a guess.
    fn set(&mut self, name: &str, value: Value<'a>) -> Option<()> {
        if name.eq_ignore_ascii_case("q") {
            // RFC 9110 writes the weight as a bare token, never quoted.
            if value.quoted || self.weight.is_some() {
                return None;
            }
            self.weight = Some(parse_weight(value.raw)?);
            return Some(());
        }
        let slot = if name.eq_ignore_ascii_case("version") {
            &mut self.version
        } else if name.eq_ignore_ascii_case("proto") {
            &mut self.proto
        } else if name.eq_ignore_ascii_case("encoding") {
            &mut self.encoding
        } else if name.eq_ignore_ascii_case("charset") {
            &mut self.charset
        } else {
            return Some(());
        };
        slot.replace(value).is_none().then_some(())
    }

    /// Lets this range decide the weight of each format it matches more
    /// closely than the ranges before it.
    fn record(&self, position: usize, decided: &mut [Option<Match>; CANDIDATES]) {
        let weight = self.weight.unwrap_or(1000);
        for (&format, slot) in PREFERENCE.iter().zip(decided.iter_mut()) {
            let Some(specificity) = self.specificity(format) else {
                continue;
            };
            // Between equally specific ranges the higher weight counts, and
            // on a tie the earlier range stays.
            let closer = slot.is_none_or(|current| {
                (specificity, weight) > (current.specificity, current.weight)
            });
            if closer {
                *slot = Some(Match {
                    specificity,
                    weight,
                    position,
                });
            }
        }
    }

    /// How closely this range names `format`; `None` when it excludes it.
    fn specificity(&self, format: Format) -> Option<u8> {
        if self.kind == "*" {
            return Some(ANY_TYPE);
        }
        let (kind, subtype) = media_type(format);
        if !self.kind.eq_ignore_ascii_case(kind) {
            return None;
        }
        if self.subtype == "*" {
            return Some(ANY_SUBTYPE);
        }
        if !self.subtype.eq_ignore_ascii_case(subtype) {
            return None;
        }

        let utf8 = self.charset.is_none_or(|charset| charset.is("utf-8"));
        match format {
            Format::OpenMetricsText if utf8 => version_match(self.version, "1.0.0", Some("0.0.1")),
            Format::PrometheusText if utf8 => version_match(self.version, "0.0.4", None),
            Format::OpenMetricsText | Format::PrometheusText => None,
            #[cfg(feature = "protobuf")]
            Format::OpenMetricsProtobuf => version_match(self.version, "1.0.0", None),
            #[cfg(feature = "protobuf")]
            Format::PrometheusProtobuf => {
                let proto = self.proto.is_some_and(|v| v.is(PROMETHEUS_PROTO));
                let encoding = self.encoding.is_some_and(|v| v.is(PROMETHEUS_ENCODING));
                (proto && encoding).then_some(EXACT)
            }
        }
    }
}

/// The type and subtype under which `format` is sent.
const fn media_type(format: Format) -> (&'static str, &'static str) {
    match format {
        Format::OpenMetricsText => ("application", "openmetrics-text"),
        Format::PrometheusText => ("text", "plain"),
        #[cfg(feature = "protobuf")]
        Format::OpenMetricsProtobuf => ("application", "openmetrics-protobuf"),
        #[cfg(feature = "protobuf")]
        Format::PrometheusProtobuf => ("application", "vnd.google.protobuf"),
    }
}

/// Specificity of a range's `version` against the one sent (`served`) and
/// an older one answered with it (`alias`).
fn version_match(version: Option<Value<'_>>, served: &str, alias: Option<&str>) -> Option<u8> {
    match version {
        None => Some(BARE),
        Some(v) if v.is(served) => Some(EXACT),
        Some(v) if alias.is_some_and(|alias| v.is(alias)) => Some(ALIAS),
        Some(_) => None,
    }
}

/// Parses an RFC 9110 qvalue, `0[.ddd]` or `1[.000]`, into thousandths.
fn parse_weight(text: &str) -> Option<u16> {
    let (&unit, rest) = text.as_bytes().split_first()?;
    let decimals = match rest {
        [] => &[][..],
        [b'.', decimals @ ..] if decimals.len() <= 3 => decimals,
        _ => return None,
    };
    match unit {
        b'0' => {
            let mut weight = 0;
            let mut scale = 100;
            for &digit in decimals {
                if !digit.is_ascii_digit() {
                    return None;
                }
                weight += u16::from(digit - b'0') * scale;
                scale /= 10;
            }
            Some(weight)
        }
        b'1' => decimals.iter().all(|&d| d == b'0').then_some(1000),
        _ => None,
    }
}

/// A position in the header. It only ever stops on ASCII bytes or the end,
/// so every slice it takes lies on character boundaries; `str::get` keeps
/// that from panicking even if it did not.
#[derive(Debug)]
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A non-empty run of RFC 9110 `tchar`.
    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if start == self.pos {
            return None;
        }
        self.text.get(start..self.pos)
    }

    /// The inside of a quoted string whose opening quote was just eaten,
    /// escapes left in place; `None` if it never closes.
    fn quoted(&mut self) -> Option<&'a str> {
        let start = self.pos;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
        let inside = self.text.get(start..self.pos);
        self.pos += 1;
        inside
    }

    /// Moves to the `,` that ends the current element, or to the end,
    /// stepping over quoted strings so that a comma inside one is kept.
    fn skip_element(&mut self) {
        let mut quoted = false;
        while let Some(byte) = self.peek() {
            match byte {
                b',' if !quoted => return,
                b'"' => quoted = !quoted,
                b'\\' if quoted => self.pos += 1,
                _ => {}
            }
            self.pos += 1;
        }
        // An escape as the last byte may have stepped past the end.
        self.pos = self.text.len();
    }
}

/// RFC 9110 `tchar`: the characters of a token.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::{negotiate, parse_weight, Format, Value};

    const OM: Format = Format::OpenMetricsText;
    const TEXT: Format = Format::PrometheusText;
    /// OpenMetrics protobuf, or without the feature the fallback.
    #[cfg(feature = "protobuf")]
    const OM_PROTO: Format = Format::OpenMetricsProtobuf;
    #[cfg(not(feature = "protobuf"))]
    const OM_PROTO: Format = TEXT;
    /// Prometheus protobuf, or without the feature what the Prometheus
    /// headers that list it first rank next: OpenMetrics text.
    #[cfg(feature = "protobuf")]
    const PROTO: Format = Format::PrometheusProtobuf;
    #[cfg(not(feature = "protobuf"))]
    const PROTO: Format = OM;
    /// Prometheus protobuf named alone, or without the feature the fallback.
    #[cfg(feature = "protobuf")]
    const PROTO_ALONE: Format = Format::PrometheusProtobuf;
    #[cfg(not(feature = "protobuf"))]
    const PROTO_ALONE: Format = TEXT;

    /// Headers that Prometheus servers send, with the format each must get.
    /// Since 2.49 the header is built from `scrape_protocols`, weighting them
    /// down from `0.(n + 1)` where n is the number of protocols the version
    /// knows (4 in 2.x, 5 in 3.x) and closing with `*/*`; 3.x adds
    /// `escaping=...` to the 1.0.0 text formats (3.0 added it to every one).
    const PROMETHEUS: &[(&str, &str, Format)] = &[
        (
            "2.42 default",
            "application/openmetrics-text;version=1.0.0,\
             application/openmetrics-text;version=0.0.1;q=0.75,\
             text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            OM,
        ),
        (
            "2.42 with native histograms",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
             encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,\
             application/openmetrics-text;version=0.0.1;q=0.75,\
             text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            PROTO,
        ),
        (
            "2.49+ default",
            "application/openmetrics-text;version=1.0.0;q=0.5,\
             application/openmetrics-text;version=0.0.1;q=0.4,\
             text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
            OM,
        ),
        (
            "2.49+ protobuf first",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
             encoding=delimited;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,\
             application/openmetrics-text;version=0.0.1;q=0.3,\
             text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
            PROTO,
        ),
        (
            "3.x default without escaping",
            "application/openmetrics-text;version=1.0.0;q=0.6,\
             application/openmetrics-text;version=0.0.1;q=0.5,\
             text/plain;version=1.0.0;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
            OM,
        ),
        (
            "3.x default, utf8 names",
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
             application/openmetrics-text;version=0.0.1;q=0.5,\
             text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
             text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
            OM,
        ),
        (
            "3.0 default, escaping on every protocol",
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
             application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,\
             text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
             text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2",
            OM,
        ),
        (
            "3.x legacy names",
            "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,\
             application/openmetrics-text;version=0.0.1;q=0.5,\
             text/plain;version=1.0.0;escaping=underscores;q=0.4,\
             text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
            OM,
        ),
        (
            "3.x protobuf first (native histograms)",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
             encoding=delimited;q=0.6,\
             application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,\
             application/openmetrics-text;version=0.0.1;q=0.4,\
             text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,\
             text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
            PROTO,
        ),
        (
            "3.x scrape_protocols [PrometheusText1.0.0]",
            "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,*/*;q=0.5",
            TEXT,
        ),
        (
            "3.x scrape_protocols [PrometheusText0.0.4]",
            "text/plain;version=0.0.4;q=0.6,*/*;q=0.5",
            TEXT,
        ),
    ];

    /// Other clients, and the rules one at a time.
    const OTHERS: &[(&str, Format)] = &[
        // Nothing usable.
        ("", TEXT),
        (" \t ", TEXT),
        (" , ,,", TEXT),
        ("\u{0}\u{1}garbage ;;;=\"\\", TEXT),
        ("text/html", TEXT),
        // curl, Firefox, Chrome.
        ("*/*", TEXT),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            TEXT,
        ),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
             image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
            TEXT,
        ),
        // Wildcards.
        ("text/*", TEXT),
        ("application/*", OM),
        // Versions.
        ("application/openmetrics-protobuf;version=1.0.0", OM_PROTO),
        ("application/openmetrics-protobuf", OM_PROTO),
        ("application/openmetrics-protobuf;version=2.0.0", TEXT),
        ("application/openmetrics-text", OM),
        ("application/openmetrics-text;version=0.0.1", OM),
        ("application/openmetrics-text;version=2.0.0", TEXT),
        (
            "application/openmetrics-text;version=2.0.0,application/*;q=0.1",
            OM,
        ),
        (
            "text/plain;version=1.0.0,application/openmetrics-text;q=0.1",
            OM,
        ),
        // Prometheus protobuf needs both parameters, with these values.
        ("application/vnd.google.protobuf", TEXT),
        ("application/vnd.google.protobuf;encoding=delimited", TEXT),
        (
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily",
            TEXT,
        ),
        (
            "application/vnd.google.protobuf;proto=foo.Bar;encoding=delimited",
            TEXT,
        ),
        (
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
             encoding=text",
            TEXT,
        ),
        // Case, whitespace, quotes and escapes.
        (
            " APPLICATION/OpenMetrics-Text ;\tVersion=\"1.0.0\" ; Charset=UTF-8 ; Q=0.9 ,\
             text/plain ; q=0.8 ",
            OM,
        ),
        (
            "application/vnd.google.protobuf;proto=\"io.prometheus.client.MetricFamily\";\
             encoding=\"delim\\ited\"",
            PROTO_ALONE,
        ),
        // Charset.
        ("text/plain;charset=iso-8859-1", TEXT),
        (
            "text/plain;charset=iso-8859-1,application/openmetrics-text;q=0.1",
            OM,
        ),
        // Weights: q=0 refuses, the most specific range decides, and equal
        // weights go to the range listed first.
        ("*/*;q=0", TEXT),
        (
            "application/openmetrics-text;version=1.0.0;q=0,text/plain;q=0.5",
            TEXT,
        ),
        ("text/plain;q=0,application/*;q=0.1", OM),
        ("text/plain;q=0,*/*", OM),
        ("*/*;q=0,application/openmetrics-protobuf", OM_PROTO),
        (
            "application/openmetrics-text;version=1.0.0;q=0,\
             application/openmetrics-text;version=0.0.1",
            TEXT,
        ),
        (
            "text/*;q=0.9,text/plain;version=0.0.4;q=0.1,application/openmetrics-text;q=0.5",
            OM,
        ),
        ("text/plain,application/openmetrics-text", TEXT),
        ("application/openmetrics-text,text/plain", OM),
        ("*/*,application/openmetrics-text", TEXT),
        ("text/plain;q=0.3,application/openmetrics-text;q=0.31", OM),
        // A malformed element is skipped, and the others still count.
        ("text/plain;q=2,application/openmetrics-text;q=0.2", OM),
        ("text/plain;q=\"1\",application/openmetrics-text;q=0.2", OM),
        ("application/openmetrics-text;q=0;q=1", TEXT),
        (
            "application/openmetrics-text;version=2.0.0;version=1.0.0",
            TEXT,
        ),
        (
            "foo,/bar,*/plain,tëxt/plain,application/openmetrics-text",
            OM,
        ),
        ("application /openmetrics-text", TEXT),
        ("application/openmetrics-text x", TEXT),
        ("application/openmetrics-text;;version=1.0.0;", OM),
        // Commas and escaped quotes inside quoted strings, parsed or skipped.
        (
            "text/plain;x=\"a,b\";q=0.2,application/openmetrics-text;q=0.1",
            TEXT,
        ),
        (
            "text/plain;q=5;x=\"a,application/openmetrics-text,b\",text/plain;q=0.1",
            TEXT,
        ),
        (
            r#"text/plain;q=0.5;x="\",application/openmetrics-text,""#,
            TEXT,
        ),
        (
            r#"text/plain;q=5;x="\",application/openmetrics-text,",text/plain;q=0.1"#,
            TEXT,
        ),
        (
            "application/openmetrics-text;v=\"1.0.0,application/openmetrics-text",
            TEXT,
        ),
    ];

    #[test]
    fn prometheus_servers_get_the_format_they_prefer() {
        for &(name, header, expected) in PROMETHEUS {
            assert_eq!(negotiate(Some(header)), expected, "{name}: {header}");
        }
    }

    #[test]
    fn other_clients_and_rules_follow_the_table() {
        assert_eq!(negotiate(None), TEXT);
        for &(header, expected) in OTHERS {
            assert_eq!(negotiate(Some(header)), expected, "{header:?}");
        }
    }

    #[test]
    fn weights_parse_as_rfc_9110_qvalues() {
        let cases = [
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.5", Some(500)),
            ("0.75", Some(750)),
            ("0.001", Some(1)),
            ("0.999", Some(999)),
            ("1", Some(1000)),
            ("1.000", Some(1000)),
            ("1.001", None),
            ("0.1234", None),
            (".5", None),
            ("2", None),
            ("0,5", None),
            ("", None),
            ("0.x", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_weight(text), expected, "{text:?}");
        }
    }

    #[test]
    fn quoted_values_compare_after_unescaping() {
        let quoted = |raw| Value { raw, quoted: true };
        assert!(quoted("UTF-8").is("utf-8"));
        assert!(quoted(r"d\e\l").is("del"));
        assert!(!quoted(r"del\").is("del"));
        assert!(!quoted("de").is("del"));
        assert!(!quoted("dell").is("del"));
        assert!(!Value {
            raw: r"d\el",
            quoted: false
        }
        .is("del"));
    }

    #[test]
    fn every_prefix_of_the_table_headers_is_handled() {
        let headers = PROMETHEUS
            .iter()
            .map(|&(_, header, _)| header)
            .chain(OTHERS.iter().map(|&(header, _)| header));
        for header in headers {
            for (end, _) in header.char_indices() {
                let prefix = &header[..end];
                let format = negotiate(Some(prefix));
                // A prefix that has lost its `/` can name no format.
                if !prefix.contains('/') {
                    assert_eq!(format, TEXT, "{prefix:?}");
                }
                // An empty element at either end changes nothing, even when
                // the prefix stops inside a quoted string or an escape.
                let padded = format!(" ,{prefix},");
                assert_eq!(negotiate(Some(&padded)), format, "{padded:?}");
            }
        }
    }

    #[test]
    fn every_short_string_over_the_syntax_characters_is_handled() {
        const SYMBOLS: [char; 14] = [
            't', '/', '*', ';', '=', ',', '"', '\\', 'q', '0', '.', ' ', '\u{e9}', '1',
        ];
        const LENGTH: u32 = 5;
        let mut header = String::new();
        let mut matched = 0;
        for mut n in 0..SYMBOLS.len().pow(LENGTH) {
            header.clear();
            for _ in 0..LENGTH {
                header.push(SYMBOLS[n % SYMBOLS.len()]);
                n /= SYMBOLS.len();
            }
            let format = negotiate(Some(&header));
            if !header.contains('/') {
                assert_eq!(format, TEXT, "{header:?}");
            }
            if format != TEXT {
                matched += 1;
            }
        }
        // Five symbols cannot spell a media type that names another format,
        // so whatever they make of the syntax, the answer is Prometheus text.
        assert_eq!(matched, 0);
    }
}
