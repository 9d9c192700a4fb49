//! Finding and reading manifest files: paths given on the command line (files, or directories
//! searched recursively for `*.yaml`/`*.yml`), sorted and de-duplicated, each read under a size
//! limit and checked to be UTF-8 text before any YAML parser sees it. Only regular files are
//! opened: a FIFO, socket or device is refused from its metadata first, since opening a FIFO
//! for reading waits for a writer, forever if none comes.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::desired::Loc;
use super::diagnostic::{Code, Diagnostic};

/// The largest manifest file read (8 MiB, about 100,000 PBX entries' worth of YAML); a larger
/// one is refused before it is read.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// How deep directories are searched.
const MAX_DIR_DEPTH: usize = 32;

/// A manifest file found on disk, not yet read.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub path: PathBuf,
    pub display: Arc<str>,
}

fn display_of(p: &Path) -> Arc<str> {
    Arc::from(p.display().to_string())
}

fn is_policy_file(p: &Path) -> bool {
    p.file_name()
        .is_some_and(|n| n == crate::policy::POLICY_FILE)
}

fn is_manifest_name(p: &Path) -> bool {
    // The policy file beside the manifests is read as a policy (`policy_file`), not a manifest.
    if is_policy_file(p) {
        return false;
    }
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// What is under the paths given.
#[derive(Debug, Default)]
pub(super) struct Discovered {
    /// The manifest files, sorted by path, each once.
    pub manifests: Vec<Found>,
    /// The policy files in the directories below a directory given (not in it: that one is
    /// its paths' own), met on the same walk.
    pub policies: Vec<PathBuf>,
    pub problems: Vec<Diagnostic>,
}

/// The manifest files under `paths`, sorted by path, each once. A file named explicitly is
/// taken whatever its extension; inside directories only `*.yaml`/`*.yml` are, and hidden
/// entries (`.git`, `.github`, `.entitle`) are skipped.
pub(super) fn discover(paths: &[PathBuf]) -> Discovered {
    let mut found = Vec::new();
    let mut policies = Vec::new();
    let mut problems = Vec::new();
    for root in paths {
        let meta = match fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                problems.push(
                    Diagnostic::new(Code::Unreadable, None, format!("cannot read `{}`: {}", root.display(), io_reason(&e)))
                        .with_path(display_of(root))
                        .with_help(if paths.len() == 1 && root == Path::new(super::DEFAULT_DIR) {
                            "pass the manifest files or directories to read, e.g. `entitle validate manifests/examples`"
                        } else {
                            "check the path; manifests are `*.yaml`/`*.yml` files or directories holding them"
                        }),
                );
                continue;
            }
        };
        if let Some(kind) = special_kind(&meta) {
            problems.push(not_a_file(&display_of(root), kind));
        } else if meta.is_dir() {
            let before = found.len();
            walk(root, &mut found, &mut policies, &mut problems);
            if found.len() == before {
                problems.push(
                    Diagnostic::new(
                        Code::NoManifests,
                        None,
                        format!(
                            "no manifest files (`*.yaml`, `*.yml`) under `{}`",
                            root.display()
                        ),
                    )
                    .with_path(display_of(root))
                    .with_help("check the path, or pass the manifest files themselves"),
                );
            }
        } else if is_policy_file(root) {
            // Named itself: read as the policy of its directory.
        } else {
            found.push(Found {
                path: root.clone(),
                display: display_of(root),
            });
        }
    }
    // Only policy files named: they are read as the policy of the manifests beside them, and
    // there is no manifest to hold to it.
    if found.is_empty() && problems.is_empty() && paths.iter().any(|p| is_policy_file(p)) {
        let first = &paths[0];
        problems.push(
            Diagnostic::new(
                Code::NoManifests,
                None,
                format!(
                    "`{}` is a policy file, not a manifest: no manifest was given",
                    first.display()
                ),
            )
            .with_path(display_of(first))
            .with_help(
                "give the manifests it holds, e.g. their directory: the policy file beside them is read with them (and checked)",
            ),
        );
    }
    // The same file reached twice (a directory and a file in it) is read once.
    let mut seen = HashSet::new();
    found.retain(|f| seen.insert(fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone())));
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Discovered {
        manifests: found,
        policies,
        problems,
    }
}

fn walk(
    root: &Path,
    found: &mut Vec<Found>,
    policies: &mut Vec<PathBuf>,
    problems: &mut Vec<Diagnostic>,
) {
    let mut visited = HashSet::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        // Symlinked directories are followed, once each: a link cycle ends here.
        if !visited.insert(fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone())) {
            continue;
        }
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(
                    Diagnostic::new(
                        Code::Unreadable,
                        None,
                        format!(
                            "cannot read directory `{}`: {}",
                            dir.display(),
                            io_reason(&e)
                        ),
                    )
                    .with_path(display_of(&dir)),
                );
                continue;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths.into_iter().rev() {
            if is_hidden(&p) {
                continue;
            }
            match fs::metadata(&p) {
                Ok(m) if m.is_dir() => {
                    if depth + 1 < MAX_DIR_DEPTH {
                        stack.push((p, depth + 1));
                    } else {
                        problems.push(
                            Diagnostic::new(
                                Code::DirectoryTooDeep,
                                None,
                                format!(
                                    "`{}` is nested more than {MAX_DIR_DEPTH} directories deep; not searched",
                                    p.display()
                                ),
                            )
                            .with_path(display_of(&p)),
                        );
                    }
                }
                Ok(m) if m.is_file() && depth > 0 && is_policy_file(&p) => policies.push(p),
                Ok(m) if m.is_file() && is_manifest_name(&p) => found.push(Found {
                    display: display_of(&p),
                    path: p,
                }),
                // Named as a manifest but never opened: refused, not silently left out.
                Ok(m) if is_manifest_name(&p) => {
                    if let Some(kind) = special_kind(&m) {
                        problems.push(not_a_file(&display_of(&p), kind));
                    }
                }
                _ => {}
            }
        }
    }
}

/// What a path that is neither a regular file nor a directory is, for the message refusing it;
/// `None` for a regular file or a directory (links are followed: `meta` is `fs::metadata`'s).
fn special_kind(meta: &fs::Metadata) -> Option<&'static str> {
    if meta.is_file() || meta.is_dir() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
    }
    Some("neither a file nor a directory")
}

fn not_a_file(display: &Arc<str>, kind: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NotAFile,
        None,
        format!("`{display}` is not a regular file: it is {kind}"),
    )
    .with_path(display.clone())
    .with_help("manifests are `*.yaml`/`*.yml` files, or directories holding them")
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => {
            // The OS message without the "(os error N)" tail.
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s.to_lowercase(),
            }
        }
    }
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

fn too_large(display: &Arc<str>, size: Option<u64>) -> Diagnostic {
    let what = match size {
        Some(s) => format!("is {}", human_size(s)),
        None => "is larger than that".to_owned(),
    };
    Diagnostic::new(
        Code::FileTooLarge,
        None,
        format!(
            "`{display}` {what}; a manifest may be at most {} MiB",
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    )
    .with_path(display.clone())
    .with_help("split the fleet across several files (one per customer, for example)")
}

/// Reads a file's bytes, refusing before reading anything that is not a regular file or is
/// larger than [`MAX_FILE_BYTES`]; reading stops at the limit even if the file grows meanwhile.
/// What is not a regular file is refused before it is opened.
pub(super) fn read(f: &Found) -> Result<Vec<u8>, Diagnostic> {
    let cannot = |e: std::io::Error| {
        Diagnostic::new(
            Code::Unreadable,
            None,
            format!("cannot read `{}`: {}", f.display, io_reason(&e)),
        )
        .with_path(f.display.clone())
    };
    if let Some(kind) = special_kind(&fs::metadata(&f.path).map_err(cannot)?) {
        return Err(not_a_file(&f.display, kind));
    }
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Should the path become a FIFO between the look above and this open, the open still
        // returns at once, and the check below refuses it. A regular file ignores the flag.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(&f.path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(not_a_file(
            &f.display,
            special_kind(&meta).unwrap_or("a directory"),
        ));
    }
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(too_large(&f.display, Some(meta.len())));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(&f.display, None));
    }
    Ok(bytes)
}

/// The text of a file, or why it is not UTF-8 text (located at the first bad byte).
pub(super) fn decode(display: &Arc<str>, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    let start = Loc {
        file: display.clone(),
        line: 1,
        column: 1,
    };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(display, Some(bytes.len() as u64)));
    }
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    let utf32 = bytes.starts_with(&[0, 0, 0xFE, 0xFF]) || bytes.starts_with(&[0xFF, 0xFE, 0, 0]);
    if utf16 || utf32 {
        return Err(Diagnostic::new(
            Code::NotUtf8,
            Some(start),
            format!(
                "the file is {} text; manifests are UTF-8",
                if utf32 { "UTF-32" } else { "UTF-16" }
            ),
        )
        .with_help("save the file as UTF-8"));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let bad = e.as_bytes()[valid.len()];
            // `valid` is UTF-8 by construction, so this never loses text.
            let before = String::from_utf8_lossy(valid);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(Diagnostic::new(
                Code::NotUtf8,
                Some(Loc {
                    file: display.clone(),
                    line,
                    column,
                }),
                format!("the file is not UTF-8 text (byte 0x{bad:02X} cannot start a character)"),
            )
            .with_help("manifests are UTF-8 YAML text; is this a binary file or another encoding?"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disp(s: &str) -> Arc<str> {
        Arc::from(s)
    }

    #[test]
    fn invalid_utf8_is_located_at_the_first_bad_byte() {
        let e = decode(&disp("a.yaml"), b"version: 1\npbxs: \xC3\x28\n".to_vec()).unwrap_err();
        let at = e.at.unwrap();
        assert_eq!((at.line, at.column), (2, 7));
        assert!(e.message.contains("not UTF-8"), "{}", e.message);
    }

    #[test]
    fn utf16_is_named() {
        let e = decode(&disp("a.yaml"), vec![0xFF, 0xFE, b'v', 0]).unwrap_err();
        assert!(e.message.contains("UTF-16"), "{}", e.message);
    }

    #[test]
    fn discovery_is_recursive_sorted_and_skips_hidden_and_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("b/c")).unwrap();
        fs::create_dir_all(d.join(".github")).unwrap();
        for f in [
            "b/c/z.yml",
            "b/a.yaml",
            "top.YAML",
            "notes.txt",
            ".github/ci.yml",
            ".hidden.yaml",
        ] {
            fs::write(d.join(f), "x: 1\n").unwrap();
        }
        let Discovered {
            manifests: found,
            problems,
            ..
        } = discover(&[d.to_path_buf(), d.join("b/a.yaml")]);
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<String> = found
            .iter()
            .map(|f| f.path.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["b/a.yaml", "b/c/z.yml", "top.YAML"]);
    }

    #[test]
    fn missing_paths_and_empty_directories_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let Discovered {
            manifests: found,
            problems,
            ..
        } = discover(&[dir.path().join("nope"), dir.path().to_path_buf()]);
        assert!(found.is_empty());
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0].message.contains("no such file or directory"),
            "{}",
            problems[0].message
        );
        assert!(
            problems[1].message.contains("no manifest files"),
            "{}",
            problems[1].message
        );
    }

    #[cfg(unix)]
    fn mkfifo(p: &Path) {
        let ok = std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mkfifo {}", p.display());
    }

    /// Runs `f` on a thread, failing (not hanging) if it takes more than 30 seconds: opening a
    /// FIFO for reading waits for a writer.
    #[cfg(unix)]
    fn within_30s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()).unwrap());
        rx.recv_timeout(std::time::Duration::from_secs(30))
            .expect("blocked: a FIFO was opened")
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_given_or_found_is_refused_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        fs::create_dir(d.join("m")).unwrap();
        fs::write(d.join("m/a.yaml"), "x: 1\n").unwrap();
        mkfifo(&d.join("given.fifo"));
        mkfifo(&d.join("m/pipe.yaml"));
        mkfifo(&d.join("m/pipe.log"));
        let Discovered {
            manifests: found,
            problems,
            ..
        } = within_30s({
            let d = d.clone();
            move || discover(&[d.join("given.fifo"), d.join("m")])
        });
        let found: Vec<&Path> = found
            .iter()
            .map(|f| f.path.strip_prefix(&d).unwrap())
            .collect();
        assert_eq!(found, [Path::new("m/a.yaml")]);
        let said: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        assert_eq!(
            said,
            [
                format!(
                    "`{}` is not a regular file: it is a FIFO (named pipe)",
                    d.join("given.fifo").display()
                ),
                // One named as a manifest is refused; `pipe.log` is no manifest, left out.
                format!(
                    "`{}` is not a regular file: it is a FIFO (named pipe)",
                    d.join("m/pipe.yaml").display()
                ),
            ]
        );
        assert!(problems.iter().all(|p| p.code == Code::NotAFile));
        // Read directly (as if it had become a FIFO after discovery): refused, not waited on.
        let e = within_30s(move || {
            let p = d.join("given.fifo");
            read(&Found {
                display: display_of(&p),
                path: p,
            })
        })
        .unwrap_err();
        assert!(
            e.message
                .ends_with("is not a regular file: it is a FIFO (named pipe)"),
            "{}",
            e.message
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_by_its_kind() {
        let Discovered {
            manifests: found,
            problems,
            ..
        } = discover(&[PathBuf::from("/dev/null")]);
        assert!(found.is_empty());
        assert_eq!(
            problems[0].message,
            "`/dev/null` is not a regular file: it is a character device"
        );
    }

    #[test]
    fn oversized_files_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.yaml");
        let f = fs::File::create(&p).unwrap();
        f.set_len(50 * 1024 * 1024).unwrap();
        let e = read(&Found {
            display: display_of(&p),
            path: p,
        })
        .unwrap_err();
        assert!(
            e.message
                .contains("is 50.0 MiB; a manifest may be at most 8 MiB"),
            "{}",
            e.message
        );
    }
}
