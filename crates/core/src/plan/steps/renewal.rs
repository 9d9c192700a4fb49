//! Step 4, the renewal: when `renew` is on and the term ends within `renewBefore`, one
//! `renew_plan` order renews the plan (its line counts the extensions in force, rule 5) and the
//! subscribed services the manifest still wants. A service the manifest drops is not renewed:
//! it lapses when its term ends, and the renewal says so — letting it lapse is the one way the
//! API can end a service, so it is planned, not left as a manual to-do. A renewal repeats the
//! current billing cycle and term (rule 5); when the manifest wants another one that no switch
//! can give, the renewal says that too. No renewal spends money on something the manifest
//! leaves out without saying so on the action itself.

use crate::model::{Cycle, ObservedPbx, ObservedService, SubscribedPlan};
use crate::words::and_list;

use super::super::lines;
use super::super::model::{Action, ActionKind, Change, Effective, ManualItem};
use super::super::pbx::Planner;
use super::super::resolve::refers_to;
use super::super::rule::Rule;
use super::{PlanOutcome, ServicesOutcome, next_term_end, term_text, wanted_cycle, years};

impl<'a> Planner<'a> {
    /// Step 4. Services the manifest drops lapse with the renewal; without one they stay
    /// manual items, since only the partner portal ends a service before its term does.
    pub(crate) fn renewal_step(
        &mut self,
        plan: &PlanOutcome,
        services: &ServicesOutcome,
    ) -> Option<Action> {
        let dropped = self.dropped_services();
        let renewal = if plan.renewal_waits {
            None
        } else {
            self.renewal(services, &dropped)
        };
        if renewal.is_none() {
            for s in &dropped {
                self.manual.push(ManualItem {
                    field: "services".into(),
                    current: s.name.clone(),
                    wanted: "(not listed)".into(),
                    reason: format!(
                        "{} is subscribed but not in the manifest; the API cannot cancel a service, use the partner portal",
                        s.name
                    ),
                });
            }
        }
        renewal
    }

    /// Subscribed services a declared `services:` leaves out. Capacity shows up among
    /// subscribed services at some vendors; it is declared by its own fields, never dropped.
    fn dropped_services(&mut self) -> Vec<&'a ObservedService> {
        let (d, o) = (self.desired, self.observed);
        let Some(wanted) = &d.services else {
            return Vec::new();
        };
        let unlisted: Vec<&ObservedService> = o
            .services
            .iter()
            .filter(|s| !wanted.iter().any(|w| refers_to(&w.value, s.id, &s.name)))
            .collect();
        if unlisted.is_empty() {
            return unlisted;
        }
        let Some(cat) = self.catalog(&d.at) else {
            return Vec::new();
        };
        unlisted
            .into_iter()
            .filter(|s| !cat.service(s.id).is_some_and(|c| c.kind.is_capacity()))
            .collect()
    }

    /// The `renew_plan` order when the term ends within the window and `renew` is on.
    fn renewal(
        &mut self,
        services: &ServicesOutcome,
        dropped: &[&ObservedService],
    ) -> Option<Action> {
        let (d, o) = (self.desired, self.observed);
        let cur = o.plan.as_ref()?;
        let days = self.today.days_until(cur.expires);
        let window = d.renew_before_days.value;
        if i64::from(window) < days {
            return None;
        }
        let when = if days >= 0 {
            format!("term ends {}, within {window}d", cur.expires)
        } else {
            format!("term ended {} ({} days ago)", cur.expires, -days)
        };
        // A renewal names every service kept, and (for a product with extensions) the count.
        let unreported = |f: &str| o.unreported.iter().any(|u| u == f);
        if !d.renew
            && (unreported("serviceList")
                || (self.counts_extensions() && unreported("extensionCount")))
        {
            // Not wanted, and not known well enough to show: nothing to block either.
            return None;
        }
        let at = d.renew_before_days.at.clone();
        if !self.reported("serviceList", "renew", &at) {
            return None;
        }
        if self.counts_extensions() && !self.reported("extensionCount", "renew", &at) {
            return None;
        }
        let kept: Vec<&ObservedService> = o
            .services
            .iter()
            .filter(|s| !dropped.iter().any(|x| x.id == s.id))
            .collect();
        let mut service_list = vec![lines::renew_plan_line(
            cur.id,
            cur.cycle,
            (services.extensions > 0).then_some(services.extensions),
        )];
        let renewed_ids = kept
            .iter()
            .map(|s| s.id)
            .chain(services.subscribed.iter().copied());
        service_list.extend(renewed_ids.map(|id| lines::renew_service_line(cur.id, id, cur.cycle)));

        let mut changes = vec![Change {
            field: "expires".into(),
            before: Some(cur.expires.to_string()),
            after: next_term_end(cur).to_string(),
        }];
        changes.extend(self.term_the_renewal_keeps(cur));
        changes.extend(dropped.iter().map(|s| lapse(s, cur)));

        let mut renewed = vec![cur.name.as_str()];
        renewed.extend(kept.iter().map(|s| s.name.as_str()));
        let mut reason = format!("{when}: renew {}", renewed.join(" + "));
        if !dropped.is_empty() {
            let names: Vec<&str> = dropped.iter().map(|s| s.name.as_str()).collect();
            reason.push_str(&format!("; let {} lapse", and_list(&names)));
        }
        let action = Action {
            kind: ActionKind::RenewPlan,
            reason,
            changes,
            effective: Effective::Now,
            order: Some(self.body(ActionKind::RenewPlan, service_list)),
            auto_renew_target: None,
            price: None,
            price_error: None,
            price_basis: None,
            refused: None,
        };
        if !d.renew {
            // Not wanted: shown with its date and price, never ordered (adopting an estate
            // with `export` orders nothing).
            let reason = format!(
                "{}; not ordered: `renew: false` (to order it, set `renew: true` for this PBX, {})",
                action.reason, d.at
            );
            self.upcoming.push(Action { reason, ..action });
            return None;
        }
        self.notes.extend(renewal_refusal_help(o, &action));
        Some(action)
    }

    /// The billing cycle or term a renewal repeats although the manifest asks for another one
    /// (which no switch gives: it is a manual item of step 2).
    fn term_the_renewal_keeps(&self, cur: &SubscribedPlan) -> Option<Change> {
        let d = self.desired;
        let want_cycle = wanted_cycle(d, cur.cycle);
        if want_cycle != cur.cycle {
            return Some(Change {
                field: "billingCycle".into(),
                before: Some(cur.cycle.to_string()),
                after: format!(
                    "{} (the manifest asks {want_cycle}; a renewal cannot change the billing cycle, vendor rule {})",
                    cur.cycle,
                    Rule::Renewal
                ),
            });
        }
        let years_now = cur.multi_cycle.max(1);
        match &d.term {
            Some(t) if cur.cycle == Cycle::Annually && t.value != years_now => {
                let term = term_text(cur.cycle, cur.multi_cycle);
                Some(Change {
                    field: "term".into(),
                    before: Some(term.clone()),
                    after: format!(
                        "{term} (the manifest asks {}; a renewal repeats the current term)",
                        years(t.value)
                    ),
                })
            }
            _ => None,
        }
    }
}

/// A dropped service on the renewal: `~ services: High Availability → not renewed: …`.
fn lapse(s: &ObservedService, cur: &SubscribedPlan) -> Change {
    let ends = s.expires.unwrap_or(cur.expires);
    Change {
        field: "services".into(),
        before: Some(s.name.clone()),
        after: format!("not renewed: the manifest drops it; it lapses on {ends}"),
    }
}

/// What to tell the user about a renewal that leaves subscribed services out: vendor-api
/// rule 5 has a renewal include every one, and whether the real vendor refuses one without is
/// not known. Worded for both the plan (a note) and a refused order (the error's help), and
/// derived from the order body itself, so the two say the same. `None` when `renewal` renews
/// every subscribed service.
pub fn renewal_refusal_help(observed: &ObservedPbx, renewal: &Action) -> Option<String> {
    if renewal.kind != ActionKind::RenewPlan {
        return None;
    }
    let body = renewal.order.as_ref()?;
    let left_out: Vec<&str> = observed
        .services
        .iter()
        .filter(|s| {
            !body
                .service_list
                .iter()
                .any(|l| l.service_type == "service" && l.service_id == s.id)
        })
        .map(|s| s.name.as_str())
        .collect();
    if left_out.is_empty() {
        return None;
    }
    let names = and_list(&left_out);
    let it = if left_out.len() == 1 { "it" } else { "them" };
    Some(format!(
        "this renewal leaves out {names}: if the vendor refuses a renewal for that (vendor rule \
         {} may require every subscribed service), nothing is bought and the term is not renewed; \
         to keep {names}, list {it} under `services:`; to end {it}, cancel {it} in the partner \
         portal; then plan again",
        Rule::Renewal
    ))
}
