//! `export` writes what the account has as a manifest that loads, validates, and plans to
//! nothing but the renewals that are due.

use crate::support::{Env, stderr, stdout};
use entitle::manifest;

#[test]
fn exported_manifest_validates_and_plans_only_due_renewals() {
    let env = Env::new();
    let out = env.run(&["export", "--auto-renew", "-o", "exported.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(env.path().join("exported.yaml")).unwrap();
    assert!(
        text.contains("sn: \"3631E0997265\""),
        "an SN YAML would mangle is quoted:\n{text}"
    );
    // The first line points editors at the schema of this version, which is its `$id`.
    let schema: serde_json::Value = serde_json::from_str(&manifest::schema_json()).unwrap();
    assert_eq!(
        text.lines().next(),
        Some(
            format!(
                "# yaml-language-server: $schema={}",
                schema["$id"].as_str().unwrap()
            )
            .as_str()
        )
    );
    assert_eq!(schema["$id"], manifest::SCHEMA_URL);

    let valid = env.run(&["validate", "exported.yaml"]);
    assert_eq!(valid.status.code(), Some(0), "{}", stderr(&valid));

    let plan = env.run(&[
        "plan",
        "exported.yaml",
        "--now",
        &env.now(),
        "--format",
        "json",
    ]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let doc: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let actions: Vec<(&str, &str)> = doc["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            p["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |a| (p["sn"].as_str().unwrap(), a["kind"].as_str().unwrap()))
        })
        .collect();
    // Two terms end within 30 days (2026-12-20 monthly, 2026-12-10); nothing else differs.
    assert_eq!(
        actions,
        vec![
            ("3631E0997265", "renew_plan"),
            ("3658B431119665QJ", "renew_plan")
        ],
        "{}",
        stdout(&plan)
    );
    assert_eq!(doc["summary"]["manual"], 0);
}

#[test]
fn export_of_one_product_and_an_unknown_sn() {
    let env = Env::new();
    let out = env.run(&["export", "--product", "cloud-pbx"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("3658B431119665QJ"));
    assert!(
        stdout(&out).starts_with(&format!(
            "# yaml-language-server: $schema={}\nversion: 1\n",
            manifest::SCHEMA_URL
        )),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("3651D3296882"));
    let bad = env.run(&["export", "--sn", "NOPE"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("--sn NOPE"), "{}", stderr(&bad));
}

/// `--schema` names a schema committed beside the manifests, or none; either way the file
/// still validates.
#[test]
fn the_modeline_can_name_a_committed_schema_or_be_left_out() {
    let env = Env::new();
    std::fs::create_dir_all(env.path().join("manifests")).unwrap();
    let out = env.run(&[
        "export",
        "-o",
        "manifests/all.yaml",
        "--schema",
        "../schema/manifest.schema.json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(env.path().join("manifests/all.yaml")).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("# yaml-language-server: $schema=../schema/manifest.schema.json")
    );
    let out = env.run(&["export", "--schema", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("version: 1\n"), "{text}");
    assert!(!text.contains("yaml-language-server"), "{text}");
    std::fs::write(env.path().join("manifests/bare.yaml"), &text).unwrap();
    let valid = env.run(&["validate", "manifests/bare.yaml"]);
    assert_eq!(valid.status.code(), Some(0), "{}", stderr(&valid));
}
