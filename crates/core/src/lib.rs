//! The core of `entitle`: what should be ([`manifest`]), the domain model ([`model`]), the
//! planner that diffs what should be against what is ([`plan`]), and the ledger that decides
//! which PBXs an earlier order still holds ([`ledger`], over the [`journal`]'s records). Pure:
//! no tokio, no HTTP, no printing; time and the account's state come in as values.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod forecast;
pub mod journal;
pub mod ledger;
pub mod manifest;
pub mod model;
pub mod plan;
pub mod policy;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod uri;
pub mod words;

// The vendor's types and time, under the names the modules use.
use entitle_wire as wire;
use entitle_wire::{clock, date};
