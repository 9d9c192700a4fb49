//! `entitle completions`.

use clap::Args;

use super::{Exit, GlobalArgs};

#[derive(Debug, Args)]
pub struct CompletionsArgs {}

pub fn run(_global: &GlobalArgs, _args: CompletionsArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`entitle completions` is not built yet")
}
