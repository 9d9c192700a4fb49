//! `entitle validate`.

use clap::Args;

use super::{Exit, GlobalArgs};

#[derive(Debug, Args)]
pub struct ValidateArgs {}

pub fn run(_global: &GlobalArgs, _args: ValidateArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`entitle validate` is not built yet")
}
