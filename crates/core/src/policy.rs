//! Spend guardrails (issue 22, work in progress): limits a plan must stay within before any of
//! it is applied. Pure: a plan and the limits in, every violated limit out, with its figures.
//! An order whose price is unknown counts as over any budget (fail closed): nobody can say it
//! is within one.

use serde::Serialize;

use crate::model::Price;
use crate::plan::Plan;
use crate::plan::money::{Cents, grouped, sum};

/// An amount in a currency: `USD 5000`, `USD 5,000.00`, `5000 USD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub currency: String,
    pub cents: i128,
}

impl std::str::FromStr for Budget {
    type Err = String;

    fn from_str(s: &str) -> Result<Budget, String> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let is_currency = |w: &str| w.len() == 3 && w.chars().all(|c| c.is_ascii_alphabetic());
        let (currency, amount) = match words.as_slice() {
            [c, a] if is_currency(c) => (*c, *a),
            [a, c] if is_currency(c) => (*c, *a),
            _ => {
                return Err(format!(
                    "`{s}`: expected a currency and an amount, e.g. 'USD 5000' or 'USD 5,000.00'"
                ));
            }
        };
        let cents = Cents::parse(&amount.replace(',', ""))
            .filter(|c| c.0 >= 0)
            .ok_or_else(|| format!("`{amount}` is not an amount of money, e.g. 5000 or 5000.00"))?;
        Ok(Budget {
            currency: currency.to_ascii_uppercase(),
            cents: cents.0,
        })
    }
}

impl std::fmt::Display for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&grouped(&Price {
            currency: self.currency.clone(),
            total: Cents(self.cents).to_string(),
        }))
    }
}

/// The limits a run is held to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// The most the whole run may cost (`--max-cost`).
    pub per_run: Option<Budget>,
}

/// A limit the plan goes over, with the figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Which limit: `--max-cost`.
    pub limit: String,
    /// What it allows, and what the plan would spend.
    pub allowed: String,
    pub planned: String,
    /// Why it counts as over (orders without a price are over any budget).
    pub reason: String,
}

/// Every limit `plan` breaks.
pub fn check(plan: &Plan, limits: &Limits) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(budget) = &limits.per_run else {
        return out;
    };
    let orders: Vec<_> = plan.actions().filter(|a| a.order.is_some()).collect();
    let unpriced = orders.iter().filter(|a| a.price.is_none()).count();
    let (totals, unreadable) = sum(orders.iter().filter_map(|a| a.price.as_ref()));
    let in_budget = totals
        .iter()
        .find(|p| p.currency == budget.currency)
        .and_then(|p| Cents::parse(&p.total))
        .unwrap_or_default();
    let others: Vec<String> = totals
        .iter()
        .filter(|p| p.currency != budget.currency)
        .map(grouped)
        .collect();
    let planned = grouped(&Price {
        currency: budget.currency.clone(),
        total: in_budget.to_string(),
    });
    let mut reasons = Vec::new();
    if in_budget.0 > budget.cents {
        reasons.push(format!("{planned} is over {budget}"));
    }
    if unpriced + unreadable > 0 {
        let n = unpriced + unreadable;
        reasons.push(format!(
            "{} without a price {} as over any budget",
            crate::words::plural(n, "order", "orders"),
            if n == 1 { "counts" } else { "count" }
        ));
    }
    if !others.is_empty() {
        reasons.push(format!(
            "{} cannot be counted in {}",
            others.join(" + "),
            budget.currency
        ));
    }
    if !reasons.is_empty() {
        out.push(Violation {
            limit: "--max-cost".into(),
            allowed: budget.to_string(),
            planned,
            reason: reasons.join("; "),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ObservedPbx;
    use crate::plan::ActionKind;
    use crate::testing::{action, order_body, pbx_plan, plan};

    fn priced(total: Option<&str>) -> crate::plan::Action {
        let mut a = action(
            ActionKind::PurchaseService,
            Some(order_body(ActionKind::PurchaseService, 12, "SN1", "ent-1")),
        );
        a.price = total.map(|t| Price {
            currency: "USD".into(),
            total: t.into(),
        });
        a
    }

    fn limits(s: &str) -> Limits {
        Limits {
            per_run: Some(s.parse().unwrap()),
        }
    }

    fn run(prices: &[Option<&str>], max: &str) -> Vec<Violation> {
        let observed = ObservedPbx::unread("SN1", crate::model::ProductId(12));
        let p = plan(vec![pbx_plan(
            observed,
            prices.iter().map(|t| priced(*t)).collect(),
        )]);
        check(&p, &limits(max))
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
        for bad in ["5000", "USD", "USD -1", "USD 1.234", "DOLLARS 5"] {
            assert!(bad.parse::<Budget>().is_err(), "{bad}");
        }
        assert_eq!(
            "USD 5000".parse::<Budget>().unwrap().to_string(),
            "USD 5,000.00"
        );
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
                allowed: "USD 5,000.00".into(),
                planned: "USD 5,000.01".into(),
                reason: "USD 5,000.01 is over USD 5,000.00".into(),
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
}
