//! The one Markdown table: a row per workload, a column per library.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lib {
    Beamline,
    PromClient,
    Prometheus,
    Metrics,
    Fastmetrics,
    Measured,
}

impl Lib {
    pub const ALL: [Lib; 6] = [
        Lib::Beamline,
        Lib::PromClient,
        Lib::Prometheus,
        Lib::Metrics,
        Lib::Fastmetrics,
        Lib::Measured,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Lib::Beamline => "beamline",
            Lib::PromClient => "prometheus-client",
            Lib::Prometheus => "prometheus",
            Lib::Metrics => "metrics",
            Lib::Fastmetrics => "fastmetrics",
            Lib::Measured => "measured",
        }
    }
}

/// What a measured figure belongs to.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Lib(Lib),
    /// Another way of using a library; the faster of it and the main way is
    /// reported (see `best_variant`).
    Variant(Lib, &'static str),
    /// A figure shown in its own row.
    Extra(&'static str),
    /// The physical limit of the row (a bare atomic, a memcpy).
    Limit,
}

#[derive(Debug, Clone, Copy)]
enum Unit {
    Nanos,
    Bytes,
    Count,
}

#[derive(Debug, Clone, Copy)]
pub struct Cell {
    value: f64,
    unit: Unit,
    allocs: Option<f64>,
    pub note: &'static str,
}

impl Cell {
    pub fn time(ns: f64, allocs: Option<f64>) -> Self {
        Self {
            value: ns,
            unit: Unit::Nanos,
            allocs,
            note: "",
        }
    }

    pub fn bytes(b: f64) -> Self {
        Self {
            value: b,
            unit: Unit::Bytes,
            allocs: None,
            note: "",
        }
    }

    pub fn count(c: f64) -> Self {
        Self {
            value: c,
            unit: Unit::Count,
            allocs: None,
            note: "",
        }
    }

    fn render(&self) -> String {
        let mut s = match self.unit {
            Unit::Nanos => fmt_time(self.value),
            Unit::Bytes => fmt_bytes(self.value),
            Unit::Count => format!("{:.2}", self.value),
        };
        if let Some(a) = self.allocs {
            if a >= 0.005 {
                s.push_str(&format!(", {a:.1} alloc"));
            }
        }
        if !self.note.is_empty() {
            s.push(' ');
            s.push_str(self.note);
        }
        s
    }
}

pub fn fmt_time(ns: f64) -> String {
    if ns < 10.0 {
        format!("{ns:.2} ns")
    } else if ns < 1_000.0 {
        format!("{ns:.1} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

pub fn fmt_bytes(b: f64) -> String {
    if b < 10_000.0 {
        format!("{b:.0} B")
    } else if b < 10_000_000.0 {
        format!("{:.0} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// beamline within this factor of the limit row.
    Limit(f64),
    /// beamline at most `max` times the best peer.
    Peers {
        max: f64,
        zero_alloc: bool,
    },
    /// Time per series at the largest size within `max` of the smallest.
    Scale {
        first: f64,
        max: f64,
    },
    Info,
}

pub struct Row {
    id: String,
    what: String,
    cells: BTreeMap<Lib, Cell>,
    limit: Option<Cell>,
    target: Target,
}

impl Row {
    pub fn new(id: &str, what: &str, cells: Vec<(Key, Cell)>, target: Target) -> Self {
        let mut row = Self {
            id: id.to_string(),
            what: what.to_string(),
            cells: BTreeMap::new(),
            limit: None,
            target,
        };
        for (k, c) in cells {
            match k {
                Key::Lib(l) => {
                    row.cells.insert(l, c);
                }
                Key::Limit => row.limit = Some(c),
                Key::Variant(..) | Key::Extra(_) => {}
            }
        }
        row
    }

    fn best_peer(&self) -> Option<(Lib, f64)> {
        self.cells
            .iter()
            .filter(|(l, _)| **l != Lib::Beamline)
            .map(|(l, c)| (*l, c.value))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    fn ratio_text(&self) -> String {
        match (self.cells.get(&Lib::Beamline), self.best_peer()) {
            (Some(b), Some((l, v))) if !matches!(self.target, Target::Info) => {
                format!("{:.2}× ({})", b.value / v, l.name())
            }
            _ => "—".to_string(),
        }
    }

    fn target_text(&self) -> (String, String) {
        let b = self.cells.get(&Lib::Beamline);
        match self.target {
            Target::Limit(max) => {
                let (Some(b), Some(limit)) = (b, self.limit) else {
                    return ("—".into(), "—".into());
                };
                let r = b.value / limit.value;
                let verdict = if r <= max {
                    format!("met ({r:.2}× the atomic)")
                } else {
                    format!(
                        "**MISSED**: {r:.2}× the atomic, {:.0}% over",
                        (r / max - 1.0) * 100.0
                    )
                };
                (format!("≤ {max:.2}× the bare atomic"), verdict)
            }
            Target::Peers { max, zero_alloc } => {
                let (Some(b), Some((_, best))) = (b, self.best_peer()) else {
                    return ("—".into(), "—".into());
                };
                let r = b.value / best;
                let allocs = b.allocs.unwrap_or(0.0);
                let mut target = format!("≤ {max:.2}× best peer");
                if zero_alloc {
                    target.push_str(", 0 alloc");
                }
                let mut misses = Vec::new();
                if r > max {
                    misses.push(format!(
                        "{r:.2}× instead of ≤ {max:.2}× ({:.2}× over)",
                        r / max
                    ));
                }
                if zero_alloc && allocs >= 0.005 {
                    misses.push(format!("{allocs:.1} alloc/op"));
                }
                let verdict = if misses.is_empty() {
                    "met".to_string()
                } else {
                    format!("**MISSED**: {}", misses.join("; "))
                };
                (target, verdict)
            }
            Target::Scale { first, max } => {
                let Some(b) = b else {
                    return ("—".into(), "—".into());
                };
                let r = b.value / first;
                let verdict = if r <= max {
                    format!("met ({r:.2}× the 1k figure)")
                } else {
                    format!("**MISSED**: {r:.2}× the 1k figure")
                };
                (format!("per series ≤ {max:.1}× the 1k figure"), verdict)
            }
            Target::Info => ("—".into(), "—".into()),
        }
    }
}

/// Folds each `Key::Variant` into its library's cell when it is faster,
/// naming the variant in the cell.
pub fn best_variant(cells: Vec<(Key, Cell)>) -> Vec<(Key, Cell)> {
    let mut out: Vec<(Key, Cell)> = cells
        .iter()
        .filter(|(k, _)| !matches!(k, Key::Variant(..)))
        .cloned()
        .collect();
    for (k, c) in &cells {
        if let Key::Variant(l, note) = k {
            if let Some((_, main)) = out.iter_mut().find(|(k2, _)| *k2 == Key::Lib(*l)) {
                if c.value < main.value {
                    *main = *c;
                    main.note = note;
                }
            }
        }
    }
    out
}

pub fn print(rows: &[Row]) {
    let mut header = vec!["#", "workload"];
    header.extend(Lib::ALL.iter().map(|l| l.name()));
    header.extend(["limit", "beamline ÷ best peer", "target", "verdict"]);
    println!("| {} |", header.join(" | "));
    println!("|{}", "---|".repeat(header.len()));
    for row in rows {
        let mut cols = vec![row.id.clone(), row.what.clone()];
        for l in Lib::ALL {
            cols.push(row.cells.get(&l).map_or("—".to_string(), Cell::render));
        }
        cols.push(row.limit.map_or("—".to_string(), |c| c.render()));
        cols.push(row.ratio_text());
        let (target, verdict) = row.target_text();
        cols.push(target);
        cols.push(verdict);
        println!("| {} |", cols.join(" | "));
    }
}
