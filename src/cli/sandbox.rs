//! `entitle sandbox`.

use clap::Args;

use super::{Exit, GlobalArgs};

#[derive(Debug, Args)]
pub struct SandboxArgs {}

pub fn run(_global: &GlobalArgs, _args: SandboxArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`entitle sandbox` is not built yet")
}
