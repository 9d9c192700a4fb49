//! Planning one `(sn, product)`: the planner's inputs and what it collects besides actions
//! (errors, manual items, notes), the order in which the planner's steps (docs/plan.md) run (the
//! steps themselves are in [`super::steps`]), and what every order gets once all are known: the
//! billing contact and a `poNumber`.

use crate::date::Date;
use crate::manifest::{Code, DesiredPbx, Loc};
use crate::model::{Catalog, Contact, Doubt, Id, ObservedPbx, Order};
use crate::wire::{OrderBody, OrderLine};

use super::error::PlanError;
use super::keys::po_number;
use super::model::{Action, ActionKind, ManualItem, PbxPlan};
use super::rule::Rule;

/// One PBX being planned: its inputs, and what the steps find that is not an action.
pub(super) struct Planner<'a> {
    /// What the manifest says this PBX should have.
    pub desired: &'a DesiredPbx,
    /// What it has.
    pub observed: &'a ObservedPbx,
    /// What its product offers; `None` when observe did not read it (requirements said no
    /// step would need it).
    pub catalog: Option<&'a Catalog>,
    pub today: Date,
    errors: Vec<PlanError>,
    pub manual: Vec<ManualItem>,
    pub notes: Vec<String>,
    /// Renewals that would be due but are not wanted (`renew: false`): shown, never ordered.
    pub upcoming: Vec<Action>,
    /// Why this PBX cannot be planned (a fact the vendor did not give): it gets no order, and
    /// the rest of the plan goes ahead.
    pub blocked: Vec<String>,
}

/// What a PBX's plan takes from the whole plan.
pub(super) struct Identity {
    pub today: Date,
    /// Of the observed state, computed once for the plan ID too.
    pub fingerprint: super::keys::Fingerprint,
}

/// What is already happening to a PBX: orders in flight, in doubt, or not settled yet, and
/// every order seen on it within the settle period.
#[derive(Default)]
pub(super) struct Activity {
    pub in_flight: Vec<Order>,
    pub in_doubt: Vec<Doubt>,
    pub unsettled: Vec<Doubt>,
    pub recent: Vec<String>,
}

pub(super) fn plan_pbx(
    d: &DesiredPbx,
    o: &ObservedPbx,
    cat: Option<&Catalog>,
    contacts: Option<&[Contact]>,
    activity: Activity,
    ctx: Identity,
) -> Result<PbxPlan, Vec<PlanError>> {
    let Activity {
        in_flight,
        mut in_doubt,
        unsettled,
        recent,
    } = activity;
    let mut p = Planner {
        desired: d,
        observed: o,
        catalog: cat,
        today: ctx.today,
        errors: Vec::new(),
        manual: Vec::new(),
        notes: Vec::new(),
        upcoming: Vec::new(),
        blocked: Vec::new(),
    };
    let mut actions = match crate::ledger::hold_before_planning(&in_flight, &in_doubt) {
        Some(hold) => {
            p.notes.push(hold.describe());
            Vec::new()
        }
        None => p.run(),
    };
    // A fact the vendor did not give is never guessed: the PBX gets nothing.
    if !p.blocked.is_empty() {
        actions.clear();
    }
    if let Some(hold) = crate::ledger::hold_after_planning(&unsettled, !actions.is_empty()) {
        p.notes.push(hold.describe());
        in_doubt = unsettled;
        actions.clear();
    }
    if actions.iter().any(|a| a.order.is_some()) {
        match p.billing_id(contacts) {
            Some(billing) => {
                for body in actions.iter_mut().filter_map(|a| a.order.as_mut()) {
                    body.billing_id = billing;
                    body.po_number = Some(po_number(&ctx.fingerprint, body).into());
                }
            }
            None => debug_assert!(!p.errors.is_empty()),
        }
    }
    if !p.errors.is_empty() {
        return Err(p.errors);
    }
    Ok(PbxPlan {
        sn: d.sn.clone(),
        product: d.product.value,
        source: d.at.to_string(),
        desired: Some(d.clone()),
        labels: d.labels.clone(),
        fingerprint: ctx.fingerprint,
        observed: o.clone(),
        in_flight,
        in_doubt,
        seen_orders: recent,
        blocked: p.blocked,
        unreadable: None,
        actions,
        upcoming: p.upcoming,
        manual: p.manual,
        notes: p.notes,
        drift: Vec::new(),
    })
}

/// The plan of a PBX whose detail the vendor answered in a form that cannot be read (`why`):
/// nothing is known of it, so nothing is ordered for it; the rest of the plan goes ahead.
pub(super) fn unreadable(d: &DesiredPbx, why: &str) -> PbxPlan {
    let observed = ObservedPbx::unread(&d.sn, d.product.value);
    PbxPlan {
        sn: d.sn.clone(),
        product: d.product.value,
        source: d.at.to_string(),
        desired: Some(d.clone()),
        labels: d.labels.clone(),
        fingerprint: super::keys::fingerprint(&observed),
        observed,
        in_flight: Vec::new(),
        in_doubt: Vec::new(),
        seen_orders: Vec::new(),
        blocked: vec![format!(
            "{}: the vendor's answer about {} cannot be read, so nothing is planned for it: {why}",
            d.at,
            d.key()
        )],
        unreadable: Some(why.to_owned()),
        actions: Vec::new(),
        upcoming: Vec::new(),
        manual: Vec::new(),
        notes: Vec::new(),
        drift: Vec::new(),
    }
}

impl<'a> Planner<'a> {
    /// The planner's steps (docs/plan.md) in dependency order: each works on what the earlier ones
    /// leave in force, so the orders they return are placed in this order.
    fn run(&mut self) -> Vec<Action> {
        // Without the plan in force nothing can be planned: not even "no plan" is known.
        if !self.reported("planId", "plan", &self.desired.at.clone()) {
            return Vec::new();
        }
        let plan = self.plan_step();
        let services = self.services_step(plan.in_force.as_ref());
        let renewal = self.renewal_step(&plan, &services);
        let auto_renew = self.auto_renew_step(plan.in_force.as_ref());
        plan.action
            .into_iter()
            .chain(services.actions)
            .chain(renewal)
            .chain(auto_renew)
            .collect()
    }

    pub(super) fn error(
        &mut self,
        code: Code,
        at: &Loc,
        rule: Option<Rule>,
        message: String,
        help: Option<String>,
    ) {
        self.errors
            .push(PlanError::new(code, self.desired, at, rule, message, help));
    }

    /// Whether this PBX's product has capacity ([`crate::model::ProductId::has_capacity`]).
    pub(super) fn counts_extensions(&self) -> bool {
        self.desired.product.value.has_capacity()
    }

    /// Refuses to plan this PBX: `what` needs a fact the vendor did not give (`why`).
    pub(super) fn block(&mut self, at: &Loc, why: String) {
        let line = format!("{at}: {why}");
        if !self.blocked.contains(&line) {
            self.blocked.push(line);
        }
    }

    /// Whether the vendor's detail carried `field`; when it did not, the PBX is blocked from
    /// planning `key` (the manifest's name for it) at `at`.
    pub(super) fn reported(&mut self, field: &str, key: &str, at: &Loc) -> bool {
        if !self.observed.unreported.iter().any(|f| f == field) {
            return true;
        }
        let what = match field {
            "planId" => "no plan ID".to_owned(),
            "extensionCount" => "no extension count".to_owned(),
            "concurrentCallCount" => "no concurrent-call count".to_owned(),
            "recordingMinutes" => "no recording minutes".to_owned(),
            "serviceList" => "no service list".to_owned(),
            other => format!("no `{other}`"),
        };
        self.block(
            at,
            format!(
                "the vendor's detail for {} has {what}: cannot plan `{key}`",
                self.desired.sn
            ),
        );
        false
    }

    /// The catalog, or an error at `at` when observe did not read it (a bug, reported rather
    /// than guessed around).
    pub(super) fn catalog(&mut self, at: &Loc) -> Option<&'a Catalog> {
        if self.catalog.is_none() {
            self.error(
                Code::InternalError,
                at,
                None,
                "the catalog of this product was not read".into(),
                Some("this is a bug in entitle; please report it".into()),
            );
        }
        self.catalog
    }

    /// An order body of this PBX; billing contact and `poNumber` are filled in last.
    pub(super) fn body(&self, kind: ActionKind, service_list: Vec<OrderLine>) -> OrderBody {
        OrderBody {
            operation_type: kind.as_str().into(),
            product_id: self.desired.product.value.0,
            product_no: self.desired.sn.clone(),
            billing_id: Id(0),
            po_number: None,
            service_list,
        }
    }
}
