//! The published schema: up to date with the Rust types, and in agreement with the loader on
//! the examples and the invalid fixtures (checked with the `jsonschema` crate, as another tool
//! would check them; `tests/node/` checks the same with yaml-language-server and Ajv).

use std::fs;
use std::path::{Path, PathBuf};

use entitle::manifest;
use indoc::formatdoc;

fn committed() -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string("schema/manifest.schema.json").unwrap()).unwrap()
}

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    v.sort();
    v
}

fn as_json(path: &Path) -> serde_json::Value {
    let text = fs::read_to_string(path).unwrap();
    manifest::document_json(&path.display().to_string(), &text).unwrap()
}

#[test]
fn the_committed_schema_is_up_to_date() {
    let committed = fs::read_to_string("schema/manifest.schema.json").unwrap_or_default();
    assert!(
        committed == manifest::schema_json(),
        "schema/manifest.schema.json is out of date with the manifest types; regenerate it with\n    cargo run -- schema > schema/manifest.schema.json"
    );
}

#[test]
fn the_committed_policy_schema_is_up_to_date_and_the_example_policy_reads() {
    let committed = fs::read_to_string("schema/policy.schema.json").unwrap_or_default();
    assert!(
        committed == manifest::policy_schema_json(),
        "schema/policy.schema.json is out of date; regenerate it with\n    cargo run -- schema --policy > schema/policy.schema.json"
    );
    let o = crate::support::entitle()
        .args(["schema", "--policy"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), committed);
    let text = fs::read_to_string("examples/policy/entitle.policy.yaml").unwrap();
    let validator = jsonschema::validator_for(&serde_json::from_str(&committed).unwrap()).unwrap();
    let doc = manifest::document_json("entitle.policy.yaml", &text).unwrap();
    assert!(validator.is_valid(&doc));
    assert!(text.starts_with("# yaml-language-server: $schema=../../schema/policy.schema.json\n"));
}

#[test]
fn the_examples_validate_against_the_committed_schema() {
    let validator = jsonschema::validator_for(&committed()).unwrap();
    let files = yaml_files("manifests/examples");
    assert_eq!(files.len(), 4);
    for f in files {
        let doc = as_json(&f);
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
        let text = fs::read_to_string(&f).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../../schema/manifest.schema.json\n"),
            "{}",
            f.display()
        );
    }
}

#[test]
fn the_schema_rejects_what_the_loader_rejects_structurally() {
    let validator = jsonschema::validator_for(&committed()).unwrap();
    for (file, pointer) in [
        ("tests/fixtures/manifests/misspelt-key/acme.yaml", "/pbxs/0"),
        (
            "tests/fixtures/manifests/bad-term/globex.yaml",
            "/pbxs/0/term",
        ),
        (
            "tests/fixtures/manifests/rules/umbrella.yaml",
            "/defaults/billingContact",
        ),
        ("tests/fixtures/manifests/many-files/a.yaml", "/pbxs/0"),
    ] {
        let doc = as_json(Path::new(file));
        let paths: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| e.instance_path().as_str().to_owned())
            .collect();
        assert!(paths.iter().any(|p| p == pointer), "{file}: {paths:?}");
        assert!(manifest::load(&[PathBuf::from(file)]).is_err(), "{file}");
    }
}

#[test]
fn the_schema_and_the_loader_agree_on_the_editor_fixtures() {
    // One manifest per rule the schema expresses (tests/node/yaml-ls.mjs checks an editor
    // flags the line `entitle validate` names), and valid ones using anchors and defaults.
    let validator = jsonschema::validator_for(&committed()).unwrap();
    let invalid = yaml_files("tests/fixtures/editor/invalid");
    assert!(invalid.len() >= 20, "{invalid:?}");
    for f in invalid {
        assert!(!validator.is_valid(&as_json(&f)), "{}", f.display());
        let problems = manifest::load(std::slice::from_ref(&f)).unwrap_err();
        assert_eq!(problems.len(), 1, "{}: {problems}", f.display());
    }
    for f in yaml_files("tests/fixtures/editor/valid") {
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&f))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
        manifest::load(std::slice::from_ref(&f)).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(committed()["$id"], manifest::SCHEMA_URL);
}

#[test]
fn the_schema_and_the_loader_agree_on_the_sn_forms() {
    let validator = jsonschema::validator_for(&committed()).unwrap();
    let doc = |sn: &str| {
        manifest::document_json(
            "m.yaml",
            &formatdoc! {"
                version: 1
                pbxs:
                  - sn: {sn}
                    product: linkus
            "},
        )
        .unwrap()
    };
    // Written as a number the schema accepts it (the number is the SN's digits).
    assert!(validator.is_valid(&doc("369471667338")));
    // Text that is not letters and digits, and numbers past 19 digits: both refuse.
    for bad in [
        "'36-94'",
        "'AB CD'",
        "123456789012345678901234",
        "-5",
        "true",
    ] {
        assert!(!validator.is_valid(&doc(bad)), "{bad}");
        let text = formatdoc! {"
            version: 1
            pbxs:
              - sn: {bad}
                product: linkus
        "};
        assert!(
            manifest::load_from_memory(&[("m.yaml", text.as_bytes())]).is_err(),
            "{bad}"
        );
    }
}
