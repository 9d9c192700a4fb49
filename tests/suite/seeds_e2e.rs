//! The five vendor tutorials as end-to-end scenarios: from the demo account, a manifest stating
//! the tutorial's intent makes `plan` show the operation without sending anything, `apply`
//! send exactly the tutorial's order body (field by field) and nothing else, and the next
//! `plan` find nothing to do.

use crate::support::Env;
use indoc::indoc;
use serde_json::Value;

const HEADER: &str = indoc! {"
    version: 1
    defaults:
      billingContact: billing@example.com
"};

/// The scenario on the obliging sandbox, then on the vendor as documented and no more
/// (minimal catalog, 50-item pages, `sort` ignored, no echo, times in seconds).
fn scenario(seed: &str, pbxs: &str, sn: &str, operation: &str) {
    for documented_only in [false, true] {
        scenario_on(documented_only, seed, pbxs, sn, operation);
    }
}

fn scenario_on(documented_only: bool, seed: &str, pbxs: &str, sn: &str, operation: &str) {
    let env = Env::with(|c| {
        if documented_only {
            c.variant = entitle::sandbox::Variant::documented_only();
        }
    });
    let m = env.manifest("m.yaml", &format!("{HEADER}{pbxs}"));
    let m = m.to_str().unwrap();

    let plan = env.run(&[
        "plan",
        m,
        "--now",
        &env.now(),
        "--detailed-exitcode",
        "--no-price",
    ]);
    assert_eq!(
        plan.status.code(),
        Some(2),
        "{}",
        crate::support::stderr(&plan)
    );
    let out = crate::support::stdout(&plan);
    assert!(out.contains(sn) && out.contains(operation), "{out}");
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);

    let json = env.run(&["plan", m, "--now", &env.now(), "--format", "json"]);
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["format_version"], "1.0");
    assert_eq!(doc["pbxs"][0]["sn"], sn);

    // Priced (the default for text): the documented calculator body, every quote accepted.
    let apply = env.run(&["apply", m, "--now", &env.now(), "--auto-approve", "--price"]);
    assert_eq!(
        apply.status.code(),
        Some(0),
        "{}\n{}",
        crate::support::stdout(&apply),
        crate::support::stderr(&apply)
    );
    let out = crate::support::stdout(&apply);
    assert!(out.contains("price USD "), "{out}");
    assert!(!out.contains("price unknown"), "{out}");
    let quotes = env.statuses("/pricing/openapi/purchase/v1/pricing/calculate");
    assert!(
        !quotes.is_empty() && quotes.iter().all(|s| *s == 200),
        "{quotes:?}"
    );
    let bodies = env.order_bodies();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    let po = bodies[0]["poNumber"].as_str().unwrap().to_owned();
    assert!(po.starts_with("ent-"));
    assert_eq!(
        crate::support::without_po(bodies[0].clone()),
        crate::support::seed_body(seed.parse().unwrap())
    );
    let orders = env.get("/_sandbox/orders");
    assert_eq!(orders[0]["poNumber"], po.as_str());

    let again = env.run(&["plan", m, "--now", &env.now(), "--detailed-exitcode"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        crate::support::stdout(&again)
    );
    assert!(crate::support::stdout(&again).contains("No changes."));
}

#[test]
fn seed_000_hotel_pms_integration() {
    scenario(
        "000",
        indoc! {"
            pbxs:
              - sn: 3651D3296882
                product: software-edition
                services: [Hotel PMS Integration]
        "},
        "3651D3296882",
        "purchase_service",
    );
}

#[test]
fn seed_001_two_hundred_more_extensions() {
    scenario(
        "001",
        indoc! {"
            pbxs:
              - sn: 3651D3296882
                product: software-edition
                extensions: 300
        "},
        "3651D3296882",
        "purchase_service",
    );
}

#[test]
fn seed_002_monthly_enterprise_to_one_year_ultimate() {
    scenario(
        "002",
        indoc! {r#"
            pbxs:
              - sn: "3631E0997265"
                product: appliance
                plan: Ultimate Plan
                billingCycle: annually
                term: 1
        "#},
        "3631E0997265",
        "switch_plan",
    );
}

#[test]
fn seed_003_linkus_cloud_service_for_one_year() {
    scenario(
        "003",
        indoc! {"
            pbxs:
              - sn: 369471667338
                product: linkus
                plan: Linkus Cloud Service
                term: 1
        "},
        "369471667338",
        "purchase_plan",
    );
}

#[test]
fn seed_004_renew_pce_with_high_availability() {
    scenario(
        "004",
        indoc! {"
            pbxs:
              - sn: 3658B431119665QJ
                product: cloud-pbx
                plan: Enterprise Plan
                extensions: 100
                services: [High Availability]
        "},
        "3658B431119665QJ",
        "renew_plan",
    );
}
