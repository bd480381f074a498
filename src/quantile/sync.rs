//! The atomics of the counting scheme: std's normally, loom's under `cfg(loom)`, so that a
//! loom model can check `window.rs` without touching the rest of the crate.

#[cfg(not(loom))]
pub(super) use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(loom)]
pub(super) use loom::sync::atomic::{AtomicU64, Ordering};
