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
    /// `text` (for people), `json` (one document on stdout), or `github` (the text on stderr,
    /// plus one `::error` workflow command per problem on stdout, which GitHub Actions shows
    /// as annotations on the pull request's lines).
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    pub format: ValidateFormat,
}

/// How `validate` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidateFormat {
    Text,
    Json,
    Github,
}

/// A GitHub workflow command's data, escaped as the runner expects.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A GitHub workflow command's property value, escaped.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn run(global: &GlobalArgs, args: ValidateArgs) -> anyhow::Result<Exit> {
    let result = manifest::load(&args.paths);
    if args.format == ValidateFormat::Json {
        let (valid, files, pbxs, problems) = match &result {
            Ok(l) => (true, l.files.len(), l.pbxs.len(), Vec::new()),
            Err(d) => (false, d.file_count(), 0, d.0.iter().collect::<Vec<_>>()),
        };
        let doc = serde_json::json!({
            "format_version": "1.0",
            "valid": valid,
            "files": files,
            "pbxs": pbxs,
            "problems": problems.iter().map(|p| serde_json::json!({
                "file": p.at.as_ref().map(|a| a.file.to_string()),
                "line": p.at.as_ref().map(|a| a.line),
                "column": p.at.as_ref().map(|a| a.column),
                "message": p.message,
                "help": p.help,
            })).collect::<Vec<_>>(),
        });
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
        return Ok(if valid { Exit::Success } else { Exit::Error });
    }
    if args.format == ValidateFormat::Github
        && let Err(problems) = &result
    {
        let mut out = std::io::stdout().lock();
        for p in &problems.0 {
            let text = match &p.help {
                Some(h) => format!("{} (help: {h})", p.message),
                None => p.message.clone(),
            };
            match &p.at {
                Some(at) => writeln!(
                    out,
                    "::error file={},line={},col={},title=entitle validate::{}",
                    gh_property(&at.file),
                    at.line,
                    at.column,
                    gh_data(&text)
                )?,
                None => writeln!(out, "::error title=entitle validate::{}", gh_data(&text))?,
            }
        }
    }
    match result {
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
