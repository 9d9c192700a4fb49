//! `plan` end to end: the three output formats as snapshots, the exact reads a plan makes, exit
//! codes, and plan-time rule errors located in the manifest.

use crate::support::{Env, stderr, stdout};
use indoc::indoc;
use serde_json::Value;

/// Copies the example repository into the workspace so paths in the output are relative.
fn with_examples(env: &Env) -> &'static str {
    let dst = env.path().join("manifests/examples");
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(Env::examples()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    "manifests/examples"
}

#[test]
fn text_plan_of_the_examples() {
    let env = Env::new();
    let m = with_examples(&env);
    let out = env.run(&["plan", m, "--now", &env.now(), "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    insta::assert_snapshot!(crate::support::redact(&stdout(&out)));
    assert_eq!(
        env.count("POST /order/openapi/order/v1/save"),
        0,
        "plan never orders"
    );
}

#[test]
fn json_plan_of_the_examples() {
    let env = Env::new();
    let m = with_examples(&env);
    let out = env.run(&["plan", m, "--now", &env.now(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    // 19-digit IDs are exact integers in the JSON text.
    assert!(text.contains("\"billingId\": 3197218168379846218"));
    insta::assert_snapshot!(crate::support::redact(&text));
}

#[test]
fn markdown_plan_of_the_examples() {
    let env = Env::new();
    let m = with_examples(&env);
    let out = env.run(&[
        "plan",
        m,
        "--now",
        &env.now(),
        "--format",
        "markdown",
        "--price",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(crate::support::redact(&stdout(&out)));
}

#[test]
fn a_satisfied_manifest_reads_one_detail_per_pbx_and_no_catalog() {
    let env = Env::new();
    let m = env.manifest(
        "ok.yaml",
        indoc! {r#"
            version: 1
            pbxs:
              - sn: 3651D3296882
                product: software-edition
                plan: Enterprise Plan
                extensions: 100
                concurrentCalls: 30
              - sn: "3631E0997265"
                product: appliance
                plan: enterprise plan
                renew: false
        "#},
    );
    let out = env.run(&[
        "plan",
        m.to_str().unwrap(),
        "--now",
        &env.now(),
        "--detailed-exitcode",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("No changes. 2 PBXs in scope match the manifests."));
    assert_eq!(
        env.count("GET /product/openapi/instance_product/v1/detail"),
        2
    );
    assert_eq!(
        env.count("GET /pricing/openapi/purchase/v1/purchase_product_info"),
        0
    );
    assert_eq!(
        env.count("GET /user/openapi/user/v1/client/billing_contact_list"),
        0
    );
    assert_eq!(env.count("GET /order/openapi/order/v1/page"), 1);
    assert_eq!(
        env.count("POST /pricing/openapi/purchase/v1/pricing/calculate"),
        0
    );
}

#[test]
fn a_misspelt_service_names_the_line_and_the_right_name() {
    let env = Env::new();
    let m = env.manifest(
        "acme.yaml",
        indoc! {"
            version: 1
            defaults:
              billingContact: billing@example.com
            pbxs:
              - sn: 3651D3296882
                product: software-edition
                services:
                  - Hotel PMS Integraton
        "},
    );
    let out = env.run(&["plan", "acme.yaml", "--now", &env.now()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("acme.yaml:8:9"), "{err}");
    assert!(
        err.contains("did you mean `Hotel PMS Integration`?"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
    let _ = m;
}

#[test]
fn disaster_recovery_under_enterprise_names_ultimate_plan() {
    let env = Env::new();
    env.manifest(
        "dr.yaml",
        indoc! {"
            version: 1
            defaults:
              billingContact: billing@example.com
            pbxs:
              - sn: 3651D3296882
                product: software-edition
                plan: Enterprise Plan
                services: [Disaster Recovery]
        "},
    );
    let out = env.run(&["plan", "dr.yaml", "--now", &env.now()]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&out));
}

#[test]
fn an_sn_not_in_the_account_names_the_manifest_line() {
    let env = Env::new();
    env.manifest(
        "x.yaml",
        indoc! {"
            version: 1
            pbxs:
              - sn: NOSUCHPBX1
                product: cloud-pbx
                extensions: 20
        "},
    );
    let out = env.run(&["plan", "x.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("x.yaml:3:5: NOSUCHPBX1 (cloud-pbx): SN not found in the account"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn selection_by_sn_and_label() {
    let env = Env::new();
    let m = with_examples(&env);
    let now = env.now();
    let out = env.run(&[
        "plan",
        m,
        "--now",
        &env.now(),
        "--no-price",
        "--selector",
        "customer=globex",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("for 1 of 1 PBX in scope"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        env.count("GET /product/openapi/instance_product/v1/detail"),
        1
    );

    // `a=b,c=d` is AND, like a repeated --selector.
    for selector in [
        vec!["--selector", "customer=acme,site=hq"],
        vec!["--selector", "customer=acme", "--selector", "site=hq"],
    ] {
        let mut args = vec!["plan", m, "--now", &now, "--no-price"];
        args.extend(selector);
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).contains("3651D3296882"), "{}", stdout(&out));
        assert!(
            stdout(&out).contains("of 1 PBX in scope"),
            "{}",
            stdout(&out)
        );
    }
    let out = env.run(&["plan", m, "--selector", "customer=acme,site=plant-2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no PBX matches customer=acme,site=plant-2"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["plan", m, "--sn", "3651D329688"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("did you mean 3651D3296882?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn reads_answered_429_every_other_time_still_plan_the_same() {
    same_plan_under_read_faults("rate_limit", 2);
}

#[test]
fn reads_answered_500_every_third_time_still_plan_the_same() {
    same_plan_under_read_faults("server_error", 3);
}

fn same_plan_under_read_faults(kind: &str, every: u64) {
    let env = Env::new();
    let m = with_examples(&env);
    let clean = env.run(&["plan", m, "--now", &env.now(), "--format", "json"]);
    env.faults(
        serde_json::json!({"readFaultEvery": {"every": every, "kind": kind}, "retryAfterSecs": 0}),
    );
    // One read at a time: the switch counts reads across all requests, so with reads in
    // parallel one request could meet the fault on every retry and exhaust them by chance.
    let faulty = env.run(&[
        "plan",
        m,
        "--now",
        &env.now(),
        "--format",
        "json",
        "--parallelism",
        "1",
    ]);
    assert_eq!(faulty.status.code(), Some(0), "{}", stderr(&faulty));
    // The comparison proves something only if faults were served.
    let served = env.faults_served()[kind].as_u64().unwrap_or(0);
    assert!(served >= 2, "{served} {kind} fault(s) served");
    let strip = |o: &std::process::Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_object_mut().unwrap().remove("plan_id");
        v.as_object_mut().unwrap().remove("observed_at_ms");
        v.as_object_mut().unwrap().remove("nonce");
        for p in v["pbxs"].as_array_mut().unwrap() {
            for a in p["actions"].as_array_mut().unwrap() {
                if let Some(o) = a["order"].as_object_mut() {
                    o.remove("poNumber");
                }
            }
        }
        v
    };
    assert_eq!(strip(&clean), strip(&faulty));
}

/// The examples' plan, priced, against the vendor as documented and no more: the same orders
/// as against the obliging sandbox, every one priced with the documented calculator body.
#[test]
fn the_documented_only_vendor_plans_and_prices_the_examples_the_same() {
    let bodies = |env: &Env| -> (Vec<Value>, String) {
        let out = env.run(&[
            "plan",
            &Env::examples_arg(),
            "--now",
            &env.now(),
            "--format",
            "json",
            "--price",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut orders = Vec::new();
        for p in doc["pbxs"].as_array().unwrap() {
            for a in p["actions"].as_array().unwrap() {
                assert!(a.get("price_error").is_none(), "{a}");
                if !a["order"].is_null() {
                    assert!(a["price"]["total"].is_string(), "{a}");
                    orders.push(a["order"].clone());
                }
            }
        }
        (orders, doc["summary"]["totals"].to_string())
    };
    let obliging = bodies(&Env::new());
    let documented = Env::with(|c| c.variant = entitle::sandbox::Variant::documented_only());
    assert_eq!(bodies(&documented), obliging);
    let quotes = documented.statuses("/pricing/openapi/purchase/v1/pricing/calculate");
    assert!(
        quotes.len() >= 4 && quotes.iter().all(|s| *s == 200),
        "{quotes:?}"
    );
}

/// A vendor that answers 429 beyond 3 requests per second: the plan is the same as without the
/// limit, with no error; the client slowed down and retried (the 429s were served).
#[test]
fn a_throttling_vendor_slows_the_plan_down_but_never_fails_it() {
    let plan = |env: &Env| {
        let out = env.run(&[
            "plan",
            &Env::examples_arg(),
            "--now",
            &env.now(),
            "--no-price",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(!stderr(&out).contains("error"), "{}", stderr(&out));
        crate::support::redact(&stdout(&out))
    };
    let free = plan(&Env::new());
    let env = Env::new();
    env.faults(serde_json::json!({"rateLimit": 3}));
    assert_eq!(plan(&env), free);
    assert!(env.faults_served()["rate_limit"].as_u64().unwrap_or(0) > 0);
}
