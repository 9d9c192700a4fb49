//! Manifests: the v1 model (serde + schemars), loading files and directories, located
//! diagnostics (as data: the binary's `render` prints them as text, snippets, JSON, GitHub
//! annotations and SARIF), and validation against the published JSON Schema.
//!
//! Loading one file, step by step (each step's problems are all collected, across all files):
//! 1. `sources`: found on disk, refused over 8 MiB before reading, checked to be UTF-8;
//! 2. `yaml` (the only module that knows the YAML library): parsed under tight budgets into
//!    a positioned tree, which is the file's position map (`node`);
//! 3. `schema`: the tree's JSON value checked against the published schema, every error
//!    located through the position map and worded with a suggestion where one is close;
//! 4. `resolve`: how values were written, decoding into [`v1`] types, `defaults`, the rules a
//!    schema cannot express, and finally duplicates of `(sn, product)` across all files.

mod check;
mod desired;
mod diagnostic;
mod node;
mod policy_file;
mod resolve;
mod schema;
mod sources;
mod suggest;
pub mod v1;
mod yaml;

use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use desired::{CatalogRef, ContactRef, DEFAULT_RENEW_BEFORE_DAYS, DesiredPbx, Loc, Located};
pub use diagnostic::{Code, Diagnostic, Diagnostics};
pub use policy_file::policy_schema_json;
pub use schema::{SCHEMA_URL, schema_json};
pub use sources::MAX_FILE_BYTES;
pub use suggest::suggest;

/// Where manifests are read from when no path is given.
pub const DEFAULT_DIR: &str = "manifests";

/// Every manifest of a run, checked and resolved.
#[derive(Debug, Clone)]
pub struct LoadedManifests {
    /// One entry per `(sn, product)`, in file order then entry order; defaults applied.
    pub pbxs: Vec<DesiredPbx>,
    /// The files read, sorted by path.
    pub files: Vec<SourceFile>,
    /// The policy files at the roots of the paths (`entitle.policy.yaml`), in path order.
    pub policies: Vec<crate::policy::Policy>,
    /// SHA-256 (hex) over the files, sorted by path: each file's displayed path, a NUL byte,
    /// its length as 8 little-endian bytes, its bytes. Saved plans record it.
    pub hash: String,
}

/// A manifest file as read.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The path as shown in [`Loc::file`] (as given on the command line, joined with the
    /// file's path inside a directory).
    pub display: Arc<str>,
    pub text: String,
}

/// Loads every manifest under `paths` (files, or directories searched recursively for
/// `*.yaml`/`*.yml`); no paths means [`DEFAULT_DIR`]. Either every file is valid and every PBX
/// resolved, or all the problems of all the files are returned, sorted by place.
pub fn load(paths: &[PathBuf]) -> Result<LoadedManifests, Diagnostics> {
    let default = [PathBuf::from(DEFAULT_DIR)];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let sources::Discovered {
        manifests,
        policies: below,
        mut problems,
    } = sources::discover(paths);
    let mut raw = Vec::with_capacity(manifests.len());
    for f in manifests {
        match sources::read(&f) {
            Ok(bytes) => raw.push((f.path, f.display, bytes)),
            Err(d) => problems.push(d),
        }
    }
    let policies = match policy_file::load(paths, &below) {
        Ok(p) => p,
        Err(mut d) => {
            problems.append(&mut d);
            Vec::new()
        }
    };
    let mut loaded = load_raw(raw, problems)?;
    let mistaken = policy_file::mistaken_customers(&policies, &loaded.pbxs);
    if !mistaken.is_empty() {
        return Err(Diagnostics(mistaken));
    }
    loaded.policies = policies.into_iter().map(|(p, _)| p).collect();
    Ok(loaded)
}

/// The policy files that hold `paths` (see [`load`]), without the manifests: what a saved
/// plan's paths hold now, when they are there.
pub fn load_policies(paths: &[PathBuf]) -> Result<Vec<crate::policy::Policy>, Diagnostics> {
    policy_file::load(paths, &sources::discover(paths).policies)
        .map(|found| found.into_iter().map(|(p, _)| p).collect())
        .map_err(|d| {
            let mut d = Diagnostics(d);
            d.sort();
            d
        })
}

/// Loads manifests given as `(name, bytes)` instead of files: for tests, the fuzzer, and
/// tools that hold manifests in memory. Names play the role of paths.
pub fn load_from_memory(files: &[(&str, &[u8])]) -> Result<LoadedManifests, Diagnostics> {
    let mut raw: Vec<_> = files
        .iter()
        .map(|(name, bytes)| (PathBuf::from(name), Arc::<str>::from(*name), bytes.to_vec()))
        .collect();
    raw.sort_by(|a, b| a.0.cmp(&b.0));
    load_raw(raw, Vec::new())
}

/// Why a manifest could not be written as YAML.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the manifest as YAML: {0}")]
pub struct WriteError(String);

/// A manifest as YAML text, for `entitle export`: the schema line, then the manifest. Reads
/// back to the same values through [`load`].
pub fn to_yaml(manifest: &v1::Manifest, schema_path: Option<&str>) -> Result<String, WriteError> {
    let body = yaml::to_string(manifest).map_err(WriteError)?;
    Ok(match schema_path {
        Some(p) => format!("# yaml-language-server: $schema={p}\n{body}"),
        None => body,
    })
}

/// The JSON value of a manifest's YAML as the schema sees it (YAML 1.2 core scalars, merge
/// keys applied), for checking a manifest against `schema/manifest.schema.json` with another
/// tool. `name` names the text in problems.
pub fn document_json(name: &str, text: &str) -> Result<serde_json::Value, Diagnostics> {
    let file: Arc<str> = Arc::from(name);
    let to_diag = |p: yaml::YamlProblem| {
        let mut d = Diagnostic::new(
            p.code,
            Some(Loc {
                file: file.clone(),
                line: p.at.line,
                column: p.at.column,
            }),
            p.message,
        );
        d.help = p.help;
        d
    };
    let parsed = yaml::parse(text).map_err(|p| Diagnostics(vec![to_diag(p)]))?;
    if !parsed.problems.is_empty() {
        return Err(Diagnostics(
            parsed.problems.into_iter().map(to_diag).collect(),
        ));
    }
    Ok(parsed.root.map_or(serde_json::Value::Null, |r| r.to_json()))
}

fn hash(raw: &[(PathBuf, Arc<str>, Vec<u8>)]) -> String {
    let mut h = Sha256::new();
    for (_, display, bytes) in raw {
        h.update(display.as_bytes());
        h.update([0u8]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn load_raw(
    raw: Vec<(PathBuf, Arc<str>, Vec<u8>)>,
    mut problems: Vec<Diagnostic>,
) -> Result<LoadedManifests, Diagnostics> {
    let hash = hash(&raw);
    let mut files = Vec::with_capacity(raw.len());
    let mut pbxs = Vec::new();
    for (path, display, bytes) in raw {
        let text = match sources::decode(&display, bytes) {
            Ok(t) => t,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        let outcome = load_text(&display, &text);
        pbxs.extend(outcome.pbxs);
        problems.extend(outcome.problems);
        files.push(SourceFile {
            path,
            display,
            text,
        });
    }
    problems.extend(resolve::duplicates(&pbxs));
    if problems.is_empty() {
        Ok(LoadedManifests {
            pbxs,
            files,
            policies: Vec::new(),
            hash,
        })
    } else {
        let mut d = Diagnostics(problems);
        d.sort();
        Err(d)
    }
}

/// Parses, validates and resolves one file's text.
fn load_text(display: &Arc<str>, text: &str) -> resolve::FileOutcome {
    let loc = |line, column| Loc {
        file: display.clone(),
        line,
        column,
    };
    let fail = |d: Diagnostic| resolve::FileOutcome {
        pbxs: Vec::new(),
        problems: vec![d],
    };
    let parsed = match yaml::parse(text) {
        Ok(p) => p,
        Err(p) => {
            let mut d = Diagnostic::new(p.code, Some(loc(p.at.line, p.at.column)), p.message);
            d.help = p.help;
            return fail(d);
        }
    };
    let mut problems: Vec<Diagnostic> = parsed
        .problems
        .into_iter()
        .map(|p| {
            let mut d = Diagnostic::new(p.code, Some(loc(p.at.line, p.at.column)), p.message);
            d.help = p.help;
            d
        })
        .collect();
    let Some(root) = parsed.root else {
        return fail(
            Diagnostic::new(
                Code::EmptyFile,
                Some(loc(1, 1)),
                "the file holds no manifest (it is empty)",
            )
            .with_help("a manifest starts with `version: 1` and lists PBXs under `pbxs:`"),
        );
    };
    let doc = root.to_json();
    let map = node::PositionMap::new(root);
    let schema_problems = schema::validate(&doc, &map, display);
    let mut outcome = resolve::resolve_file(display, &map, &doc, schema_problems);
    problems.append(&mut outcome.problems);
    outcome.problems = problems;
    outcome
}

#[cfg(test)]
mod tests;
