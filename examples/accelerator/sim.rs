//! The accelerator as pure code: a proton synchrotron ramp stepped tick by
//! tick, with no clock inside.
//!
//! Callers feed elapsed time through [`Simulation::step`]; every result is a
//! function of the calls made, so the outcome table of the README serves as
//! test vectors.

use std::fmt;
use std::time::Duration;

/// Speed of light, m/s.
pub(crate) const C: f64 = 299_792_458.0;
/// Proton rest energy E₀ in eV (CODATA).
pub(crate) const PROTON_REST_EV: f64 = 938.272_088_16e6;
/// Ring circumference in metres.
pub(crate) const CIRCUMFERENCE_M: f64 = 26_658.883;
/// Dipole bending radius in metres.
pub(crate) const BENDING_RADIUS_M: f64 = 2_803.95;
/// Injection energy (SPS to LHC transfer) in eV.
pub(crate) const INJECTION_EV: f64 = 450e9;
/// Flat-top (collision) energy in eV.
pub(crate) const TOP_EV: f64 = 6.8e12;
/// Energy gain per turn per unit of kick power, in eV.
pub(crate) const GAIN_PER_KICK_UNIT_EV: f64 = 0.64e6;
/// Kick power at which the dipoles quench (ramp-rate limit).
pub(crate) const QUENCH_KICK_POWER: f64 = 50.0;
/// Largest kick power accepted.
pub(crate) const MAX_KICK_POWER: f64 = 100.0;
/// Kick power when nothing else is configured.
pub(crate) const DEFAULT_KICK_POWER: f64 = 27.0;
/// Length of the ramp window and of a fill.
pub(crate) const RUN_WINDOW: Duration = Duration::from_secs(30);
/// Nominal tick of the driver (20 Hz).
pub(crate) const TICK: Duration = Duration::from_millis(50);
/// Longest step taken at once: a stalled caller must not teleport the beam.
pub(crate) const MAX_STEP: Duration = Duration::from_millis(250);
/// Proton-proton collisions per second while colliding
/// (L = 2e34 cm⁻²s⁻¹ times σ_inel of about 80 mb).
pub(crate) const COLLISION_RATE_HZ: f64 = 1.6e9;
/// Number of macro-particles that represent the bunch.
pub(crate) const MACRO_PARTICLES: usize = 1_000;
/// Relative rms energy spread of the bunch at injection and at flat-top
/// (LHC design figures); in between it shrinks as a power law of the energy.
const SPREAD_AT_INJECTION: f64 = 3.06e-4;
const SPREAD_AT_TOP: f64 = 1.129e-4;

/// The machine states with the legacy codes of the original lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// No run; magnets on standby at the injection field.
    Stopped,
    /// Ramping: the RF kicks the beam once per turn.
    Accelerating,
    /// Flat-top reached; beams collide until the end of the fill.
    Colliding,
    /// The dipoles quenched; the beam was dumped.
    Quenched,
    /// The ramp window ran out before flat-top.
    TimedOut,
}

impl State {
    /// Every state, in code order.
    pub(crate) const ALL: [State; 5] = [
        State::Stopped,
        State::Accelerating,
        State::Colliding,
        State::Quenched,
        State::TimedOut,
    ];

    /// The StateSet name of the state.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Stopped => "stopped",
            State::Accelerating => "accelerating",
            State::Colliding => "colliding",
            State::Quenched => "quenched",
            State::TimedOut => "timed_out",
        }
    }

    /// The legacy numeric code (0 to 4) of the original lab.
    pub(crate) fn code(self) -> i64 {
        match self {
            State::Stopped => 0,
            State::Accelerating => 1,
            State::Colliding => 2,
            State::Quenched => 3,
            State::TimedOut => 4,
        }
    }

    /// Whether a beam circulates in this state.
    pub(crate) fn has_beam(self) -> bool {
        matches!(self, State::Accelerating | State::Colliding)
    }
}

/// How a run finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Flat-top was reached (end of fill, or aborted after flat-top).
    Success,
    /// The dipoles quenched.
    Quenched,
    /// The window ran out before flat-top.
    TimedOut,
    /// Aborted before flat-top.
    Aborted,
}

impl Outcome {
    /// Every outcome, as pre-initialised in `accelerator_runs_total`.
    pub(crate) const ALL: [Outcome; 4] = [
        Outcome::Success,
        Outcome::Quenched,
        Outcome::TimedOut,
        Outcome::Aborted,
    ];

    /// The `outcome` label value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Quenched => "quenched",
            Outcome::TimedOut => "timed_out",
            Outcome::Aborted => "aborted",
        }
    }
}

/// A request the machine refuses in its current state or with its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SimError {
    /// `start` while a run is active.
    AlreadyRunning(State),
    /// `abort` while no run is active.
    NotRunning(State),
    /// A kick power that is not a finite number in [0, 100].
    KickPowerOutOfRange(f64),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::AlreadyRunning(s) => {
                write!(f, "a run is already active (state {})", s.as_str())
            }
            SimError::NotRunning(s) => write!(f, "no run is active (state {})", s.as_str()),
            SimError::KickPowerOutOfRange(k) => {
                write!(f, "kick power must be a finite number in [0, 100], got {k}")
            }
        }
    }
}

impl std::error::Error for SimError {}

/// Checks that a kick power is finite and inside [0, 100].
///
/// Values of 50 and more are accepted on purpose: they provoke a quench.
pub(crate) fn validate_kick_power(k: f64) -> Result<f64, SimError> {
    if k.is_finite() && (0.0..=MAX_KICK_POWER).contains(&k) {
        Ok(k)
    } else {
        Err(SimError::KickPowerOutOfRange(k))
    }
}

/// Kinematics of a proton of total energy `energy_ev`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Kinematics {
    /// Lorentz factor γ = E/E₀.
    pub(crate) gamma: f64,
    /// β = v/c.
    pub(crate) beta: f64,
    /// 1 − β, computed without cancellation.
    pub(crate) one_minus_beta: f64,
    /// Speed v in m/s.
    pub(crate) speed: f64,
    /// c − v in m/s.
    pub(crate) speed_deficit: f64,
    /// Momentum times c, in eV.
    pub(crate) pc_ev: f64,
    /// Dipole field that keeps the beam on the ring, in tesla.
    pub(crate) dipole_field: f64,
    /// Revolution frequency in Hz.
    pub(crate) revolution_frequency: f64,
}

impl Kinematics {
    /// Derives the kinematics from the total energy (at least E₀).
    pub(crate) fn from_energy(energy_ev: f64) -> Kinematics {
        let gamma = energy_ev / PROTON_REST_EV;
        let beta = (1.0 - 1.0 / (gamma * gamma)).sqrt();
        // 1 − β is ~1e-8 at flat-top: subtracting β from 1 would keep only
        // a few significant digits, this form keeps them all.
        let one_minus_beta = 1.0 / (gamma * gamma * (1.0 + beta));
        let pc_ev = (energy_ev * energy_ev - PROTON_REST_EV * PROTON_REST_EV).sqrt();
        Kinematics {
            gamma,
            beta,
            one_minus_beta,
            speed: beta * C,
            speed_deficit: C * one_minus_beta,
            pc_ev,
            dipole_field: pc_ev / (C * BENDING_RADIUS_M),
            revolution_frequency: beta * C / CIRCUMFERENCE_M,
        }
    }
}

/// Relative rms energy spread of the bunch at `energy_ev`.
pub(crate) fn energy_spread(energy_ev: f64) -> f64 {
    let exponent = (SPREAD_AT_INJECTION / SPREAD_AT_TOP).ln() / (TOP_EV / INJECTION_EV).ln();
    SPREAD_AT_INJECTION * (energy_ev / INJECTION_EV).powf(-exponent)
}

/// A fixed bunch shape: `MACRO_PARTICLES` standard-normal deviates, the same
/// for every run so the distribution only scales with the energy spread.
pub(crate) fn bunch_shape() -> Vec<f64> {
    // splitmix64 and Box–Muller: deterministic and dependency-free.
    let mut seed: u64 = 0x5eed_0fbe_a111_e5e5;
    let mut next_unit = move || {
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        // 53 random bits in (0, 1]: never 0, so the logarithm stays finite.
        ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    };
    (0..MACRO_PARTICLES)
        .map(|_| {
            let (u1, u2) = (next_unit(), next_unit());
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        })
        .collect()
}

/// A finished run, as reported by the step or abort that ended it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Finished {
    /// How the run ended.
    pub(crate) outcome: Outcome,
    /// The run that ended.
    pub(crate) run_id: u64,
    /// Run time at the end.
    pub(crate) elapsed: Duration,
    /// Beam energy just before the beam was dumped, in eV.
    pub(crate) energy_ev: f64,
}

/// What one step did, for the counters and histograms.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct StepReport {
    /// Turns completed by the beam during the step.
    pub(crate) turns: u64,
    /// RF kicks applied during the step.
    pub(crate) kicks: u64,
    /// Collisions during the step.
    pub(crate) collisions: f64,
    /// Ramp duration in seconds if flat-top was reached in this step.
    pub(crate) flat_top: Option<f64>,
    /// The run that finished in this step, if any.
    pub(crate) finished: Option<Finished>,
}

/// A read-only picture of the machine for `/state` and the gauges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Snapshot {
    /// Current state.
    pub(crate) state: State,
    /// Id of the current or last run (0 before the first).
    pub(crate) run_id: u64,
    /// Time since the run started; zero when no run is active.
    pub(crate) elapsed: Duration,
    /// Configured kick power, 0 to 100.
    pub(crate) kick_power: f64,
    /// Beam energy in eV, 0 when there is no beam.
    pub(crate) energy_ev: f64,
    /// Beam kinematics, `None` when there is no beam.
    pub(crate) beam: Option<Kinematics>,
    /// Field in the dipoles, tesla.
    pub(crate) dipole_field: f64,
    /// Energy gain per turn applied by the RF, eV (0 unless accelerating).
    pub(crate) rf_gain_ev: f64,
    /// Ramp rate over its limit (k/50 while accelerating, else 0).
    pub(crate) magnet_load: f64,
    /// Turns of the current or last run.
    pub(crate) turns: u64,
    /// Outcome of the last finished run.
    pub(crate) last_outcome: Option<Outcome>,
    /// Ramp duration of the current or last run, if it reached flat-top.
    pub(crate) ramp_seconds: Option<f64>,
}

/// The accelerator state machine.
#[derive(Debug, Clone)]
pub(crate) struct Simulation {
    state: State,
    run_id: u64,
    kick_power: f64,
    energy_ev: f64,
    elapsed: Duration,
    /// Fractional turns carried over between steps.
    turn_phase: f64,
    turns: u64,
    ramp_seconds: Option<f64>,
    last_outcome: Option<Outcome>,
}

impl Simulation {
    /// A stopped machine with the given kick power.
    pub(crate) fn new(kick_power: f64) -> Result<Simulation, SimError> {
        Ok(Simulation {
            state: State::Stopped,
            run_id: 0,
            kick_power: validate_kick_power(kick_power)?,
            energy_ev: 0.0,
            elapsed: Duration::ZERO,
            turn_phase: 0.0,
            turns: 0,
            ramp_seconds: None,
            last_outcome: None,
        })
    }

    /// The current state.
    #[cfg(test)]
    pub(crate) fn state(&self) -> State {
        self.state
    }

    /// The id of the current or last run (0 before the first).
    pub(crate) fn run_id(&self) -> u64 {
        self.run_id
    }

    /// The configured kick power.
    #[cfg(test)]
    pub(crate) fn kick_power(&self) -> f64 {
        self.kick_power
    }

    /// Sets the kick power; it takes effect at the next step.
    pub(crate) fn set_kick_power(&mut self, k: f64) -> Result<(), SimError> {
        self.kick_power = validate_kick_power(k)?;
        Ok(())
    }

    /// Injects a beam and starts the ramp; returns the new run id.
    pub(crate) fn start(&mut self) -> Result<u64, SimError> {
        if self.state.has_beam() {
            return Err(SimError::AlreadyRunning(self.state));
        }
        self.state = State::Accelerating;
        self.run_id += 1;
        self.energy_ev = INJECTION_EV;
        self.elapsed = Duration::ZERO;
        self.turn_phase = 0.0;
        self.turns = 0;
        self.ramp_seconds = None;
        Ok(self.run_id)
    }

    /// Stops the active run; the outcome is `success` after flat-top and
    /// `aborted` before.
    pub(crate) fn abort(&mut self) -> Result<Finished, SimError> {
        let outcome = match self.state {
            State::Accelerating => Outcome::Aborted,
            State::Colliding => Outcome::Success,
            other => return Err(SimError::NotRunning(other)),
        };
        Ok(self.finish(State::Stopped, outcome))
    }

    /// Advances the machine by `dt` (capped at 250 ms).
    pub(crate) fn step(&mut self, dt: Duration) -> StepReport {
        let dt = dt.min(MAX_STEP);
        let mut report = StepReport::default();
        if !self.state.has_beam() {
            return report;
        }
        let before = self.elapsed;
        self.elapsed += dt;
        match self.state {
            State::Accelerating => self.accelerate(before, dt, &mut report),
            State::Colliding => self.collide(dt, &mut report),
            _ => {}
        }
        report
    }

    /// One accelerating tick: read k, check for a quench, count turns, kick,
    /// then check for flat-top before the timeout.
    fn accelerate(&mut self, before: Duration, dt: Duration, report: &mut StepReport) {
        let k = self.kick_power;
        if k >= QUENCH_KICK_POWER {
            report.finished = Some(self.finish(State::Quenched, Outcome::Quenched));
            return;
        }

        let turns = self.advance_turns(dt);
        let start_energy = self.energy_ev;
        let gain = turns as f64 * k * GAIN_PER_KICK_UNIT_EV;
        self.energy_ev += gain;
        report.turns = turns;
        report.kicks = turns;

        if self.energy_ev >= TOP_EV {
            // Linear interpolation inside the tick: the energy grows
            // linearly with time at fixed k, so this is where E_top was hit.
            let fraction = (TOP_EV - start_energy) / gain;
            let ramp = before.as_secs_f64() + fraction * dt.as_secs_f64();
            self.energy_ev = TOP_EV;
            self.state = State::Colliding;
            self.ramp_seconds = Some(ramp);
            report.flat_top = Some(ramp);
            // Flat-top is checked before the timeout: reaching it at 30 s
            // still counts; the fill then ends at once.
            if self.elapsed >= RUN_WINDOW {
                report.finished = Some(self.finish(State::Stopped, Outcome::Success));
            }
        } else if self.elapsed >= RUN_WINDOW {
            report.finished = Some(self.finish(State::TimedOut, Outcome::TimedOut));
        }
    }

    /// One colliding tick: turns and collisions, then the end of fill.
    fn collide(&mut self, dt: Duration, report: &mut StepReport) {
        report.turns = self.advance_turns(dt);
        report.collisions = COLLISION_RATE_HZ * dt.as_secs_f64();
        if self.elapsed >= RUN_WINDOW {
            report.finished = Some(self.finish(State::Stopped, Outcome::Success));
        }
    }

    /// Accumulates `f_rev·dt` and returns the whole turns completed.
    fn advance_turns(&mut self, dt: Duration) -> u64 {
        let f_rev = Kinematics::from_energy(self.energy_ev).revolution_frequency;
        self.turn_phase += f_rev * dt.as_secs_f64();
        let whole = self.turn_phase.floor();
        self.turn_phase -= whole;
        // At most 250 ms at ~11.2 kHz: a few thousand, far inside u64.
        let whole = whole as u64;
        self.turns += whole;
        whole
    }

    /// Dumps the beam and records the outcome.
    fn finish(&mut self, next: State, outcome: Outcome) -> Finished {
        let finished = Finished {
            outcome,
            run_id: self.run_id,
            elapsed: self.elapsed,
            energy_ev: self.energy_ev,
        };
        self.state = next;
        self.energy_ev = 0.0;
        self.elapsed = Duration::ZERO;
        self.turn_phase = 0.0;
        self.last_outcome = Some(outcome);
        finished
    }

    /// A picture of the machine now.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let beam = self
            .state
            .has_beam()
            .then(|| Kinematics::from_energy(self.energy_ev));
        let dipole_field = match (beam, self.state) {
            (Some(b), _) => b.dipole_field,
            (None, State::Quenched) => 0.0,
            (None, _) => Kinematics::from_energy(INJECTION_EV).dipole_field,
        };
        let accelerating = self.state == State::Accelerating;
        Snapshot {
            state: self.state,
            run_id: self.run_id,
            elapsed: self.elapsed,
            kick_power: self.kick_power,
            energy_ev: if beam.is_some() { self.energy_ev } else { 0.0 },
            beam,
            dipole_field,
            rf_gain_ev: if accelerating {
                self.kick_power * GAIN_PER_KICK_UNIT_EV
            } else {
                0.0
            },
            magnet_load: if accelerating {
                self.kick_power / QUENCH_KICK_POWER
            } else {
                0.0
            },
            turns: self.turns,
            last_outcome: self.last_outcome,
            ramp_seconds: self.ramp_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK_S: f64 = 0.05;

    /// Runs one whole run at kick power `k` with 50 ms ticks; returns the
    /// reports that carried a flat-top or a finish, and the tick count.
    fn run(k: f64) -> (Option<f64>, Finished, u64, u64) {
        let mut sim = Simulation::new(k).unwrap();
        sim.start().unwrap();
        let (mut flat_top, mut ticks, mut ramp_turns) = (None, 0, 0);
        loop {
            let report = sim.step(TICK);
            ticks += 1;
            if let Some(t) = report.flat_top {
                flat_top = Some(t);
                ramp_turns = sim.snapshot().turns;
            }
            if let Some(done) = report.finished {
                return (flat_top, done, ticks, ramp_turns);
            }
            assert!(ticks < 2_000, "run at k={k} never finished");
        }
    }

    /// t* = (E_top − E_inj)/(k·α·f_rev) with f_rev at flat-top.
    fn analytic_ramp(k: f64) -> f64 {
        let f = Kinematics::from_energy(TOP_EV).revolution_frequency;
        (TOP_EV - INJECTION_EV) / (k * GAIN_PER_KICK_UNIT_EV * f)
    }

    #[test]
    fn kinematics_match_the_design_figures() {
        let inj = Kinematics::from_energy(INJECTION_EV);
        assert!((inj.gamma - 479.6).abs() < 0.05, "{}", inj.gamma);
        assert!(
            (inj.speed_deficit - 651.7).abs() < 0.1,
            "{}",
            inj.speed_deficit
        );
        assert!(
            (inj.dipole_field - 0.535).abs() < 0.0005,
            "{}",
            inj.dipole_field
        );
        let top = Kinematics::from_energy(TOP_EV);
        assert!((top.gamma - 7_247.36).abs() < 0.01, "{}", top.gamma);
        assert!((top.one_minus_beta - 9.519e-9).abs() < 0.001e-9);
        assert!(
            (top.speed_deficit - 2.854).abs() < 0.001,
            "{}",
            top.speed_deficit
        );
        assert!(
            (top.dipole_field - 8.089).abs() < 0.001,
            "{}",
            top.dipole_field
        );
        for f in [inj.revolution_frequency, top.revolution_frequency] {
            assert!((f - 11_245.5).abs() < 0.05, "{f}");
        }
        assert!((top.speed + top.speed_deficit - C).abs() < 1e-6);
    }

    #[test]
    #[allow(
        clippy::approx_constant,
        reason = "6.28 TeV is an energy from the outcome table, not tau"
    )]
    fn outcome_table_timeouts() {
        // (k, energy at 30 s in TeV)
        for (k, tev) in [(0.0, 0.45), (27.0, 6.28), (29.0, 6.71)] {
            let (flat_top, done, ticks, _) = run(k);
            assert_eq!(flat_top, None, "k={k}");
            assert_eq!(done.outcome, Outcome::TimedOut, "k={k}");
            assert!(ticks.abs_diff(600) <= 1, "k={k}: {ticks} ticks");
            assert!((done.elapsed.as_secs_f64() - 30.0).abs() <= TICK_S);
            assert!(
                (done.energy_ev / 1e12 - tev).abs() <= 0.01,
                "k={k}: {}",
                done.energy_ev
            );
        }
    }

    #[test]
    fn outcome_table_collisions() {
        // (k, ramp time t* from the table)
        for (k, t_star) in [(30.0, 29.41), (35.0, 25.21), (40.0, 22.06), (49.0, 18.01)] {
            let (flat_top, done, ticks, _) = run(k);
            let ramp = flat_top.unwrap_or_else(|| panic!("k={k} never reached flat-top"));
            assert!((ramp - t_star).abs() <= TICK_S, "k={k}: ramp {ramp}");
            assert!((ramp - analytic_ramp(k)).abs() <= TICK_S, "k={k}");
            // The fill then runs to the end of the window.
            assert_eq!(done.outcome, Outcome::Success, "k={k}");
            assert_eq!(done.energy_ev, TOP_EV);
            assert!(ticks.abs_diff(600) <= 1, "k={k}: {ticks} ticks");
        }
    }

    #[test]
    fn threshold_kick_power_ends_at_the_window() {
        // k = 29.41 reaches 6.8 TeV at 30.00 s: either side of the line is
        // acceptable, but only within one tick and 0.01 TeV.
        let (flat_top, done, _, _) = run(29.41);
        match flat_top {
            Some(ramp) => {
                assert!((ramp - 30.0).abs() <= TICK_S, "{ramp}");
                assert_eq!(done.outcome, Outcome::Success);
            }
            None => {
                assert_eq!(done.outcome, Outcome::TimedOut);
                assert!((done.energy_ev - TOP_EV).abs() <= 0.01e12);
            }
        }
    }

    #[test]
    fn k30_needs_about_330730_turns() {
        let (_, _, _, ramp_turns) = run(30.0);
        let per_tick = 11_245.5 * TICK_S;
        assert!(
            (ramp_turns as f64 - 330_730.0).abs() <= per_tick,
            "{ramp_turns}"
        );
    }

    #[test]
    fn quench_on_the_first_tick_at_50_and_above() {
        for k in [50.0, 75.0, 100.0] {
            let (flat_top, done, ticks, _) = run(k);
            assert_eq!(
                (flat_top, done.outcome, ticks),
                (None, Outcome::Quenched, 1)
            );
        }
        let mut sim = Simulation::new(50.0).unwrap();
        sim.start().unwrap();
        let report = sim.step(TICK);
        assert_eq!(
            (report.kicks, report.turns),
            (0, 0),
            "no kick after a quench"
        );
        let snap = sim.snapshot();
        assert_eq!(
            (snap.state, snap.energy_ev, snap.dipole_field),
            (State::Quenched, 0.0, 0.0)
        );
        assert_eq!(snap.beam, None);
    }

    #[test]
    fn quench_threshold_applies_from_the_next_tick_only_while_accelerating() {
        let mut sim = Simulation::new(49.0).unwrap();
        sim.start().unwrap();
        sim.step(TICK);
        sim.set_kick_power(60.0).unwrap();
        assert_eq!(
            sim.state(),
            State::Accelerating,
            "takes effect on the next tick"
        );
        assert_eq!(
            sim.step(TICK).finished.map(|f| f.outcome),
            Some(Outcome::Quenched)
        );

        // At flat-top there is no net kick, so k >= 50 does not quench.
        let mut sim = Simulation::new(49.0).unwrap();
        sim.start().unwrap();
        while sim.state() == State::Accelerating {
            sim.step(TICK);
        }
        assert_eq!(sim.state(), State::Colliding);
        sim.set_kick_power(100.0).unwrap();
        let report = sim.step(TICK);
        assert_eq!((sim.state(), report.kicks), (State::Colliding, 0));
        assert!(report.turns > 500);
        assert!((report.collisions - 1.6e9 * TICK_S).abs() < 1.0);
    }

    #[test]
    fn energy_ramps_linearly_with_kick_power() {
        let mut sim = Simulation::new(27.0).unwrap();
        sim.start().unwrap();
        let mut kicks = 0;
        for _ in 0..200 {
            kicks += sim.step(TICK).kicks;
        }
        let snap = sim.snapshot();
        let expected = INJECTION_EV + kicks as f64 * 27.0 * GAIN_PER_KICK_UNIT_EV;
        assert!((snap.energy_ev - expected).abs() < 1.0);
        // 10 s at ~11 245.5 turns/s.
        assert!((kicks as f64 - 112_455.0).abs() < 2.0, "{kicks}");
        assert_eq!(snap.turns, kicks);
        assert!((snap.rf_gain_ev - 17.28e6).abs() < 1e-3);
        assert!((snap.magnet_load - 0.54).abs() < 1e-12);
        assert!((snap.elapsed.as_secs_f64() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn start_and_abort_follow_the_state_machine() {
        let mut sim = Simulation::new(35.0).unwrap();
        assert_eq!(sim.abort(), Err(SimError::NotRunning(State::Stopped)));
        assert_eq!(sim.start(), Ok(1));
        assert_eq!(
            sim.start(),
            Err(SimError::AlreadyRunning(State::Accelerating))
        );
        sim.step(TICK);
        let done = sim.abort().unwrap();
        assert_eq!((done.outcome, done.run_id), (Outcome::Aborted, 1));
        assert_eq!(sim.state(), State::Stopped);

        assert_eq!(sim.start(), Ok(2));
        while sim.state() == State::Accelerating {
            sim.step(TICK);
        }
        assert_eq!(sim.start(), Err(SimError::AlreadyRunning(State::Colliding)));
        let done = sim.abort().unwrap();
        assert_eq!((done.outcome, done.run_id), (Outcome::Success, 2));
        let snap = sim.snapshot();
        assert_eq!(snap.last_outcome, Some(Outcome::Success));
        assert!((snap.ramp_seconds.unwrap() - 25.21).abs() <= TICK_S);

        // Quenched and timed out both allow a new start.
        sim.set_kick_power(50.0).unwrap();
        sim.start().unwrap();
        sim.step(TICK);
        assert_eq!(sim.state(), State::Quenched);
        assert_eq!(sim.abort(), Err(SimError::NotRunning(State::Quenched)));
        sim.set_kick_power(0.0).unwrap();
        assert_eq!(sim.start(), Ok(4));
        assert_eq!(sim.snapshot().energy_ev, INJECTION_EV);
    }

    #[test]
    fn standby_values_without_beam() {
        let sim = Simulation::new(27.0).unwrap();
        let snap = sim.snapshot();
        assert_eq!(
            (snap.state, snap.run_id, snap.energy_ev),
            (State::Stopped, 0, 0.0)
        );
        assert!((snap.dipole_field - 0.535).abs() < 0.0005);
        assert_eq!(
            (snap.rf_gain_ev, snap.magnet_load, snap.turns),
            (0.0, 0.0, 0)
        );
        assert_eq!(snap.elapsed, Duration::ZERO);
    }

    #[test]
    fn steps_are_capped_and_idle_steps_do_nothing() {
        let mut sim = Simulation::new(30.0).unwrap();
        assert_eq!(sim.step(Duration::from_secs(5)), StepReport::default());
        sim.start().unwrap();
        sim.step(Duration::from_secs(3_600));
        assert_eq!(sim.snapshot().elapsed, MAX_STEP);
    }

    #[test]
    fn kick_power_is_validated() {
        for bad in [-0.1, 100.1, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(Simulation::new(bad).is_err(), "{bad}");
            assert!(validate_kick_power(bad).is_err(), "{bad}");
        }
        let mut sim = Simulation::new(0.0).unwrap();
        assert!(sim.set_kick_power(100.0).is_ok());
        assert_eq!(
            sim.set_kick_power(101.0).unwrap_err().to_string(),
            "kick power must be a finite number in [0, 100], got 101"
        );
        assert_eq!(sim.kick_power(), 100.0);
    }

    #[test]
    fn bunch_spread_follows_the_design_figures() {
        assert!((energy_spread(INJECTION_EV) - 3.06e-4).abs() < 1e-12);
        assert!((energy_spread(TOP_EV) - 1.129e-4).abs() < 1e-12);
        let shape = bunch_shape();
        assert_eq!(shape.len(), MACRO_PARTICLES);
        let mean = shape.iter().sum::<f64>() / shape.len() as f64;
        let var = shape.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / shape.len() as f64;
        assert!(mean.abs() < 0.1, "{mean}");
        assert!((var.sqrt() - 1.0).abs() < 0.1, "{var}");
        assert_eq!(shape, bunch_shape(), "deterministic");
    }
}
