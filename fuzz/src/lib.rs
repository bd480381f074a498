//! Shared parts of the fuzz targets: registries built from fuzzer input,
//! the checks their expositions must pass, and a writer of parsed
//! expositions.
//!
//! A protobuf target can reuse [`spec::build`] and the expected families it
//! returns, and compare them with the decoded messages.

pub mod check;
pub mod render;
pub mod spec;
