//! The vendor's business rules (`docs/vendor-api.md` section 5), one variant each, so a plan
//! error names the rule it breaks by meaning rather than by a bare number. The numbers are the
//! contract's: they are what users look up, and what `(vendor rule N)` prints.

use std::fmt;

/// A rule of vendor-api section 5 the planner checks before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// 1. `purchase_service` lines carry `connectionPlanId` = the PBX's current plan, so services
    ///    and capacity can only be bought on a PBX that has (or is being given) a plan.
    ServicesHangOnThePlan,
    /// 2. A service may be bought only under a plan in its `requiresPlanIds` (Disaster Recovery
    ///    needs Ultimate Plan).
    ServiceRequiresPlan,
    /// 3. `multiCycle`: 0 for monthly billing and on `purchase_service`/`renew_plan` lines,
    ///    1..5 years on annual `purchase_plan`/`switch_plan`; a plan is sold only on its cycles.
    BillingTerm,
    /// 4. An upgrade keeps the current multi-year interval; a downgrade takes effect at expiry.
    SwitchKeepsTheTerm,
    /// 5. `renew_plan` renews the plan (quantity = the extensions in force) and its services in
    ///    one order, on the same billing cycle. The documentation has every subscribed service in
    ///    it; whether the vendor refuses a renewal without one is not known, and the planner
    ///    leaves out the services a manifest drops (see `renewal_refusal_help`).
    Renewal,
    /// 6. A Cloud PBX holds between 5 and 500 extensions in total.
    CloudPbxExtensions,
    /// 7. `purchase_plan` is for a product with no active plan; one that has a plan switches.
    PurchaseOnlyWithoutPlan,
    /// 8. `billingId` is one of the account's billing contacts; `productNo` exists under
    ///    `productId` in the account.
    AccountReferences,
    /// 9. Capacity never shrinks through an order.
    CapacityNeverShrinks,
}

impl Rule {
    /// Every rule, in the contract's order.
    pub const ALL: [Rule; 9] = [
        Rule::ServicesHangOnThePlan,
        Rule::ServiceRequiresPlan,
        Rule::BillingTerm,
        Rule::SwitchKeepsTheTerm,
        Rule::Renewal,
        Rule::CloudPbxExtensions,
        Rule::PurchaseOnlyWithoutPlan,
        Rule::AccountReferences,
        Rule::CapacityNeverShrinks,
    ];

    /// The rule's number in vendor-api section 5.
    pub fn number(self) -> u8 {
        match self {
            Rule::ServicesHangOnThePlan => 1,
            Rule::ServiceRequiresPlan => 2,
            Rule::BillingTerm => 3,
            Rule::SwitchKeepsTheTerm => 4,
            Rule::Renewal => 5,
            Rule::CloudPbxExtensions => 6,
            Rule::PurchaseOnlyWithoutPlan => 7,
            Rule::AccountReferences => 8,
            Rule::CapacityNeverShrinks => 9,
        }
    }

    /// The rule in one sentence, as a user needs it to understand a refusal.
    pub fn explanation(self) -> &'static str {
        match self {
            Rule::ServicesHangOnThePlan => {
                "services and capacity are bought on the PBX's current plan (connectionPlanId)"
            }
            Rule::ServiceRequiresPlan => {
                "a service can be bought only under one of the plans it requires"
            }
            Rule::BillingTerm => {
                "a plan is sold only on the billing cycles the catalog lists; monthly billing has no multi-year term"
            }
            Rule::SwitchKeepsTheTerm => {
                "switching to a higher plan keeps the current term; a lower plan takes effect when the term ends"
            }
            Rule::Renewal => {
                "a renewal renews the plan, for the extensions in force, on the same billing cycle; the documentation has it include every subscribed service"
            }
            Rule::CloudPbxExtensions => "a Cloud PBX holds between 5 and 500 extensions in total",
            Rule::PurchaseOnlyWithoutPlan => {
                "a plan is purchased only for a product with no active plan; otherwise it is switched"
            }
            Rule::AccountReferences => {
                "orders go to one of the account's billing contacts, for a PBX of the account"
            }
            Rule::CapacityNeverShrinks => "capacity never shrinks through an order",
        }
    }
}

/// The rule's number: `(vendor rule {rule})` reads as the contract does.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_contract_and_display_as_numbers() {
        let numbers: Vec<u8> = Rule::ALL.iter().map(|r| r.number()).collect();
        assert_eq!(numbers, (1..=9).collect::<Vec<u8>>());
        assert_eq!(
            format!("(vendor rule {})", Rule::Renewal),
            "(vendor rule 5)"
        );
        assert!(Rule::ALL.iter().all(|r| !r.explanation().is_empty()));
    }
}
