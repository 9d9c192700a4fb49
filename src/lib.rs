//! `entitle`: declarative PBX subscription manifests for Yeastar partners.
//!
//! The flow, one module per step: [`manifest`] loads what should be, [`observe`] reads what is
//! through [`api`], [`plan`] diffs the two (pure), [`render`] shows the plan, [`apply`] places
//! the orders without ever buying twice. [`sandbox`] simulates the vendor API from [`wire`].
#![forbid(unsafe_code)]
// A dependency the library never uses is dead weight (and a supply-chain risk). Checked for the
// library as built for users; its test build also links the dev-dependencies of other targets.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub(crate) mod account;
pub mod api;
pub(crate) mod apply;
pub(crate) mod atomic;
pub(crate) mod backend;
pub mod cli;
pub mod clock;
pub(crate) mod date;
pub(crate) mod doctor;
pub(crate) mod ledger;
pub mod manifest;
pub mod model;
pub mod observe;
pub(crate) mod pipeline;
pub mod plan;
pub(crate) mod redact;
pub(crate) mod render;
pub mod sandbox;
#[cfg(test)]
mod testing;
pub(crate) mod uri;
pub mod wire;
pub(crate) mod words;
