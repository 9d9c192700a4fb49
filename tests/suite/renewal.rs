//! A renewal buys only what the manifest wants, whichever way the vendor reads rule 5: a vendor
//! that refuses a renewal without every subscribed service gets nothing bought and a message
//! saying how to keep the service; one that accepts it renews the plan and lets the dropped
//! service lapse.

use indoc::indoc;
use serde_json::json;

use crate::support::{Env, stderr, stdout};

/// The demo Cloud PBX, renewed, without its High Availability.
const DROPS_HA: &str = indoc! {"
    version: 1
    pbxs:
      - sn: 3658B431119665QJ
        product: cloud-pbx
        billingContact: billing@example.com
        services: []
"};

#[test]
fn the_plan_renews_without_the_dropped_service_and_shows_the_lapse() {
    let env = Env::new();
    let m = env.manifest("m.yaml", DROPS_HA);
    let out = env.run(&[
        "plan",
        m.to_str().unwrap(),
        "--now",
        &env.now(),
        "--no-price",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("renew Enterprise Plan; let High Availability lapse"),
        "{text}"
    );
    assert!(
        text.contains("~ services: High Availability → not renewed: the manifest drops it; it lapses on 2026-12-10"),
        "{text}"
    );
    assert!(!text.contains("Manual changes"), "{text}");
}

#[test]
fn a_vendor_that_wants_every_service_buys_nothing_and_says_how_to_keep_it() {
    let env = Env::new();
    assert_eq!(
        env.get("/_sandbox/faults")["renewalRequiresAllServices"],
        true,
        "the documented rule 5 is the default"
    );
    let m = env.manifest("m.yaml", DROPS_HA);
    let out = env.apply(m.to_str().unwrap());
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("renew_plan must include every subscribed service"),
        "{text}"
    );
    assert!(
        text.contains("to keep High Availability, list it under `services:`"),
        "{text}"
    );
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 1);
    assert!(env.order_bodies().is_empty(), "nothing was bought");
}

#[test]
fn a_vendor_that_accepts_it_renews_the_plan_and_lets_the_service_lapse() {
    let env = Env::with(|c| c.renewal_requires_all_services = false);
    let m = env.manifest("m.yaml", DROPS_HA);
    let out = env.apply(m.to_str().unwrap());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let bodies = env.order_bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0]["serviceList"],
        json!([{"serviceType": "plan", "serviceId": 3048571730026938368u64, "quantity": 100,
                "purchaseType": "renew", "billingModel": "recurring", "billingCycle": "annually",
                "multiCycle": 0}])
    );
    let state = env.get("/_sandbox/state");
    let pce = state["world"]["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["sn"] == "3658B431119665QJ")
        .unwrap()
        .clone();
    assert_eq!(pce["plan"]["expire"], "2027-12-10", "{pce}");
    assert_eq!(
        pce["services"][0]["expire"], "2026-12-10",
        "HA lapses: {pce}"
    );
    // The admin switch says the same.
    env.faults(json!({"renewalRequiresAllServices": true}));
    assert_eq!(
        env.get("/_sandbox/faults")["renewalRequiresAllServices"],
        true
    );
}
