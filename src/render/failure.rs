//! A plan that failed, as a document: `plan --format markdown` and `--format json` print one
//! on stdout when there is no plan, so CI can post why (the PR comment replaces the last plan
//! instead of leaving it up looking current). The text output stays on stderr as usual.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::json;

use super::markdown::{Linker, MarkdownOptions, esc, fill};
use crate::manifest::Diagnostic;
use crate::words::plural;

/// Why there is no plan: a message, and the located problems when the manifests (or the
/// plan's rules) were refused.
pub(crate) struct Failure<'a> {
    pub exit_code: u8,
    pub message: &'a str,
    pub problems: &'a [Diagnostic],
}

pub(crate) fn write_failure_json(f: &Failure, w: &mut impl Write) -> io::Result<()> {
    let doc = json!({
        "format_version": crate::plan::FORMAT_VERSION,
        "error": {
            "exit_code": f.exit_code,
            "message": f.message,
            // Each problem as `validate --format json` prints it (`Diagnostic`'s serialization).
            "problems": f.problems,
        },
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

pub(crate) fn write_failure_markdown(
    f: &Failure,
    opts: &MarkdownOptions,
    w: &mut impl Write,
) -> io::Result<()> {
    let link = Linker::new(opts);
    let mut doc = String::new();
    let _ = writeln!(doc, "### entitle plan failed (exit {})", f.exit_code);
    let _ = writeln!(doc);
    let _ = writeln!(doc, "{}", esc(f.message));
    let foot = "\n<sub>no plan · nothing was sent</sub>\n";
    if !f.problems.is_empty() {
        let _ = writeln!(doc);
        // A comment past GitHub's limit is refused and the last one stays up: list what fits,
        // and count the rest (the job log and the annotations have them all).
        let room = opts.max_chars.saturating_sub(foot.len() + 200);
        let items: Vec<String> = f
            .problems
            .iter()
            .map(|p| {
                let at =
                    p.at.as_ref()
                        .map(|a| format!("{}: ", link.at(a)))
                        .unwrap_or_default();
                let help = p
                    .help
                    .as_ref()
                    .map(|h| format!(" — help: {}", esc(h)))
                    .unwrap_or_default();
                format!("- {at}{}{help}\n", esc(&p.message))
            })
            .collect();
        fill(&mut doc, &items, room, |i| {
            let more = items.len() - i;
            format!(
                "- … and {}: the job log lists every one\n",
                plural(more, "more problem", "more problems")
            )
        });
    }
    doc.push_str(foot);
    w.write_all(doc.as_bytes())
}
