//! An SN the account does not have, beside manifests that are right: the rest is planned and
//! shown in every format, the run exits 1 naming the SN's `file:line:column`, nothing is ever
//! applied, and a near miss names the SN the account has.

use indoc::indoc;
use serde_json::Value;

use crate::plan_e2e::with_examples;
use crate::support::{Env, assert_exit, redact, stderr, stdout};

/// The extra manifest of the tests: one Software Edition the demo account does not have.
const NOSUCH: &str = indoc! {"
    version: 1
    defaults:
      billingContact: billing@example.com
    pbxs:
      - sn: NOSUCH0000001
        product: software-edition
        extensions: 200
"};

/// What the sandbox was asked to do, as opposed to read: every order and auto-renew switch.
fn writes(env: &Env) -> (u64, u64, usize) {
    (
        env.count("POST /order/openapi/order/v1/save"),
        env.count("POST /product/openapi/instance_subscription/v1/active"),
        env.order_bodies().len(),
    )
}

/// The four examples and `extra.yaml` with the unknown SN, in the workspace.
fn examples_and_nosuch(env: &Env) -> &'static str {
    env.manifest("extra.yaml", NOSUCH);
    with_examples(env)
}

/// The done-when case: the four examples' orders are planned and shown, and the run exits 1
/// naming the unknown SN at its place, with `--detailed-exitcode` too (an error wins over
/// "changes"). The account's SNs are listed once, for the product of the unknown SN only.
#[test]
fn an_unknown_sn_beside_the_examples_leaves_their_plan_and_exits_1() {
    let env = Env::new();
    let m = examples_and_nosuch(&env);
    let now = env.now();
    let out = env.run(&[
        "plan",
        m,
        "extra.yaml",
        "--now",
        &now,
        "--detailed-exitcode",
    ]);
    assert_exit(&out, 1);
    insta::assert_snapshot!(redact(&stdout(&out)));
    assert_eq!(
        stderr(&out),
        "error: extra.yaml:5:5: NOSUCH0000001 (software-edition): SN not found in the account under this product [unknown-sn]\n  \
         help: check the SN and `product`; `entitle export --product software-edition` lists the PBXs the account has under this product\n\
         1 plan error; the other PBXs are planned, but no order of this plan can be applied until the manifests are fixed\n"
    );
    assert_eq!(
        env.count("GET /product/openapi/instance_product/v1/detail"),
        5
    );
    // The account's SNs are listed only for the unknown SN's product (12), and read whole.
    let lists: Vec<String> = env.get("/_sandbox/requests")["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["path"] == "/product/openapi/instance_product/v1/client/instance_product_list"
        })
        .map(|r| r["query"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(lists.len(), 1, "{lists:?}");
    assert!(lists[0].contains("productId=12"), "{lists:?}");
    assert_eq!(writes(&env), (0, 0, 0), "plan never orders");
}

/// The JSON plan holds the four examples' PBXs and orders, and the error with its place and
/// code; the Markdown comment shows the plan and the error, once, under "Needs attention".
#[test]
fn json_and_markdown_carry_the_plan_and_the_error() {
    let env = Env::new();
    let m = examples_and_nosuch(&env);
    let now = env.now();
    let out = env.run(&["plan", m, "extra.yaml", "--now", &now, "--format", "json"]);
    assert_exit(&out, 1);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["format_version"], "1.0");
    assert!(doc.get("error").is_none(), "a plan, not a failure: {doc}");
    let sns: Vec<&str> = doc["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sn"].as_str().unwrap())
        .collect();
    assert_eq!(
        sns,
        [
            "3651D3296882",
            "3631E0997265",
            "369471667338",
            "3658B431119665QJ"
        ]
    );
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(
        (
            &e["code"],
            &e["sn"],
            &e["product"],
            &e["file"],
            &e["line"],
            &e["column"]
        ),
        (
            &Value::from("unknown-sn"),
            &Value::from("NOSUCH0000001"),
            &Value::from(12),
            &Value::from("extra.yaml"),
            &Value::from(5),
            &Value::from(5)
        )
    );
    assert_eq!(
        e["message"],
        "NOSUCH0000001 (software-edition): SN not found in the account under this product"
    );
    assert_eq!(doc["summary"]["pbxs"], 5);
    assert_eq!(doc["summary"]["changed"], 4);
    assert_eq!(doc["summary"]["errors"], 1);
    assert_eq!(doc["summary"]["orders"], 4);
    assert_eq!(doc["summary"]["auto_renew_switches"], 1);

    let out = env.run(&[
        "plan",
        m,
        "extra.yaml",
        "--now",
        &now,
        "--format",
        "markdown",
        "--price",
    ]);
    assert_exit(&out, 1);
    let md = stdout(&out);
    assert_eq!(md.matches("SN not found in the account").count(), 1, "{md}");
    insta::assert_snapshot!(redact(&md));
    assert_eq!(writes(&env), (0, 0, 0));
}

/// `apply` of the examples beside the unknown SN places no order and switches no auto-renewal:
/// bad input buys nothing. It exits 1 naming the SN, and journals nothing.
#[test]
fn apply_with_an_unknown_sn_places_no_order_at_all() {
    let env = Env::new();
    let m = examples_and_nosuch(&env);
    let now = env.now();
    for format in ["text", "json"] {
        let out = env.run(&[
            "apply",
            m,
            "extra.yaml",
            "--now",
            &now,
            "--auto-approve",
            "--no-price",
            "--format",
            format,
        ]);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(
            err.starts_with(
                "error: extra.yaml:5:5: NOSUCH0000001 (software-edition): SN not found in the account under this product [unknown-sn]\n"
            ),
            "{err}"
        );
        assert!(
            err.ends_with("1 plan error; nothing was sent: fix the manifests and run again\n"),
            "{err}"
        );
        assert_eq!(writes(&env), (0, 0, 0), "{format}");
        assert!(env.journal().is_empty(), "{:?}", env.journal());
        // What would have been placed is shown, in the format asked for, with the error.
        if format == "json" {
            let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
            assert_eq!(doc["errors"][0]["sn"], "NOSUCH0000001");
            assert_eq!(doc["summary"]["orders"], 4);
        } else {
            assert!(
                stdout(&out).contains("No order of this plan is placed until it is fixed."),
                "{}",
                stdout(&out)
            );
        }
    }

    // Once the wrong entry is gone, the same examples are applied: it was the error alone that
    // stopped them.
    let out = env.run(&["apply", m, "--now", &now, "--auto-approve", "--no-price"]);
    assert_exit(&out, 0);
    assert_eq!(writes(&env).2, 4);
}

/// A plan saved with the error says it cannot be applied, and `apply plan.json` refuses it
/// (exit 1, nothing sent); `show` renders it with its error.
#[test]
fn a_saved_plan_with_an_unknown_sn_is_refused() {
    let env = Env::new();
    let m = examples_and_nosuch(&env);
    let now = env.now();
    let out = env.run(&[
        "plan",
        m,
        "extra.yaml",
        "--now",
        &now,
        "--no-price",
        "-o",
        "plan.json",
    ]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.starts_with("Saved plan plan-")
            && err.contains("`entitle apply` refuses it while its manifests have errors"),
        "{err}"
    );

    let out = env.apply_saved();
    assert_exit(&out, 1);
    let err = redact(&stderr(&out));
    assert_eq!(
        err,
        "error: extra.yaml:5:5: NOSUCH0000001 (software-edition): SN not found in the account under this product [unknown-sn]\n  \
         help: check the SN and `product`; `entitle export --product software-edition` lists the PBXs the account has under this product\n\
         error: refusing plan plan-[ID]: 1 entry of its manifests is wrong; nothing was sent\n\
         fix the manifests, then run `entitle plan -o` again and review the new plan\n"
    );
    assert_eq!(writes(&env), (0, 0, 0));
    assert!(env.journal().is_empty());

    let out = env.run(&["show", "plan.json"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("1 PBX not planned: its manifest entry has an error."),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("extra.yaml:5:5: NOSUCH0000001 (software-edition)"),
        "{}",
        stderr(&out)
    );
}

/// One manifest of one PBX, planned against the demo account: the exit code, stdout and stderr.
fn plan_one(sn: &str) -> (Option<i32>, String, String) {
    let env = Env::new();
    env.manifest(
        "m.yaml",
        &format!(
            "version: 1\npbxs:\n  - sn: {sn}\n    product: software-edition\n    extensions: 300\n"
        ),
    );
    let out = env.run(&["plan", "m.yaml", "--now", &env.now(), "--no-price"]);
    assert_eq!(writes(&env), (0, 0, 0));
    (out.status.code(), redact(&stdout(&out)), stderr(&out))
}

/// The vendor compares SNs exactly: a lowercase SN is unknown, and the error says the SN is
/// case-sensitive and how the account writes it.
#[test]
fn a_lowercase_sn_says_sns_are_case_sensitive() {
    let (code, out, err) = plan_one("3651d3296882");
    assert_eq!(code, Some(1));
    assert_eq!(
        out,
        "No orders. The PBX in scope could not be planned.\n\
         plan plan-[ID] for 2026-11-22\n\
         1 PBX not planned: its manifest entry has an error. No order of this plan is placed until it is fixed.\n"
    );
    assert_eq!(
        err,
        "error: m.yaml:3:5: 3651d3296882 (software-edition): SN not found in the account under this product [unknown-sn]\n  \
         help: SNs are case-sensitive: the account has `3651D3296882` under this product; write the SN as the account does\n\
         1 plan error; no order of this plan can be applied until the manifests are fixed\n"
    );
}

/// One character off (here a transposition, and a deletion) names the SN the account has.
#[test]
fn an_sn_one_character_off_names_the_sn_the_account_has() {
    for typo in ["3651D3298682", "3651D329682"] {
        let (code, _, err) = plan_one(typo);
        assert_eq!(code, Some(1), "{typo}");
        assert!(
            err.contains(&format!(
                "error: m.yaml:3:5: {typo} (software-edition): SN not found in the account under this product [unknown-sn]\n  \
                 help: did you mean `3651D3296882`? the account has it under this product, one character away\n"
            )),
            "{err}"
        );
    }
}

/// When the account's SNs cannot be listed, the error stands without a hint; and the list is
/// asked for once. Against a scripted vendor: the detail is 404 `not_found`, the list refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlistable_account_still_names_the_unknown_sn() {
    use crate::support::scripted::{CLIENT_ID, Fixture, Reply, SECRET};
    const DETAIL: &str = "/product/openapi/instance_product/v1/detail";
    const LIST: &str = "/product/openapi/instance_product/v1/client/instance_product_list";
    const ORDERS: &str = "/order/openapi/order/v1/page";
    let fx = Fixture::builder()
        .on(
            DETAIL,
            vec![Reply::error(
                404,
                "not_found",
                "productNo 3651d3296882 not found",
            )],
        )
        .on(
            LIST,
            vec![Reply::error(
                403,
                "forbidden",
                "no access to the product list",
            )],
        )
        .on(
            ORDERS,
            vec![Reply::ok(
                serde_json::json!({"count": 0, "pageNo": 1, "pageSize": 50,
                "results": [], "total": 0, "totalPage": 0}),
            )],
        )
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "version: 1\npbxs:\n  - sn: 3651d3296882\n    product: software-edition\n",
    )
    .unwrap();
    let mut cmd = crate::support::command();
    cmd.current_dir(dir.path())
        .args(["plan", "m.yaml", "--now", "2026-11-22", "--no-price"])
        .args(["--base-url", &fx.base_url])
        .env("ENTITLE_CLIENT_ID", CLIENT_ID)
        .env("ENTITLE_CLIENT_SECRET", SECRET)
        .env("ENTITLE_LOCK_DIR", dir.path().join(".locks"))
        .env("NO_COLOR", "1");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_exit(&out, 1);
    assert_eq!(
        stderr(&out),
        "error: m.yaml:3:5: 3651d3296882 (software-edition): SN not found in the account under this product [unknown-sn]\n  \
         help: check the SN and `product`; `entitle export --product software-edition` lists the PBXs the account has under this product\n\
         1 plan error; no order of this plan can be applied until the manifests are fixed\n"
    );
    let lists: Vec<String> = fx
        .requests_to(LIST)
        .iter()
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(lists.len(), 1, "{lists:?}");
    assert!(lists[0].contains("productId=12"), "{lists:?}");
}
