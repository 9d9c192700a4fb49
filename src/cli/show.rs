//! `entitle show`.

use clap::Args;

use super::{Exit, GlobalArgs};

#[derive(Debug, Args)]
pub struct ShowArgs {}

pub fn run(_global: &GlobalArgs, _args: ShowArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`entitle show` is not built yet")
}
