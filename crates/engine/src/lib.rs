//! The engine of `entitle`: everything that talks to the vendor or to storage. The Partner API
//! client ([`api`]), reading what each PBX has ([`observe`]), placing a plan's orders without
//! ever buying twice ([`apply`]), the shared backend ([`backend`]) and the run's [`session`],
//! which the command line drives. What it decides, it asks the core for.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod account;
pub mod api;
pub mod apply;
pub mod backend;
pub mod doctor;
pub mod exit;
pub mod observe;
mod price;
pub mod redact;
pub mod session;
pub mod tls;
pub mod workspace;

// The layers below, under the names the modules use.
#[cfg(test)]
use entitle_core::testing;
use entitle_core::{ledger, manifest, model, plan, words};
use entitle_wire as wire;
use entitle_wire::{clock, date};
