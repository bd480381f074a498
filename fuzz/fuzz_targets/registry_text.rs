//! Registries built from fuzzer input: registration refuses bad input with
//! an error, never a panic, and whatever registers renders to OpenMetrics
//! text that beamline's strict parser accepts and reads back to the same
//! names, labels, values and exemplars, and to Prometheus text that the
//! 0.0.4 parser accepts with the same samples.
#![no_main]

use beamline::Format;
use beamline_fuzz::{check, spec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: spec::RegistrySpec| {
    let built = spec::build(&input);

    let om = String::from_utf8(built.registry.encode_to_vec(Format::OpenMetricsText))
        .expect("OpenMetrics text is UTF-8");
    let exposition = check::openmetrics(&built, &om);

    let prometheus = String::from_utf8(built.registry.encode_to_vec(Format::PrometheusText))
        .expect("Prometheus text is UTF-8");
    check::prometheus(&built, &exposition, &prometheus);
});
