//! `entitle man [--out DIR]`: the manual pages, made by clap_mangen from the same command tree
//! as `--help`, so they cannot disagree: the main page on stdout (`entitle man | man -l -`), or
//! with `--out` one page per command, `entitle.1`, `entitle-validate.1`, ..., into a directory
//! (for a package's `share/man/man1`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Command, CommandFactory};
use clap_mangen::Man;

use super::{Cli, Exit, GlobalArgs};

/// The long `--help` text (set on the subcommand in `cli/mod.rs`).
pub const LONG_ABOUT: &str = "Print the manual page of entitle (roff) to stdout, or with \
    --out write entitle.1 and a page per command (entitle-validate.1, entitle-plan.1, ...) into \
    a directory and list them.\n\n\
    Read it now: entitle man | man -l -\n\
    Install the pages: entitle man --out ~/.local/share/man/man1";

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write every page into this directory (created if missing) instead of printing the main
    /// page.
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub out: Option<PathBuf>,
}

pub fn run(_global: &GlobalArgs, args: ManArgs) -> anyhow::Result<Exit> {
    let cmd = command();
    let mut out = std::io::stdout().lock();
    match args.out {
        None => Man::new(cmd).render(&mut out)?,
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create the directory {}", dir.display()))?;
            for page in write_pages(cmd, &dir)? {
                writeln!(out, "{}", page.display())?;
            }
        }
    }
    out.flush()?;
    Ok(Exit::Success)
}

/// The command tree the pages describe: without the `help` subcommand, which `--help` already
/// is; built, so each subcommand knows its full name (`entitle-validate`).
fn command() -> Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Writes the page of `cmd` and of each of its visible subcommands, recursively; returns their
/// paths, the command's own first.
fn write_pages(cmd: Command, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let subcommands: Vec<Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    let page = Man::new(cmd);
    let path = dir.join(page.get_filename());
    let mut pages = vec![
        page.generate_to(dir)
            .with_context(|| format!("cannot write {}", path.display()))?,
    ];
    for sub in subcommands {
        pages.extend(write_pages(sub, dir)?);
    }
    Ok(pages)
}
