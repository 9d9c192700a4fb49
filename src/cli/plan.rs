//! `entitle plan`.

use clap::Args;

use super::{Exit, GlobalArgs};

#[derive(Debug, Args)]
pub struct PlanArgs {}

pub fn run(_global: &GlobalArgs, _args: PlanArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`entitle plan` is not built yet")
}
