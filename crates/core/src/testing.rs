//! Fixture builders shared by the unit tests: the smallest valid observed PBX, desired PBX,
//! order body, action and PBX plan. A test states only what it is about, with struct-update
//! syntax (`ObservedPbx { extensions: 300, ..observed("SN1", 12) }`).

use std::collections::BTreeMap;
use std::sync::Arc;

pub mod demo;

use crate::date::Date;
use crate::manifest::{DesiredPbx, Loc, Located};
use crate::model::{Cycle, Id, ObservedPbx, ProductId, SubscribedPlan};
use crate::plan::{Action, ActionKind, Effective, PbxPlan, fingerprint};
use crate::wire::{OrderBody, OrderLine};

pub fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// A place in `manifests/acme.yaml`, column 5.
pub fn loc(line: usize) -> Loc {
    Loc {
        file: Arc::from("manifests/acme.yaml"),
        line,
        column: 5,
    }
}

/// `m/acme.yaml:line:column`, where the diagnostics tests place their problems.
pub fn place(line: usize, column: usize) -> Loc {
    Loc {
        file: Arc::from("m/acme.yaml"),
        line,
        column,
    }
}

/// The problems the diagnostics tests show: a misspelt key, placed and with help, and a file
/// that cannot be read (no place).
pub fn two_problems() -> crate::manifest::Diagnostics {
    use crate::manifest::{Code, Diagnostic, Diagnostics};
    Diagnostics(vec![
        Diagnostic::new(
            Code::UnknownField,
            Some(place(4, 5)),
            "unknown field `extentions`, did you mean `extensions`?",
        )
        .with_help("fields of a PBX entry: sn, product"),
        Diagnostic::new(
            Code::Unreadable,
            None,
            "cannot read `x`: no such file or directory",
        ),
    ])
}

pub fn at<T>(value: T, line: usize) -> Located<T> {
    Located::new(value, loc(line))
}

/// An activated PBX with no plan, no capacity, no services.
pub fn observed(sn: &str, product: u32) -> ObservedPbx {
    ObservedPbx {
        activation_status: "activated".into(),
        ..ObservedPbx::unread(sn, ProductId(product))
    }
}

pub fn subscribed_plan(
    id: Id,
    name: &str,
    cycle: Cycle,
    multi: u32,
    expires: &str,
) -> SubscribedPlan {
    SubscribedPlan {
        id,
        name: name.into(),
        cycle,
        multi_cycle: multi,
        expires: date(expires),
    }
}

/// A PBX entry at line 3 that cares about nothing yet (renews 30 days ahead, the default).
pub fn desired(sn: &str, product: u32) -> DesiredPbx {
    DesiredPbx {
        at: loc(3),
        sn: sn.into(),
        product: at(ProductId(product), 4),
        plan: None,
        billing_cycle: None,
        term: None,
        extensions: None,
        concurrent_calls: None,
        services: None,
        auto_renew: None,
        renew: true,
        renew_before_days: at(30, 2),
        billing_contact: None,
        labels: BTreeMap::new(),
    }
}

/// An order of `kind` for `sn` with one plan line, under `po`.
pub fn order_body(kind: ActionKind, product: u32, sn: &str, po: &str) -> OrderBody {
    OrderBody {
        operation_type: kind.as_str().into(),
        product_id: product,
        product_no: sn.into(),
        billing_id: Id(3_197_218_168_379_846_218),
        po_number: Some(po.into()),
        service_list: vec![OrderLine {
            connection_plan_id: None,
            service_type: "plan".into(),
            service_id: Id(3_048_560_606_464_323_584),
            quantity: None,
            purchase_type: "purchase".into(),
            billing_model: None,
            billing_cycle: None,
            multi_cycle: None,
        }],
    }
}

/// An action in force at once, with `order` and no price.
pub fn action(kind: ActionKind, order: Option<OrderBody>) -> Action {
    Action {
        kind,
        reason: "r".into(),
        changes: vec![],
        effective: Effective::Now,
        order,
        auto_renew_target: None,
        price: None,
        price_error: None,
        price_basis: None,
        refused: None,
    }
}

/// The plan of one PBX, from its observed state, declared at `manifests/SN.yaml:4:5`.
pub fn pbx_plan(observed: ObservedPbx, actions: Vec<Action>) -> PbxPlan {
    PbxPlan {
        sn: observed.sn.clone(),
        product: observed.product,
        source: format!("manifests/{}.yaml:4:5", observed.sn),
        desired: None,
        labels: BTreeMap::new(),
        fingerprint: fingerprint(&observed),
        observed,
        in_flight: vec![],
        in_doubt: vec![],
        seen_orders: vec![],
        blocked: vec![],
        unreadable: None,
        actions,
        upcoming: Vec::new(),
        manual: vec![],
        notes: vec![],
        drift: vec![],
    }
}

/// A plan of these PBXs, made on 2026-11-22 for no recorded account.
pub fn plan(pbxs: Vec<PbxPlan>) -> crate::plan::Plan {
    crate::plan::Plan {
        format_version: String::new(),
        plan_id: "plan-1".into(),
        today: date("2026-11-22"),
        manifest_hash: String::new(),
        selection: crate::plan::Selection::default(),
        observed_at_ms: 0,
        nonce: String::new(),
        account: String::new(),
        catalogs: vec![],
        contacts: None,
        errors: vec![],
        pbxs,
        held_back: vec![],
        policy: vec![],
    }
}

/// A journal entry of `po` (plan `plan-1`, PBX SN1 of product 12, a `purchase_service`) in
/// `state` at `at_ms`, with nothing else recorded.
pub fn journal_entry(
    po: &str,
    state: crate::journal::EntryState,
    at_ms: i64,
) -> crate::journal::Entry {
    crate::journal::Entry {
        at_ms,
        plan_id: "plan-1".into(),
        po_number: po.into(),
        sn: "SN1".into(),
        product: 12,
        operation: "purchase_service".into(),
        state,
        order_no: None,
        detail: None,
        fingerprint: None,
        keys: crate::plan::KEYS_VERSION,
        account: None,
        desired: None,
        unmet: Vec::new(),
    }
}
