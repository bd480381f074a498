//! Registration of every metric family of the lab (README, "Metrics") and
//! their updates from the simulation.

use std::sync::{Mutex, PoisonError};

use beamline::{
    Buckets, Counter, Error, Family, FloatCounter, FloatGauge, Gauge, GaugeHistogram, Histogram,
    Info, Registry, StateSet, Summary,
};

use crate::sim::{self, Finished, Snapshot, State, StepReport};

/// Buckets of the ramp duration histogram, seconds (+Inf is added).
const RAMP_BUCKETS: [f64; 7] = [18.0, 20.0, 22.0, 24.0, 26.0, 28.0, 30.0];
/// Buckets of ΔE/E over the bunch (+Inf is added).
const BUNCH_BUCKETS: [f64; 6] = [-3e-4, -2e-4, -1e-4, 1e-4, 2e-4, 3e-4];

/// Every family of the lab, with handles kept so updates skip lookups.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    energy: FloatGauge,
    gamma: FloatGauge,
    speed: FloatGauge,
    speed_ratio: FloatGauge,
    speed_deficit: FloatGauge,
    revolution_frequency: FloatGauge,
    kick_power: FloatGauge,
    rf_gain: FloatGauge,
    dipole_field: FloatGauge,
    magnet_load: FloatGauge,
    elapsed: FloatGauge,
    state: StateSet,
    state_code: Gauge,
    revolutions: Counter,
    kicks: Counter,
    runs: Family<Counter, 1>,
    kick_power_changes: Counter,
    http_requests: Family<Counter, 3>,
    collisions: FloatCounter,
    ramp: Histogram,
    tick: Summary,
    bunch: GaugeHistogram,
    bunch_view: Mutex<BunchView>,
}

/// What the bunch gauge histogram currently holds.
#[derive(Debug)]
struct BunchView {
    /// Standard-normal shape of the macro-particles.
    shape: Vec<f64>,
    /// Spread the histogram was filled with; `None` when it is empty.
    spread: Option<f64>,
}

impl Metrics {
    /// Registers every family in a new registry, grouped as in the README
    /// (registration order is also the order of the exposition).
    pub(crate) fn new() -> Result<Metrics, Error> {
        let r = Registry::new();
        let energy = gauge(
            &r,
            "accelerator_beam_energy_electronvolts",
            "electronvolts",
            "Total beam energy E = gamma * E0, 0 when no beam",
        )?;
        let gamma = r.register(
            "accelerator_beam_lorentz_factor",
            "Lorentz factor gamma of the beam, 0 when no beam",
            FloatGauge::new(),
        )?;
        let speed = gauge(
            &r,
            "accelerator_beam_speed_meters_per_second",
            "meters_per_second",
            "Beam speed v, 0 when no beam",
        )?;
        let speed_ratio = gauge(
            &r,
            "accelerator_beam_speed_ratio",
            "ratio",
            "Beam speed over the speed of light (beta)",
        )?;
        let speed_deficit = gauge(
            &r,
            "accelerator_beam_speed_deficit_meters_per_second",
            "meters_per_second",
            "Speed of light minus beam speed, c when no beam",
        )?;
        let revolution_frequency = gauge(
            &r,
            "accelerator_revolution_frequency_hertz",
            "hertz",
            "Revolution frequency of the beam, 0 when no beam",
        )?;

        let kick_power = gauge(
            &r,
            "accelerator_kick_power_ratio",
            "ratio",
            "Configured kick power over 100",
        )?;
        let rf_gain = gauge(
            &r,
            "accelerator_rf_energy_gain_per_turn_electronvolts",
            "electronvolts",
            "Energy gain per turn applied by the RF, 0 unless accelerating",
        )?;
        let dipole_field = gauge(
            &r,
            "accelerator_dipole_field_tesla",
            "tesla",
            "Dipole field, following the beam momentum; 0 after a quench",
        )?;
        let magnet_load = gauge(
            &r,
            "accelerator_magnet_load_ratio",
            "ratio",
            "Dipole ramp rate over its limit while accelerating; a quench happens at 1",
        )?;

        let elapsed = gauge(
            &r,
            "accelerator_run_elapsed_seconds",
            "seconds",
            "Time since the run started, 0 when no run is active",
        )?;
        gauge(
            &r,
            "accelerator_target_energy_electronvolts",
            "electronvolts",
            "Flat-top energy the ramp aims for",
        )?
        .set(sim::TOP_EV);
        gauge(
            &r,
            "accelerator_run_window_seconds",
            "seconds",
            "Length of the ramp window and of a fill",
        )?
        .set(sim::RUN_WINDOW.as_secs_f64());
        let state = r.register(
            "accelerator_state",
            "State of the accelerator",
            StateSet::new(&State::ALL.map(State::as_str)),
        )?;
        let state_code = r.register(
            "accelerator_state_code",
            "Legacy state code: 0 stopped, 1 accelerating, 2 colliding, 3 quenched, 4 timed out",
            Gauge::new(),
        )?;

        let revolutions = r.register(
            "accelerator_revolutions",
            "Turns completed while a beam circulates",
            Counter::new(),
        )?;
        let kicks = r.register(
            "accelerator_kicks",
            "RF kicks, one per turn while accelerating",
            Counter::new(),
        )?;
        let runs: Family<Counter, 1> = r.register(
            "accelerator_runs",
            "Finished runs by outcome",
            Family::new(["outcome"]),
        )?;
        for outcome in sim::Outcome::ALL {
            // Pre-initialised, so that increase() sees the first run too.
            runs.get([outcome.as_str()]);
        }
        let kick_power_changes = r.register(
            "accelerator_kick_power_changes",
            "Accepted changes of the kick power",
            Counter::new(),
        )?;
        let http_requests = r.register(
            "accelerator_http_requests",
            "HTTP requests by route, method and status code",
            Family::new(["route", "method", "code"]),
        )?;

        let ramp = r.register_with_unit(
            "accelerator_ramp_duration_seconds",
            "Time from start to flat-top for runs that reach it",
            "seconds",
            Histogram::new(Buckets::new(RAMP_BUCKETS)?),
        )?;
        let tick = r.register_with_unit(
            "accelerator_tick_duration_seconds",
            "Wall time spent computing a simulation tick",
            "seconds",
            Summary::new(),
        )?;

        let revision = option_env!("BEAMLINE_REVISION").unwrap_or("unknown");
        let info = Info::new(&[
            ("version", env!("CARGO_PKG_VERSION")),
            ("revision", revision),
        ]);
        r.register(
            "accelerator_build",
            "Build metadata of the accelerator example",
            info,
        )?;

        let collisions = r.register(
            "accelerator_collisions",
            "Proton-proton collisions while colliding",
            FloatCounter::new(),
        )?;
        let bunch = r.register_with_unit(
            "accelerator_bunch_energy_deviation_ratio",
            "Relative energy deviation of the bunch macro-particles",
            "ratio",
            GaugeHistogram::new(Buckets::new(BUNCH_BUCKETS)?),
        )?;

        Ok(Metrics {
            registry: r,
            energy,
            gamma,
            speed,
            speed_ratio,
            speed_deficit,
            revolution_frequency,
            kick_power,
            rf_gain,
            dipole_field,
            magnet_load,
            elapsed,
            state,
            state_code,
            revolutions,
            kicks,
            runs,
            kick_power_changes,
            http_requests,
            collisions,
            ramp,
            tick,
            bunch,
            bunch_view: Mutex::new(BunchView {
                shape: sim::bunch_shape(),
                spread: None,
            }),
        })
    }

    /// The registry to encode on `/metrics`.
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The summary that times simulation ticks.
    pub(crate) fn tick_timer(&self) -> &Summary {
        &self.tick
    }

    /// Sets every gauge and the state set from a snapshot.
    pub(crate) fn publish(&self, snap: &Snapshot) {
        let beam = snap.beam;
        self.energy.set(snap.energy_ev);
        self.gamma.set(beam.map_or(0.0, |b| b.gamma));
        self.speed.set(beam.map_or(0.0, |b| b.speed));
        self.speed_ratio.set(beam.map_or(0.0, |b| b.beta));
        self.speed_deficit
            .set(beam.map_or(sim::C, |b| b.speed_deficit));
        self.revolution_frequency
            .set(beam.map_or(0.0, |b| b.revolution_frequency));
        self.set_kick_power(snap.kick_power);
        self.rf_gain.set(snap.rf_gain_ev);
        self.dipole_field.set(snap.dipole_field);
        self.magnet_load.set(snap.magnet_load);
        self.elapsed.set(snap.elapsed.as_secs_f64());
        self.state.set_only(snap.state.as_str());
        self.state_code.set(snap.state.code());
        let spread = beam.map(|_| sim::energy_spread(snap.energy_ev));
        self.refill_bunch(spread);
    }

    /// Sets the configured kick power gauge (0 to 100 in, ratio out).
    pub(crate) fn set_kick_power(&self, k: f64) {
        self.kick_power.set(k / 100.0);
    }

    /// Counts an accepted kick power change.
    pub(crate) fn kick_power_changed(&self) {
        self.kick_power_changes.inc();
    }

    /// Adds what a step did to the counters and the ramp histogram.
    pub(crate) fn record_step(&self, report: &StepReport, run_id: u64) {
        self.revolutions.inc_by(report.turns);
        self.kicks.inc_by(report.kicks);
        if report.collisions > 0.0 {
            self.collisions.inc_by(report.collisions);
        }
        if let Some(ramp) = report.flat_top {
            let id = run_id.to_string();
            // The run_id exemplar is a short, valid label set: a refusal
            // cannot happen, and the observation is kept regardless.
            let _ = self.ramp.observe_with_exemplar(ramp, &[("run_id", &id)]);
        }
        if let Some(finished) = &report.finished {
            self.record_finish(finished);
        }
    }

    /// Counts a finished run, with its id as exemplar.
    pub(crate) fn record_finish(&self, finished: &Finished) {
        let id = finished.run_id.to_string();
        let counter = self.runs.get([finished.outcome.as_str()]);
        // As above: the increment happens even if the exemplar were refused.
        let _ = counter.inc_with_exemplar(&[("run_id", &id)]);
    }

    /// Counts one HTTP request.
    pub(crate) fn count_request(&self, route: &str, method: &str, code: &str) {
        self.http_requests.with([route, method, code], |c| c.inc());
    }

    /// Moves the bunch gauge histogram to the macro-particles of `spread`.
    fn refill_bunch(&self, spread: Option<f64>) {
        let mut view = self
            .bunch_view
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if view.spread == spread {
            return;
        }
        // One particle at a time, so that a concurrent scrape sees at most
        // one particle missing instead of a half-emptied bunch. The old
        // deviations are recomputed bit for bit from the same products.
        for &u in &view.shape {
            if let Some(old) = view.spread {
                self.bunch.unobserve(quantize(u * old));
            }
            if let Some(new) = spread {
                self.bunch.observe(quantize(u * new));
            }
        }
        view.spread = spread;
    }
}

/// Registers a float gauge with a unit.
fn gauge(r: &Registry, name: &str, unit: &str, help: &str) -> Result<FloatGauge, Error> {
    r.register_with_unit(name, help, unit, FloatGauge::new())
}

/// Rounds a deviation to a multiple of 2⁻⁴⁰. Deviations stay below 1e-2
/// and the bunch holds 1 000 of them, so every sum and difference of such
/// values is exact in f64: unobserving the old bunch removes exactly what
/// observing it added, and `_gsum` returns to exactly 0 without beam.
fn quantize(deviation: f64) -> f64 {
    const GRID: f64 = (1u64 << 40) as f64;
    (deviation * GRID).round() / GRID
}
