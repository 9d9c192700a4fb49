//! `export` writes what the account has as a manifest that loads, validates, and plans to
//! nothing: the renewals that are due show as upcoming, one key away.

use crate::support::{Env, stderr, stdout};
use entitle::manifest;

#[test]
fn exported_manifest_validates_and_plans_nothing_but_shows_due_renewals() {
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

    // Adopting the estate orders nothing: the two terms that end within 30 days
    // (2026-12-20 monthly, 2026-12-10) are shown as upcoming, with their price.
    let plan = env.run(&[
        "plan",
        "exported.yaml",
        "--now",
        &env.now(),
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    insta::assert_snapshot!("export_then_plan", crate::support::redact(&stdout(&plan)));
    let json = env.run(&[
        "plan",
        "exported.yaml",
        "--now",
        &env.now(),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["summary"]["orders"], 0);
    assert_eq!(doc["summary"]["manual"], 0);
    let upcoming: Vec<&str> = doc["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["upcoming"].as_array().is_some_and(|u| !u.is_empty()))
        .map(|p| p["sn"].as_str().unwrap())
        .collect();
    assert_eq!(upcoming, ["3631E0997265", "3658B431119665QJ"]);
    assert_eq!(doc["summary"]["upcoming"], 2);
    let md = env.run(&[
        "plan",
        "exported.yaml",
        "--now",
        &env.now(),
        "--format",
        "markdown",
    ]);
    assert!(
        stdout(&md).contains(
            "2 renewals fall due within `renewBefore`, not ordered (`renew: false`), USD 5,040.00: shown on each PBX."
        ),
        "{}",
        stdout(&md)
    );

    // One key asks for a renewal: the comment on it says which.
    let due = "  renew: false  # term ends 2026-12-10, within 30d: set `true` to have entitle renew it now";
    assert!(text.contains(due), "{text}");
    env.manifest("wanted.yaml", &text.replacen(due, "  renew: true", 1));
    let wanted = env.run(&[
        "plan",
        "wanted.yaml",
        "--now",
        &env.now(),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&wanted.stdout).unwrap();
    let ordered: Vec<(&str, &str)> = crate::support::plan_actions(&doc)
        .into_iter()
        .map(|(sn, a)| (sn, a["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(ordered, [("3658B431119665QJ", "renew_plan")]);
}

#[test]
fn adopting_a_fleet_orders_nothing() {
    let env = Env::with(|c| c.seed = entitle::sandbox::Seed::Fleet(500));
    let out = env.run(&["export", "-o", "fleet.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = env.run(&[
        "plan",
        "fleet.yaml",
        "--now",
        &env.now(),
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let text = stdout(&plan);
    assert!(
        text.starts_with("No changes. 500 PBXs in scope match the manifests."),
        "{text}"
    );
    assert!(
        text.contains("Upcoming renewals, not ordered ("),
        "the fleet has terms ending within 30 days: {text}"
    );
    assert!(!text.contains("price unknown"), "{text}");
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);
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
