//! `entitle`: declarative PBX subscription manifests for Yeastar partners.
//!
//! This crate is the binary's: [`cli`] turns arguments into settings and drives the engine's
//! session; `render` turns results into text, markdown, JSON and the machine formats. The work
//! is done by the workspace's crates, layered by their dependency edges:
//! `entitle_wire` (the vendor's types, time) → `entitle_sandbox` (the simulator) and
//! `entitle_core` (manifests, planner, ledger; pure) → `entitle_engine` (client, apply,
//! backends). The re-exports below are what the integration tests and benchmarks use.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod cli;
pub(crate) mod render;

pub use entitle_core::{manifest, model, plan, policy};
pub use entitle_engine::{api, tls};
pub use entitle_sandbox as sandbox;
pub use entitle_wire as wire;
pub use entitle_wire::clock;

#[cfg(test)]
use entitle_core::testing;
use entitle_core::{uri, words};
use entitle_engine::{account, apply, backend, doctor, observe, workspace};
use entitle_wire::atomic;
