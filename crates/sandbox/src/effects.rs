//! What a succeeded order does to the account (vendor-api section 5, "Effects").

use super::vocab::ServiceKind;

use super::catalog::ProductCatalog;
use super::rules::{Checked, Effect};
use super::world::World;

/// Applies an order that passed [`super::rules::check`] against this same state.
pub(super) fn apply(world: &mut World, catalog: &ProductCatalog, checked: &Checked) {
    let Some(sub) = world.pbxs.get_mut(checked.pbx) else {
        return;
    };
    match &checked.effect {
        Effect::PurchasePlan {
            term,
            extensions,
            concurrent_calls,
        } => {
            sub.plan = Some(term.clone());
            sub.pending = None;
            if let Some(e) = extensions {
                sub.extensions = *e;
            }
            if let Some(c) = concurrent_calls {
                sub.concurrent_calls = *c;
            }
            for s in &mut sub.services {
                s.expire = term.expire;
            }
        }
        Effect::SwitchNow { term } => {
            sub.plan = Some(term.clone());
            sub.pending = None;
            // Services follow the plan's term.
            for s in &mut sub.services {
                s.expire = term.expire;
            }
        }
        Effect::SwitchAtExpiry(pending) => sub.pending = Some(pending.clone()),
        Effect::CancelPending => sub.pending = None,
        Effect::AddServices {
            subscribe,
            extensions,
            concurrent_calls,
            recording_minutes,
        } => {
            sub.extensions = sub.extensions.saturating_add(*extensions);
            sub.concurrent_calls = sub.concurrent_calls.saturating_add(*concurrent_calls);
            sub.recording_minutes = sub.recording_minutes.saturating_add(*recording_minutes);
            sub.services.extend(subscribe.iter().cloned());
        }
        Effect::Renew { expire, services } => {
            if let Some(term) = &mut sub.plan {
                term.expire = *expire;
            }
            for s in sub
                .services
                .iter_mut()
                .filter(|s| services.contains(&s.service_id))
            {
                s.expire = *expire;
            }
        }
    }
    // A per-extension service (High Availability) always covers every extension in force.
    if let Some(product) = catalog.product(sub.product_id) {
        let extensions = sub.extensions;
        for s in &mut sub.services {
            if product
                .service(s.service_id)
                .is_some_and(|svc| svc.kind == ServiceKind::PerExtension)
            {
                s.quantity = extensions;
            }
        }
    }
}
