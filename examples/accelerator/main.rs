//! The particle accelerator lab: a proton synchrotron simulated in the
//! server, exposed as OpenMetrics through beamline, with a web page that
//! animates the ring.
//!
//! Run it with `cargo run --release --example accelerator`, then open the
//! printed URL. See `examples/accelerator/README.md` for the game.

mod metrics;
mod serve;
mod server;
mod sim;

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use beamline::Observe;
use clap::Parser;

use crate::metrics::Metrics;
use crate::sim::{SimError, Simulation, Snapshot};

/// Command line of the accelerator example.
#[derive(Debug, Parser)]
#[command(
    version,
    about = "The particle accelerator lab, instrumented with beamline"
)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5000")]
    listen: String,

    /// Initial kick power, 0 to 100 (50 and more quench the magnets).
    #[arg(long, env = "KICK_POWER", default_value_t = sim::DEFAULT_KICK_POWER,
          value_parser = parse_kick_power)]
    kick_power: f64,

    /// Run the simulation this many times faster than real time (demos, tests).
    #[arg(long, default_value_t = 1.0, value_parser = parse_time_scale)]
    time_scale: f64,

    /// Connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=65536))]
    max_connections: u32,

    /// Seconds a connection may take to send a request's headers (also the
    /// idle time after which a keep-alive connection is closed).
    #[arg(long, default_value_t = 5.0, value_parser = parse_header_timeout)]
    header_timeout: f64,
}

fn parse_kick_power(text: &str) -> Result<f64, String> {
    let k: f64 = text.parse().map_err(|e| format!("{e}"))?;
    sim::validate_kick_power(k).map_err(|e| e.to_string())
}

fn parse_header_timeout(text: &str) -> Result<f64, String> {
    let seconds: f64 = text.parse().map_err(|e| format!("{e}"))?;
    if seconds.is_finite() && (0.01..=3600.0).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(format!(
            "header timeout must be in [0.01, 3600] seconds, got {seconds}"
        ))
    }
}

fn parse_time_scale(text: &str) -> Result<f64, String> {
    let scale: f64 = text.parse().map_err(|e| format!("{e}"))?;
    if scale.is_finite() && scale > 0.0 && scale <= 100.0 {
        Ok(scale)
    } else {
        Err(format!("time scale must be in (0, 100], got {scale}"))
    }
}

/// State shared by the handlers and the simulation driver.
#[derive(Debug)]
pub(crate) struct App {
    /// Held only for a step or a start/abort and the gauge updates that go
    /// with it (microseconds), and never across an `.await`.
    sim: Mutex<Simulation>,
    /// The configured kick power as f64 bits: written by `PUT /kick_power`
    /// without the lock, read by the driver at the next tick.
    kick_power: AtomicU64,
    metrics: Metrics,
    time_scale: f64,
}

impl App {
    /// A stopped machine with kick power `k`, run `time_scale` times faster
    /// than wall time.
    pub(crate) fn new(k: f64, time_scale: f64) -> Result<App, Box<dyn std::error::Error>> {
        let sim = Simulation::new(k)?;
        let metrics = Metrics::new()?;
        metrics.publish(&sim.snapshot());
        Ok(App {
            sim: Mutex::new(sim),
            kick_power: AtomicU64::new(k.to_bits()),
            metrics,
            time_scale,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Simulation> {
        // A poisoned lock only means a panic elsewhere; the machine itself
        // is always in a valid state between calls.
        self.sim.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The configured kick power.
    pub(crate) fn kick_power(&self) -> f64 {
        // Relaxed: the value stands alone; nothing else is published with it.
        f64::from_bits(self.kick_power.load(Ordering::Relaxed))
    }

    /// Validates and stores a new kick power for the next tick.
    pub(crate) fn set_kick_power(&self, k: f64) -> Result<f64, SimError> {
        let k = sim::validate_kick_power(k)?;
        self.kick_power.store(k.to_bits(), Ordering::Relaxed);
        self.metrics.set_kick_power(k);
        self.metrics.kick_power_changed();
        Ok(k)
    }

    /// The metrics of the lab.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Advances the machine by `wall` of real time (capped at 250 ms),
    /// scaled by the time scale and cut into steps of at most one tick so
    /// that a faster clock gives the same outcomes.
    pub(crate) fn advance(&self, wall: Duration) {
        let _timer = self.metrics.tick_timer().start_timer();
        let mut remaining = wall.min(sim::MAX_STEP).mul_f64(self.time_scale);
        let mut sim = self.lock();
        // The kick power is read once per tick, before the quench check.
        if sim.set_kick_power(self.kick_power()).is_err() {
            // Unreachable: only validated values are stored.
            return;
        }
        while !remaining.is_zero() {
            let dt = remaining.min(sim::TICK);
            remaining -= dt;
            let report = sim.step(dt);
            self.metrics.record_step(&report, sim.run_id());
        }
        self.metrics.publish(&self.snapshot_of(&sim));
    }

    /// A snapshot with the kick power as configured right now.
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.snapshot_of(&self.lock())
    }

    /// The machine's snapshot, but with the configured kick power: a value
    /// just PUT shows at once, although the machine reads it at its next tick.
    fn snapshot_of(&self, sim: &Simulation) -> Snapshot {
        let mut snap = sim.snapshot();
        snap.kick_power = self.kick_power();
        snap
    }

    /// Starts a run; returns its id.
    pub(crate) fn start(&self) -> Result<u64, SimError> {
        let mut sim = self.lock();
        let run_id = sim.start()?;
        self.metrics.publish(&self.snapshot_of(&sim));
        Ok(run_id)
    }

    /// Aborts the active run; returns its outcome.
    pub(crate) fn abort(&self) -> Result<sim::Outcome, SimError> {
        let mut sim = self.lock();
        let finished = sim.abort()?;
        self.metrics.record_finish(&finished);
        self.metrics.publish(&self.snapshot_of(&sim));
        Ok(finished.outcome)
    }
}

/// Steps the simulation on its own thread, so that no amount of HTTP
/// traffic on the runtime can delay a tick. Dropping the sender stops it.
fn spawn_driver(app: Arc<App>) -> std::io::Result<(mpsc::Sender<()>, thread::JoinHandle<()>)> {
    let (stop, stopped) = mpsc::channel::<()>();
    let handle = thread::Builder::new()
        .name("accelerator-sim".into())
        .spawn(move || {
            let mut last = Instant::now();
            let mut next = last + sim::TICK;
            loop {
                let wait = next.saturating_duration_since(Instant::now());
                match stopped.recv_timeout(wait) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
                // Measured on the monotonic clock; App::advance caps it.
                let now = Instant::now();
                app.advance(now - last);
                last = now;
                // After a stall, restart the cadence instead of bursting.
                next = (next + sim::TICK).max(now);
            }
        })?;
    Ok((stop, handle))
}

/// Resolves on Ctrl-C, or on SIGTERM (what Kubernetes sends before a pod stops).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("cannot listen for ctrl-c ({e})");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("accelerator: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let app = Arc::new(App::new(cli.kick_power, cli.time_scale)?);
    let listener = tokio::net::TcpListener::bind(&cli.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cli.listen))?;
    let addr = listener.local_addr()?;
    let (stop, driver) = spawn_driver(app.clone())?;

    println!("accelerator ready: open http://{addr}/ (metrics at http://{addr}/metrics)");
    println!(
        "kick power {}, time scale {}; press Ctrl-C to stop",
        cli.kick_power, cli.time_scale
    );
    let limits = serve::Limits {
        max_connections: cli.max_connections as usize,
        header_read_timeout: Duration::from_secs_f64(cli.header_timeout),
        ..serve::Limits::default()
    };
    let served = serve::serve(listener, server::router(app), limits, shutdown_signal()).await;

    drop(stop);
    if driver.join().is_err() {
        eprintln!("the simulation thread panicked");
    }
    served?;
    println!("accelerator stopped");
    Ok(())
}
