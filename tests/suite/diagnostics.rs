//! `docs/diagnostics.md` against the code and the binary, so the doc cannot rot: its table lists
//! exactly the codes entitle has, each with the meaning the code gives it (SARIF's rules carry
//! the same text); every code is produced somewhere in the source; and each example is what
//! entitle prints for a manifest with that problem.

use std::fs;
use std::path::Path;

use entitle::manifest::Code;
use indoc::indoc;

use crate::support::command;

/// One row of the doc's tables of codes.
#[derive(Debug)]
struct Row {
    code: String,
    meaning: String,
    example: String,
}

/// The rows of every table under `## Codes`.
fn doc_rows() -> Vec<Row> {
    let doc = fs::read_to_string("docs/diagnostics.md").unwrap();
    let codes = doc
        .split("\n## Codes\n")
        .nth(1)
        .expect("docs/diagnostics.md has a `## Codes` section");
    codes
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 3, "a row of code | meaning | example: {l}");
            Row {
                code: cells[0].trim_matches('`').to_owned(),
                meaning: cells[1].to_owned(),
                example: cells[2].to_owned(),
            }
        })
        .collect()
}

#[test]
fn the_doc_lists_every_code_once_with_its_meaning() {
    let rows = doc_rows();
    let documented: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    let known: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        documented, known,
        "docs/diagnostics.md must list the codes of `Code::ALL`, in its order"
    );
    for (row, code) in rows.iter().zip(Code::ALL) {
        assert_eq!(row.meaning, code.summary(), "the meaning of `{}`", row.code);
    }
}

/// The Rust files under `dir`, with their text.
fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

#[test]
fn every_code_is_produced_somewhere() {
    let mut files = Vec::new();
    sources(Path::new("src"), &mut files);
    sources(Path::new("crates"), &mut files);
    // The table of codes and its own tests name every code; a use is anywhere else.
    files.retain(|(path, _)| !path.ends_with("diagnostic.rs"));
    for code in Code::ALL {
        let name = format!("Code::{code:?}");
        assert!(
            files.iter().any(|(_, text)| text.contains(&name)),
            "`{code}` ({name}) is never produced: remove it from the table and the doc"
        );
    }
}

/// How to make entitle report a problem.
enum Scenario {
    /// `entitle validate m.yaml` with this text.
    Manifest(&'static str),
    /// `entitle validate ARGS`, in a directory that `setup` prepares.
    Validate(fn(&Path) -> Vec<String>),
    /// `entitle plan p.yaml --sandbox` (the demo account) with this text.
    Plan(&'static str),
}

/// A manifest of one PBX `A1`, with `body` (its other fields).
const A1: &str = "version: 1\npbxs:\n  - sn: A1\n";

fn scenarios() -> Vec<(&'static str, Scenario)> {
    use Scenario::*;
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let a1 = |body: &str| Manifest(leak(format!("{A1}{body}")));
    vec![
        ("unreadable", Validate(|_| vec!["missing.yaml".into()])),
        (
            "no-manifests",
            Validate(|d| {
                fs::create_dir(d.join("empty")).unwrap();
                vec!["empty".into()]
            }),
        ),
        (
            "directory-too-deep",
            Validate(|d| {
                fs::create_dir_all(d.join("deep").join(["d"; 33].join("/"))).unwrap();
                vec!["deep".into()]
            }),
        ),
        ("not-a-file", Validate(|_| vec!["/dev/null".into()])),
        (
            "file-too-large",
            Validate(|d| {
                let f = fs::File::create(d.join("big.yaml")).unwrap();
                f.set_len(9 * 1024 * 1024).unwrap();
                vec!["big.yaml".into()]
            }),
        ),
        (
            "not-utf8",
            Validate(|d| {
                fs::write(d.join("m.yaml"), b"version: 1\npbxs: [{sn: Z\xfcrich}]\n").unwrap();
                vec!["m.yaml".into()]
            }),
        ),
        ("yaml-syntax", Manifest("version: 1\npbxs: [\n")),
        (
            "yaml-limit",
            Manifest(leak(format!(
                "version: 1\npbxs: {}{}\n",
                "[".repeat(70),
                "]".repeat(70)
            ))),
        ),
        (
            "multiple-documents",
            Manifest("version: 1\npbxs: []\n---\nversion: 1\n"),
        ),
        (
            "duplicate-key",
            Manifest("version: 1\nversion: 1\npbxs: []\n"),
        ),
        ("unknown-alias", Manifest("version: 1\npbxs: *fleet\n")),
        (
            "invalid-merge",
            Manifest("version: 1\ndefaults:\n  <<: 3\npbxs: []\n"),
        ),
        (
            "unsupported-tag",
            Manifest("version: !custom 1\npbxs: []\n"),
        ),
        (
            "complex-key",
            Manifest("version: 1\npbxs: []\n? [a]\n: 1\n"),
        ),
        ("empty-file", Manifest("")),
        (
            "unknown-field",
            a1("    product: linkus\n    extentions: 300\n"),
        ),
        ("missing-field", Manifest("pbxs: []\n")),
        (
            "wrong-type",
            a1("    product: linkus\n    labels: {floor: 3}\n"),
        ),
        ("unknown-value", a1("    product: cloudpbx\n")),
        ("unsupported-version", Manifest("version: 2\npbxs: []\n")),
        ("out-of-range", a1("    product: appliance\n    term: 10\n")),
        (
            "invalid-length",
            a1("    product: appliance\n    plan: ''\n"),
        ),
        (
            "invalid-format",
            a1("    product: appliance\n    billingContact: billing@example\n"),
        ),
        (
            "invalid-label-key",
            a1("    product: appliance\n    labels: {'cost centre': x}\n"),
        ),
        (
            "invalid-service",
            a1(
                "    product: appliance\n    services: [{name: High Availability, id: 3115983610256539648}]\n",
            ),
        ),
        (
            "conflicting-fields",
            a1(
                "    product: appliance\n    plan: Ultimate Plan\n    planId: 3048918321840570368\n",
            ),
        ),
        (
            "unquoted-sn",
            Manifest("version: 1\npbxs:\n  - sn: 0369471667338\n    product: linkus\n"),
        ),
        (
            "not-whole-number",
            a1("    product: appliance\n    term: 2.0\n"),
        ),
        (
            "capacity-as-service",
            a1("    product: cloud-pbx\n    services: [Extension Expansion]\n"),
        ),
        (
            "duplicate-service",
            a1("    product: cloud-pbx\n    services: [High Availability, high availability]\n"),
        ),
        (
            "duplicate-pbx",
            Manifest(indoc! {"
                version: 1
                pbxs:
                  - {sn: A1, product: linkus}
                  - {sn: a1, product: linkus}
            "}),
        ),
        (
            "unknown-sn",
            Plan(indoc! {r#"
                version: 1
                pbxs:
                  - sn: "3651d3296882"
                    product: software-edition
            "#}),
        ),
        (
            "unknown-plan",
            Plan(indoc! {r#"
                version: 1
                pbxs:
                  - sn: "3651D3296882"
                    product: software-edition
                    plan: Enterprize Plan
            "#}),
        ),
        (
            "unknown-service",
            Plan(indoc! {r#"
                version: 1
                pbxs:
                  - sn: "3651D3296882"
                    product: software-edition
                    services: [Hotel PMS]
            "#}),
        ),
        (
            "unknown-billing-contact",
            Plan(indoc! {r#"
                version: 1
                pbxs:
                  - sn: "3651D3296882"
                    product: software-edition
                    extensions: 300
                    billingContact: nobody@example.com
            "#}),
        ),
        (
            "cycle-not-sold",
            Plan(indoc! {r#"
                version: 1
                pbxs:
                  - sn: "369471667338"
                    product: linkus
                    plan: Linkus Cloud Service
                    billingCycle: monthly
            "#}),
        ),
        (
            "service-needs-other-plan",
            Plan(indoc! {r#"
                version: 1
                pbxs:
                  - sn: "3651D3296882"
                    product: software-edition
                    services: [Disaster Recovery]
            "#}),
        ),
        (
            "term-kept-on-upgrade",
            Plan(indoc! {r#"
                version: 1
                pbxs:
                  - sn: "3651D3296882"
                    product: software-edition
                    plan: Ultimate Plan
                    term: 3
            "#}),
        ),
        (
            "capacity-shrinks",
            Plan(indoc! {r#"
                version: 1
                pbxs:
                  - sn: "3651D3296882"
                    product: software-edition
                    extensions: 50
            "#}),
        ),
        (
            "capacity-not-sold",
            Plan(indoc! {r#"
                version: 1
                pbxs:
                  - sn: "3658B431119665QJ"
                    product: cloud-pbx
                    concurrentCalls: 50
            "#}),
        ),
    ]
}

/// Codes whose example no input shows: no schema rule is left to the catch-all today, the
/// demo account has neither a PBX whose plan is missing from its catalog nor a product whose
/// services can be asked without a plan, and an internal error is a bug.
const NOT_SHOWN: [&str; 4] = [
    "schema-violation",
    "service-without-plan",
    "current-plan-unknown",
    "internal-error",
];

/// The `(code, message)` of every problem entitle prints to stderr for `scenario`.
fn problems(scenario: &Scenario) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut cmd = command();
    cmd.current_dir(d);
    match scenario {
        Scenario::Manifest(text) => {
            fs::write(d.join("m.yaml"), text).unwrap();
            cmd.args(["validate", "m.yaml"]);
        }
        Scenario::Validate(setup) => {
            cmd.arg("validate").args(setup(d));
        }
        Scenario::Plan(text) => {
            fs::write(d.join("p.yaml"), text).unwrap();
            cmd.args(["plan", "p.yaml", "--sandbox", "--no-price"]);
        }
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = regex::Regex::new(r"^error: (?:[^:]+:\d+:\d+: )?(.*) \[([a-z0-9-]+)\]$").unwrap();
    stderr
        .lines()
        .filter_map(|l| line.captures(l))
        .map(|c| (c[2].to_owned(), c[1].to_owned()))
        .collect()
}

/// Whether `text` is `example`, where `…` in the example stands for any text.
fn matches_example(text: &str, example: &str) -> bool {
    let parts: Vec<&str> = example.split('…').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return text == example;
    }
    if !text.starts_with(first) || !text.ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn each_example_is_what_entitle_prints() {
    let rows = doc_rows();
    let scenarios = scenarios();
    for (code, scenario) in &scenarios {
        let row = rows
            .iter()
            .find(|r| r.code == *code)
            .unwrap_or_else(|| panic!("`{code}` is not in docs/diagnostics.md"));
        let found = problems(scenario);
        assert!(
            found
                .iter()
                .any(|(c, m)| c == code && matches_example(m, &row.example)),
            "`{code}`: the doc's example is\n  {}\nbut entitle printed\n  {found:#?}",
            row.example
        );
    }
    let mut shown: Vec<&str> = scenarios.iter().map(|(c, _)| *c).collect();
    shown.extend(NOT_SHOWN);
    shown.sort_unstable();
    let mut all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    all.sort_unstable();
    assert_eq!(
        shown, all,
        "every code has a scenario or a reason in NOT_SHOWN"
    );
}

#[test]
fn examples_may_elide_with_an_ellipsis() {
    assert!(matches_example(
        "`deep/d/d/d` is too deep",
        "`deep/d/…/d` is too deep"
    ));
    assert!(!matches_example(
        "`deep/x` is too deep",
        "`deep/d/…/d` is too deep"
    ));
    assert!(matches_example("exact", "exact"));
    assert!(!matches_example("exact.", "exact"));
}
