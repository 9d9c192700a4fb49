//! `--only OPERATION`: a plan of the PBXs whose every change is of the operations given, the
//! rest held back whole and listed — what a scheduled job runs to carry out due renewals and
//! leave every other change to a review.

use serde_json::Value;

use crate::support::{Env, assert_exit, stdout};

/// The examples: acme buys a service, globex switches plans, initech buys a plan, umbrella's
/// renewal is due (with its auto-renew switch).
#[test]
fn only_renewals_are_applied_and_the_rest_is_held_back_and_listed() {
    let env = Env::new();
    let now = env.now();
    let m = crate::plan_e2e::with_examples(&env).to_owned();
    let only = "renew_plan,enable_auto_renew";

    let plan = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--only",
        only,
        "--detailed-exitcode",
        "--format",
        "json",
    ]);
    // Changes are held back: still changes to make.
    assert_exit(&plan, 2);
    let doc: Value = serde_json::from_str(&stdout(&plan)).unwrap();
    assert_eq!(
        doc["selection"]["operations"],
        serde_json::json!(["renew_plan", "enable_auto_renew"])
    );
    let planned: Vec<&str> = doc["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sn"].as_str().unwrap())
        .collect();
    assert_eq!(planned, ["3658B431119665QJ"]);
    let held: Vec<(String, Value)> = doc["held_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["sn"].as_str().unwrap().to_owned(),
                h["operations"].clone(),
            )
        })
        .collect();
    assert_eq!(
        held,
        [
            (
                "3651D3296882".to_owned(),
                serde_json::json!(["purchase_service"])
            ),
            (
                "3631E0997265".to_owned(),
                serde_json::json!(["switch_plan"])
            ),
            (
                "369471667338".to_owned(),
                serde_json::json!(["purchase_plan"])
            ),
        ]
    );

    let text = env.run(&["plan", &m, "--now", &now, "--only", only]);
    assert_exit(&text, 0);
    insta::assert_snapshot!(crate::support::redact(&stdout(&text)));

    // Saved, verified and applied like any plan: only the renewal is bought.
    let saved = env.path().join("renewals.json");
    let saved = saved.to_str().unwrap();
    assert_exit(
        &env.run(&["plan", &m, "--now", &now, "--only", only, "-o", saved]),
        0,
    );
    let apply = env.run(&["apply", saved, "--now", &now, "--auto-approve"]);
    assert_exit(&apply, 0);
    let ops: Vec<String> = env
        .order_bodies()
        .iter()
        .map(|b| b["operationType"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ops, ["renew_plan"]);

    // What is left is exactly what was held back.
    let rest = env.run(&["plan", &m, "--now", &now, "--format", "json"]);
    let doc: Value = serde_json::from_str(&stdout(&rest)).unwrap();
    let changing: Vec<&str> = doc["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p["actions"].as_array().unwrap().is_empty())
        .map(|p| p["sn"].as_str().unwrap())
        .collect();
    assert_eq!(changing, ["3651D3296882", "3631E0997265", "369471667338"]);
    // With nothing of its operations left, `--only` orders nothing and says why.
    let again = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--only",
        only,
        "--detailed-exitcode",
    ]);
    assert_exit(&again, 2);
    assert!(
        stdout(&again).starts_with("No orders. 3 PBXs held back by --only (listed below); the other 1 matches the manifests.\n"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn an_unknown_operation_is_a_usage_error_naming_the_operations() {
    let env = Env::new();
    let o = env.run(&["plan", &Env::examples_arg(), "--only", "renew"]);
    assert_exit(&o, 1);
    assert!(
        crate::support::stderr(&o).contains(
            "`renew` is not an operation; expected one of purchase_plan, switch_plan, purchase_service, renew_plan, enable_auto_renew"
        ),
        "{}",
        crate::support::stderr(&o)
    );
}
