//! A tour of every beamline metric type, printed in the format asked for.
//!
//! ```text
//! cargo run --example exposition                       # OpenMetrics text
//! cargo run --example exposition -- --format prometheus
//! cargo run --example exposition -- --format openmetrics-protobuf > set.bin
//! cargo run --example exposition -- --format prometheus-protobuf > families.bin
//! ```
//!
//! The protobuf formats are binary: `protoc --decode=openmetrics.MetricSet
//! -I src/encoding/proto -I /usr/include openmetrics_data_model.proto < set.bin`
//! shows the first one.

use std::io::Write;
use std::process::ExitCode;

use beamline::{
    Buckets, Counter, CounterFn, Error, Family, FloatCounter, FloatGauge, Format, Gauge, GaugeFn,
    GaugeHistogram, Histogram, Info, Observe, Registry, StateSet, Summary, Unknown,
};

fn build() -> Result<Registry, Error> {
    let registry = Registry::new();

    let build = Info::new(&[("version", env!("CARGO_PKG_VERSION")), ("revision", "tour")]);
    registry.register("tour_build", "Build information.", build)?;

    let requests = registry.register(
        "tour_http_requests",
        "HTTP requests by method and code.",
        Family::<Counter, 2>::new(["method", "code"]),
    )?;
    requests.get(["GET", "200"]).inc_by(41);
    requests
        .get(["GET", "200"])
        .inc_with_exemplar(&[("trace_id", "4bf92f3577b34da6")])?;
    requests.get(["POST", "500"]).inc();

    let bytes = registry.register_with_unit(
        "tour_transfer_bytes",
        "Bytes sent, as a float counter.",
        "bytes",
        FloatCounter::new(),
    )?;
    bytes.inc_by(1536.5);

    let temperature = registry.register_with_unit(
        "tour_magnet_temperature_kelvin",
        "Magnet temperature.",
        "kelvin",
        FloatGauge::new(),
    )?;
    temperature.set(1.9);

    let in_flight = registry.register("tour_in_flight", "Requests in flight.", Gauge::new())?;
    in_flight.set(3);

    let paths = registry.register(
        "tour_path_hits",
        "Label values that need escaping: backslash, quote, new line.",
        Family::<Gauge, 1>::new(["path"]),
    )?;
    paths.get([r"C:\beam\log"]).set(1);
    paths.get(["say \"hi\""]).set(2);
    paths.get(["two\nlines"]).set(3);
    paths.get(["ünïcødé ☢"]).set(4);

    let latency = registry.register_with_unit(
        "tour_request_duration_seconds",
        "Request latency.",
        "seconds",
        Family::<Histogram, 1>::with_template(["route"], Histogram::new(Buckets::default())),
    )?;
    latency.get(["/state"]).observe(0.004);
    latency.get(["/state"]).observe(0.07);
    latency
        .get(["/metrics"])
        .observe_with_exemplar(0.3, &[("trace_id", "00f067aa0ba902b7")])?;

    let ticks = registry.register_with_unit(
        "tour_tick_duration_seconds",
        "Time spent per simulation tick.",
        "seconds",
        Summary::new(),
    )?;
    ticks.observe(0.0012);
    ticks.time(|| std::hint::black_box((0..1000).sum::<u64>()));

    let state = registry.register(
        "tour_state",
        "Accelerator state.",
        StateSet::new(&["stopped", "accelerating", "colliding"]),
    )?;
    state.set_only("accelerating");

    let bunch = registry.register(
        "tour_bunch_deviation_ratio",
        "Energy deviation of the particles in a bunch.",
        GaugeHistogram::new(Buckets::new([-1e-4, 0.0, 1e-4])?),
    )?;
    for v in [-2e-4, -5e-5, 0.0, 3e-5, 2e-4] {
        bunch.observe(v);
    }

    let legacy = registry.register("tour_legacy", "A value of unknown type.", Unknown::new())?;
    legacy.set(f64::NAN);

    registry.register(
        "tour_uptime",
        "Computed at scrape time.",
        GaugeFn::new(|| 12.5),
    )?;
    registry.register(
        "tour_polls",
        "A counter computed at scrape time.",
        CounterFn::new(|| 7.0),
    )?;

    let lab = registry.sub_registry("tour_lab", &[("ring", "main")])?;
    lab.register("kicks", "Kicks in a sub-registry.", Counter::new())?
        .inc_by(11_245);
    Ok(registry)
}

/// The names `--format` takes.
#[cfg(feature = "protobuf")]
const FORMATS: &str = "openmetrics|prometheus|openmetrics-protobuf|prometheus-protobuf";
#[cfg(not(feature = "protobuf"))]
const FORMATS: &str = "openmetrics|prometheus";

fn parse_format(args: &[String]) -> Result<Format, String> {
    match args {
        [] => Ok(Format::OpenMetricsText),
        [flag, value] if flag == "--format" => match value.as_str() {
            "openmetrics" => Ok(Format::OpenMetricsText),
            "prometheus" => Ok(Format::PrometheusText),
            #[cfg(feature = "protobuf")]
            "openmetrics-protobuf" => Ok(Format::OpenMetricsProtobuf),
            #[cfg(feature = "protobuf")]
            "prometheus-protobuf" => Ok(Format::PrometheusProtobuf),
            other => Err(format!("unknown format `{other}`")),
        },
        _ => Err(format!("usage: exposition [--format {FORMATS}]")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let format = match parse_format(&args) {
        Ok(format) => format,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let registry = match build() {
        Ok(registry) => registry,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = registry
        .encode(format, &mut stdout)
        .and_then(|()| stdout.flush())
    {
        eprintln!("{error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
