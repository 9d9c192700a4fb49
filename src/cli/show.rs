//! `entitle show PLANFILE`: render a saved plan.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::{Exit, Format, GlobalArgs, config};
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

pub fn run(global: &GlobalArgs, args: ShowArgs) -> anyhow::Result<Exit> {
    let plan = entitle_engine::session::read_plan(&args.file)?;
    let color = config::use_color(global, std::io::stdout().is_terminal());
    // The policy it was made under, as `plan` judged it (`--max-cost` is the run's, not kept).
    let limits = crate::policy::Limits {
        per_run: None,
        policies: plan.policy.clone(),
    };
    let violations = crate::policy::check(&plan, &limits);
    let mut markdown = args.markdown.options(Some(&args.file));
    markdown.policy = (!limits.is_empty()).then(|| crate::render::PolicyVerdict {
        limits: limits.describe(),
        violations: violations.clone(),
    });
    super::plan::render(
        &plan,
        args.format,
        TextOptions {
            color,
            show_bodies: args.show_bodies,
        },
        &markdown,
        &mut std::io::stdout().lock(),
    )?;
    // Its wrong manifest entries and the limits it breaks, where `plan` showed them.
    let color_err = config::use_color(global, std::io::stderr().is_terminal());
    let mut err = std::io::stderr().lock();
    crate::render::write_plan_errors(&plan, &[], color_err, false, &mut err)?;
    crate::render::write_violations(&violations, &mut err)?;
    Ok(Exit::Success)
}
