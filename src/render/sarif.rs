//! Diagnostics as a SARIF 2.1.0 log (`entitle validate --format sarif`), the format code
//! scanning (GitHub, GitLab, Azure DevOps) imports: one run, a rule per code that occurs, and a
//! result per problem, located by a URI relative to the directory entitle ran in. Every result
//! has a location: GitHub refuses a whole upload when one has none ("expected at least one
//! location"), so a problem without a place is located at the file or directory it is about,
//! else at the directory entitle ran in.

use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::{Value, json};

use crate::manifest::{Code, Diagnostic};

/// The published SARIF 2.1.0 schema (OASIS, errata 01).
const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF log of `problems`, pretty-printed with a final newline. Files are named relative
/// to `cwd` (with the base `%SRCROOT%`, which code scanning takes to be the repository's root),
/// or by an absolute `file:` URI when they lie outside it.
pub(crate) fn write_sarif(
    problems: &[Diagnostic],
    cwd: &Path,
    w: &mut impl Write,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &sarif_log(problems, cwd))?;
    writeln!(w)
}

/// The log as a JSON value.
fn sarif_log(problems: &[Diagnostic], cwd: &Path) -> Value {
    let mut codes: Vec<Code> = problems.iter().map(|p| p.code).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "shortDescription": {"text": c.summary()},
                "help": {
                    "text": format!(
                        "{}. Every code is described in docs/diagnostics.md of entitle.",
                        capitalised(c.summary())
                    ),
                },
                "defaultConfiguration": {"level": "error"},
            })
        })
        .collect();
    let results: Vec<Value> = problems
        .iter()
        .map(|p| {
            let mut result = json!({
                "ruleId": p.code.as_str(),
                "ruleIndex": codes.binary_search(&p.code).unwrap_or_default(),
                "level": "error",
                "message": {"text": p.message_with_help()},
            });
            let physical = match (&p.at, &p.path) {
                (Some(at), _) => json!({
                    "artifactLocation": artifact(Path::new(&*at.file), cwd),
                    "region": {"startLine": at.line, "startColumn": at.column},
                }),
                // The whole file or directory: its first line, as code scanning shows a
                // location by its line.
                (None, path) => json!({
                    "artifactLocation": artifact(Path::new(path.as_deref().unwrap_or(".")), cwd),
                    "region": {"startLine": 1},
                }),
            };
            result["locations"] = json!([{"physicalLocation": physical}]);
            result
        })
        .collect();
    let mut driver = json!({
        "name": "entitle",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    // Only a real address: none is invented while the package names no repository.
    if let Some(uri) = option_env!("CARGO_PKG_REPOSITORY").filter(|u| !u.is_empty()) {
        driver["informationUri"] = json!(uri);
    }
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            // Columns count characters, as everywhere in entitle, not UTF-16 code units.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Where a file (or directory) is, as SARIF's `artifactLocation`; the working directory itself
/// is `.` (code scanning refuses an empty URI).
fn artifact(file: &Path, cwd: &Path) -> Value {
    let absolute = normalised(&cwd.join(file));
    match absolute.strip_prefix(normalised(cwd)) {
        Ok(relative) if relative.as_os_str().is_empty() => {
            json!({"uri": ".", "uriBaseId": "%SRCROOT%"})
        }
        Ok(relative) => json!({"uri": uri_path(relative), "uriBaseId": "%SRCROOT%"}),
        Err(_) => json!({"uri": format!("file://{}", uri_path(&absolute))}),
    }
}

/// `a/./b/../c` as `a/c`, without asking the file system (the file may not exist).
fn normalised(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A path as the path of a URI: segments joined by `/`, each percent-encoded but for RFC
/// 3986's unreserved characters.
fn uri_path(p: &Path) -> String {
    let mut out = String::new();
    for c in p.components() {
        match c {
            Component::RootDir => {}
            c => {
                if !out.is_empty() || p.has_root() {
                    out.push('/');
                }
                out.push_str(&crate::uri::segment(&c.as_os_str().to_string_lossy()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_relative_to_the_directory_entitle_ran_in() {
        let cwd = Path::new("/work/repo");
        let uri = |f: &str| artifact(Path::new(f), cwd);
        assert_eq!(
            uri("manifests/acme.yaml"),
            json!({"uri": "manifests/acme.yaml", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            uri("./manifests/../manifests/acme.yaml"),
            json!({"uri": "manifests/acme.yaml", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            uri("/work/repo/m/Acme Corp.yaml"),
            json!({"uri": "m/Acme%20Corp.yaml", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            uri("../other/ü.yaml"),
            json!({"uri": "file:///work/other/%C3%BC.yaml"})
        );
        assert_eq!(uri("/etc/m.yaml"), json!({"uri": "file:///etc/m.yaml"}));
        assert_eq!(uri("."), json!({"uri": ".", "uriBaseId": "%SRCROOT%"}));
        assert_eq!(
            uri("/work/repo"),
            json!({"uri": ".", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            uri("manifests/"),
            json!({"uri": "manifests", "uriBaseId": "%SRCROOT%"})
        );
    }

    #[test]
    fn a_problem_without_a_place_is_located_at_its_path_or_the_working_directory() {
        let cwd = Path::new("/work/repo");
        let problems = [
            Diagnostic::new(Code::NoManifests, None, "no manifest files under `m`").with_path("m"),
            Diagnostic::new(Code::Unreadable, None, "cannot read `/gone`").with_path("/gone"),
            Diagnostic::new(Code::InternalError, None, "something without a path"),
        ];
        let log = sarif_log(&problems, cwd);
        let locations: Vec<&Value> = log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["locations"])
            .collect();
        let at = |artifact: Value| json!([{"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": 1}}}]);
        assert_eq!(
            locations,
            [
                &at(json!({"uri": "m", "uriBaseId": "%SRCROOT%"})),
                &at(json!({"uri": "file:///gone"})),
                &at(json!({"uri": ".", "uriBaseId": "%SRCROOT%"})),
            ]
        );
    }
}
