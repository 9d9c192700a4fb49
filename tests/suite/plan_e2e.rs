//! `plan` end to end: the three output formats as snapshots, the exact reads a plan makes, exit
//! codes, and plan-time rule errors located in the manifest.

use crate::support::{Env, stderr, stdout};
use indoc::indoc;
use serde_json::Value;

/// The obliging sandbox, and the vendor as documented and no more (a catalog of confirmed
/// fields, the documented calculator body, 50-item pages, `sort` ignored, no echo, times in
/// seconds): the plan tests run against both.
fn vendors() -> [Env; 2] {
    [
        Env::new(),
        Env::with(|c| c.variant = entitle::sandbox::Variant::documented_only()),
    ]
}

/// Copies the example repository into the workspace so paths in the output are relative.
pub(crate) fn with_examples(env: &Env) -> &'static str {
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
fn a_satisfied_manifest_reads_one_detail_per_pbx_and_prices_only_what_it_shows() {
    for env in vendors() {
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
        // The appliance's term ends within 30 days and `renew: false` holds it back: shown
        // with its price, which costs its catalog (per SN) and one quote; nothing else.
        assert!(
            stdout(&out).contains("Upcoming renewals, not ordered (1, USD 40.00):"),
            "{}",
            stdout(&out)
        );
        assert_eq!(
            env.count("GET /product/openapi/instance_product/v1/detail"),
            2
        );
        assert_eq!(
            env.count("GET /pricing/openapi/purchase/v1/purchase_product_info"),
            1
        );
        assert_eq!(
            env.count("GET /user/openapi/user/v1/client/billing_contact_list"),
            0
        );
        assert_eq!(env.count("GET /order/openapi/order/v1/page"), 1);
        // Every SN is found: the account's SNs are not listed (only an unknown SN asks).
        assert_eq!(
            env.count("GET /product/openapi/instance_product/v1/client/instance_product_list"),
            0
        );
        assert_eq!(
            env.count("POST /pricing/openapi/purchase/v1/pricing/calculate"),
            1
        );
    }
}

#[test]
fn a_misspelt_service_names_the_line_and_the_right_name() {
    for env in vendors() {
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
}

#[test]
fn disaster_recovery_under_enterprise_names_ultimate_plan() {
    for env in vendors() {
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
        // One snapshot for both vendors: the documented one says the same, from the table.
        insta::assert_snapshot!(
            "disaster_recovery_under_enterprise_names_ultimate_plan",
            stderr(&out)
        );
    }
}

#[test]
fn an_sn_not_in_the_account_names_the_manifest_line() {
    for env in vendors() {
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
            stderr(&out)
                .contains("x.yaml:3:5: NOSUCHPBX1 (cloud-pbx): SN not found in the account"),
            "{}",
            stderr(&out)
        );
        // The account's Cloud PBXs were listed for a suggestion, once (none is near).
        assert_eq!(
            env.count("GET /product/openapi/instance_product/v1/client/instance_product_list"),
            1
        );
    }
}

#[test]
fn selection_by_sn_and_label() {
    for env in vendors() {
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
    for env in vendors() {
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

/// A pull-request comment points every change at its line, and links it with `--link-base`.
#[test]
fn markdown_links_each_change_to_its_manifest_line() {
    let env = Env::new();
    let m = with_examples(&env);
    let base = "https://github.com/acme/entitlements/blob/4b825dc";
    let out = env.run(&[
        "plan",
        m,
        "--now",
        &env.now(),
        "--format",
        "markdown",
        "--no-price",
        "--link-base",
        base,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = stdout(&out);
    // acme.yaml: `extensions: 300` is line 19, Hotel PMS Integration line 22.
    let acme = format!("{base}/manifests/examples/acme.yaml");
    assert!(
        md.contains(&format!(
            "  - `~` extensions: 100 → 300 — [`manifests/examples/acme.yaml:19`]({acme}#L19)"
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "  - `+` services: Hotel PMS Integration — [`manifests/examples/acme.yaml:22`]({acme}#L22)"
        )),
        "{md}"
    );
    assert!(
        md.starts_with(
            "### entitle plan: 4 orders and 1 auto-renew switch for 4 PBXs (not priced)\n"
        ),
        "{md}"
    );
    assert!(md.contains("| acme | 1 | 1 | 1 | not priced |"), "{md}");
}

/// Past `--max-chars` (counted in bytes) the details are cut, the table and the total stay,
/// and the comment names the saved plan, which `show` renders the same way.
#[test]
fn a_long_markdown_plan_is_shortened_and_names_the_saved_plan() {
    let env = Env::new();
    let m = with_examples(&env);
    let args = ["--format", "markdown", "--max-chars", "1800"];
    let out = env.run(
        &[
            &["plan", m, "--now", &env.now(), "-o", "plan.json"][..],
            &args[..],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = stdout(&out);
    assert!(md.len() <= 1800, "{} bytes", md.len());
    assert!(
        md.starts_with(
            "### entitle plan: 4 orders and 1 auto-renew switch for 4 PBXs, USD 7,900.00\n"
        ),
        "{md}"
    );
    for row in [
        "| acme | 1 | 1 | 1 | USD 2,180.00 |",
        "| umbrella | 1 | 1 | 1 | USD 5,000.00 |",
        "| **all** | **4** | **4** | **4** | **USD 7,900.00** |",
    ] {
        assert!(md.contains(row), "{row} missing: {md}");
    }
    assert!(
        md.contains("are left out; the table above and the total count them. Every order is in the saved plan: `entitle show plan.json`."),
        "{md}"
    );
    let shown = env.run(&[&["show", "plan.json"][..], &args[..]].concat());
    assert_eq!(shown.status.code(), Some(0), "{}", stderr(&shown));
    assert_eq!(stdout(&shown), md);
}

/// When there is no plan, Markdown and JSON still print a document saying why, so CI can post
/// it; the text goes to stderr as always.
#[test]
fn a_failed_plan_prints_why_in_markdown_and_json() {
    let env = Env::new();
    let bad = env.manifest(
        "bad.yaml",
        indoc! {r#"
            version: 1
            pbxs:
              - sn: "3651D3296882"
                product: software-edition
                extentions: 300
        "#},
    );
    let bad = bad.file_name().unwrap().to_str().unwrap();
    let md = env.run(&["plan", bad, "--format", "markdown"]);
    assert_eq!(md.status.code(), Some(1));
    assert_eq!(
        stdout(&md),
        indoc! {"
            ### entitle plan failed (exit 1)

            the manifests are not valid; nothing was planned

            - `bad.yaml:5`: unknown field `extentions`, did you mean `extensions`? — help: fields of a PBX entry: sn, product, productId, plan, planId, billingCycle, term, extensions, concurrentCalls, services, autoRenew, renew, renewBefore, billingContact, labels; keys starting with `x-` are ignored (room for YAML anchors)

            <sub>no plan · nothing was sent</sub>
        "}
    );
    assert!(stderr(&md).contains("error: bad.yaml:5:5: unknown field `extentions`"));

    let json = env.run(&["plan", bad, "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let doc: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(doc["error"]["exit_code"], 1);
    assert_eq!(doc["error"]["problems"][0]["file"], "bad.yaml");
    assert_eq!(doc["error"]["problems"][0]["line"], 5);
    assert_eq!(doc["error"]["problems"][0]["column"], 5);
    assert_eq!(doc["error"]["problems"][0]["code"], "unknown-field");
    assert!(doc.get("pbxs").is_none(), "{doc}");

    // A plan the vendor's rules refuse, and a vendor that cannot be reached.
    let refused = env.manifest(
        "refused.yaml",
        indoc! {r#"
            version: 1
            pbxs:
              - sn: "3651D3296882"
                product: software-edition
                plan: Ultimate Plna
        "#},
    );
    let out = env.run(&[
        "plan",
        refused.to_str().unwrap(),
        "--now",
        &env.now(),
        "--format",
        "markdown",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("### entitle plan failed (exit 1)\n\nthe plan breaks the vendor's rules; nothing was planned and nothing was sent\n\n- `"), "{text}");
    assert!(text.contains("refused.yaml:5`: "), "{text}");
    assert!(text.contains("Ultimate Plan"), "did you mean: {text}");

    let ok = env.manifest(
        "ok.yaml",
        "version: 1\npbxs:\n  - sn: \"3651D3296882\"\n    product: software-edition\n",
    );
    let unreachable = env
        .cmd()
        .args(["plan", ok.to_str().unwrap(), "--format", "markdown"])
        .env("ENTITLE_BASE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(1));
    let text = stdout(&unreachable);
    assert!(
        text.starts_with("### entitle plan failed (exit 1)\n\n"),
        "{text}"
    );
    assert!(text.contains("cannot connect"), "{text}");
    assert!(!text.contains(crate::support::SECRET), "{text}");
}

/// A real 1,000-order plan (each order priced, each change linked) as a pull-request comment:
/// under GitHub's limit, with the total and every customer's row.
#[test]
fn a_thousand_order_plan_fits_a_pull_request_comment() {
    let env = Env::with(|c| c.seed = entitle::sandbox::Seed::Fleet(4_800));
    let state = env.get("/_sandbox/state");
    let grown: Vec<&Value> = state["world"]["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["productId"] == 12 && !p["plan"].is_null())
        .take(1_000)
        .collect();
    assert_eq!(grown.len(), 1_000, "the fleet is too small");
    let mut yaml = String::from(
        "version: 1\ndefaults:\n  billingContact: billing@example.com\n  renew: false\npbxs:\n",
    );
    for (i, p) in grown.iter().enumerate() {
        yaml.push_str(&format!(
            "  - sn: {}\n    product: software-edition\n    extensions: {}\n    labels: {{customer: customer-{:02}}}\n",
            p["sn"].as_str().unwrap(),
            p["extensions"].as_u64().unwrap() + 10,
            i % 100
        ));
    }
    env.manifest("fleet.yaml", &yaml);
    let base = "https://github.com/acme/entitlements/blob/0123456789abcdef0123456789abcdef01234567";
    let out = env.run(&[
        "plan",
        "fleet.yaml",
        "--now",
        &env.now(),
        "--format",
        "markdown",
        "-o",
        "plan.json",
        "--link-base",
        base,
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = stdout(&out);
    let len = md.chars().count();
    assert!(len < 65_000, "{len} characters");
    // Every order got a price: the total leaves nothing out.
    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(env.path().join("plan.json")).unwrap())
            .unwrap();
    assert_eq!(plan["summary"]["orders"], 1_000);
    assert_eq!(plan["summary"]["unpriced"], 0);
    let title = md.lines().next().unwrap();
    assert!(
        title.starts_with("### entitle plan: 1000 orders for 1000 PBXs, USD ")
            && !title.contains("without"),
        "{title}"
    );
    for c in 0..100 {
        let row = format!("| customer-{c:02} | 10 | 10 | 10 | USD ");
        assert!(md.contains(&row), "no row for customer-{c:02}");
    }
    assert!(
        md.contains("| **all** | **1000** | **1000** | **1000** | **USD "),
        "{md}"
    );
    assert!(md.contains("— [`fleet.yaml:"), "changes are linked");
    assert!(md.contains("Every order is in the saved plan: `entitle show plan.json`."));
}

/// The vendor answers one PBX's detail in a form no client can read: that PBX is set aside
/// with the reason, on its manifest line, and nothing is ordered for it; the other three are
/// planned, applied (exit 4: not everything could be done) and saved plans of it still verify.
#[test]
fn a_pbx_whose_detail_cannot_be_read_is_set_aside_and_the_rest_go_ahead() {
    let env = Env::new();
    let m = with_examples(&env);
    env.faults(serde_json::json!({"unreadableDetail": ["3651D3296882"]}));
    let set_aside = "error: manifests/examples/acme.yaml:14:5: the vendor's answer about \
                     3651D3296882 (software-edition) cannot be read, so nothing is planned for \
                     it: GET /product/openapi/instance_product/v1/detail?productId=12&productNo=3651D3296882: \
                     200 unexpected response: the result does not have the contract's shape";

    let plan = env.save_plan(m);
    assert_eq!(plan.status.code(), Some(1), "{}", stderr(&plan));
    assert!(stderr(&plan).contains(set_aside), "{}", stderr(&plan));
    let text = stdout(&plan);
    assert!(
        text.starts_with("Plan: 3 orders and 1 auto-renew switch for 3 of 4 PBXs in scope."),
        "{text}"
    );
    assert!(!text.contains("+ purchase_service"), "{text}");

    // The saved plan verifies (the set-aside PBX is recorded as such) and orders the rest.
    let saved = env.apply_saved();
    assert_eq!(saved.status.code(), Some(4), "{}", stderr(&saved));
    assert!(stderr(&saved).contains(set_aside), "{}", stderr(&saved));
    let bodies = env.order_bodies();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert!(
        bodies.iter().all(|b| b["productNo"] != "3651D3296882"),
        "{bodies:?}"
    );
    // Read by the plan; the saved plan's check re-reads only the PBXs it orders for.
    assert_eq!(env.faults_served()["unreadable_detail"], 1);

    // Once the vendor answers again, Acme is planned like any PBX.
    env.faults(serde_json::json!({"unreadableDetail": []}));
    let apply = env.apply(m);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert_eq!(env.order_bodies().len(), 4);
}
