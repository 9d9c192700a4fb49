use super::*;
use crate::model::ObservedPbx;
use crate::plan::{ActionKind, Change};
use crate::testing::{action, order_body, pbx_plan, plan};

fn priced(kind: ActionKind, total: Option<&str>) -> Action {
    let mut a = action(kind, Some(order_body(kind, 12, "SN1", "ent-1")));
    a.price = total.map(|t| Price {
        currency: "USD".into(),
        total: t.into(),
    });
    a
}

fn pbx(sn: &str, customer: Option<&str>, actions: Vec<Action>) -> PbxPlan {
    let mut p = pbx_plan(
        ObservedPbx::unread(sn, crate::model::ProductId(12)),
        actions,
    );
    p.sn = sn.into();
    if let Some(c) = customer {
        p.labels.insert(CUSTOMER_LABEL.into(), c.into());
    }
    p
}

fn budget(s: &str) -> Budget {
    s.parse().unwrap()
}

fn rule<T>(value: T, line: usize) -> Rule<T> {
    Rule {
        value,
        at: format!("entitle.policy.yaml:{line}:3"),
    }
}

fn max_cost(s: &str) -> Limits {
    Limits {
        per_run: Some(budget(s)),
        policies: vec![],
    }
}

fn with(policy: Policy) -> Limits {
    Limits {
        per_run: None,
        policies: vec![Policy {
            file: "entitle.policy.yaml".into(),
            ..policy
        }],
    }
}

fn run(prices: &[Option<&str>], max: &str) -> Vec<Violation> {
    let p = plan(vec![pbx(
        "SN1",
        None,
        prices
            .iter()
            .map(|t| priced(ActionKind::PurchaseService, *t))
            .collect(),
    )]);
    check(&p, &max_cost(max))
}

#[test]
fn budgets_read_as_people_write_them() {
    for (text, currency, cents) in [
        ("USD 5000", "USD", 500_000),
        ("usd 5,000.50", "USD", 500_050),
        ("5000 EUR", "EUR", 500_000),
    ] {
        let b: Budget = text.parse().unwrap();
        assert_eq!((b.currency.as_str(), b.cents), (currency, cents), "{text}");
    }
    assert_eq!(budget("USD 1,000,000.50").cents, 100_000_050);
    for bad in [
        "5000",
        "USD",
        "USD -1",
        "USD 1.234",
        "DOLLARS 5",
        "USD 79,00",
        "EUR 1,00",
        "USD 7,9,0,0",
        "USD 1000,000",
        "USD ,100",
        "USD 1,000.",
    ] {
        assert!(bad.parse::<Budget>().is_err(), "{bad}");
    }
    assert_eq!(budget("USD 5000").to_string(), "USD 5,000.00");
}

#[test]
fn a_plan_over_the_budget_is_a_violation_with_its_figures() {
    assert_eq!(run(&[Some("3000.00"), Some("1999.99")], "USD 5000"), []);
    assert_eq!(run(&[Some("3000.00"), Some("2000.00")], "USD 5000"), []);
    let v = run(&[Some("3000.00"), Some("2000.01")], "USD 5000");
    assert_eq!(
        v,
        [Violation {
            limit: "--max-cost".into(),
            at: None,
            subject: None,
            allowed: "USD 5,000.00".into(),
            planned: "USD 5,000.01".into(),
            reason: "USD 0.01 over".into(),
        }]
    );
}

#[test]
fn an_unknown_price_fails_closed() {
    let v = run(&[Some("1.00"), None], "USD 5000");
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0].reason,
        "1 order without a price counts as over any budget"
    );
}

#[test]
fn an_unknown_price_counts_as_nothing_only_when_every_policy_allows_it() {
    let p = plan(vec![pbx(
        "SN1",
        None,
        vec![priced(ActionKind::PurchaseService, None)],
    )]);
    let allow = Policy {
        unknown_price: UnknownPrice::Allow,
        ..Policy::default()
    };
    let mut limits = max_cost("USD 10");
    limits.policies.push(allow.clone());
    assert_eq!(check(&p, &limits), []);
    // Another policy that does not say so: fail closed.
    limits.policies.push(Policy::default());
    assert_eq!(check(&p, &limits).len(), 1);
    // No policy at all: fail closed.
    assert_eq!(check(&p, &max_cost("USD 10")).len(), 1);
}

#[test]
fn a_run_budget_of_the_policy_names_where_it_is_written() {
    let p = plan(vec![
        pbx(
            "SN1",
            None,
            vec![priced(ActionKind::PurchaseService, Some("600.00"))],
        ),
        pbx(
            "SN2",
            None,
            vec![priced(ActionKind::RenewPlan, Some("500.00"))],
        ),
    ]);
    let v = check(
        &p,
        &with(Policy {
            per_run: Some(rule(budget("USD 1000"), 4)),
            ..Policy::default()
        }),
    );
    assert_eq!(
        v,
        [Violation {
            limit: "budget.perRun".into(),
            at: Some("entitle.policy.yaml:4:3".into()),
            subject: None,
            allowed: "USD 1,000.00".into(),
            planned: "USD 1,100.00".into(),
            reason: "USD 100.00 over".into(),
        }]
    );
}

#[test]
fn each_pbx_and_each_customer_is_held_to_its_budget() {
    let p = plan(vec![
        pbx(
            "SN1",
            Some("acme"),
            vec![priced(ActionKind::PurchaseService, Some("600.00"))],
        ),
        pbx(
            "SN2",
            Some("acme"),
            vec![priced(ActionKind::RenewPlan, Some("500.00"))],
        ),
        pbx(
            "SN3",
            Some("globex"),
            vec![priced(ActionKind::RenewPlan, Some("900.00"))],
        ),
        pbx(
            "SN4",
            None,
            vec![priced(ActionKind::RenewPlan, Some("5000.00"))],
        ),
    ]);
    let policy = Policy {
        per_pbx: Some(rule(budget("USD 1000"), 5)),
        per_customer: BTreeMap::from([
            ("acme".to_owned(), rule(budget("USD 1000"), 7)),
            (ANY_CUSTOMER.to_owned(), rule(budget("USD 800"), 8)),
        ]),
        ..Policy::default()
    };
    let v = check(&p, &with(policy));
    let got: Vec<(&str, Option<&str>, &str)> = v
        .iter()
        .map(|v| (v.limit.as_str(), v.subject.as_deref(), v.planned.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "budget.perCustomer.acme",
                Some("customer acme"),
                "USD 1,100.00"
            ),
            (
                "budget.perCustomer.*",
                Some("customer globex"),
                "USD 900.00"
            ),
            (
                "budget.perPbx",
                Some("SN4 (software-edition)"),
                "USD 5,000.00"
            ),
        ]
    );
}

#[test]
fn an_operation_not_allowed_is_named_with_its_pbxs() {
    let p = plan(vec![
        pbx(
            "SN1",
            None,
            vec![priced(ActionKind::SwitchPlan, Some("1.00"))],
        ),
        pbx(
            "SN2",
            None,
            vec![priced(ActionKind::RenewPlan, Some("1.00"))],
        ),
        pbx(
            "SN3",
            None,
            vec![priced(ActionKind::SwitchPlan, Some("1.00"))],
        ),
    ]);
    let policy = Policy {
        operations: Some(rule(
            vec![ActionKind::RenewPlan, ActionKind::EnableAutoRenew],
            9,
        )),
        ..Policy::default()
    };
    assert_eq!(
        check(&p, &with(policy)),
        [Violation {
            limit: "operations".into(),
            at: Some("entitle.policy.yaml:9:3".into()),
            subject: None,
            allowed: "renew_plan, enable_auto_renew".into(),
            planned: "switch_plan on SN1 (software-edition), SN3 (software-edition)".into(),
            reason: "switch_plan is not an allowed operation".into(),
        }]
    );
}

#[test]
fn a_capacity_increase_over_the_largest_is_named_with_its_figures() {
    let mut grow = priced(ActionKind::PurchaseService, Some("1.00"));
    grow.changes = vec![
        Change {
            field: "extensions".into(),
            before: Some("100".into()),
            after: "300".into(),
        },
        Change {
            field: "concurrentCalls".into(),
            before: Some("30".into()),
            after: "40".into(),
        },
    ];
    let p = plan(vec![pbx("SN1", None, vec![grow])]);
    let policy = |ext: u32| Policy {
        max_increase: BTreeMap::from([
            ("extensions".to_owned(), rule(ext, 11)),
            ("concurrentCalls".to_owned(), rule(10, 12)),
        ]),
        ..Policy::default()
    };
    assert_eq!(check(&p, &with(policy(200))), []);
    assert_eq!(
        check(&p, &with(policy(199))),
        [Violation {
            limit: "maxIncrease.extensions".into(),
            at: Some("entitle.policy.yaml:11:3".into()),
            subject: Some("SN1 (software-edition)".into()),
            allowed: "+199 extensions per order".into(),
            planned: "+200 (100 → 300) in one purchase_service".into(),
            reason: "+200 extensions is over the largest increase, +199".into(),
        }]
    );
}

#[test]
fn max_cost_recorded_as_a_policy_reads_as_max_cost_and_another_currency_is_named() {
    let p = plan(vec![pbx(
        "SN1",
        None,
        vec![priced(ActionKind::PurchaseService, Some("600.00"))],
    )]);
    let limits = Limits {
        per_run: None,
        policies: vec![Policy::max_cost(budget("EUR 100"))],
    };
    assert_eq!(limits.describe(), ["--max-cost EUR 100.00"]);
    assert_eq!(
        check(&p, &limits),
        [Violation {
            limit: "--max-cost".into(),
            at: None,
            subject: None,
            allowed: "EUR 100.00".into(),
            planned: "USD 600.00".into(),
            reason: "USD 600.00 cannot be counted in EUR".into(),
        }]
    );
}
