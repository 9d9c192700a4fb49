//! `entitle validate`: load the manifests offline (syntax, schema, rules), and have `render`
//! print a one-line summary when they are valid, or every problem with its
//! `file:line:column` when not, in the format asked for.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueHint};

use super::output::Output;
use super::{Exit, GlobalArgs};
use crate::manifest::{self, Diagnostic};
use crate::render;

/// The long `--help` text (set on the subcommand in `cli/mod.rs`).
pub const LONG_ABOUT: &str = "Check manifests offline: YAML syntax, the JSON Schema, and the rules the schema \
        cannot express (defaults, monthly billing has no multi-year term, Cloud PBX capacity \
        5..500, SNs YAML would change, an (sn, product) pair declared twice across files). \
        No network, no credentials.\n\n\
        On success prints a summary such as `3 files, 4 PBXs: valid` to stdout. Otherwise every \
        problem of every file goes to stderr as `error: FILE:LINE:COLUMN: message [code]`, with \
        a `help:` line where there is a likely fix. The code names the kind of problem; \
        docs/diagnostics.md lists them all, and documents `--format json` and `--format sarif`.";

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Manifest files, or directories searched recursively for *.yaml and *.yml (hidden
    /// entries skipped) [default: manifests/]
    #[arg(value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,
    /// `text` (for people), `json` (one document on stdout), `github` (the text on stderr,
    /// plus one `::error` workflow command per problem on stdout, which GitHub Actions shows
    /// as annotations on the pull request's lines), or `sarif` (a SARIF 2.1.0 log on stdout,
    /// for code scanning). Every problem carries a stable code: docs/diagnostics.md.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    pub format: ValidateFormat,
}

/// How `validate` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidateFormat {
    Text,
    Json,
    Github,
    Sarif,
}

pub fn run(global: &GlobalArgs, args: ValidateArgs) -> anyhow::Result<Exit> {
    let result = manifest::load(&args.paths);
    let exit = if result.is_ok() {
        Exit::Success
    } else {
        Exit::Error
    };
    let problems: &[Diagnostic] = match &result {
        Ok(_) => &[],
        Err(d) => &d.0,
    };
    let mut out = Output::stdout();
    match args.format {
        ValidateFormat::Json => {
            render::write_validation_json(&result, &mut out)?;
            out.flush()?;
            return Ok(exit);
        }
        ValidateFormat::Sarif => {
            let cwd = std::env::current_dir()
                .context("cannot name the files relative to the current directory")?;
            render::write_sarif(problems, &cwd, &mut out)?;
            out.flush()?;
            return Ok(exit);
        }
        ValidateFormat::Github => render::write_github_annotations(problems, &mut out)?,
        ValidateFormat::Text => {}
    }
    match result {
        Ok(loaded) => {
            render::write_valid(&loaded, &mut out)?;
            out.flush()?;
            Ok(Exit::Success)
        }
        Err(problems) => {
            let stderr = std::io::stderr();
            let color = super::config::use_color(global, stderr.is_terminal());
            render::write_invalid(&problems, color, &mut stderr.lock())?;
            Ok(Exit::Error)
        }
    }
}
