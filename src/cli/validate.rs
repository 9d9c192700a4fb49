//! `entitle validate`: load the manifests offline (syntax, schema, rules), print a one-line
//! summary when they are valid, or every problem with its `file:line:column` when not.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueHint};

use super::output::Output;
use super::{Exit, GlobalArgs};
use crate::manifest::{self, Diagnostic};
use crate::words::plural;

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

/// The version of `--format json`'s document (`docs/diagnostics.md`): a change that breaks
/// readers bumps it; fields may be added within a version.
const JSON_FORMAT_VERSION: &str = "1.0";

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

/// One `::error` workflow command per problem, titled with its code.
fn write_github(problems: &[Diagnostic], out: &mut impl Write) -> std::io::Result<()> {
    for p in problems {
        let place = match &p.at {
            Some(at) => format!(
                "file={},line={},col={},",
                gh_property(&at.file),
                at.line,
                at.column
            ),
            // A problem without a place is shown on the file it is about, when there is one.
            None => p
                .path
                .as_ref()
                .map(|path| format!("file={},", gh_property(path)))
                .unwrap_or_default(),
        };
        writeln!(
            out,
            "::error {place}title={}::{}",
            gh_property(p.code.as_str()),
            gh_data(&p.message_with_help())
        )?;
    }
    Ok(())
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
    match args.format {
        ValidateFormat::Json => {
            let (files, pbxs) = match &result {
                Ok(l) => (l.files.len(), l.pbxs.len()),
                Err(d) => (d.file_count(), 0),
            };
            let doc = serde_json::json!({
                "format_version": JSON_FORMAT_VERSION,
                "valid": result.is_ok(),
                "files": files,
                "pbxs": pbxs,
                "problems": problems,
            });
            return print_json(&doc).map(|()| exit);
        }
        ValidateFormat::Sarif => {
            let cwd = std::env::current_dir()
                .context("cannot name the files relative to the current directory")?;
            return print_json(&manifest::sarif_log(problems, &cwd)).map(|()| exit);
        }
        ValidateFormat::Github => write_github(problems, &mut Output::stdout())?,
        ValidateFormat::Text => {}
    }
    match result {
        Ok(loaded) => {
            let mut out = Output::stdout();
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

/// A JSON document on stdout, pretty-printed, with a final newline.
fn print_json(doc: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = Output::stdout();
    serde_json::to_writer_pretty(&mut out, doc)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{gh_data, gh_property};

    #[test]
    fn workflow_command_values_are_escaped_as_the_runner_reads_them() {
        assert_eq!(gh_data("50% off\r\nnext"), "50%25 off%0D%0Anext");
        assert_eq!(
            gh_property("dir,a:b/c.yaml"),
            "dir%2Ca%3Ab/c.yaml",
            "a comma or a colon would end the property"
        );
        assert_eq!(gh_property("100%\n"), "100%25%0A");
    }
}
