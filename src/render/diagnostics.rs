//! Manifest diagnostics for people: the plain one-line-per-problem text (CI logs, editors and
//! tests parse `file:line:column`), or, with colour on a terminal, rustc-style snippets with the
//! source line underlined (annotate-snippets).

use std::io::{self, Write};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::manifest::{Diagnostics, Loc, MAX_FILE_BYTES, SourceFile};

/// Writes every problem. Without colour: the plain format of `Display` (stable for
/// logs and tests). With colour: each problem with its source line underlined, taking the
/// text from `files` or, for a file not among them, from disk.
/// A plan the vendor's rules refuse: every problem, then how many and that nothing happened.
pub(crate) fn write_plan_refused(
    problems: &Diagnostics,
    files: &[SourceFile],
    color: bool,
    w: &mut impl Write,
) -> io::Result<()> {
    write_diagnostics(problems, files, color, w)?;
    writeln!(
        w,
        "{}; nothing was planned and nothing was sent",
        crate::words::plural(problems.0.len(), "plan error", "plan errors")
    )
}

/// A plan's wrong manifest entries (an SN the account does not have), shown as every plan
/// error is, then what they mean for the run: the other PBXs are planned (`plan`), but no
/// order is placed (`apply`, `sent` = false: nothing was).
pub(crate) fn write_plan_errors(
    plan: &crate::plan::Plan,
    files: &[SourceFile],
    color: bool,
    applying: bool,
    w: &mut impl Write,
) -> io::Result<()> {
    if !plan.has_errors() {
        return Ok(());
    }
    write_diagnostics(&plan.diagnostics(), files, color, w)?;
    let n = crate::words::plural(plan.errors.len(), "plan error", "plan errors");
    if applying {
        writeln!(w, "{n}; nothing was sent: fix the manifests and run again")
    } else if plan.pbxs.is_empty() {
        writeln!(
            w,
            "{n}; no order of this plan can be applied until the manifests are fixed"
        )
    } else {
        writeln!(
            w,
            "{n}; the other PBXs are planned, but no order of this plan can be applied until the manifests are fixed"
        )
    }
}

pub(crate) fn write_diagnostics(
    problems: &Diagnostics,
    files: &[SourceFile],
    color: bool,
    w: &mut impl Write,
) -> io::Result<()> {
    if !color {
        return writeln!(w, "{problems}");
    }
    let renderer = Renderer::styled();
    for d in &problems.0 {
        let source = d.at.as_ref().and_then(|at| source_line(files, at));
        let title = match (&d.at, &source) {
            (Some(at), None) => format!("{at}: {}", d.message),
            _ => d.message.clone(),
        };
        let mut group = Group::with_title(
            Level::ERROR
                .primary_title(title.as_str())
                .id(d.code.as_str()),
        );
        if let (Some(at), Some((line, span))) = (&d.at, &source) {
            group = group.element(
                Snippet::source(line.as_str())
                    .line_start(at.line)
                    .path(&*at.file)
                    .annotation(AnnotationKind::Primary.span(span.clone())),
            );
        }
        let mut report = vec![group];
        if let Some(h) = &d.help {
            report.push(Group::with_title(Level::HELP.secondary_title(h.as_str())));
        }
        writeln!(w, "{}\n", renderer.render(&report))?;
    }
    Ok(())
}

/// The line `at` points into, and the byte range of the token that starts there.
fn source_line(files: &[SourceFile], at: &Loc) -> Option<(String, std::ops::Range<usize>)> {
    let owned;
    let text = match files.iter().find(|f| *f.display == *at.file) {
        Some(f) => f.text.as_str(),
        None => {
            owned = read_small(&at.file)?;
            owned.as_str()
        }
    };
    let line = text.lines().nth(at.line.checked_sub(1)?)?;
    let start = line
        .char_indices()
        .nth(at.column.saturating_sub(1))
        .map_or(line.len(), |(b, _)| b);
    Some((line.to_owned(), start..token_end(line, start)))
}

fn read_small(path: &str) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES as u64 {
        return None;
    }
    String::from_utf8(std::fs::read(path).ok()?).ok()
}

/// Where the token starting at `start` ends: a quoted scalar at its closing quote; otherwise
/// before `: `, ` #`, the end of the line, or (inside `[...]`/`{...}`) a flow indicator.
fn token_end(line: &str, start: usize) -> usize {
    let rest = &line[start..];
    let mut chars = rest.char_indices().peekable();
    match rest.chars().next() {
        None => return start,
        Some(q @ ('"' | '\'')) => {
            chars.next();
            let mut escaped = false;
            for (i, c) in chars {
                if q == '"' && c == '\\' && !escaped {
                    escaped = true;
                    continue;
                }
                if c == q && !escaped {
                    return start + i + 1;
                }
                escaped = false;
            }
            return line.len();
        }
        _ => {}
    }
    let in_flow =
        line[..start].matches(['[', '{']).count() > line[..start].matches([']', '}']).count();
    let mut end = rest.len();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|(_, n)| *n);
        let stop = (c == ':' && matches!(next, None | Some(' ') | Some('\t')))
            || (c == ' ' && next == Some('#'))
            || (in_flow && matches!(c, ',' | ']' | '}'));
        if stop {
            end = i;
            break;
        }
    }
    start + rest[..end].trim_end().len()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use indoc::indoc;

    use super::*;
    use crate::manifest::{Code, Diagnostic};
    use crate::testing::{place as loc, two_problems};

    #[test]
    fn without_colour_the_plain_format_is_written() {
        let d = two_problems();
        let mut out = Vec::new();
        write_diagnostics(&d, &[], false, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), format!("{d}\n"));
    }

    #[test]
    fn tokens_are_underlined_whole() {
        let l = "    extentions: 300  # total";
        assert_eq!(&l[4..token_end(l, 4)], "extentions");
        assert_eq!(&l[16..token_end(l, 16)], "300");
        let l = "labels: {site: hq, customer: \"Acme, Inc.\"}";
        assert_eq!(&l[15..token_end(l, 15)], "hq");
        assert_eq!(&l[29..token_end(l, 29)], "\"Acme, Inc.\"");
        let l = "  plan: Enterprise Plan";
        assert_eq!(&l[8..token_end(l, 8)], "Enterprise Plan");
        assert_eq!(token_end(l, l.len()), l.len());
    }

    #[test]
    fn colour_rendering_shows_the_source_line() {
        let files = [SourceFile {
            path: "m/acme.yaml".into(),
            display: Arc::from("m/acme.yaml"),
            text: indoc! {"
                version: 1
                pbxs:
                  - sn: 1
                    extentions: 3
            "}
            .into(),
        }];
        let d = Diagnostics(vec![
            Diagnostic::new(
                Code::UnknownField,
                Some(loc(4, 5)),
                "unknown field `extentions`",
            )
            .with_help("did you mean `extensions`?"),
        ]);
        let mut out = Vec::new();
        write_diagnostics(&d, &files, true, &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("[unknown-field]"), "{s}");
        assert!(s.contains("extentions: 3"), "{s}");
        assert!(s.contains("m/acme.yaml:4:5"), "{s}");
        assert!(s.contains("did you mean `extensions`?"), "{s}");
        assert!(s.contains('\u{1b}'), "{s}");
    }
}
