//! `entitle`: declarative PBX subscription manifests for Yeastar partners.
//!
//! The flow, one module per step: [`manifest`] loads what should be, [`observe`] reads what is
//! through [`api`], [`plan`] diffs the two (pure), [`render`] shows the plan, [`apply`] places
//! the orders without ever buying twice. [`sandbox`] simulates the vendor API from [`wire`].
#![forbid(unsafe_code)]

pub mod api;
pub(crate) mod apply;
pub(crate) mod atomic;
pub mod cli;
pub mod clock;
pub(crate) mod date;
pub mod manifest;
pub mod model;
pub mod observe;
pub(crate) mod pipeline;
pub mod plan;
pub(crate) mod render;
pub mod sandbox;
#[cfg(test)]
mod testing;
pub mod wire;
pub(crate) mod words;
