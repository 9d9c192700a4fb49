//! `entitle validate`'s formats: the one-line verdict for people, the JSON document, and GitHub
//! workflow commands that annotate a pull request's lines. (SARIF is `sarif.rs`; the problems
//! as text are `diagnostics.rs`.)

use std::io::{self, Write};

use super::plural;
use super::write_diagnostics;
use crate::manifest::{Diagnostic, Diagnostics, LoadedManifests};

/// The version of `--format json`'s document (`docs/diagnostics.md`): a change that breaks
/// readers bumps it; fields may be added within a version.
const VALIDATE_FORMAT_VERSION: &str = "1.0";

/// The verdict on valid manifests: `3 files, 4 PBXs: valid`.
pub(crate) fn write_valid(loaded: &LoadedManifests, w: &mut impl Write) -> io::Result<()> {
    writeln!(
        w,
        "{}, {}: valid",
        plural(loaded.files.len(), "file", "files"),
        plural(loaded.pbxs.len(), "PBX", "PBXs")
    )
}

/// Every problem (as [`write_diagnostics`] shows them), then how many, in how many files.
pub(crate) fn write_invalid(
    problems: &Diagnostics,
    color: bool,
    w: &mut impl Write,
) -> io::Result<()> {
    write_diagnostics(problems, &[], color, w)?;
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
    writeln!(w, "{summary}")
}

/// The JSON document (`--format json`), pretty-printed with a final newline.
pub(crate) fn write_validation_json(
    result: &Result<LoadedManifests, Diagnostics>,
    w: &mut impl Write,
) -> io::Result<()> {
    let (files, pbxs, problems): (usize, usize, &[Diagnostic]) = match result {
        Ok(l) => (l.files.len(), l.pbxs.len(), &[]),
        Err(d) => (d.file_count(), 0, &d.0),
    };
    let doc = serde_json::json!({
        "format_version": VALIDATE_FORMAT_VERSION,
        "valid": result.is_ok(),
        "files": files,
        "pbxs": pbxs,
        "problems": problems,
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
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

/// One `::error` workflow command per problem, titled with its code.
pub(crate) fn write_github_annotations(
    problems: &[Diagnostic],
    w: &mut impl Write,
) -> io::Result<()> {
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
            w,
            "::error {place}title={}::{}",
            gh_property(p.code.as_str()),
            gh_data(&p.message_with_help())
        )?;
    }
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
