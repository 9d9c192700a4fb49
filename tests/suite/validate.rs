//! `entitle validate` as users run it: exit codes, the one-line summary, and every diagnostic
//! with its `file:line:column` (snapshots of what is printed).

use std::fs;
use std::path::Path;

use crate::support::entitle;
use indoc::{formatdoc, indoc};
use predicates::prelude::*;

const FIXTURES: &str = "tests/fixtures/manifests";

/// Runs `entitle validate ARGS...` from the crate root; returns (exit code, stdout, stderr).
fn validate(args: &[&str]) -> (i32, String, String) {
    let out = entitle()
        .arg("validate")
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_examples_are_valid() {
    let (code, stdout, stderr) = validate(&["manifests/examples"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, "4 files, 4 PBXs: valid\n", "")
    );
}

#[test]
fn several_paths_at_once_files_and_directories() {
    let (code, stdout, _) = validate(&[
        "manifests/examples/acme.yaml",
        "manifests/examples",
        "manifests/examples/umbrella.yaml",
    ]);
    assert_eq!((code, stdout.as_str()), (0, "4 files, 4 PBXs: valid\n"));
    let (code, stdout, _) = validate(&["manifests/examples/initech.yaml"]);
    assert_eq!((code, stdout.as_str()), (0, "1 file, 1 PBX: valid\n"));
}

#[test]
fn a_misspelt_key_names_file_line_column_and_the_meant_key() {
    let (code, stdout, stderr) = validate(&[&format!("{FIXTURES}/misspelt-key")]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(stderr.starts_with(
        "error: tests/fixtures/manifests/misspelt-key/acme.yaml:7:5: unknown field `extentions`, did you mean `extensions`? [unknown-field]\n"
    ));
    insta::assert_snapshot!("misspelt_key", stderr);
}

#[test]
fn a_pair_declared_in_two_files_names_both() {
    let (code, _, stderr) = validate(&[&format!("{FIXTURES}/duplicate")]);
    assert_eq!(code, 1);
    assert!(stderr.contains("duplicate/acme.yaml:3:5"), "{stderr}");
    assert!(
        stderr.contains("first at tests/fixtures/manifests/duplicate/acme-branch.yaml:4:5"),
        "{stderr}"
    );
    insta::assert_snapshot!("duplicate", stderr);
}

#[test]
fn a_term_out_of_range() {
    let (code, _, stderr) = validate(&[&format!("{FIXTURES}/bad-term")]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("bad_term", stderr);
}

#[test]
fn sns_yaml_would_change_must_be_quoted() {
    let (code, _, stderr) = validate(&[&format!("{FIXTURES}/mangled-sn")]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("mangled_sn", stderr);
}

#[test]
fn every_rule_of_a_file_is_reported() {
    let (code, _, stderr) = validate(&[&format!("{FIXTURES}/rules")]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("rules", stderr);
}

#[test]
fn problems_of_every_file_are_reported() {
    let (code, _, stderr) = validate(&[&format!("{FIXTURES}/many-files")]);
    assert_eq!(code, 1);
    assert!(
        stderr.ends_with("validation failed: 5 problems in 4 files\n"),
        "{stderr}"
    );
    insta::assert_snapshot!("many_files", stderr);
}

#[test]
fn colour_shows_the_source_line() {
    let (code, _, stderr) = validate(&["--color", "always", &format!("{FIXTURES}/misspelt-key")]);
    assert_eq!(code, 1);
    assert!(stderr.contains('\u{1b}'), "{stderr}");
    assert!(stderr.contains("extentions: 300"), "{stderr}");
    assert!(stderr.contains("misspelt-key/acme.yaml:7:5"), "{stderr}");
    assert!(stderr.contains("did you mean `extensions`?"), "{stderr}");
    let (_, _, plain) = validate(&["--color", "never", &format!("{FIXTURES}/misspelt-key")]);
    assert!(!plain.contains('\u{1b}'));
}

#[test]
fn colour_can_be_forced_on_a_pipe() {
    let bad = format!("{FIXTURES}/misspelt-key");
    // stderr is a pipe here: only a forcing variable colours it.
    let stderr_with = |vars: &[(&str, &str)], args: &[&str]| {
        let out = entitle()
            .arg("validate")
            .arg(&bad)
            .args(args)
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stderr).unwrap()
    };
    let coloured = stderr_with(&[("FORCE_COLOR", "1")], &[]);
    assert!(coloured.contains("\u{1b}["), "{coloured}");
    assert!(coloured.contains("error[unknown-field]"), "{coloured}");
    assert!(coloured.contains("extentions: 300"), "{coloured}");
    for (vars, args, want) in [
        (&[("CLICOLOR_FORCE", "1")][..], &[][..], true),
        (&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")], &[], true),
        (&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[], false),
        (&[("FORCE_COLOR", "0")], &[], false),
        (&[("FORCE_COLOR", "1")], &["--color", "never"], false),
        (&[], &[], false),
    ] {
        let stderr = stderr_with(vars, args);
        assert_eq!(
            stderr.contains('\u{1b}'),
            want,
            "{vars:?} {args:?}:\n{stderr}"
        );
    }
}

/// Opening a FIFO for reading waits for a writer: validate must refuse it from its metadata,
/// given or found in a directory, and exit at once. A hang fails here after 30 seconds.
#[cfg(unix)]
#[test]
fn a_fifo_is_refused_at_once_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("manifests")).unwrap();
    fs::copy(
        "manifests/examples/acme.yaml",
        dir.path().join("manifests/acme.yaml"),
    )
    .unwrap();
    for fifo in ["some.fifo", "manifests/pipe.yaml"] {
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join(fifo))
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo {fifo}");
    }
    let run = |args: &[&str]| {
        let out = entitle()
            .arg("validate")
            .args(args)
            .current_dir(dir.path())
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .expect("validate ran");
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, stdout, stderr) = run(&["some.fifo"]);
    assert_eq!(
        (code, stdout.as_str()),
        (Some(1), ""),
        "killed after 30 s means it blocked on the FIFO: {stderr}"
    );
    assert!(
        stderr.starts_with(
            "error: `some.fifo` is not a regular file: it is a FIFO (named pipe) [not-a-file]\n"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["manifests"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with(
            "error: `manifests/pipe.yaml` is not a regular file: it is a FIFO (named pipe) [not-a-file]\n"
        ),
        "{stderr}"
    );
}

#[test]
fn missing_paths_and_the_default_directory() {
    let (code, _, stderr) = validate(&["no/such/dir"]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with(
            "error: cannot read `no/such/dir`: no such file or directory [unreadable]\n"
        ),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let out = entitle()
        .arg("validate")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("cannot read `manifests`: no such file or directory"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: pass the manifest files or directories to read"),
        "{stderr}"
    );

    fs::create_dir(dir.path().join("manifests")).unwrap();
    fs::write(
        dir.path().join("manifests/a.yaml"),
        indoc! {"
            version: 1
            pbxs:
              - {sn: A1, product: linkus}
        "},
    )
    .unwrap();
    entitle()
        .arg("validate")
        .current_dir(dir.path())
        .assert()
        .success()
        .stdout("1 file, 1 PBX: valid\n");
}

fn alias_bomb() -> String {
    let mut y = String::from(indoc! {"
        version: 1
        pbxs: []
        l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]
    "});
    for i in 1..12 {
        y.push_str(&format!(
            "l{i}: &l{i} [{}]\n",
            vec![format!("*l{}", i - 1); 9].join(", ")
        ));
    }
    y
}

#[test]
fn hostile_files_end_in_clean_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("bomb.yaml"), alias_bomb()).unwrap();
    let big = fs::File::create(d.join("big.yaml")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    let (open, close) = ("[".repeat(100_000), "]".repeat(100_000));
    fs::write(
        d.join("deep.yaml"),
        formatdoc! {"
            version: 1
            pbxs: {open}{close}
        "},
    )
    .unwrap();
    let block: String = (0..2_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    fs::write(d.join("deep-block.yaml"), block).unwrap();
    let garbage: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(d.join("garbage.yaml"), garbage).unwrap();
    fs::write(
        d.join("latin1.yaml"),
        b"version: 1\npbxs:\n  - sn: A1\n    labels: {city: Z\xfcrich}\n",
    )
    .unwrap();
    fs::write(d.join("nul.yaml"), b"version: 1\npbxs: []\n\0\0\0").unwrap();

    let (code, stdout, stderr) = validate(&[d.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    let line_for = |name: &str| {
        stderr
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no problem for {name}:\n{stderr}"))
            .replace(&format!("{}{}", d.display(), std::path::MAIN_SEPARATOR), "")
    };
    let has = |name: &str, text: &str, code: &str| {
        let line = line_for(name);
        assert!(
            line.contains(text) && line.ends_with(&format!(" [{code}]")),
            "{name}: wanted `{text}` and [{code}] in\n{line}"
        );
    };
    has("bomb.yaml", "refusing to read this file", "yaml-limit");
    has(
        "big.yaml",
        "is 50.0 MiB; a manifest may be at most 8 MiB",
        "file-too-large",
    );
    has("deep.yaml", "deep.yaml:2:", "yaml-limit");
    has(
        "deep-block.yaml",
        "refusing to read this file",
        "yaml-limit",
    );
    has("garbage.yaml", "not UTF-8 text", "not-utf8");
    assert_eq!(
        line_for("latin1.yaml"),
        "error: latin1.yaml:4:21: the file is not UTF-8 text (byte 0xFC cannot start a character) [not-utf8]"
    );
    has("nul.yaml", "invalid YAML", "yaml-syntax");
    assert!(
        stderr.ends_with("validation failed: 7 problems in 6 files\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn help_lists_the_exit_codes() {
    entitle()
        .args(["validate", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Exit codes:\n  0  all manifests are valid",
        ))
        .stdout(predicate::str::contains("[default: manifests/]"));
}

#[test]
fn schema_prints_the_committed_schema() {
    let out = entitle().arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let committed = fs::read_to_string(Path::new("schema/manifest.schema.json")).unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == committed,
        "`entitle schema` differs from schema/manifest.schema.json; regenerate it with\n    cargo run -- schema > schema/manifest.schema.json"
    );
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        entitle()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("validate"));
    }
    entitle()
        .args(["completions", "tcsh"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("invalid value 'tcsh'"));
}

#[test]
fn json_and_github_annotations_for_ci() {
    let (code, stdout, _) = validate(&["manifests/examples", "--format", "json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (
            doc["valid"].clone(),
            doc["files"].clone(),
            doc["pbxs"].clone()
        ),
        (
            serde_json::json!(true),
            serde_json::json!(4),
            serde_json::json!(4)
        )
    );
    let bad = format!("{FIXTURES}/misspelt-key");
    let (code, stdout, _) = validate(&[&bad, "--format", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["valid"], false);
    assert_eq!(
        doc["problems"][0],
        serde_json::json!({"code": "unknown-field",
            "file": "tests/fixtures/manifests/misspelt-key/acme.yaml", "line": 7,
            "column": 5, "message": "unknown field `extentions`, did you mean `extensions`?",
            "help": doc["problems"][0]["help"].clone()})
    );
    // GitHub: one workflow command per problem on stdout, the text as usual on stderr.
    let (code, stdout, stderr) = validate(&[&bad, "--format", "github"]);
    assert_eq!(code, 1);
    assert!(stdout.starts_with(
        "::error file=tests/fixtures/manifests/misspelt-key/acme.yaml,line=7,col=5,title=unknown-field::unknown field `extentions`, did you mean `extensions`?"
    ), "{stdout}");
    assert!(
        stderr.contains("error: tests/fixtures/manifests/misspelt-key/acme.yaml:7:5"),
        "{stderr}"
    );
    // A problem without a line is shown on the path it is about.
    let (code, stdout, _) = validate(&["no/such/dir", "--format", "github"]);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("::error file=no/such/dir,title=unreadable::cannot read `no/such/dir`"),
        "{stdout}"
    );
}

#[test]
fn sarif_for_code_scanning() {
    // Valid: a log with no results, exit 0.
    let (code, stdout, stderr) = validate(&["manifests/examples", "--format", "sarif"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"],
        serde_json::json!([])
    );

    let bad = [
        format!("{FIXTURES}/rules"),
        format!("{FIXTURES}/many-files"),
        "no/such/dir".to_owned(),
    ];
    let args = |format: &'static str| -> Vec<&str> {
        let mut a: Vec<&str> = bad.iter().map(String::as_str).collect();
        a.extend(["--format", format]);
        a
    };
    let (code, stdout, stderr) = validate(&args("sarif"));
    assert_eq!((code, stderr.as_str()), (1, ""));
    insta::with_settings!({filters => vec![(
        regex::escape(&format!("\"{}\"", env!("CARGO_PKG_VERSION"))).leak() as &str,
        "\"[version]\"",
    )]}, {
        insta::assert_snapshot!("sarif", stdout);
    });

    // The same problems as the JSON document, in the same order, located the same way.
    let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let (_, json, _) = validate(&args("json"));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let problems = json["problems"].as_array().unwrap();
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "entitle");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), problems.len());
    assert_eq!(results.len(), 16);
    for (r, p) in results.iter().zip(problems) {
        assert_eq!(r["ruleId"], p["code"]);
        assert_eq!(r["level"], "error");
        assert_eq!(
            rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
            p["code"]
        );
        let text = r["message"]["text"].as_str().unwrap();
        assert!(text.starts_with(p["message"].as_str().unwrap()), "{text}");
        match p["file"].as_str() {
            Some(file) => {
                let loc = &r["locations"][0]["physicalLocation"];
                assert_eq!(loc["artifactLocation"]["uri"], file);
                assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
                assert_eq!(loc["region"]["startLine"], p["line"]);
                assert_eq!(loc["region"]["startColumn"], p["column"]);
            }
            // A problem without a place (`no/such/dir`) is located at the path it is about:
            // GitHub refuses a whole upload when a result has no location.
            None => {
                let locations = r["locations"].as_array().unwrap();
                assert_eq!(locations.len(), 1, "{r}");
                let loc = &locations[0]["physicalLocation"];
                assert!(text.contains(&format!(
                    "`{}`",
                    loc["artifactLocation"]["uri"].as_str().unwrap()
                )));
                assert_eq!(loc["region"]["startLine"], 1);
            }
        }
    }
    // One rule per code that occurs, each with its meaning.
    let mut codes: Vec<&str> = problems
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(rules.len(), codes.len());
    for rule in rules {
        let code = entitle::manifest::Code::ALL
            .iter()
            .find(|c| rule["id"] == c.as_str())
            .unwrap();
        assert_eq!(rule["shortDescription"]["text"], code.summary());
    }
}

#[test]
fn sarif_locates_every_problem_without_a_place_at_the_path_it_is_about() {
    // GitHub code scanning refuses the whole upload when one result has no location ("expected
    // at least one location"): a path that cannot be read, a directory without manifests and a
    // file too large to read have no line, but a file or directory.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("empty")).unwrap();
    fs::File::create(dir.path().join("big.yaml"))
        .unwrap()
        .set_len(9 * 1024 * 1024)
        .unwrap();
    let out = entitle()
        .args([
            "validate",
            "--format",
            "sarif",
            "missing.yaml",
            "empty",
            "big.yaml",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut located: Vec<(String, serde_json::Value)> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let locations = r["locations"].as_array().unwrap();
            assert_eq!(locations.len(), 1, "{r}");
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                locations[0]["physicalLocation"]["artifactLocation"].clone(),
            )
        })
        .collect();
    located.sort_by(|a, b| a.0.cmp(&b.0));
    let relative = |uri: &str| serde_json::json!({"uri": uri, "uriBaseId": "%SRCROOT%"});
    assert_eq!(
        located,
        [
            ("file-too-large".to_owned(), relative("big.yaml")),
            ("no-manifests".to_owned(), relative("empty")),
            ("unreadable".to_owned(), relative("missing.yaml")),
        ]
    );
}

#[test]
fn sarif_names_files_relative_to_the_working_directory() {
    let rules = std::env::current_dir()
        .unwrap()
        .join(FIXTURES)
        .join("rules");
    let out = entitle()
        .args(["validate", "--format", "sarif"])
        .arg(&rules)
        .arg("../misspelt-key")
        .current_dir(&rules)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let uris: Vec<&serde_json::Value> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["locations"][0]["physicalLocation"]["artifactLocation"])
        .collect();
    // An absolute path inside the working directory is named relative to it; one outside it
    // by an absolute URI.
    let outside = uris[0]["uri"].as_str().unwrap();
    assert!(
        outside.starts_with("file:///")
            && outside.ends_with("/tests/fixtures/manifests/misspelt-key/acme.yaml")
            && uris[0].get("uriBaseId").is_none(),
        "{}",
        uris[0]
    );
    assert_eq!(
        uris.last().copied(),
        Some(&serde_json::json!({"uri": "umbrella.yaml", "uriBaseId": "%SRCROOT%"}))
    );
}
