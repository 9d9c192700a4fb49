//! `entitle forecast` against a 500-PBX fleet: the CSV lists exactly the renewals,
//! auto-renewals and lapses that the exported manifests and the account imply, with the
//! calculator's prices. The expectation is computed here from the sandbox's own state and
//! price table, not by entitle's code.

use serde_json::Value;

use crate::support::{Env, assert_exit, stderr, stdout};
use entitle::sandbox::Seed;
use entitle::sandbox::catalog::{self, Unit};
use entitle::wire::Id;
use entitle::wire::date::Date;

const DAYS: i64 = 90;
/// `export` writes `renew: false` on each PBX whose term ends within the default 30 days.
const WINDOW: i64 = 30;

/// The price of a renewal as the sandbox charges it: the plan and every subscribed service
/// for one term of the PBX's cycle.
fn renewal_cents(pbx: &Value) -> u64 {
    let table = catalog::standard();
    let product = table
        .product(u32::try_from(pbx["productId"].as_u64().unwrap()).unwrap())
        .unwrap();
    let plan = &pbx["plan"];
    let monthly = plan["cycle"] == "monthly";
    let periods = if monthly {
        1
    } else {
        plan["multiCycle"].as_u64().unwrap().max(1)
    };
    let extensions = pbx["extensions"].as_u64().unwrap();
    let cost = |p: &catalog::Price, quantity: u64| {
        let per = if monthly {
            p.monthly_cents
        } else {
            p.annual_cents
        };
        let units = match p.unit {
            Unit::Flat => 1,
            Unit::PerUnit => quantity,
            Unit::PerExtension => extensions,
        };
        per * periods * units
    };
    let plan_id = Id(plan["planId"].as_u64().unwrap());
    let mut cents = cost(&product.plan(plan_id).unwrap().price, 0);
    for s in pbx["services"].as_array().unwrap() {
        let svc = product
            .service(Id(s["serviceId"].as_u64().unwrap()))
            .unwrap();
        cents += cost(&svc.price, s["quantity"].as_u64().unwrap_or(0));
    }
    cents
}

fn next_end(pbx: &Value, end: Date) -> Date {
    let plan = &pbx["plan"];
    if plan["cycle"] == "monthly" {
        end.add_months(1)
    } else {
        end.add_years(i32::try_from(plan["multiCycle"].as_u64().unwrap().max(1)).unwrap())
    }
}

#[test]
fn the_csv_lists_exactly_what_the_manifests_and_the_account_imply() {
    let fleet = Env::with(|c| c.seed = Seed::Fleet(500));
    let (csv, want) = forecast_and_expectation(&fleet);
    let rows: Vec<&str> = want.lines().collect();
    for kind in [",renew,", ",auto-renew,", ",lapse,"] {
        assert!(
            rows.iter().filter(|r| r.contains(kind)).count() > 20,
            "the fleet has every kind of event ({kind})"
        );
    }
    assert_eq!(csv, want);
    // One quote per distinct renewal body: one per PBX that renews or auto-renews (a later
    // recurrence of the same term repeats its body).
    let renewing: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.contains(",renew,") || r.contains(",auto-renew,"))
        .map(|r| r.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(
        fleet.count("POST /pricing/openapi/purchase/v1/pricing/calculate"),
        renewing.len() as u64
    );
    // The demo account, the same way.
    let demo = Env::new();
    let (csv, want) = forecast_and_expectation(&demo);
    assert!(want.lines().count() > 2, "{want}");
    assert_eq!(csv, want);
}

/// `forecast --days 90 --format csv` of the account exported with renewals on, and the CSV
/// computed independently from the sandbox's own state and price table.
fn forecast_and_expectation(env: &Env) -> (String, String) {
    let now = env.now();
    assert_exit(&env.run(&["export", "-o", "f.yaml"]), 0);
    // Renewals on by default; the PBXs due at export keep their own `renew: false`.
    let exported = std::fs::read_to_string(env.path().join("f.yaml")).unwrap();
    let renew_on = regex::Regex::new(r"(?m)^  renew: false  # adopted.*$")
        .unwrap()
        .replace(&exported, "  renew: true");
    env.manifest("f.yaml", &renew_on);
    let out = env.run(&[
        "forecast", "f.yaml", "--now", &now, "--days", "90", "--format", "csv",
    ]);
    assert_exit(&out, 0);
    let csv = stdout(&out);

    let state = env.get("/_sandbox/state");
    let today: Date = state["today"].as_str().unwrap().parse().unwrap();
    let until = today.add_days(DAYS);
    // (date, "SN,product", event, amount)
    let mut expected: Vec<(Date, String, &str, String)> = Vec::new();
    for pbx in state["world"]["pbxs"].as_array().unwrap() {
        if pbx["plan"].is_null() {
            continue;
        }
        let sn = format!(
            "{},{}",
            pbx["sn"].as_str().unwrap(),
            match pbx["productId"].as_u64().unwrap() {
                9 => "linkus",
                11 => "appliance",
                12 => "software-edition",
                _ => "cloud-pbx",
            }
        );
        let price = format!(
            "{}.{:02}",
            renewal_cents(pbx) / 100,
            renewal_cents(pbx) % 100
        );
        let mut end: Date = pbx["plan"]["expire"].as_str().unwrap().parse().unwrap();
        let renewed = today.days_until(end) > WINDOW;
        if renewed {
            // One renewal of a PBX a day: a second term due the same day is the next day's.
            let mut after: Option<Date> = None;
            loop {
                let mut due = end.add_days(-WINDOW).max(today);
                if let Some(last) = after {
                    due = due.max(last.add_days(1));
                }
                if due > until {
                    break;
                }
                expected.push((due, sn.clone(), "renew", price.clone()));
                after = Some(due);
                end = next_end(pbx, end);
            }
        } else if pbx["autoRenew"] == true {
            while end <= until {
                if end >= today {
                    expected.push((end, sn.clone(), "auto-renew", price.clone()));
                }
                end = next_end(pbx, end);
            }
        } else if end >= today && end <= until {
            expected.push((end, sn.clone(), "lapse", String::new()));
        }
    }
    let kind_order = |k: &str| {
        ["renew", "auto-renew", "lapse"]
            .iter()
            .position(|x| *x == k)
    };
    expected.sort_by(|a, b| (a.0, &a.1, kind_order(a.2)).cmp(&(b.0, &b.1, kind_order(b.2))));
    let mut want = String::from("date,sn,product,customer,event,amount,currency\n");
    for (date, sn, kind, amount) in &expected {
        let currency = if amount.is_empty() { "" } else { "USD" };
        want.push_str(&format!("{date},{sn},,{kind},{amount},{currency}\n"));
    }
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    (csv, want)
}

/// The calendar passes a real RFC 5545 parser, with one all-day event per line of the CSV.
#[test]
fn the_calendar_is_rfc_5545_with_one_all_day_event_per_renewal_or_lapse() {
    let env = Env::with(|c| c.seed = Seed::Fleet(200));
    let now = env.now();
    assert_exit(&env.run(&["export", "-o", "f.yaml"]), 0);
    let ics = env.run(&["forecast", "f.yaml", "--now", &now, "--format", "ics"]);
    assert_exit(&ics, 0);
    let csv = env.run(&["forecast", "f.yaml", "--now", &now, "--format", "csv"]);
    assert_exit(&csv, 0);
    let text = stdout(&ics);
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(line.len() <= 75, "folded at 75 octets: {line:?}");
    }
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "CRLF line ends only"
    );
    let unfolded = icalendar::parser::unfold(&text);
    let calendar = icalendar::parser::read_calendar(&unfolded).expect("RFC 5545");
    assert!(
        calendar
            .properties
            .iter()
            .any(|p| p.name == "VERSION" && p.val == "2.0")
    );
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .collect();
    let rows: Vec<String> = stdout(&csv).lines().skip(1).map(str::to_owned).collect();
    assert_eq!(events.len(), rows.len());
    assert!(rows.len() > 20, "the fleet has events: {}", rows.len());
    let prop = |e: &icalendar::parser::Component<'_>, name: &str| {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.val.as_str().to_owned())
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    for (e, row) in events.iter().zip(&rows) {
        let date = row.split(',').next().unwrap().replace('-', "");
        assert_eq!(prop(e, "DTSTART"), date, "all-day, on the row's date");
        let start = e.properties.iter().find(|p| p.name == "DTSTART").unwrap();
        assert!(
            start
                .params
                .iter()
                .any(|p| p.key == "VALUE" && p.val.as_ref().is_some_and(|v| v.as_str() == "DATE")),
            "a DATE, not a DATE-TIME"
        );
        let sn = row.split(',').nth(1).unwrap();
        assert!(prop(e, "SUMMARY").starts_with(sn), "{}", prop(e, "SUMMARY"));
        assert!(prop(e, "UID").ends_with("@entitle"));
    }
    // Every UID is unique.
    let mut uids: Vec<String> = events.iter().map(|e| prop(e, "UID")).collect();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), events.len());
    // The same parser also reads it into its typed calendar.
    let typed: icalendar::Calendar = unfolded.parse().expect("a typed calendar");
    assert_eq!(typed.components.len(), events.len(), "{}", stderr(&ics));
}

/// The demo account, adopted with `export` and renewals turned on: what renews when, and what
/// it costs, as CSV (exact) and as the report (snapshot).
#[test]
fn the_demo_account_forecast_in_csv_and_markdown() {
    let env = Env::new();
    let now = env.now();
    assert_exit(&env.run(&["export", "--auto-renew", "-o", "demo.yaml"]), 0);
    let exported = std::fs::read_to_string(env.path().join("demo.yaml")).unwrap();
    let renew_on = regex::Regex::new(r"(?m)^  renew: false  # adopted.*$")
        .unwrap()
        .replace(&exported, "  renew: true");
    env.manifest("demo.yaml", &renew_on);
    let csv = env.run(&["forecast", "demo.yaml", "--now", &now, "--format", "csv"]);
    assert_exit(&csv, 0);
    // The demo's two terms ending within 30 days keep their own `renew: false`, and neither
    // has the vendor's auto-renewal on: both lapse. The Software Edition renews 30 days
    // before 2027-05-01, past the 90 days.
    assert_eq!(
        stdout(&csv),
        "date,sn,product,customer,event,amount,currency\n\
         2026-12-10,3658B431119665QJ,cloud-pbx,,lapse,,\n\
         2026-12-20,3631E0997265,appliance,,lapse,,\n"
    );
    let md = env.run(&[
        "forecast",
        "demo.yaml",
        "--now",
        &now,
        "--format",
        "markdown",
    ]);
    assert_exit(&md, 0);
    insta::assert_snapshot!("demo_forecast_markdown", stdout(&md));
    // The example manifests: the Cloud PBX renews now; the appliance is switched first.
    let examples = Env::examples_arg();
    let md = env.run(&["forecast", &examples, "--now", &now, "--format", "markdown"]);
    assert_exit(&md, 0);
    insta::assert_snapshot!("examples_forecast_markdown", stdout(&md));
}

/// JSON carries the totals in all, per customer and per month, each adding up its events.
#[test]
fn the_json_totals_add_up_per_customer_and_per_month() {
    let env = Env::new();
    let now = env.now();
    let m = crate::plan_e2e::with_examples(&env);
    let out = env.run(&["forecast", m, "--now", &now, "--format", "json"]);
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let cents = |totals: &Value| -> u64 {
        totals
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                assert_eq!(t["currency"], "USD");
                let (a, b) = t["total"].as_str().unwrap().split_once('.').unwrap();
                a.parse::<u64>().unwrap() * 100 + b.parse::<u64>().unwrap()
            })
            .sum()
    };
    let rows = doc["rows"].as_array().unwrap();
    let of_rows = |pick: &dyn Fn(&Value) -> bool| -> u64 {
        rows.iter()
            .filter(|r| pick(r) && !r["price"].is_null())
            .map(|r| cents(&serde_json::json!([r["price"]])))
            .sum()
    };
    assert!(cents(&doc["totals"]["totals"]) > 0);
    assert_eq!(cents(&doc["totals"]["totals"]), of_rows(&|_| true));
    let customers: Vec<&str> = doc["per_customer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["customer"].as_str().unwrap())
        .collect();
    assert_eq!(customers, ["umbrella"]);
    // globex's plan is switched first and initech's bought first: not forecast (not even as a
    // lapse of the term it will not keep), and said why.
    let first: Vec<(&str, &str, &str)> = doc["changed_first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["sn"].as_str().unwrap(),
                c["operation"].as_str().unwrap(),
                c["customer"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        first,
        [
            ("3631E0997265", "switch_plan", "globex"),
            ("369471667338", "purchase_plan", "initech"),
        ]
    );
    assert!(
        rows.iter()
            .all(|r| r["sn"] != "3631E0997265" && r["sn"] != "369471667338")
    );
    for g in doc["per_customer"].as_array().unwrap() {
        let c = g["customer"].clone();
        assert_eq!(cents(&g["totals"]), of_rows(&|r| r["customer"] == c), "{g}");
        let n = rows.iter().filter(|r| r["customer"] == c).count() as u64;
        let counted = ["renewals", "auto_renewals", "lapses"]
            .iter()
            .map(|k| g[k].as_u64().unwrap())
            .sum::<u64>();
        assert_eq!(counted, n, "{g}");
    }
    for g in doc["per_month"].as_array().unwrap() {
        let month = g["month"].as_str().unwrap().to_owned();
        assert_eq!(
            cents(&g["totals"]),
            of_rows(&|r| r["date"].as_str().unwrap().starts_with(&month)),
            "{g}"
        );
    }
}

/// Options of `plan` a forecast has no use for are refused, so none seems to have applied.
#[test]
fn a_forecast_refuses_the_options_it_has_no_use_for() {
    let env = Env::new();
    let m = Env::examples_arg();
    for extra in [
        &["--max-cost", "USD 1"][..],
        &["--only", "renew_plan"],
        &["--no-price"],
    ] {
        let mut args = vec!["forecast", m.as_str()];
        args.extend(extra);
        let o = env.run(&args);
        assert_exit(&o, 1);
        assert!(
            stderr(&o).contains("no meaning for a forecast"),
            "{extra:?}: {}",
            stderr(&o)
        );
    }
}
