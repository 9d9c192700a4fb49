//! Spend guardrails: `--max-cost` below the plan's total stops it (exit 7) before anything is
//! sent; an order whose price is unknown counts as over any budget.

use crate::support::{Env, assert_exit, stderr};

/// The examples cost USD 7,900.00.
#[test]
fn a_plan_over_max_cost_exits_7_and_apply_sends_nothing() {
    let env = Env::new();
    let now = env.now();
    let m = Env::examples_arg();
    let over = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--detailed-exitcode",
        "--max-cost",
        "USD 7899.99",
    ]);
    assert_exit(&over, 7);
    assert!(
        stderr(&over).contains(
            "error: --max-cost USD 7,899.99: the plan would spend USD 7,900.00; USD 7,900.00 is over USD 7,899.99; nothing of it is applied"
        ),
        "{}",
        stderr(&over)
    );
    let within = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--detailed-exitcode",
        "--max-cost",
        "USD 7900",
    ]);
    assert_exit(&within, 2);
    let md = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--format",
        "markdown",
        "--max-cost",
        "USD 7899.99",
    ]);
    let text = crate::support::stdout(&md);
    assert!(
        text.starts_with(
            "### entitle plan: 4 orders and 1 auto-renew switch for 4 PBXs, USD 7,900.00\n\n\
             :no_entry: **Over the spend limits: nothing of this plan is applied.**\n\n\
             - `--max-cost` USD 7,899.99: the plan would spend USD 7,900.00; USD 7,900.00 is over USD 7,899.99\n"
        ),
        "the verdict heads the comment: {text}"
    );
    let md = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--format",
        "markdown",
        "--max-cost",
        "USD 8000",
    ]);
    assert!(
        crate::support::stdout(&md)
            .contains(":white_check_mark: **Within the spend limits** (--max-cost USD 8,000.00)."),
        "{}",
        crate::support::stdout(&md)
    );
    let json = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--detailed-exitcode",
        "--format",
        "json",
        "--max-cost",
        "USD 100",
    ]);
    assert_exit(&json, 7);

    let apply = env.run(&[
        "apply",
        &m,
        "--now",
        &now,
        "--auto-approve",
        "--max-cost",
        "USD 5000",
    ]);
    assert_exit(&apply, 7);
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);
    assert_eq!(env.intents(), 0);
}

#[test]
fn an_unknown_price_fails_closed() {
    let env = Env::new();
    let now = env.now();
    let m = Env::examples_arg();
    let apply = env.run(&[
        "apply",
        &m,
        "--now",
        &now,
        "--auto-approve",
        "--no-price",
        "--max-cost",
        "USD 1000000",
    ]);
    assert_exit(&apply, 7);
    assert!(
        stderr(&apply).contains("4 orders without a price count as over any budget"),
        "{}",
        stderr(&apply)
    );
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);
    let bad = env.run(&["plan", &m, "--now", &now, "--max-cost", "5000"]);
    assert_exit(&bad, 1);
    assert!(
        stderr(&bad).contains("expected a currency and an amount"),
        "{}",
        stderr(&bad)
    );
}
