//! `entitle schema`.

use clap::Args;

use super::{Exit, GlobalArgs};

#[derive(Debug, Args)]
pub struct SchemaArgs {}

pub fn run(_global: &GlobalArgs, _args: SchemaArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`entitle schema` is not built yet")
}
