//! `entitle catalog`.

use clap::Args;

use super::{Exit, GlobalArgs};

#[derive(Debug, Args)]
pub struct CatalogArgs {}

pub fn run(_global: &GlobalArgs, _args: CatalogArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`entitle catalog` is not built yet")
}
