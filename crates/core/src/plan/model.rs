//! The plan as data: what will be ordered for each PBX, why, and the exact bodies. The same
//! types are printed as `--format json` and saved with `plan -o` (versioned, see
//! `docs/plan-format.md`), so they serialize with stable snake_case names; the order bodies
//! inside keep the vendor's camelCase, byte for byte what is sent.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::manifest::{Code, DesiredPbx, Diagnostic, Diagnostics, Loc};
use crate::model::{Doubt, Id, ObservedPbx, Order, Price, ProductId};
use crate::wire::OrderBody;

use super::error::PlanError;
use super::keys::Fingerprint;

/// Version of the JSON plan document; bumped on any incompatible change.
pub const FORMAT_VERSION: &str = "1.0";

/// A whole plan: one entry per PBX in scope, in manifest order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: String,
    pub plan_id: String,
    /// The date the plan was computed for (`--now`).
    pub today: Date,
    /// sha256 of the manifests the plan was computed from.
    pub manifest_hash: String,
    pub selection: Selection,
    /// When the account was read (epoch ms): apply treats orders placed on a PBX since then,
    /// other than the ones seen, as someone else acting.
    #[serde(default)]
    pub observed_at_ms: i64,
    /// What makes this plan's ID unique among plans of the same state (see [`PlanContext`]).
    ///
    /// [`PlanContext`]: crate::plan::PlanContext
    #[serde(default)]
    pub nonce: String,
    /// The vendor account it was made for (`Client::account_key`); empty in plans saved
    /// before accounts were recorded, which are refused.
    #[serde(default)]
    pub account: String,
    /// The catalogs the plan was computed with, so a saved plan can be re-derived.
    #[serde(default)]
    pub catalogs: Vec<RecordedCatalog>,
    /// The billing contacts the plan was computed with, when any order needed one.
    #[serde(default)]
    pub contacts: Option<Vec<crate::model::Contact>>,
    /// Manifest entries that could not be planned because the input is wrong (an SN the
    /// account does not have), in manifest order. Every other entry is planned beside them, to
    /// be seen; but a plan with any error places no order at all: bad input means nothing is
    /// bought. The plan ID covers these entries too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<EntryError>,
    pub pbxs: Vec<PbxPlan>,
    /// PBXs with changes left out by `--only` (some change is of another operation): nothing
    /// is ordered for them in this plan. Not an input of the plan ID: they are not in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_back: Vec<HeldBack>,
    /// The policy files the plan was made under (`entitle.policy.yaml`): applying it holds it
    /// to them wherever it is applied. An input of the plan ID, so none can be taken out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<crate::policy::Policy>,
}

/// A PBX `--only` left out of a plan, and the operations of its changes that were not asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBack {
    pub sn: String,
    pub product: ProductId,
    /// `file:line:column` of the manifest entry.
    pub source: String,
    pub operations: Vec<ActionKind>,
}

impl HeldBack {
    pub fn key(&self) -> String {
        format!("{} ({})", self.sn, self.product)
    }
}

/// A manifest entry the plan has no entry for, because the input is wrong: the problem, as
/// `validate --format json` and the failure document print theirs (`code`, `file`, `line`,
/// `column`, `message`, `help`), and which PBX it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryError {
    /// The kind of problem (`docs/diagnostics.md`): `unknown-sn`.
    pub code: Code,
    pub sn: String,
    pub product: ProductId,
    /// Where the manifest entry is (its `sn:`).
    #[serde(flatten)]
    pub at: Loc,
    /// What is wrong, naming the PBX first (`SN (product): ...`).
    pub message: String,
    /// What to do about it ("did you mean ...?").
    #[serde(default)]
    pub help: Option<String>,
    /// The manifest entry, so a saved plan can be re-derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<DesiredPbx>,
}

impl EntryError {
    /// The error of entry `d`.
    pub fn new(d: &DesiredPbx, e: &PlanError) -> EntryError {
        let diagnostic = e.diagnostic();
        EntryError {
            code: diagnostic.code,
            sn: d.sn.clone(),
            product: d.product.value,
            at: e.at.clone(),
            message: diagnostic.message,
            help: diagnostic.help,
            desired: Some(d.clone()),
        }
    }

    /// As every other problem is shown (`docs/diagnostics.md`).
    pub fn diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::new(self.code, Some(self.at.clone()), self.message.clone());
        match &self.help {
            Some(h) => d.with_help(h.clone()),
            None => d,
        }
    }

    pub fn key(&self) -> String {
        format!("{} ({})", self.sn, self.product)
    }
}

/// A catalog as the plan used it: per product, or per SN for products whose catalog the
/// vendor only gives per SN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedCatalog {
    pub product: ProductId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sn: Option<String>,
    pub catalog: crate::model::Catalog,
}

/// Which PBXs were in scope, as given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub paths: Vec<String>,
    pub sns: Vec<String>,
    pub selectors: Vec<String>,
    /// `--only`: the operations this plan may contain; a PBX with a change of any other is
    /// held back whole (empty: every operation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<ActionKind>,
}

/// The plan of one `(sn, product)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PbxPlan {
    pub sn: String,
    pub product: ProductId,
    /// `file:line:column` of the manifest entry.
    pub source: String,
    /// The manifest entry the plan was computed from, so a saved plan can be re-derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<DesiredPbx>,
    pub labels: std::collections::BTreeMap<String, String>,
    /// Hash of the observed state the plan was computed from; apply refuses when it moved.
    pub fingerprint: Fingerprint,
    /// What was observed (before values; what moved is shown against it).
    pub observed: ObservedPbx,
    /// Orders of this PBX already placed and not settled (pending/confirming): nothing more is
    /// ordered for it until they resolve.
    pub in_flight: Vec<Order>,
    /// Orders of unknown outcome, or whose effect may not show yet: nothing is ordered for the
    /// PBX until they resolve or their settle period ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_doubt: Vec<Doubt>,
    /// Order numbers of the PBX's orders seen in the settle period before the observation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen_orders: Vec<String>,
    /// Why the PBX could not be planned (`file:line:column: reason`): a fact the vendor did
    /// not give. It gets no order; the rest of the plan goes ahead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<String>,
    /// Why the vendor's answer about this PBX could not be read, when it could not: then
    /// `observed` holds nothing read, and it is blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    pub actions: Vec<Action>,
    /// Renewals that would be due but are not ordered (`renew: false`): shown with their date
    /// and price, never sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upcoming: Vec<Action>,
    pub manual: Vec<ManualItem>,
    /// Facts worth showing that need nothing (e.g. a downgrade already pending).
    pub notes: Vec<String>,
    /// Why it differs from its manifest entry, as far as the evidence shows (docs/plan.md,
    /// "Drift"): for a PBX with actions or manual items. Explains, orders nothing: not an input
    /// of the plan ID.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftFinding>,
}

/// One reason a PBX differs from its manifest entry, and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftFinding {
    pub cause: DriftCause,
    /// The evidence, in words: an order and who placed it, the keys that changed and since
    /// when, or why the evidence cannot tell.
    pub detail: String,
}

/// What made a PBX differ from its manifest entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftCause {
    /// The account changed outside entitle (the portal, an auto-renewal, another tool): drift.
    Outside,
    /// The manifest changed since entitle last applied it.
    Manifest,
    /// Time passed: the term ends within the renewal window.
    RenewalDue,
    /// The evidence cannot tell.
    Unknown,
}

impl DriftFinding {
    /// The finding as one line of a plan.
    pub fn describe(&self) -> String {
        match self.cause {
            DriftCause::Outside => format!("drift: changed outside entitle: {}", self.detail),
            DriftCause::Manifest => format!("the manifest changed {}", self.detail),
            DriftCause::RenewalDue => format!("a renewal fell due: {}", self.detail),
            DriftCause::Unknown => format!(
                "cannot tell whether the account or the manifest changed: {}",
                self.detail
            ),
        }
    }
}

impl PbxPlan {
    pub fn has_changes(&self) -> bool {
        !self.actions.is_empty()
    }
    /// When the latest of its doubts ends, if it is in doubt.
    pub fn doubt_until_ms(&self) -> Option<i64> {
        self.in_doubt.iter().map(|d| d.until_ms).max()
    }
    pub fn key(&self) -> String {
        format!("{} ({})", self.sn, self.product)
    }
}

/// One operation, in dependency order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    PurchasePlan,
    SwitchPlan,
    PurchaseService,
    RenewPlan,
    EnableAutoRenew,
}

impl ActionKind {
    /// The vendor `operationType` (the auto-renew switch is not an order).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::PurchasePlan => "purchase_plan",
            ActionKind::SwitchPlan => "switch_plan",
            ActionKind::PurchaseService => "purchase_service",
            ActionKind::RenewPlan => "renew_plan",
            ActionKind::EnableAutoRenew => "enable_auto_renew",
        }
    }
}

impl ActionKind {
    pub const ALL: [ActionKind; 5] = [
        ActionKind::PurchasePlan,
        ActionKind::SwitchPlan,
        ActionKind::PurchaseService,
        ActionKind::RenewPlan,
        ActionKind::EnableAutoRenew,
    ];
}

impl std::str::FromStr for ActionKind {
    type Err = String;

    fn from_str(s: &str) -> Result<ActionKind, String> {
        let wanted = s.trim().replace('-', "_").to_ascii_lowercase();
        ActionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = ActionKind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "`{s}` is not an operation; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When an action's effect is in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "when")]
pub enum Effective {
    Now,
    /// A downgrade: accepted now, in force when the current term ends.
    AtExpiry {
        date: Date,
    },
}

/// One action of a PBX's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub kind: ActionKind,
    /// Why, in words ("term ends 2026-12-10, within 30d").
    pub reason: String,
    pub changes: Vec<Change>,
    pub effective: Effective,
    /// The exact order body, `poNumber` included; `None` for `enable_auto_renew`.
    pub order: Option<OrderBody>,
    /// For `enable_auto_renew`: the plan the switch is set on.
    pub auto_renew_target: Option<Id>,
    /// The vendor's quote (L9), when pricing was asked for.
    pub price: Option<Price>,
    /// Why there is no price although one was asked for ("price unknown: ...").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_error: Option<String>,
    /// How `price` was obtained when it is not the calculator's answer for this exact body
    /// (an order that depends on an earlier order of the same plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_basis: Option<String>,
    /// The vendor's calculator refused this order for a business rule: the plan cannot be
    /// applied until the manifest changes, and nothing of it is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<VendorRefusal>,
}

/// A refusal the vendor's calculator gave for an order before it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorRefusal {
    /// The vendor's words (its error detail), with its code and request ID.
    pub message: String,
    /// What to change, when entitle knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Action {
    pub fn po_number(&self) -> Option<&str> {
        self.order.as_ref().and_then(|o| o.po_number.as_deref())
    }
}

/// A before → after line of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    /// `None` when added (`+`), `Some` when changed (`~`).
    pub before: Option<String>,
    pub after: String,
}

/// Drift the API cannot close: shown, never attempted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualItem {
    pub field: String,
    pub current: String,
    pub wanted: String,
    pub reason: String,
}

/// Totals of a plan, for summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub pbxs: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub in_flight: usize,
    /// PBXs with an order of unknown outcome or unsettled effect: nothing ordered for them.
    pub in_doubt: usize,
    /// PBXs that could not be planned (a fact the vendor did not give).
    pub blocked: usize,
    /// Manifest entries that could not be planned because the input is wrong: while there is
    /// one, nothing is applied. Counted in `pbxs`.
    pub errors: usize,
    pub orders: usize,
    pub auto_renew_switches: usize,
    pub manual: usize,
    /// Per currency, decimal strings; empty when not priced.
    pub totals: Vec<Price>,
    /// Orders without a price (not asked for, or the vendor's calculator gave none).
    pub unpriced: usize,
    /// Orders the vendor's calculator refused: the plan cannot be applied.
    #[serde(default)]
    pub refused: usize,
    /// Renewals that would be due but `renew: false` holds back (shown, never ordered), and
    /// what those priced would cost, per currency.
    #[serde(default)]
    pub upcoming: usize,
    #[serde(default)]
    pub upcoming_totals: Vec<Price>,
}

impl Plan {
    /// Every action of every PBX, in plan order.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.pbxs.iter().flat_map(|p| &p.actions)
    }

    pub fn has_changes(&self) -> bool {
        self.pbxs.iter().any(PbxPlan::has_changes)
    }

    /// Whether some PBX cannot be planned (a fact the vendor did not give): it gets no order.
    pub fn is_blocked(&self) -> bool {
        self.pbxs.iter().any(|p| !p.blocked.is_empty())
    }

    /// Whether the vendor's calculator refused some order: then nothing of the plan is sent.
    pub fn is_refused(&self) -> bool {
        self.actions().any(|a| a.refused.is_some())
    }

    /// Whether some manifest entry is wrong (an SN the account does not have): then no order
    /// of the plan may be placed.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The entries' errors as located diagnostics, in manifest order.
    pub fn diagnostics(&self) -> Diagnostics {
        Diagnostics(self.errors.iter().map(EntryError::diagnostic).collect())
    }

    /// When the last PBX in doubt may be planned again, if any is in doubt.
    pub fn doubt_until_ms(&self) -> Option<i64> {
        self.pbxs.iter().filter_map(PbxPlan::doubt_until_ms).max()
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            pbxs: self.pbxs.len() + self.errors.len(),
            errors: self.errors.len(),
            ..Summary::default()
        };
        for p in &self.pbxs {
            if p.has_changes() {
                s.changed += 1;
            } else if !p.blocked.is_empty() {
                s.blocked += 1;
            } else if !p.in_doubt.is_empty() {
                s.in_doubt += 1;
            } else if !p.in_flight.is_empty() {
                s.in_flight += 1;
            } else {
                s.unchanged += 1;
            }
            s.manual += p.manual.len();
            for a in &p.actions {
                if a.order.is_some() {
                    s.orders += 1;
                    s.unpriced += usize::from(a.price.is_none() && a.refused.is_none());
                    s.refused += usize::from(a.refused.is_some());
                } else {
                    s.auto_renew_switches += 1;
                }
            }
        }
        // A price whose amount is not a number of cents is left out of the total, and says so.
        let (totals, left_out) =
            crate::plan::money::sum(self.actions().filter_map(|a| a.price.as_ref()));
        s.totals = totals;
        s.unpriced += left_out;
        let upcoming = self.pbxs.iter().flat_map(|p| &p.upcoming);
        s.upcoming = upcoming.clone().count();
        (s.upcoming_totals, _) = crate::plan::money::sum(upcoming.filter_map(|a| a.price.as_ref()));
        s
    }
}
