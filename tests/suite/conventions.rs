//! The conventions of a command-line tool, checked with the real programs that use them: bash
//! completion (the generated script sourced in bash, its function called as bash calls it at
//! TAB) and the man pages (rendered by groff).

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::entitle;

/// What the completion function offers for `line` (the cursor at its end), run in `dir`.
fn complete(script: &Path, dir: &Path, line: &str) -> Vec<String> {
    let mut words: Vec<&str> = line.split(' ').collect();
    if words.last() == Some(&"") {
        words.pop();
        words.push("");
    }
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        r#"source "$1" || exit 3
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
_entitle entitle "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}" 2>/dev/null
printf '%s\n' "${{COMPREPLY[@]}}""#,
        words = quoted.join(" "),
        cword = words.len() - 1,
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program, "complete"])
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut offered: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    offered.sort();
    offered
}

#[test]
fn bash_completes_paths_where_paths_belong_and_products_after_product() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("manifests")).unwrap();
    fs::write(d.join("manifests/acme.yaml"), "version: 1\npbxs: []\n").unwrap();
    fs::write(d.join("notes.txt"), "").unwrap();
    let out = entitle().args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let script = d.join("entitle.bash");
    fs::write(&script, &out.stdout).unwrap();
    let complete = |line: &str| complete(&script, d, line);

    // A path positional: paths, never the options (whose common `-` TAB would insert).
    assert_eq!(complete("entitle validate ma"), ["manifests"]);
    assert_eq!(
        complete("entitle validate "),
        ["entitle.bash", "manifests", "notes.txt"]
    );
    assert_eq!(
        complete("entitle validate manifests/"),
        ["manifests/acme.yaml"]
    );
    assert_eq!(
        complete("entitle plan --format json manifests/a"),
        ["manifests/acme.yaml"]
    );
    assert_eq!(complete("entitle show no"), ["notes.txt"]);
    // Options after a `-`, and an option's values.
    assert!(complete("entitle validate --f").contains(&"--format".to_owned()));
    assert_eq!(
        complete("entitle validate --format "),
        ["github", "json", "sarif", "text"]
    );
    // Products, from the table of products, and no file names.
    assert_eq!(
        complete("entitle export --product "),
        ["appliance", "cloud-pbx", "linkus", "software-edition"]
    );
    assert_eq!(complete("entitle catalog --product cl"), ["cloud-pbx"]);
    // A value that is not a path offers nothing to insert (no file names).
    assert_eq!(complete("entitle plan --sn "), Vec::<String>::new());
    assert_eq!(complete("entitle plan --base-url no"), ["no"]);
    // A path option: paths.
    assert_eq!(complete("entitle plan -o no"), ["notes.txt"]);
}
