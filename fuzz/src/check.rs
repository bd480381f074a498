//! Oracles: what a registry's text expositions must read back as.

use beamline::parse::{
    parse_openmetrics, parse_prometheus, Exposition, FamilyType, MetricFamily, Sample,
};
use beamline::Exemplar;

use crate::spec::{Built, Expected, Handle, Registered, Series};

/// Equal as floats, NaN equal to NaN, `-0.0` not equal to `0.0`.
pub fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn om_type(kind: &Registered) -> FamilyType {
    match kind {
        Registered::Counter | Registered::FloatCounter | Registered::CounterFn => {
            FamilyType::Counter
        }
        Registered::Gauge | Registered::FloatGauge | Registered::GaugeFn => FamilyType::Gauge,
        Registered::Histogram(_) => FamilyType::Histogram,
        Registered::GaugeHistogram(_) => FamilyType::GaugeHistogram,
        Registered::Summary => FamilyType::Summary,
        Registered::Info(_) => FamilyType::Info,
        Registered::StateSet(_) => FamilyType::StateSet,
        Registered::Unknown => FamilyType::Unknown,
    }
}

type Pairs = Vec<(String, String)>;

/// The labels every sample of `series` carries before any `le`, `quantile`
/// or state label.
fn base_labels(family: &Expected, series: &Series) -> Pairs {
    let mut labels = family.const_labels.clone();
    labels.extend(series.labels.iter().cloned());
    if let Registered::Info(own) = &family.kind {
        labels.extend(own.iter().cloned());
    }
    labels
}

fn with(labels: &Pairs, name: &str, value: &str) -> Pairs {
    let mut out = labels.clone();
    out.push((name.to_owned(), value.to_owned()));
    out
}

fn borrowed(labels: &Pairs) -> Vec<(&str, &str)> {
    labels
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// Finds the sample `name` with exactly `labels` in `family`.
fn find<'f, 'a>(family: &'f MetricFamily<'a>, name: &str, labels: &Pairs) -> &'f Sample<'a> {
    let wanted = borrowed(labels);
    family
        .samples
        .iter()
        .find(|s| s.name == name && exact(s, &wanted))
        .unwrap_or_else(|| panic!("no sample {name} {labels:?} in {family:#?}"))
}

/// Whether `sample` has exactly the label set `wanted`.
fn exact(sample: &Sample<'_>, wanted: &[(&str, &str)]) -> bool {
    sample.labels.len() == wanted.len() && wanted.iter().all(|&(k, v)| sample.label(k) == Some(v))
}

/// Whether a histogram exposes `_count` and `_sum`: they are counters in
/// OpenMetrics, so never negative or NaN, and absent with negative buckets.
fn histogram_exposes_sum(bounds: &[f64], sum: f64) -> bool {
    !bounds.iter().any(|&b| b < 0.0) && sum >= 0.0
}

/// Whether a gauge histogram exposes `_gcount` and `_gsum`: `_gsum` may be
/// negative only when a bucket bound is.
fn gauge_histogram_exposes_sum(bounds: &[f64], sum: f64) -> bool {
    let negative = bounds.iter().any(|&b| b < 0.0);
    (negative && !sum.is_nan()) || sum >= 0.0
}

fn check_exemplar(
    what: &str,
    parsed: Option<&beamline::parse::Exemplar<'_>>,
    recorded: Option<Exemplar>,
) {
    match (parsed, recorded) {
        (None, None) => {}
        (Some(p), Some(r)) => {
            let want: Vec<(&str, &str)> = r.labels().collect();
            let got: Vec<(&str, &str)> = p.labels.iter().map(|(n, v)| (*n, v.as_ref())).collect();
            assert_eq!(got, want, "{what}: exemplar labels");
            assert!(same_f64(p.value, r.value()), "{what}: exemplar value");
            assert!(
                p.timestamp.is_some_and(|t| same_f64(t, r.timestamp())),
                "{what}: exemplar timestamp {:?} vs {}",
                p.timestamp,
                r.timestamp()
            );
        }
        (p, r) => panic!("{what}: exemplar {p:?} read back, {r:?} recorded"),
    }
}

/// Checks one series and returns how many samples it accounts for.
fn check_series(parsed: &MetricFamily<'_>, family: &Expected, series: &Series) -> usize {
    let name = family.name.as_str();
    let base = base_labels(family, series);
    let created = |parsed: &MetricFamily<'_>| {
        let s = find(parsed, &format!("{name}_created"), &base);
        assert!(s.value > 0.0, "{name}_created is {}", s.value);
    };
    match (&series.handle, &family.kind) {
        (Handle::Counter(c), _) => {
            let s = find(parsed, &format!("{name}_total"), &base);
            assert_eq!(s.value_text, c.get().to_string(), "{name}_total");
            check_exemplar(name, s.exemplar.as_ref(), c.exemplar());
            created(parsed);
            2
        }
        (Handle::FloatCounter(c), _) => {
            let s = find(parsed, &format!("{name}_total"), &base);
            assert!(
                same_f64(s.value, c.get()),
                "{name}_total: {} vs {}",
                s.value,
                c.get()
            );
            check_exemplar(name, s.exemplar.as_ref(), c.exemplar());
            created(parsed);
            2
        }
        (Handle::Gauge(g), _) => {
            assert_eq!(find(parsed, name, &base).value_text, g.get().to_string());
            1
        }
        (Handle::FloatGauge(g), _) => {
            let s = find(parsed, name, &base);
            assert!(
                same_f64(s.value, g.get()),
                "{name}: {} vs {}",
                s.value,
                g.get()
            );
            1
        }
        (Handle::Unknown(u), _) => {
            let s = find(parsed, name, &base);
            assert!(
                same_f64(s.value, u.get()),
                "{name}: {} vs {}",
                s.value,
                u.get()
            );
            1
        }
        (Handle::Callback(v), Registered::GaugeFn) => {
            assert!(same_f64(find(parsed, name, &base).value, *v));
            1
        }
        (Handle::Callback(v), _) => {
            if v.is_nan() || *v < 0.0 {
                return 0;
            }
            assert!(same_f64(
                find(parsed, &format!("{name}_total"), &base).value,
                *v
            ));
            1
        }
        (Handle::Histogram(h), _) => {
            let sum = h.sum();
            let exposed = histogram_exposes_sum(&series.bounds, sum);
            let total = check_buckets(parsed, name, &base, series, "_count", exposed, sum);
            assert_eq!(total, h.count(), "{name}: +Inf bucket vs count()");
            created(parsed);
            series.bounds.len() + 1 + 2 * usize::from(exposed) + 1
        }
        (Handle::GaugeHistogram(h), _) => {
            let sum = h.sum();
            let exposed = gauge_histogram_exposes_sum(&series.bounds, sum);
            let total = check_buckets(parsed, name, &base, series, "_gcount", exposed, sum);
            assert_eq!(total, h.count(), "{name}: +Inf bucket vs count()");
            series.bounds.len() + 1 + 2 * usize::from(exposed)
        }
        (Handle::Summary(s), _) => {
            let exposed = s.sum() >= 0.0;
            if exposed {
                let count = find(parsed, &format!("{name}_count"), &base);
                assert_eq!(count.value_text, s.count().to_string());
                let sum = find(parsed, &format!("{name}_sum"), &base);
                assert!(same_f64(sum.value, s.sum()));
            }
            created(parsed);
            2 * usize::from(exposed) + 1
        }
        (Handle::Info(_), _) => {
            assert_eq!(find(parsed, &format!("{name}_info"), &base).value_text, "1");
            1
        }
        (Handle::StateSet(set), _) => {
            let states: Vec<&str> = set.states().collect();
            for state in &states {
                let s = find(parsed, name, &with(&base, name, state));
                let on = set.is_set(state).expect("a known state");
                assert_eq!(
                    s.value_text,
                    if on { "1" } else { "0" },
                    "{name}{{{state}}}"
                );
            }
            states.len()
        }
    }
}

/// Checks the buckets against the model, and `_count`/`_sum` (or their
/// gauge forms); returns the `+Inf` bucket's count.
fn check_buckets(
    parsed: &MetricFamily<'_>,
    name: &str,
    base: &Pairs,
    series: &Series,
    count_suffix: &str,
    exposed: bool,
    sum: f64,
) -> u64 {
    let bucket_name = format!("{name}_bucket");
    let wanted = borrowed(base);
    let buckets: Vec<_> = parsed
        .samples
        .iter()
        .filter(|s| {
            s.name == bucket_name
                && s.labels.len() == wanted.len() + 1
                && wanted.iter().all(|&(k, v)| s.label(k) == Some(v))
        })
        .collect();
    assert_eq!(buckets.len(), series.bounds.len() + 1, "{name}: buckets");
    let mut cumulative = 0u64;
    for (i, bucket) in buckets.iter().enumerate() {
        let le = bucket.label("le").expect("an le label");
        let bound = series.bounds.get(i).copied().unwrap_or(f64::INFINITY);
        let read: f64 = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().expect("a numeric le")
        };
        assert!(same_f64(read, bound), "{name}: le {le} for bound {bound}");
        cumulative += u64::try_from(series.buckets[i].max(0)).expect("non-negative");
        assert_eq!(
            bucket.value_text,
            cumulative.to_string(),
            "{name}: bucket {le}"
        );
        let recorded = series.exemplars.get(i).cloned().flatten();
        match (&bucket.exemplar, recorded) {
            (None, None) => {}
            (Some(p), Some((labels, value))) => {
                let got: Vec<(String, String)> = p
                    .labels
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), v.to_string()))
                    .collect();
                assert_eq!(got, labels, "{name}: bucket {le} exemplar labels");
                assert!(
                    same_f64(p.value, value),
                    "{name}: bucket {le} exemplar value"
                );
            }
            (p, r) => panic!("{name}: bucket {le}: exemplar {p:?} read back, {r:?} recorded"),
        }
    }
    let sum_suffix = if count_suffix == "_gcount" {
        "_gsum"
    } else {
        "_sum"
    };
    let count_name = format!("{name}{count_suffix}");
    let sum_name = format!("{name}{sum_suffix}");
    if exposed {
        let count = find(parsed, &count_name, base);
        assert_eq!(count.value_text, cumulative.to_string(), "{count_name}");
        let read = find(parsed, &sum_name, base).value;
        assert!(same_f64(read, sum), "{sum_name}: {read} vs {sum}");
    } else {
        let has = |n: &str| {
            parsed
                .samples
                .iter()
                .any(|s| s.name == n && exact(s, &wanted))
        };
        assert!(
            !has(&count_name) && !has(&sum_name),
            "{count_name} exposed with sum {sum}"
        );
    }
    cumulative
}

/// Parses the OpenMetrics text of a built registry and checks every family
/// and sample against the handles and the model. Returns the exposition.
pub fn openmetrics<'t>(built: &Built, text: &'t str) -> Exposition<'t> {
    let exposition = parse_openmetrics(text)
        .unwrap_or_else(|e| panic!("beamline's OpenMetrics text is rejected: {e}\n{text}"));
    let mut samples = 0;
    for family in &built.families {
        let parsed = exposition
            .family(&family.name)
            .unwrap_or_else(|| panic!("family {} is missing:\n{text}", family.name));
        assert_eq!(parsed.family_type, om_type(&family.kind), "{}", family.name);
        assert_eq!(
            parsed.unit.as_deref(),
            family.unit.as_deref(),
            "{}",
            family.name
        );
        let help = (!family.help.is_empty()).then_some(family.help.as_str());
        assert_eq!(parsed.help.as_deref(), help, "{}", family.name);
        for series in &family.series {
            samples += check_series(parsed, family, series);
        }
    }
    assert_eq!(exposition.families.len(), built.families.len(), "{text}");
    assert_eq!(exposition.sample_count(), samples, "{text}");
    exposition
}

/// The name Prometheus 0.0.4 gives a family in its metadata lines.
fn prometheus_family_name(family: &Expected) -> String {
    match family.kind {
        Registered::Counter | Registered::FloatCounter | Registered::CounterFn => {
            format!("{}_total", family.name)
        }
        Registered::Info(_) => format!("{}_info", family.name),
        _ => family.name.clone(),
    }
}

/// Checks the `_count` and `_sum` that Prometheus text has and OpenMetrics
/// leaves out (a negative sum, a negative bound); returns how many.
fn prometheus_only(parsed: &MetricFamily<'_>, family: &Expected, series: &Series) -> usize {
    let (count, sum) = match &series.handle {
        Handle::Histogram(h) if !histogram_exposes_sum(&series.bounds, h.sum()) => {
            (h.count(), h.sum())
        }
        Handle::GaugeHistogram(h) if !gauge_histogram_exposes_sum(&series.bounds, h.sum()) => {
            (h.count(), h.sum())
        }
        Handle::Summary(s) if s.sum() < 0.0 || s.sum().is_nan() => (s.count(), s.sum()),
        _ => return 0,
    };
    let name = &family.name;
    let base = base_labels(family, series);
    let found = find(parsed, &format!("{name}_count"), &base);
    assert_eq!(found.value_text, count.to_string(), "{name}_count");
    let found = find(parsed, &format!("{name}_sum"), &base);
    assert!(
        same_f64(found.value, sum),
        "{name}_sum: {} vs {sum}",
        found.value
    );
    2
}

/// Parses the Prometheus text of a built registry and checks that it holds
/// the OpenMetrics samples, without `_created`, with the same values.
pub fn prometheus(built: &Built, om: &Exposition<'_>, text: &str) {
    let exposition = parse_prometheus(text)
        .unwrap_or_else(|e| panic!("beamline's Prometheus text is rejected: {e}\n{text}"));
    let mut expected = 0;
    for family in &built.families {
        let name = prometheus_family_name(family);
        let parsed = exposition
            .family(&name)
            .unwrap_or_else(|| panic!("family {name} is missing:\n{text}"));
        // 0.0.4 separates the name from the text by any run of blanks, so
        // the text's own leading blanks cannot survive.
        let help = family.help.trim_start_matches([' ', '\t']);
        let help = (!help.is_empty()).then_some(help);
        assert_eq!(parsed.help.as_deref(), help, "{name}");
        let gauge_histogram = matches!(family.kind, Registered::GaugeHistogram(_));
        let source = om.family(&family.name).expect("checked in OpenMetrics");
        let created = format!("{}_created", family.name);
        for sample in source.samples.iter().filter(|s| s.name != created) {
            let renamed = match sample.name.strip_prefix(family.name.as_str()) {
                Some("_gcount") if gauge_histogram => format!("{}_count", family.name),
                Some("_gsum") if gauge_histogram => format!("{}_sum", family.name),
                _ => sample.name.to_owned(),
            };
            let labels: Vec<(&str, &str)> = sample
                .labels
                .iter()
                .map(|(n, v)| (*n, v.as_ref()))
                .collect();
            let found = parsed
                .samples
                .iter()
                .find(|s| s.name == renamed && exact(s, &labels))
                .unwrap_or_else(|| panic!("no {renamed} {labels:?} in Prometheus text:\n{text}"));
            assert!(same_f64(found.value, sample.value), "{renamed} {labels:?}");
            assert_eq!(found.exemplar, None);
            expected += 1;
        }
        for series in &family.series {
            expected += prometheus_only(parsed, family, series);
        }
    }
    assert_eq!(exposition.sample_count(), expected, "{text}");
}
