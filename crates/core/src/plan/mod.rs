//! The planner: a pure, synchronous function from (desired, observed, catalogs, today) to a
//! [`Plan`]. No I/O, no async, no printing — every rule of the vendor contract (section 5) is
//! checked here before anything is sent, which makes it exhaustively unit-testable.

mod billing;
mod cause;
pub mod drift;
mod error;
mod keys;
mod lines;
mod model;
pub mod money;
mod pbx;
mod requirements;
mod resolve;
mod rule;
mod steps;
mod unknown_sn;
mod verify;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

pub use cause::field_at;
pub use error::{PlanError, PlanErrors};
pub use keys::{
    Fingerprint, KEYS_VERSION, PoNumber, fingerprint, fingerprint_matches, is_po_number, plan_id,
    po_number, sha256_hex,
};
pub use model::*;
pub use requirements::{Requirements, requirements};
pub use rule::Rule;
pub use steps::renewal_refusal_help;
pub use verify::verify;

use crate::date::Date;
use crate::manifest::{Code, DesiredPbx};
use crate::model::{Catalog, Contact, Doubt, ObservedPbx, Order, ProductId};

/// A PBX is identified by its product and SN.
pub type PbxKey = (ProductId, String);

/// Catalogs as read: one per product, and per SN for products whose catalog the vendor only
/// gives per SN (Linkus, Appliance).
#[derive(Debug, Clone, Default)]
pub struct Catalogs {
    pub by_product: BTreeMap<ProductId, Catalog>,
    pub by_sn: BTreeMap<PbxKey, Catalog>,
}

/// The catalogs as a plan records them.
fn record(catalogs: &Catalogs) -> Vec<RecordedCatalog> {
    let by_product = catalogs.by_product.iter().map(|(p, c)| RecordedCatalog {
        product: *p,
        sn: None,
        catalog: c.clone(),
    });
    let by_sn = catalogs.by_sn.iter().map(|((p, sn), c)| RecordedCatalog {
        product: *p,
        sn: Some(sn.clone()),
        catalog: c.clone(),
    });
    by_product.chain(by_sn).collect()
}

impl Catalogs {
    /// The catalogs a plan recorded.
    pub fn from_recorded(recorded: &[RecordedCatalog]) -> Catalogs {
        let mut c = Catalogs::default();
        for r in recorded {
            match &r.sn {
                Some(sn) => {
                    c.by_sn.insert((r.product, sn.clone()), r.catalog.clone());
                }
                None => {
                    c.by_product.insert(r.product, r.catalog.clone());
                }
            }
        }
        c
    }

    pub fn get(&self, product: ProductId, sn: &str) -> Option<&Catalog> {
        self.by_sn
            .get(&(product, sn.to_owned()))
            .or_else(|| self.by_product.get(&product))
    }
}

/// What was read from the account for the PBXs in scope.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub pbxs: BTreeMap<PbxKey, ObservedPbx>,
    /// `None` when not read (no order will be built).
    pub contacts: Option<Vec<Contact>>,
    /// Recent orders still `pending`/`confirming`, per PBX.
    pub in_flight: BTreeMap<PbxKey, Vec<Order>>,
    /// This workspace's orders of unknown outcome with no evidence yet, per PBX: nothing is
    /// ordered for these PBXs.
    pub in_doubt: BTreeMap<PbxKey, Vec<Doubt>>,
    /// Orders placed within the settle period (by anyone) whose effect is not proven to show
    /// on the PBX yet: a PBX that would get an order is in doubt instead.
    pub unsettled: BTreeMap<PbxKey, Vec<Doubt>>,
    /// Every order of the PBX seen within the settle period: apply treats any other order
    /// placed since the observation as someone else acting.
    pub recent: BTreeMap<PbxKey, Vec<String>>,
    /// PBXs whose detail the vendor answered in a form that cannot be read, and why: each is
    /// set aside with that reason (no order for it), and the rest of the plan goes ahead.
    pub unreadable: BTreeMap<PbxKey, String>,
    /// PBXs the account does not have (the vendor answered 404 `not_found` for their detail):
    /// each is an error of its manifest entry, and the plan places no order at all.
    pub not_found: BTreeSet<PbxKey>,
    /// The SNs the account has under each product of a PBX in `not_found`, to suggest the SN
    /// that was meant; a product whose list could not be read is absent.
    pub listed: BTreeMap<ProductId, Vec<String>>,
    /// When the state was read (epoch ms).
    pub observed_at_ms: i64,
    /// The evidence of why PBXs differ from their entries; `None` when not gathered (a saved
    /// plan re-derived, a forecast): then no plan says why.
    pub history: Option<drift::History>,
}

/// Everything about a plan that is not state: its date, what it was made from, and what makes
/// it unique.
#[derive(Debug, Clone)]
pub struct PlanContext {
    pub today: Date,
    pub manifest_hash: String,
    pub selection: Selection,
    /// Makes two plans of the same state differ (a plan applies once, by its ID): the caller
    /// gives something of this run, such as its process and time.
    pub nonce: String,
    /// The vendor account the plan reads and orders from (`Client::account_key`): recorded in
    /// the plan, so a plan made for one account is never applied to another.
    pub account: String,
    /// The policy files of the manifests, recorded in the plan.
    pub policy: Vec<crate::policy::Policy>,
}

/// The list of one PBX in a per-PBX map.
fn of<T: Clone>(map: &BTreeMap<PbxKey, Vec<T>>, key: &PbxKey) -> Vec<T> {
    map.get(key).cloned().unwrap_or_default()
}

/// Computes the plan. Errors (rule violations, unknown names) are all collected; a plan with
/// any of them is refused as a whole, so nothing is ever half-planned. An SN the account does
/// not have is the one error that refuses only its entry: the rest is planned, to be seen, and
/// the plan carries the error ([`Plan::errors`]), which keeps all of it from being applied.
pub fn plan(
    desired: &[DesiredPbx],
    observed: &Observed,
    catalogs: &Catalogs,
    ctx: &PlanContext,
) -> Result<Plan, PlanErrors> {
    // Each PBX's fingerprint, once: the plan ID covers them all, and each PBX plan keeps its own.
    let mut fingerprints: BTreeMap<&PbxKey, Fingerprint> = observed
        .pbxs
        .iter()
        .map(|(k, o)| (k, keys::fingerprint(o)))
        .collect();
    let recorded = record(catalogs);
    let (missing, found): (Vec<&DesiredPbx>, Vec<&DesiredPbx>) = desired.iter().partition(|d| {
        observed
            .not_found
            .contains(&(d.product.value, d.sn.clone()))
    });
    // The entries in error are inputs too, apart, so that a saved plan re-derives its ID from
    // its PBXs and its errors alike (and an entitle that does not know `errors` re-derives
    // another ID, and refuses the plan as edited).
    // Likewise the policy: in the inputs only when there is one, so plans without keep their IDs.
    let inputs = match (missing.is_empty(), ctx.policy.is_empty()) {
        (true, true) => serde_json::to_vec(&(&found, &recorded, &observed.contacts)),
        (false, true) => serde_json::to_vec(&(&found, &recorded, &observed.contacts, &missing)),
        (_, false) => {
            serde_json::to_vec(&(&found, &recorded, &observed.contacts, &missing, &ctx.policy))
        }
    }
    .unwrap_or_default();
    let plan_id = keys::plan_id(
        &ctx.manifest_hash,
        &ctx.today.to_string(),
        &keys::sha256_hex(&inputs),
        &fingerprints
            .values()
            .map(Fingerprint::as_str)
            .collect::<Vec<_>>(),
        &format!("{}\n{}", ctx.nonce, ctx.account),
    );
    let mut pbxs = Vec::with_capacity(desired.len());
    let mut errors = Vec::new();
    let mut entry_errors = Vec::new();
    for d in desired {
        let key = (d.product.value, d.sn.clone());
        if observed.not_found.contains(&key) {
            let listed = observed.listed.get(&d.product.value).map(Vec::as_slice);
            let e = unknown_sn::error(d, listed);
            entry_errors.push(EntryError::new(d, &e));
            errors.push(e);
            continue;
        }
        if let Some(why) = observed.unreadable.get(&key) {
            pbxs.push(pbx::unreadable(d, why));
            continue;
        }
        let Some(o) = observed.pbxs.get(&key) else {
            errors.push(PlanError::new(
                Code::InternalError,
                d,
                &d.at,
                None,
                format!("{} was not read from the account", d.key()),
                None,
            ));
            continue;
        };
        let activity = pbx::Activity {
            in_flight: of(&observed.in_flight, &key),
            in_doubt: of(&observed.in_doubt, &key),
            unsettled: of(&observed.unsettled, &key),
            recent: of(&observed.recent, &key),
        };
        let catalog = catalogs.get(d.product.value, &d.sn);
        let id = pbx::Identity {
            today: ctx.today,
            fingerprint: fingerprints.remove(&key).unwrap_or_default(),
        };
        match pbx::plan_pbx(d, o, catalog, observed.contacts.as_deref(), activity, id) {
            Ok(mut p) => {
                p.drift = drift::findings(&p, d, observed.history.as_ref());
                pbxs.push(p);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    // Only unknown SNs: the plan goes ahead, carrying them. Any other error refuses the
    // whole plan, and then lists the unknown SNs too, in manifest order.
    if errors.iter().any(|e| e.code != Code::UnknownSn) {
        return Err(PlanErrors(errors));
    }
    Ok(Plan {
        format_version: FORMAT_VERSION.to_owned(),
        plan_id,
        today: ctx.today,
        manifest_hash: ctx.manifest_hash.clone(),
        selection: ctx.selection.clone(),
        observed_at_ms: observed.observed_at_ms,
        nonce: ctx.nonce.clone(),
        account: ctx.account.clone(),
        catalogs: recorded,
        contacts: observed.contacts.clone(),
        errors: entry_errors,
        pbxs,
        held_back: Vec::new(),
        policy: ctx.policy.clone(),
    })
}

/// The plan of `--only`: planned whole, then again without the PBXs that have a change of an
/// operation not in `ctx.selection.operations`, which are listed as held back. A PBX is held
/// back whole, never in part: its orders depend on one another (a renewal lists the services
/// a purchase before it adds), so a subset of them could be a different purchase.
pub fn plan_only(
    desired: &[DesiredPbx],
    observed: &Observed,
    catalogs: &Catalogs,
    ctx: &PlanContext,
) -> Result<Plan, PlanErrors> {
    let all = plan(desired, observed, catalogs, ctx)?;
    let allowed = &ctx.selection.operations;
    if allowed.is_empty() {
        return Ok(all);
    }
    let held_back: Vec<HeldBack> = all
        .pbxs
        .iter()
        .filter_map(|p| {
            let mut operations: Vec<ActionKind> = p
                .actions
                .iter()
                .map(|a| a.kind)
                .filter(|k| !allowed.contains(k))
                .collect();
            operations.sort();
            operations.dedup();
            (!operations.is_empty()).then(|| HeldBack {
                sn: p.sn.clone(),
                product: p.product,
                source: p.source.clone(),
                operations,
            })
        })
        .collect();
    if held_back.is_empty() {
        return Ok(all);
    }
    let held: BTreeSet<PbxKey> = held_back
        .iter()
        .map(|h| (h.product, h.sn.clone()))
        .collect();
    let kept: Vec<DesiredPbx> = desired
        .iter()
        .filter(|d| !held.contains(&(d.product.value, d.sn.clone())))
        .cloned()
        .collect();
    // The plan ID covers every observed fingerprint: only the kept PBXs', as a saved plan
    // re-derives it from the PBXs it records.
    let mut observed = observed.clone();
    observed.pbxs.retain(|k, _| !held.contains(k));
    let mut plan = plan(&kept, &observed, catalogs, ctx)?;
    plan.held_back = held_back;
    Ok(plan)
}
