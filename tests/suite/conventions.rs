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

/// The page names of `cmd` and its subcommands, recursively (`entitle`, `entitle-validate`, ...),
/// without `help`.
fn page_names(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
    let name = if prefix.is_empty() {
        cmd.get_name().to_owned()
    } else {
        format!("{prefix}-{}", cmd.get_name())
    };
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        page_names(sub, &name, out);
    }
    out.push(name);
}

/// `page` rendered as plain text by groff, which must find nothing wrong with it (every
/// warning but "cannot adjust line", a long word).
fn render(page: &Path) -> String {
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-Wbreak"])
        .arg(page)
        .env("GROFF_NO_SGR", "1")
        .output()
        .expect("groff renders the man pages (Debian: apt-get install groff-base)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "{}: {stderr}",
        page.display()
    );
    // Bold and underline are overstruck (`X\bX`, `_\bX`): keep the letters.
    let text = String::from_utf8(out.stdout).unwrap();
    let overstrike = regex::Regex::new(r".\x08").unwrap();
    overstrike.replace_all(&text, "").into_owned()
}

#[test]
fn man_pages_describe_every_command() {
    use clap::CommandFactory;
    let cli = entitle::cli::Cli::command();
    let mut names = Vec::new();
    page_names(&cli, "", &mut names);
    let subcommands: Vec<&str> = cli
        .get_subcommands()
        .map(|s| s.get_name())
        .filter(|n| *n != "help")
        .collect();
    assert!(subcommands.len() >= 13, "{subcommands:?}");

    // The main page on stdout, naming every subcommand's page.
    let out = entitle().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let roff = String::from_utf8(out.stdout).unwrap();
    assert!(roff.contains("\n.TH entitle 1 "), "{roff}");
    assert!(roff.contains("\n.SH SUBCOMMANDS\n"), "{roff}");
    for sub in &subcommands {
        assert!(roff.contains(&format!("\nentitle\\-{sub}(1)\n")), "{sub}");
    }
    assert!(!roff.contains("entitle\\-help(1)"));

    // --out: a page per command, listed on stdout.
    let dir = tempfile::tempdir().unwrap();
    let man1 = dir.path().join("share/man/man1");
    let out = entitle()
        .args(["man", "--out"])
        .arg(&man1)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let listed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut written: Vec<String> = fs::read_dir(&man1)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = names.iter().map(|n| format!("{n}.1")).collect();
    expected.sort();
    assert_eq!(written, expected);
    assert!(expected.contains(&"entitle-backend-migrate.1".to_owned()));
    let mut listed_names: Vec<String> = listed
        .iter()
        .map(|p| {
            let p = Path::new(p);
            assert_eq!(p.parent(), Some(man1.as_path()));
            p.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    listed_names.sort();
    assert_eq!(listed_names, expected);
    assert_eq!(fs::read_to_string(man1.join("entitle.1")).unwrap(), roff);

    // As man shows them.
    let main = render(&man1.join("entitle.1"));
    assert!(main.contains("SUBCOMMANDS"), "{main}");
    assert!(main.contains("Exit codes:"), "{main}");
    for sub in &subcommands {
        assert!(
            main.contains(&format!("entitle-{sub}(1)")),
            "{sub}:\n{main}"
        );
    }
    for name in &names {
        let text = render(&man1.join(format!("{name}.1")));
        assert!(text.starts_with(&format!("{name}(1)")), "{text}");
    }
    let validate = render(&man1.join("entitle-validate.1"));
    assert!(validate.contains("--format <FORMAT>"), "{validate}");
    assert!(validate.contains("sarif"), "{validate}");
}
