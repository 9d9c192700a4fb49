//! `entitle apply`.

use clap::Args;

use super::{Exit, GlobalArgs};

#[derive(Debug, Args)]
pub struct ApplyArgs {}

pub fn run(_global: &GlobalArgs, _args: ApplyArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`entitle apply` is not built yet")
}
