//! `entitle validate`: load the manifests offline (syntax, schema, rules), print a one-line
//! summary when they are valid, or every problem with its `file:line:column` when not.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::{Exit, GlobalArgs};
use crate::manifest;
use crate::words::plural;

/// The long `--help` text (set on the subcommand in `cli/mod.rs`).
pub const LONG_ABOUT: &str = "Check manifests offline: YAML syntax, the JSON Schema, and the rules the schema \
        cannot express (defaults, monthly billing has no multi-year term, Cloud PBX capacity \
        5..500, SNs YAML would change, an (sn, product) pair declared twice across files). \
        No network, no credentials.\n\n\
        On success prints a summary such as `3 files, 4 PBXs: valid` to stdout. Otherwise every \
        problem of every file goes to stderr as `error: FILE:LINE:COLUMN: message`, with a \
        `help:` line where there is a likely fix.";

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Manifest files, or directories searched recursively for *.yaml and *.yml (hidden
    /// entries skipped) [default: manifests/]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

pub fn run(global: &GlobalArgs, args: ValidateArgs) -> anyhow::Result<Exit> {
    match manifest::load(&args.paths) {
        Ok(loaded) => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{}, {}: valid",
                plural(loaded.files.len(), "file", "files"),
                plural(loaded.pbxs.len(), "PBX", "PBXs")
            )?;
            out.flush()?;
            Ok(Exit::Success)
        }
        Err(problems) => {
            let stderr = std::io::stderr();
            let color = super::config::use_color(global, stderr.is_terminal());
            let mut err = stderr.lock();
            problems.render(&[], &mut err, color)?;
            let files = problems.file_count();
            let summary = format!(
                "validation failed: {}{}",
                plural(problems.len(), "problem", "problems"),
                if files > 0 {
                    format!(" in {}", plural(files, "file", "files"))
                } else {
                    String::new()
                }
            );
            writeln!(err, "{summary}")?;
            Ok(Exit::Error)
        }
    }
}
