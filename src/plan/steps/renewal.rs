//! Step 4, the renewal: when `renew` is on and the term ends within `renewBefore`, one
//! `renew_plan` order renews the plan (its line counts the extensions in force, rule 5) and
//! every subscribed service. Subscribed services the manifest no longer lists are manual items:
//! the API cannot cancel a service.

use crate::model::ObservedService;

use super::super::lines;
use super::super::model::{Action, ActionKind, Change, Effective, ManualItem};
use super::super::pbx::Planner;
use super::super::resolve::refers_to;
use super::{PlanOutcome, ServicesOutcome, next_term_end};

impl<'a> Planner<'a> {
    /// Step 4.
    pub(crate) fn renewal_step(
        &mut self,
        plan: &PlanOutcome,
        services: &ServicesOutcome,
    ) -> Option<Action> {
        for s in self.unlisted_services() {
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
        if plan.renewal_waits {
            None
        } else {
            self.renewal(services)
        }
    }

    /// Subscribed services a declared `services:` leaves out. Capacity shows up among
    /// subscribed services at some vendors; it is declared by its own fields.
    fn unlisted_services(&self) -> Vec<&'a ObservedService> {
        let (d, o) = (self.d, self.o);
        let Some(wanted) = &d.services else {
            return Vec::new();
        };
        let cat = self.cat;
        o.services
            .iter()
            .filter(|s| !wanted.iter().any(|w| refers_to(&w.value, s.id, &s.name)))
            .filter(|s| {
                !cat.and_then(|c| c.service(s.id))
                    .is_some_and(|c| c.kind.is_capacity())
            })
            .collect()
    }

    /// The `renew_plan` order when the term ends within the window and `renew` is on.
    fn renewal(&mut self, services: &ServicesOutcome) -> Option<Action> {
        let (d, o) = (self.d, self.o);
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
        if !d.renew {
            self.notes
                .push(format!("{when}; not renewed (`renew: false`)"));
            return None;
        }
        let mut service_list = vec![lines::renew_plan_line(
            cur.id,
            cur.cycle,
            (services.extensions > 0).then_some(services.extensions),
        )];
        let renewed_ids = o
            .services
            .iter()
            .map(|s| s.id)
            .chain(services.subscribed.iter().copied());
        service_list.extend(renewed_ids.map(|id| lines::renew_service_line(cur.id, id, cur.cycle)));
        let mut renewed = vec![cur.name.as_str()];
        renewed.extend(o.services.iter().map(|s| s.name.as_str()));
        Some(Action {
            kind: ActionKind::RenewPlan,
            reason: format!("{when}: renew {}", renewed.join(" + ")),
            changes: vec![Change {
                field: "expires".into(),
                before: Some(cur.expires.to_string()),
                after: next_term_end(cur).to_string(),
            }],
            effective: Effective::Now,
            order: Some(self.body(ActionKind::RenewPlan, service_list)),
            auto_renew_target: None,
            price: None,
        })
    }
}
