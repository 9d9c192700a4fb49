//! Spend guardrails: the limits a plan must stay within before any of it is applied — the
//! `--max-cost` of a run and the policy files of the manifest repository
//! (`entitle.policy.yaml`, read by [`crate::manifest`]). Pure: a plan and the limits in, every
//! violated limit out, with its figures. An order whose price is unknown counts as over any
//! budget (fail closed) unless every policy says `unknownPrice: allow`: nobody can say it is
//! within one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Price;
use crate::plan::money::{Cents, grouped, sum};
use crate::plan::{Action, ActionKind, PbxPlan, Plan};
use crate::words::plural;

/// The name of the policy file, beside the manifests or above them in their repository.
pub const POLICY_FILE: &str = "entitle.policy.yaml";

/// The label that names a PBX's customer: budgets per customer, the forecast's totals.
pub const CUSTOMER_LABEL: &str = "customer";

/// The `file` of the policy a plan records for its run's `--max-cost`.
pub const MAX_COST: &str = "--max-cost";

/// The key of `budget.perCustomer` that holds every customer not named.
pub const ANY_CUSTOMER: &str = "*";

/// An amount in a currency: `USD 5000`, `USD 5,000.00`, `5000 USD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        // A comma groups thousands and nothing else: `79,00` is not 79.00 (nor 7900).
        let whole = amount.split('.').next().unwrap_or_default();
        let grouped_right = !whole.contains(',') || {
            let groups: Vec<&str> = whole.split(',').collect();
            (1..=3).contains(&groups[0].len()) && groups[1..].iter().all(|g| g.len() == 3)
        };
        let cents = Cents::parse(&amount.replace(',', ""))
            .filter(|c| c.0 >= 0 && grouped_right && !amount.ends_with('.'))
            .ok_or_else(|| {
                format!(
                    "`{amount}` is not an amount of money, e.g. 5000, 5,000 or 5000.00 (a comma only groups thousands)"
                )
            })?;
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

/// A limit of a policy file and where it was written (`file:line:column`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule<T> {
    pub value: T,
    pub at: String,
}

/// What an order without a price counts as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownPrice {
    /// Over any budget: nobody can say it is within one.
    #[default]
    Fail,
    /// Nothing: the budgets count the priced orders only.
    Allow,
}

/// One policy file, as read. Recorded in the plans made under it, so that applying a saved
/// plan holds it to the limits it was reviewed under, wherever it is applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The file, as shown in messages.
    pub file: String,
    /// The directory whose manifests it holds, for a policy found below a directory given (as
    /// manifests' files are shown); none: every PBX of the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_run: Option<Rule<Budget>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_pbx: Option<Rule<Budget>>,
    /// By the `customer` label; [`ANY_CUSTOMER`] for every customer not named.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_customer: BTreeMap<String, Rule<Budget>>,
    /// The operations a plan may contain; `None`: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<Rule<Vec<ActionKind>>>,
    /// The largest increase of a capacity (`extensions`, `concurrentCalls`) one order may make.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub max_increase: BTreeMap<String, Rule<u32>>,
    #[serde(default)]
    pub unknown_price: UnknownPrice,
}

impl Policy {
    /// `--max-cost` as a policy, so that a plan made with it records it (and its ID covers it):
    /// applying the saved plan holds it to the same budget.
    pub fn max_cost(budget: Budget) -> Policy {
        Policy {
            file: MAX_COST.into(),
            per_run: Some(Rule {
                value: budget,
                at: String::new(),
            }),
            ..Policy::default()
        }
    }

    fn is_max_cost(&self) -> bool {
        self.file == MAX_COST
    }

    /// Whether the manifest `file` (as shown) is one this policy holds.
    pub fn holds_file(&self, file: &str) -> bool {
        self.scope.as_deref().is_none_or(|dir| {
            file.strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with(std::path::MAIN_SEPARATOR))
        })
    }

    /// Whether it holds the PBX planned in `p` (its `source` is `file:line:column`).
    fn holds(&self, p: &PbxPlan) -> bool {
        match p.source.parse::<crate::manifest::Loc>() {
            Ok(at) => self.holds_file(&at.file),
            Err(()) => self.holds_file(&p.source),
        }
    }

    /// The `customer` labels of the PBXs of `pbxs` it holds, and its `perCustomer` budgets
    /// that name none of them (the `"*"` budget aside).
    pub fn unheld_customers<'a, 'b>(
        &'a self,
        pbxs: &'b [crate::manifest::DesiredPbx],
    ) -> (
        std::collections::BTreeSet<&'b str>,
        Vec<(&'a String, &'a Rule<Budget>)>,
    ) {
        let customers: std::collections::BTreeSet<&str> = pbxs
            .iter()
            .filter(|d| self.holds_file(&d.at.file))
            .filter_map(|d| d.labels.get(CUSTOMER_LABEL).map(String::as_str))
            .collect();
        let unheld = self
            .per_customer
            .iter()
            .filter(|(name, _)| *name != ANY_CUSTOMER && !customers.contains(name.as_str()))
            .collect();
        (customers, unheld)
    }
}

/// The limits a run is held to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// The most the whole run may cost (`--max-cost`).
    pub per_run: Option<Budget>,
    /// The policy files of the manifests (and those a saved plan recorded).
    pub policies: Vec<Policy>,
}

impl Limits {
    pub fn is_empty(&self) -> bool {
        self.per_run.is_none() && self.policies.is_empty()
    }

    /// Unknown prices count as nothing only when every policy says so (and there is one).
    fn unknown_price(&self) -> UnknownPrice {
        if !self.policies.is_empty()
            && self
                .policies
                .iter()
                .all(|p| p.unknown_price == UnknownPrice::Allow)
        {
            UnknownPrice::Allow
        } else {
            UnknownPrice::Fail
        }
    }

    /// Each source of limits, as the user set it: `--max-cost USD 8,000.00`,
    /// `manifests/entitle.policy.yaml`.
    pub fn describe(&self) -> Vec<String> {
        let mut parts: Vec<String> = self
            .per_run
            .iter()
            .map(|b| format!("--max-cost {b}"))
            .collect();
        parts.extend(
            self.policies
                .iter()
                .map(|p| match (&p.per_run, p.is_max_cost()) {
                    (Some(b), true) => format!("{MAX_COST} {}", b.value),
                    _ => p.file.clone(),
                }),
        );
        parts
    }
}

/// A limit the plan goes over, with the figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Which limit: `--max-cost`, `budget.perRun`, `budget.perCustomer.acme`, `operations`,
    /// `maxIncrease.extensions`.
    pub limit: String,
    /// Where the limit is written (`file:line:column`); none for `--max-cost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// What it is held to: a PBX (`SN (product)`) or a customer; none for the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// What it allows, and what the plan would spend (or do).
    pub allowed: String,
    pub planned: String,
    /// Why it counts as over (orders without a price are over any budget).
    pub reason: String,
}

/// Every limit `plan` breaks, in the order: the run's, then each policy's (per run, per
/// customer, per PBX, operations, capacity increases).
pub fn check(plan: &Plan, limits: &Limits) -> Vec<Violation> {
    let mut out = Vec::new();
    let unknown = limits.unknown_price();
    let all: Vec<&Action> = plan.actions().collect();
    if let Some(budget) = &limits.per_run {
        out.extend(
            over_budget(&all, budget, unknown).map(|(planned, reason)| Violation {
                limit: "--max-cost".into(),
                at: None,
                subject: None,
                allowed: budget.to_string(),
                planned,
                reason,
            }),
        );
    }
    for policy in &limits.policies {
        check_policy(plan, policy, unknown, &mut out);
    }
    out
}

fn check_policy(plan: &Plan, policy: &Policy, unknown: UnknownPrice, out: &mut Vec<Violation>) {
    let budget_violation =
        |limit: String, rule: &Rule<Budget>, subject: Option<String>, actions: &[&Action]| {
            over_budget(actions, &rule.value, unknown).map(|(planned, reason)| Violation {
                limit,
                at: (!rule.at.is_empty()).then(|| rule.at.clone()),
                subject,
                allowed: rule.value.to_string(),
                planned,
                reason,
            })
        };
    let pbxs: Vec<&PbxPlan> = plan.pbxs.iter().filter(|p| policy.holds(p)).collect();
    if let Some(rule) = &policy.per_run {
        let all: Vec<&Action> = pbxs.iter().flat_map(|p| &p.actions).collect();
        let limit = if policy.is_max_cost() {
            MAX_COST
        } else {
            "budget.perRun"
        };
        let subject = policy
            .scope
            .as_ref()
            .map(|dir| format!("the PBXs under {dir}"));
        out.extend(budget_violation(limit.into(), rule, subject, &all));
    }
    if !policy.per_customer.is_empty() {
        let mut by_customer: BTreeMap<&str, Vec<&Action>> = BTreeMap::new();
        for p in &pbxs {
            if let Some(c) = p.labels.get(CUSTOMER_LABEL) {
                by_customer.entry(c).or_default().extend(&p.actions);
            }
        }
        for (customer, actions) in by_customer {
            let (key, rule) = match policy.per_customer.get(customer) {
                Some(rule) => (customer, rule),
                None => match policy.per_customer.get(ANY_CUSTOMER) {
                    Some(rule) => (ANY_CUSTOMER, rule),
                    None => continue,
                },
            };
            let limit = format!("budget.perCustomer.{key}");
            out.extend(budget_violation(
                limit,
                rule,
                Some(format!("customer {customer}")),
                &actions,
            ));
        }
    }
    if let Some(rule) = &policy.per_pbx {
        for p in &pbxs {
            let actions: Vec<&Action> = p.actions.iter().collect();
            out.extend(budget_violation(
                "budget.perPbx".into(),
                rule,
                Some(p.key()),
                &actions,
            ));
        }
    }
    if let Some(rule) = &policy.operations {
        let mut refused: BTreeMap<ActionKind, Vec<String>> = BTreeMap::new();
        for p in &pbxs {
            for a in p.actions.iter().filter(|a| !rule.value.contains(&a.kind)) {
                refused.entry(a.kind).or_default().push(p.key());
            }
        }
        let allowed: Vec<&str> = rule.value.iter().map(|k| k.as_str()).collect();
        for (kind, pbxs) in refused {
            out.push(Violation {
                limit: "operations".into(),
                at: Some(rule.at.clone()),
                subject: None,
                allowed: if allowed.is_empty() {
                    "[] (no operation at all)".into()
                } else {
                    allowed.join(", ")
                },
                planned: format!("{kind} on {}", pbx_list(&pbxs)),
                reason: format!("{kind} is not an allowed operation"),
            });
        }
    }
    for (field, rule) in &policy.max_increase {
        for p in &pbxs {
            for (a, by, before, after) in increases(p, field) {
                if by > i64::from(rule.value) {
                    out.push(Violation {
                        limit: format!("maxIncrease.{field}"),
                        at: Some(rule.at.clone()),
                        subject: Some(p.key()),
                        allowed: format!("+{} {field} per order", rule.value),
                        planned: format!("+{by} ({before} → {after}) in one {}", a.kind),
                        reason: format!(
                            "+{by} {field} is over the largest increase, +{}",
                            rule.value
                        ),
                    });
                }
            }
        }
    }
}

/// The PBXs named, the first few then how many more.
fn pbx_list(pbxs: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut list = pbxs
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if pbxs.len() > SHOWN {
        list.push_str(&format!(" and {} more", pbxs.len() - SHOWN));
    }
    list
}

/// Each order of `p` that raises `field`, by how much, from what to what.
fn increases<'a>(
    p: &'a PbxPlan,
    field: &'a str,
) -> impl Iterator<Item = (&'a Action, i64, i64, i64)> + 'a {
    p.actions
        .iter()
        .filter(|a| a.order.is_some())
        .flat_map(move |a| {
            a.changes
                .iter()
                .filter(move |c| c.field == field)
                .filter_map(move |c| {
                    let before: i64 = c.before.as_deref().unwrap_or("0").parse().ok()?;
                    let after: i64 = c.after.parse().ok()?;
                    (after > before).then_some((a, after - before, before, after))
                })
        })
}

/// Whether the orders among `actions` go over `budget`: what they would spend, and why it is
/// over (the amount, an order without a price, another currency).
fn over_budget(
    actions: &[&Action],
    budget: &Budget,
    unknown: UnknownPrice,
) -> Option<(String, String)> {
    let orders: Vec<&&Action> = actions.iter().filter(|a| a.order.is_some()).collect();
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
    let money = |cents: i128| {
        grouped(&Price {
            currency: budget.currency.clone(),
            total: Cents(cents).to_string(),
        })
    };
    // What the plan would spend: in the budget's currency, and in any other it has.
    let mut spent: Vec<String> = Vec::new();
    if in_budget.0 > 0 || others.is_empty() {
        spent.push(money(in_budget.0));
    }
    spent.extend(others.iter().cloned());
    let planned = spent.join(" + ");
    let mut reasons = Vec::new();
    if in_budget.0 > budget.cents {
        reasons.push(format!("{} over", money(in_budget.0 - budget.cents)));
    }
    if unknown == UnknownPrice::Fail && unpriced + unreadable > 0 {
        let n = unpriced + unreadable;
        reasons.push(format!(
            "{} without a price {} as over any budget",
            plural(n, "order", "orders"),
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
    (!reasons.is_empty()).then(|| (planned, reasons.join("; ")))
}

/// The budgets of `budget.perCustomer` (`file:line:column`, customer) that no PBX of
/// `pbxs` it holds falls under: they hold nothing in this run.
pub fn idle_customer_budgets<'a>(
    policies: &'a [Policy],
    pbxs: &[crate::manifest::DesiredPbx],
) -> Vec<(&'a str, &'a str)> {
    policies
        .iter()
        .flat_map(|p| p.unheld_customers(pbxs).1)
        .map(|(name, rule)| (rule.at.as_str(), name.as_str()))
        .collect()
}

#[cfg(test)]
mod tests;
