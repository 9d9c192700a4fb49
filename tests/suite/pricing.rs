//! Plans that tell the truth about money: every order is priced as the vendor will price it
//! (the total is what the sandbox then charges, to the cent), and an order the vendor's
//! calculator refuses stops the plan before anything is sent.

use serde_json::Value;

use crate::support::{Env, assert_exit, plan_actions, redact, stderr, stdout};
use entitle::plan::money::Cents;
use entitle::sandbox::Seed;

/// `yaml` with `by` more extensions wherever that stays within a Cloud PBX's 500, and
/// renewals turned on (an exported file has them off).
fn grow_extensions(yaml: &str, by: u32) -> String {
    let yaml = regex::Regex::new(r"renew: false.*")
        .unwrap()
        .replace_all(yaml, "renew: true");
    let re = regex::Regex::new(r"(?m)^(\s*extensions: )(\d+)$").unwrap();
    re.replace_all(&yaml, |c: &regex::Captures| {
        let n: u32 = c[2].parse().unwrap();
        let grown = if n + by <= 500 { n + by } else { n };
        format!("{}{grown}", &c[1])
    })
    .into_owned()
}

fn cents(amount: &Value) -> i128 {
    Cents::parse(amount.as_str().expect("an amount"))
        .expect("cents")
        .0
}

/// `plan M --price --format json -o plan.json`, which must exit 0: the plan document.
fn saved_priced_plan(env: &Env, manifest: &str, now: &str) -> Value {
    let plan = env.run(&[
        "plan",
        manifest,
        "--now",
        now,
        "--price",
        "--format",
        "json",
        "-o",
        "plan.json",
    ]);
    assert_exit(&plan, 0);
    serde_json::from_slice(&plan.stdout).unwrap()
}

/// Every order of a plan document: (sn, action).
fn orders(doc: &Value) -> Vec<(&str, &Value)> {
    let mut orders = plan_actions(doc);
    orders.retain(|(_, a)| !a["order"].is_null());
    orders
}

#[test]
fn a_fleet_grown_by_ten_extensions_is_priced_to_the_cent_of_what_the_vendor_charges() {
    let env = Env::with(|c| c.seed = Seed::Fleet(500));
    let now = env.now();
    let out = env.run(&["export", "-o", "fleet.yaml"]);
    assert_exit(&out, 0);
    let exported = std::fs::read_to_string(env.path().join("fleet.yaml")).unwrap();
    env.manifest("grown.yaml", &grow_extensions(&exported, 10));

    let doc = saved_priced_plan(&env, "grown.yaml", &now);
    let orders = orders(&doc);
    let unpriced: Vec<_> = orders
        .iter()
        .filter(|(_, a)| a["price"].is_null())
        .map(|(sn, a)| (sn, a["kind"].clone(), a["price_error"].clone()))
        .collect();
    assert!(unpriced.is_empty(), "orders without a price: {unpriced:?}");
    let renewals_after_purchase: Vec<&str> = orders
        .iter()
        .filter(|(_, a)| !a["price_basis"].is_null())
        .map(|(sn, _)| *sn)
        .collect();
    assert!(
        renewals_after_purchase.len() > 50,
        "the fleet has renewals after a capacity purchase: {}",
        renewals_after_purchase.len()
    );
    let planned: i128 = orders
        .iter()
        .map(|(_, a)| cents(&a["price"]["total"]))
        .sum();

    let apply = env.run(&[
        "apply",
        "plan.json",
        "--now",
        &now,
        "--auto-approve",
        "--format",
        "json",
    ]);
    assert_exit(&apply, 0);
    let report: Value = serde_json::from_slice(&apply.stdout).unwrap();
    let reported: i128 = report["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| cents(&o["charged"]["total"]))
        .sum();
    let placed = env.get("/_sandbox/orders");
    let placed = placed.as_array().unwrap();
    assert_eq!(placed.len(), orders.len(), "every order placed, once");
    let charged: i128 = placed.iter().map(|o| cents(&o["totalAmount"])).sum();
    assert_eq!(
        Cents(reported).to_string(),
        Cents(charged).to_string(),
        "apply reports what the vendor charged"
    );
    assert_eq!(
        Cents(planned).to_string(),
        Cents(charged).to_string(),
        "the plan's total is what the vendor charged"
    );
    // And order by order: each figure is what that order cost.
    for (_, a) in &orders {
        let po = &a["order"]["poNumber"];
        let o = placed.iter().find(|o| &o["poNumber"] == po).unwrap();
        assert_eq!(
            a["price"]["total"], o["totalAmount"],
            "{po}: {}",
            a["price_basis"]
        );
    }
    let again = env.run(&["plan", "grown.yaml", "--now", &env.now()]);
    assert_exit(&again, 0);
    assert!(
        stdout(&again).starts_with("No changes."),
        "{}",
        stdout(&again)
    );
}

/// The demo Cloud PBX asked to renew without its High Availability.
const NO_SERVICES: &str = "\
version: 1
pbxs:
  - sn: 3658B431119665QJ
    product: cloud-pbx
    billingContact: billing@example.com
    services: []
";

const VENDOR_WORDS: &str = "renew_plan must include every subscribed service of 3658B431119665QJ";

#[test]
fn a_calculator_refusal_is_a_plan_error_said_once_and_nothing_is_sent() {
    let env = Env::new();
    let now = env.now();
    env.manifest("umbrella.yaml", NO_SERVICES);

    let plan = env.run(&[
        "plan",
        "umbrella.yaml",
        "--now",
        &now,
        "--detailed-exitcode",
    ]);
    assert_exit(&plan, 1);
    let both = format!("{}{}", stdout(&plan), stderr(&plan));
    assert_eq!(both.matches(VENDOR_WORDS).count(), 1, "said once:\n{both}");
    insta::assert_snapshot!(
        "refused_plan",
        redact(&format!("{}--- stderr\n{}", stdout(&plan), stderr(&plan)))
    );

    let markdown = env.run(&[
        "plan",
        "umbrella.yaml",
        "--now",
        &now,
        "--format",
        "markdown",
    ]);
    assert_exit(&markdown, 1);
    assert_eq!(stdout(&markdown).matches(VENDOR_WORDS).count(), 1);
    assert!(
        stdout(&markdown).contains("| 1 | 1 | 1 | 1 refused |"),
        "the table counts it refused, not unpriced: {}",
        stdout(&markdown)
    );

    // Neither from the manifests nor from a saved plan does apply send anything.
    let saved = env.run(&["plan", "umbrella.yaml", "--now", &now, "-o", "plan.json"]);
    assert_exit(&saved, 1);
    assert!(
        stderr(&saved)
            .contains("`entitle apply` sends nothing of it: the vendor refuses an order of it"),
        "{}",
        stderr(&saved)
    );
    for args in [
        vec!["apply", "umbrella.yaml", "--now", &now, "--auto-approve"],
        vec!["apply", "plan.json", "--now", &now, "--auto-approve"],
    ] {
        let apply = env.run(&args);
        assert_exit(&apply, 1);
        assert!(
            stderr(&apply).contains(
                "umbrella.yaml:3:5: the vendor refuses renew_plan for 3658B431119665QJ (cloud-pbx); nothing of this plan is applied"
            ),
            "{args:?}: {}",
            stderr(&apply)
        );
        assert_eq!(
            env.count("POST /order/openapi/order/v1/save"),
            0,
            "{args:?}"
        );
    }
    assert_eq!(env.intents(), 0, "nothing was even about to be sent");
}

#[test]
fn without_the_catalogs_price_units_a_grown_renewal_is_unknown_with_one_reason() {
    let env = Env::with(|c| c.variant.minimal_catalog = true);
    let now = env.now();
    env.manifest(
        "umbrella.yaml",
        "\
version: 1
pbxs:
  - sn: 3658B431119665QJ
    product: cloud-pbx
    billingContact: billing@example.com
    extensions: 110
",
    );
    let plan = env.run(&[
        "plan",
        "umbrella.yaml",
        "--now",
        &now,
        "--detailed-exitcode",
    ]);
    assert_exit(&plan, 2);
    let text = stdout(&plan);
    let why = "the vendor's catalog does not say whether Enterprise Plan is priced per extension, and the purchase above adds 10";
    assert_eq!(text.matches(why).count(), 1, "{text}");
    assert!(
        text.starts_with("Plan: 2 orders for 1 of 1 PBX in scope, total USD 400.00 without 1 order that got no price ("),
        "the total says what it leaves out: {text}"
    );
    assert!(text.contains("price unknown (see the summary)"), "{text}");
}

#[test]
fn apply_quotes_what_it_may_send_and_plan_also_what_it_shows() {
    let env = Env::new();
    env.manifest(
        "m.yaml",
        "\
version: 1
defaults:
  billingContact: billing@example.com
pbxs:
  - sn: 3651D3296882
    product: software-edition
    extensions: 300
  - sn: \"3631E0997265\"
    product: appliance
    renew: false
",
    );
    let calc = "POST /pricing/openapi/purchase/v1/pricing/calculate";
    let plan = env.run(&["plan", "m.yaml", "--now", &env.now()]);
    assert_exit(&plan, 0);
    assert!(
        stdout(&plan).contains("Upcoming renewals, not ordered (1, USD 40.00):"),
        "{}",
        stdout(&plan)
    );
    assert_eq!(env.count(calc), 2, "the order, and the renewal it shows");
    let apply = env.run(&["apply", "m.yaml", "--now", &env.now(), "--auto-approve"]);
    assert_exit(&apply, 0);
    assert_eq!(
        env.count(calc),
        3,
        "apply quotes its one order before sending it"
    );
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 1);
    // And says what it cost, from the vendor's order list.
    let text = stdout(&apply);
    assert!(text.contains("charged USD 1,000.00"), "{text}");
    assert!(
        text.contains("Charged USD 1,000.00 for 1 order, as the vendor's order list says."),
        "{text}"
    );
}

#[test]
fn high_availability_bought_with_more_extensions_is_placed_after_them_and_priced_to_the_cent() {
    let env = Env::with(|c| c.seed = Seed::Fleet(4));
    let now = env.now();
    assert_exit(
        &env.run(&["export", "--sn", "FL000001C", "-o", "one.yaml"]),
        0,
    );
    let exported = std::fs::read_to_string(env.path().join("one.yaml")).unwrap();
    assert!(exported.contains("  services: []\n"), "{exported}");
    let grown = grow_extensions(&exported, 10)
        .replace("  services: []\n", "  services: [High Availability]\n");
    // Renewals stay off (the exported default): only the two purchases.
    let grown = grown.replace("renew: true", "renew: false");
    env.manifest("one.yaml", &grown);
    let doc = saved_priced_plan(&env, "one.yaml", &now);
    let orders = orders(&doc);
    let kinds: Vec<&Value> = orders.iter().map(|(_, a)| &a["kind"]).collect();
    assert_eq!(kinds, ["purchase_service", "purchase_service"]);
    assert!(
        orders[1].1["price_basis"]
            .as_str()
            .unwrap()
            .contains("priced per extension")
    );

    let apply = env.run(&["apply", "plan.json", "--now", &now, "--auto-approve"]);
    assert_exit(&apply, 0);
    let placed = env.get("/_sandbox/orders");
    let placed = placed.as_array().unwrap();
    assert_eq!(placed.len(), 2, "both accepted");
    for ((_, a), o) in orders.iter().zip(placed) {
        assert_eq!(a["order"]["poNumber"], o["poNumber"], "in plan order");
        assert_eq!(a["price"]["total"], o["totalAmount"]);
    }
}
