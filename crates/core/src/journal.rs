//! The journal's records: one [`Entry`] per step of an order's life (intent, outcome,
//! resolution) and of a plan's. Where they are kept — a file in the workspace or the shared
//! backend — is the engine's; what they mean, read by the ledger, is here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::plan::drift::LastApply;

/// The state of an order (or a plan) in the journal; the last entry for a `poNumber` wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// A plan started applying (`po_number` empty).
    PlanStarted,
    /// About to send; if this is the last entry, the outcome is unknown.
    Sending,
    /// Placed and in force.
    Done,
    /// Placed, awaiting payment.
    Pending,
    /// Refused or failed definitively; nothing was bought.
    Failed,
    /// Sent, outcome unknown (timeout, 5xx, 401, 429, dropped connection).
    Unknown,
    /// Sent and answered with a refusal code: most likely not placed, but proven only by
    /// evidence, like an unknown outcome (a vendor may refuse after it committed).
    Refused,
    /// Looked up after an unknown outcome and proven not placed.
    Absent,
}

impl EntryState {
    /// Sent, but whether an order exists is not known yet.
    pub fn is_unresolved(self) -> bool {
        matches!(
            self,
            EntryState::Sending | EntryState::Unknown | EntryState::Refused
        )
    }
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Epoch milliseconds.
    pub at_ms: i64,
    pub plan_id: String,
    #[serde(default)]
    pub po_number: crate::plan::PoNumber,
    #[serde(default)]
    pub sn: String,
    #[serde(default)]
    pub product: u32,
    #[serde(default)]
    pub operation: String,
    pub state: EntryState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The fingerprint of the PBX the order was planned from: when the PBX no longer has it,
    /// the order (or someone) took effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<crate::plan::Fingerprint>,
    /// The keys version (`crate::plan::KEYS_VERSION`) its poNumber and fingerprint were
    /// computed under; 1 for entries written before versions were recorded.
    #[serde(default = "keys_v1")]
    pub keys: u32,
    /// The vendor account (`Client::account_key`) it belongs to; stamped by the journal when
    /// written. Entries of other accounts are not this run's to resolve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// A digest of each key of the manifest entry the order's plan was made from
    /// ([`crate::plan::drift::desired_digest`]): once every order of the plan for the PBX is
    /// done, the PBX has what that entry asks, and a later plan tells by it whether the
    /// manifest or the account changed since. `None` in entries of older entitles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<BTreeMap<String, String>>,
    /// Keys of that entry the plan left to a person (manual items): not met after it either.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<String>,
}

fn keys_v1() -> u32 {
    1
}

impl Entry {
    /// This entry's order as a doubt about its PBX, from `since_ms` to `until_ms`, for `reason`.
    pub fn doubt(&self, since_ms: i64, until_ms: i64, reason: String) -> crate::model::PbxDoubt {
        let doubt = crate::model::Doubt {
            po_number: Some(self.po_number.clone()),
            order_no: self.order_no.clone(),
            operation_type: self.operation.clone(),
            since_ms,
            until_ms,
            reason,
        };
        crate::model::PbxDoubt {
            product: crate::model::ProductId(self.product),
            sn: self.sn.clone(),
            doubt,
        }
    }
}

/// The entries of the vendor `account`: those stamped with it, and those written before
/// entries were stamped.
pub fn of_account(entries: Vec<Entry>, account: &str) -> Vec<Entry> {
    entries
        .into_iter()
        .filter(|e| e.account.as_deref().is_none_or(|a| a == account))
        .collect()
}

/// The last entry of every `poNumber`.
pub fn latest(entries: &[Entry]) -> BTreeMap<&str, &Entry> {
    let mut map = BTreeMap::new();
    for e in entries.iter().filter(|e| !e.po_number.is_empty()) {
        map.insert(e.po_number.as_str(), e);
    }
    map
}

/// Entitle's last apply of each PBX: the plan whose first order for it was journaled last,
/// complete when the last entry of each of its orders for the PBX is `done`.
pub fn last_applies(entries: &[Entry]) -> BTreeMap<crate::plan::PbxKey, LastApply> {
    // Per PBX, per plan: when its first order was journaled, and each order's latest entry.
    type Orders<'a> = BTreeMap<&'a str, &'a Entry>;
    let mut by_pbx: BTreeMap<crate::plan::PbxKey, BTreeMap<&str, (i64, Orders<'_>)>> =
        BTreeMap::new();
    for e in entries
        .iter()
        .filter(|e| !e.po_number.is_empty() && !e.sn.is_empty())
    {
        let key = (crate::model::ProductId(e.product), e.sn.clone());
        let (_, orders) = by_pbx
            .entry(key)
            .or_default()
            .entry(e.plan_id.as_str())
            .or_insert((e.at_ms, BTreeMap::new()));
        orders.insert(e.po_number.as_str(), e);
    }
    by_pbx
        .into_iter()
        .filter_map(|(key, plans)| {
            let (plan_id, (_, orders)) = plans.into_iter().max_by_key(|(_, (first, _))| *first)?;
            let with_entry = orders.values().find(|e| e.desired.is_some());
            Some((
                key,
                LastApply {
                    plan_id: plan_id.to_owned(),
                    at_ms: orders.values().map(|e| e.at_ms).max().unwrap_or(0),
                    complete: orders.values().all(|e| e.state == EntryState::Done),
                    desired: with_entry.and_then(|e| e.desired.clone()),
                    unmet: with_entry.map(|e| e.unmet.clone()).unwrap_or_default(),
                },
            ))
        })
        .collect()
}

/// Has this plan started applying before?
pub fn plan_seen(entries: &[Entry], plan_id: &str) -> bool {
    entries.iter().any(|e| e.plan_id == plan_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProductId;

    fn entry(plan: &str, po: &str, state: EntryState, at_ms: i64) -> Entry {
        Entry {
            plan_id: plan.into(),
            desired: Some([("extensions".to_owned(), plan.to_owned())].into()),
            ..crate::testing::journal_entry(po, state, at_ms)
        }
    }

    /// The last apply is the plan whose first order came last; it is complete when each of its
    /// orders ended done, whatever order its entries were written in.
    #[test]
    fn the_last_apply_of_a_pbx_is_its_latest_plan_and_complete_only_when_all_done() {
        use EntryState::*;
        let key = (ProductId(12), "SN1".to_owned());
        let mut entries = vec![
            entry("plan-1", "ent-a", Sending, 1),
            entry("plan-1", "ent-a", Done, 2),
            entry("plan-2", "ent-b", Sending, 10),
            entry("plan-2", "ent-b", Done, 11),
            entry("plan-2", "ent-c", Sending, 12),
            entry("plan-2", "ent-c", Unknown, 13),
        ];
        let last = &last_applies(&entries)[&key];
        assert_eq!((last.plan_id.as_str(), last.complete), ("plan-2", false));
        assert_eq!(last.desired.as_ref().unwrap()["extensions"], "plan-2");
        // Resolved later as placed: now complete, as of its resolution.
        entries.push(entry("plan-2", "ent-c", Done, 20));
        // An older plan's entry written later does not make it the last.
        entries.push(entry("plan-1", "ent-a", Done, 21));
        let last = &last_applies(&entries)[&key];
        assert_eq!(
            (last.plan_id.as_str(), last.complete, last.at_ms),
            ("plan-2", true, 20)
        );
        // A plan's start (no poNumber) is no order of a PBX.
        let start = Entry {
            po_number: crate::plan::PoNumber::default(),
            sn: String::new(),
            ..entry("plan-3", "", PlanStarted, 30)
        };
        entries.push(start);
        assert_eq!(last_applies(&entries)[&key].plan_id, "plan-2");
        // An entry of an older entitle, with no record of the manifest entry, still reads.
        let old: Entry = serde_json::from_str(
            r#"{"at_ms":1,"plan_id":"p","po_number":"ent-x","sn":"SN1","product":12,"operation":"renew_plan","state":"done"}"#,
        )
        .unwrap();
        assert_eq!((old.desired, old.unmet), (None, Vec::<String>::new()));
    }
}
