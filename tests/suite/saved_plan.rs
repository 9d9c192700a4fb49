//! Saved plans are verified, not trusted: every kind of edit to `plan.json` — a quantity, a
//! service, the PBX an order is for, a repeated entry, a missing poNumber, the recorded desired
//! state — and a corrupt or replayed file are each refused with exit 3, a message saying which,
//! and zero orders sent. The untouched plan still applies.

use indoc::indoc;
use serde_json::{Value, json};

use crate::support::{Env, stderr};

/// Acme's PBX from 100 to 300 extensions with Hotel PMS Integration: one `purchase_service`
/// with two lines. Globex's switch to Ultimate: a second PBX.
const MANIFEST: &str = indoc! {"
    version: 1
    defaults:
      billingContact: billing@example.com
    pbxs:
      - sn: 3651D3296882
        product: software-edition
        extensions: 300
        services: [Hotel PMS Integration]
      - sn: \"3631E0997265\"
        product: appliance
        plan: Ultimate Plan
        billingCycle: annually
        term: 1
"};

const SAVES: &str = "POST /order/openapi/order/v1/save";

/// A workspace with `plan.json` saved from [`MANIFEST`].
fn saved() -> (Env, Value) {
    let env = Env::new();
    let m = env.manifest("m.yaml", MANIFEST);
    let out = env.save_plan(m.to_str().unwrap());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(env.path().join("plan.json")).unwrap();
    (env, serde_json::from_str(&text).unwrap())
}

/// Writes `plan` as plan.json, applies it, and asserts a refusal mentioning `why` with
/// nothing sent.
#[track_caller]
fn refused(env: &Env, plan: &Value, why: &str) -> String {
    std::fs::write(
        env.path().join("plan.json"),
        serde_json::to_string_pretty(plan).unwrap(),
    )
    .unwrap();
    let out = env.run(&["apply", "plan.json", "--auto-approve"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains(why), "expected `{why}` in:\n{err}");
    assert!(err.contains("nothing was sent"), "{err}");
    assert_eq!(env.count(SAVES), 0, "an order was sent: {err}");
    err
}

fn acme_order(plan: &mut Value) -> &mut Value {
    &mut plan["pbxs"][0]["actions"][0]["order"]
}

#[test]
fn an_edited_quantity_is_refused() {
    let (env, mut plan) = saved();
    let line = &mut acme_order(&mut plan)["serviceList"][0];
    assert_eq!(line["quantity"], 200);
    line["quantity"] = json!(2000);
    let err = refused(&env, &plan, "refusing an edited plan");
    assert!(
        err.contains("order.serviceList[0].quantity is 2000 in the plan, 200 when re-derived"),
        "{err}"
    );
}

#[test]
fn a_swapped_service_is_refused() {
    let (env, mut plan) = saved();
    // Hotel PMS Integration → another service of the catalog.
    acme_order(&mut plan)["serviceList"][1]["serviceId"] = json!(3_049_060_579_827_040_256_u64);
    let err = refused(&env, &plan, "refusing an edited plan");
    assert!(
        err.contains("serviceList[1].serviceId is 3049060579827040256"),
        "{err}"
    );
}

#[test]
fn an_order_moved_to_another_pbx_is_refused() {
    let (env, mut plan) = saved();
    acme_order(&mut plan)["productNo"] = json!("3631E0997265");
    let err = refused(&env, &plan, "refusing an edited plan");
    assert!(err.contains("order.productNo is \"3631E0997265\""), "{err}");
    // The entry itself moved to another PBX: its recorded desired state is not that PBX's.
    let (env, mut plan) = saved();
    plan["pbxs"][0]["sn"] = json!("3631E0997265");
    refused(&env, &plan, "its desired state for 3651D3296882");
}

#[test]
fn a_repeated_entry_or_a_missing_po_number_is_refused() {
    let (env, mut plan) = saved();
    let first = plan["pbxs"][0].clone();
    plan["pbxs"].as_array_mut().unwrap().push(first);
    refused(
        &env,
        &plan,
        "3651D3296882 (software-edition) is in the plan twice",
    );

    let (env, mut plan) = saved();
    let actions = plan["pbxs"][0]["actions"].as_array_mut().unwrap();
    let again = actions[0].clone();
    actions.push(again);
    refused(&env, &plan, "a poNumber is repeated");

    let (env, mut plan) = saved();
    acme_order(&mut plan)["poNumber"] = Value::Null;
    refused(&env, &plan, "order.poNumber is null in the plan");
}

#[test]
fn edited_inputs_no_longer_match_the_plan_id() {
    // The desired state and the order edited together, consistently: the plan ID gives it away.
    let (env, mut plan) = saved();
    plan["pbxs"][0]["desired"]["extensions"]["value"] = json!(2100);
    acme_order(&mut plan)["serviceList"][0]["quantity"] = json!(2000);
    refused(&env, &plan, "does not match the plan's content");
    // The observed state edited: it no longer matches its fingerprint.
    let (env, mut plan) = saved();
    plan["pbxs"][0]["observed"]["extensions"] = json!(0);
    refused(&env, &plan, "does not match its fingerprint");
}

#[test]
fn a_corrupt_plan_is_refused() {
    let (env, _) = saved();
    let path = env.path().join("plan.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let out = env.run(&["apply", "plan.json", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refusing a corrupt plan"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.count(SAVES), 0);
}

#[test]
fn the_untouched_plan_applies_once_then_a_replay_is_refused() {
    let (env, _) = saved();
    let out = env.run(&["apply", "plan.json", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.count(SAVES), 2);
    let again = env.run(&["apply", "plan.json", "--auto-approve"]);
    assert_eq!(again.status.code(), Some(3));
    assert!(
        stderr(&again).contains("refusing to replay plan"),
        "{}",
        stderr(&again)
    );
    assert_eq!(env.count(SAVES), 2);
}

/// A plan saved before an order of this workspace whose outcome is not known yet: applying it
/// now could buy the same thing again (the vendor may store the first order any moment). It is
/// refused in doubt (exit 6), nothing sent, until the order shows — then the plan is stale —
/// or the settle period passes with no trace.
#[test]
fn a_saved_plan_waits_while_an_order_of_this_workspace_is_in_doubt() {
    let (env, _) = saved();
    let now = env.now();
    // Meanwhile, another change to Acme is sent, and the vendor stores it only after the
    // client gave up.
    let m = env.manifest(
        "m400.yaml",
        indoc! {"
            version: 1
            defaults:
              billingContact: billing@example.com
            pbxs:
              - sn: 3651D3296882
                product: software-edition
                extensions: 400
        "},
    );
    env.faults(json!({"holdOrderSave": {"skip": 0, "phase": "before_commit"}}));
    let first = env
        .cmd()
        .args(["apply", m.to_str().unwrap(), "--auto-approve", "--no-price"])
        .args(["--now", &now])
        .env("ENTITLE_TIMEOUT", "1")
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(5), "{}", stderr(&first));

    // Not stored yet: the saved plan still matches the PBX, but may not be applied.
    let out = env.apply_saved();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(
        err.contains("in doubt: 3651D3296882 (software-edition): order ent-"),
        "{err}"
    );
    assert!(err.contains("refusing to apply plan plan-"), "{err}");
    assert!(err.contains("1 PBX with an order"), "{err}");
    assert!(
        err.contains("nothing was sent") && err.contains("re-run after "),
        "{err}"
    );
    assert_eq!(
        env.order_bodies().len(),
        0,
        "the held order is not stored yet"
    );
    assert_eq!(env.count(SAVES), 0, "only the held save reached the vendor");

    // The vendor stores it: Acme moved, so the saved plan is stale, and still nothing more
    // is bought.
    env.release_and_settle();
    let out = env.apply_saved();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("stale"), "{}", stderr(&out));
    assert_eq!(env.order_bodies().len(), 1);
    env.settle();
    let out = env.apply_saved();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(env.order_bodies().len(), 1);
}

/// The same `plan.json` applied from a second checkout (another workspace journal), on a
/// vendor that lists orders 20 s late and shows their effect later still: once the first
/// apply's orders show in the list — by poNumber, or, where the vendor echoes none, as orders
/// on the plan's PBXs placed since it was made — the replay is refused with exit 3, before
/// anything is sent. The check reads the order list once, and the executor would have read it
/// anyway: no extra request.
#[test]
fn a_saved_plan_applied_again_from_a_second_checkout_is_refused() {
    for echo in [true, false] {
        let env = Env::with(|c| {
            c.variant.echo_reference = echo;
            c.variant.list_lag_ms = 20_000;
            c.variant.effect_lag_ms = 90_000;
        });
        let m = env.manifest("m.yaml", MANIFEST);
        assert_eq!(env.save_plan(m.to_str().unwrap()).status.code(), Some(0));
        let second = env.path().join("second-checkout");
        std::fs::create_dir_all(&second).unwrap();
        std::fs::copy(env.path().join("plan.json"), second.join("plan.json")).unwrap();
        let lists_before = env.count("GET /order/openapi/order/v1/list");
        let first = env.apply_saved();
        assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
        assert_eq!(env.count(SAVES), 2);
        // One read of the order list served the check and the executor's first checks.
        let lists = env.count("GET /order/openapi/order/v1/list") - lists_before;
        env.sandbox.advance(25_000);
        let again = env
            .std_cmd()
            .current_dir(&second)
            .args(env.apply_saved_args())
            .output()
            .unwrap();
        assert_eq!(
            again.status.code(),
            Some(3),
            "echo {echo}: {}",
            stderr(&again)
        );
        assert!(
            stderr(&again).contains("shows it applied"),
            "{}",
            stderr(&again)
        );
        assert_eq!(env.count(SAVES), 2, "echo {echo}: nothing sent again");
        assert!(
            lists <= 2,
            "echo {echo}: {lists} order-list reads for the first apply"
        );
    }
}
