//! Step 5, auto-renewal: the API can switch it on (on the plan in force after step 2), never
//! off; switching it off is a manual item.

use super::super::model::{Action, ActionKind, Change, Effective, ManualItem};
use super::super::pbx::Planner;
use super::InForce;

impl Planner<'_> {
    /// Step 5.
    pub(crate) fn auto_renew_step(&mut self, in_force: Option<&InForce>) -> Option<Action> {
        let want = self.desired.auto_renew.as_ref()?;
        match (want.value, self.observed.auto_renew) {
            (true, Some(false)) => in_force.map(|on| Action {
                kind: ActionKind::EnableAutoRenew,
                reason: "auto-renewal is off".into(),
                changes: vec![Change {
                    field: "autoRenew".into(),
                    before: Some("false".into()),
                    after: "true".into(),
                }],
                effective: Effective::Now,
                order: None,
                auto_renew_target: Some(on.plan.id),
                price: None,
                price_error: None,
                price_basis: None,
                refused: None,
            }),
            (false, Some(true)) => {
                self.manual.push(ManualItem {
                    field: "autoRenew".into(),
                    current: "true".into(),
                    wanted: "false".into(),
                    reason: "the API cannot disable auto-renewal; use the partner portal".into(),
                });
                None
            }
            _ => None,
        }
    }
}
