//! Drift is named as drift: after an apply, a plan says per PBX why the account differs from
//! its manifest entry — the manifest changed since entitle's last apply, or the account was
//! changed outside entitle (an order placed in the portal), or, where the evidence cannot tell
//! (a fresh workspace, an order older than the window read), that it cannot tell.

use crate::support::{Backend, CONTACT, Env, assert_exit, redact, stdout};
use serde_json::{Value, json};

const SN: &str = "3651D3296882";

/// The head-office PBX on Enterprise Plan with 300 extensions (100 today: 200 are bought).
fn manifest(extensions: u32) -> String {
    format!(
        "version: 1\n\
         defaults:\n  billingContact: billing@example.com\n\
         pbxs:\n  - sn: {SN}\n    product: software-edition\n    plan: Enterprise Plan\n    \
         billingCycle: annually\n    term: 1\n    extensions: {extensions}\n"
    )
}

/// The PBX switched to Ultimate Plan in the vendor's portal: an order with no poNumber, its
/// settle period passed.
fn portal_upgrade(env: &Env) -> String {
    let placed = env.post(
        "/_sandbox/portal/order",
        json!({
            "operationType": "switch_plan",
            "productId": 12,
            "productNo": SN,
            "billingId": CONTACT,
            "serviceList": [{
                "serviceType": "plan",
                "serviceId": 3_049_040_650_094_409_999_u64,
                "purchaseType": "switch",
                "billingModel": "recurring",
                "billingCycle": "annually",
                "multiCycle": 1
            }]
        }),
    );
    env.settle();
    placed["orderNo"].as_str().unwrap().to_owned()
}

fn plan_text(env: &Env, m: &str) -> String {
    let out = env.run(&["plan", m, "--now", &env.now(), "--no-price"]);
    assert_exit(&out, 0);
    redact(&stdout(&out))
}

fn plan_json(env: &Env, m: &str) -> Value {
    let out = env.run(&[
        "plan",
        m,
        "--now",
        &env.now(),
        "--no-price",
        "--format",
        "json",
    ]);
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The causes of the PBX's findings, in order.
fn causes(doc: &Value) -> Vec<String> {
    doc["pbxs"][0]["drift"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["cause"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Applied once, its effect settled.
fn applied(backend: Backend) -> (Env, String) {
    let env = Env::new().on(backend);
    env.manifest("m.yaml", &manifest(300));
    // Relative to the workspace the binary runs in: the plan names it so.
    let m = "m.yaml".to_owned();
    assert_exit(&env.apply(&m), 0);
    env.settle();
    assert_exit(&env.plan_detailed(&m), 0);
    (env, m)
}

/// The plan's text once the manifest asks for more than entitle applied.
fn a_changed_manifest_is_named(backend: Backend) -> String {
    let (env, m) = applied(backend);
    env.manifest("m.yaml", &manifest(400));
    let text = plan_text(&env, &m);
    assert!(
        text.contains("the manifest changed since entitle's last apply (2026-11-22): extensions"),
        "{text}"
    );
    assert!(!text.contains("drift:"), "{text}");
    assert_eq!(causes(&plan_json(&env, &m)), ["manifest"]);
    text
}

#[test]
fn a_changed_manifest_is_named_as_such() {
    insta::assert_snapshot!(a_changed_manifest_is_named(Backend::Workspace));
}

#[test]
fn a_changed_manifest_is_named_as_such_on_the_shared_backend() {
    a_changed_manifest_is_named(Backend::Postgres);
}

#[test]
fn an_order_placed_in_the_portal_is_drift_named_by_its_order() {
    let (env, m) = applied(Backend::Workspace);
    let order = portal_upgrade(&env);
    let text = plan_text(&env, &m);
    assert!(
        text.contains(&format!(
            "drift: changed outside entitle: order {order} (switch_plan, 2026-11-22) was not placed by entitle"
        )),
        "{text}"
    );
    insta::assert_snapshot!(text);
    let doc = plan_json(&env, &m);
    assert_eq!(causes(&doc), ["outside"]);

    // And the manifest changed too: both are said.
    env.manifest("m.yaml", &manifest(400));
    let doc = plan_json(&env, &m);
    assert_eq!(causes(&doc), ["outside", "manifest"], "{doc:#}");
}

/// Without a record of an apply, and with the portal's order older than the window read, the
/// evidence cannot tell whether the account or the manifest changed: the plan says so.
#[test]
fn a_fresh_workspace_cannot_tell_and_says_so() {
    let env = Env::new();
    portal_upgrade(&env);
    env.sandbox.advance(31 * 86_400_000);
    env.manifest("m.yaml", &manifest(300));
    let text = plan_text(&env, "m.yaml");
    insta::assert_snapshot!(text);
    assert!(
        text.contains(
            "cannot tell whether the account or the manifest changed: no record of an entitle apply of this PBX, and no order outside entitle in the last 30 days"
        ),
        "{text}"
    );
    assert_eq!(causes(&plan_json(&env, "m.yaml")), ["unknown"]);

    // Within the window, the portal's order is the evidence, even without a record: the
    // vendor is not seen to echo poNumbers here (no entitle order in the list), so the order
    // may be another workspace's entitle: still cannot tell, and the order is named.
    let env = Env::new();
    let order = portal_upgrade(&env);
    env.manifest("m.yaml", &manifest(300));
    let text = plan_text(&env, "m.yaml");
    assert!(
        text.contains(&format!(
            "order {order} (switch_plan, 2026-11-22) carries no poNumber"
        )),
        "{text}"
    );
}

/// The sandbox plays the vendor's auto-renewal either way: listed as an order with no
/// reference, or leaving no order; the term moves one on both times.
#[test]
fn the_sandbox_auto_renews_listed_or_not() {
    let env = Env::new();
    let renew = |listed: bool| {
        env.post(
            "/_sandbox/portal/auto-renew",
            json!({"productId": 12, "productNo": SN, "listed": listed}),
        )
    };
    let unlisted = renew(false);
    assert_eq!(unlisted["expireDate"], "2028-05-01");
    assert!(unlisted["orderNo"].is_null());
    assert!(env.get("/_sandbox/orders").as_array().unwrap().is_empty());
    let listed = renew(true);
    assert_eq!(listed["expireDate"], "2029-05-01");
    let orders = env.get("/_sandbox/orders");
    assert_eq!(orders[0]["orderNo"], listed["orderNo"]);
    assert_eq!(orders[0]["operationType"], "renew_plan");
    assert!(orders[0]["poNumber"].is_null());
}
