//! `entitle show PLANFILE`: render a saved plan.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use super::{Exit, Format, GlobalArgs, config};
use crate::plan::{FORMAT_VERSION, Plan};
use crate::render::TextOptions;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved with `entitle plan -o FILE`.
    #[arg(value_name = "PLANFILE", value_hint = clap::ValueHint::FilePath)]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Show each order's exact request body in text output.
    #[arg(long)]
    pub show_bodies: bool,
    #[command(flatten)]
    pub markdown: super::plan::MarkdownArgs,
}

/// Reads a saved plan, refusing other files and other format versions.
pub fn read_plan(path: &Path) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the plan file {}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a plan file (not JSON)", path.display()))?;
    match value.get("format_version").and_then(|v| v.as_str()) {
        Some(FORMAT_VERSION) => {}
        Some(v) => bail!(
            "{} is a plan of format {v}; this entitle reads format {FORMAT_VERSION}: re-run `entitle plan -o`",
            path.display()
        ),
        None => bail!("{} is not a plan file (no format_version)", path.display()),
    }
    serde_json::from_value(value)
        .with_context(|| format!("{} is not a valid plan file", path.display()))
}

pub fn run(global: &GlobalArgs, args: ShowArgs) -> anyhow::Result<Exit> {
    let plan = read_plan(&args.file)?;
    let color = config::use_color(global, std::io::stdout().is_terminal());
    super::plan::render(
        &plan,
        args.format,
        TextOptions {
            color,
            show_bodies: args.show_bodies,
        },
        &args.markdown.options(Some(&args.file)),
        &mut std::io::stdout().lock(),
    )?;
    Ok(Exit::Success)
}
