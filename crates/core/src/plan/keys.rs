//! Deterministic keys: the fingerprint of an observed PBX, a plan's ID, and each order's
//! `poNumber` (`ent-` + a hash of the PBX's observed fingerprint, SN, product, operationType
//! and lines), the reference by which an order of unknown outcome is found again in the
//! vendor's order list. The poNumber depends on the state and the change only, never on the
//! run: two workspaces planning the same change from the same state send the same poNumber,
//! so each sees the other's order as its own in the order list.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::ObservedPbx;
use crate::wire::OrderBody;

fn hex(bytes: &[u8], chars: usize) -> String {
    bytes
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .take(chars)
        .map(|n| char::from_digit(u32::from(n), 16).unwrap_or('0'))
        .collect()
}

/// sha256 over length-prefixed parts, so `("ab","c")` and `("a","bc")` differ.
fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// The fingerprint of a PBX's observed state (16 hex digits): when a PBX no longer has the
/// fingerprint a plan or an order was made from, it moved since.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for Fingerprint {
    /// A fingerprint as recorded (a journal, a saved plan): any keys version.
    fn from(recorded: String) -> Fingerprint {
        Fingerprint(recorded)
    }
}

impl From<&str> for Fingerprint {
    fn from(recorded: &str) -> Fingerprint {
        Fingerprint(recorded.to_owned())
    }
}

impl PartialEq<&str> for Fingerprint {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// entitle's reference for an order (`poNumber`, `ent-` and 16 hex digits), sent as the
/// vendor's `customReferenceNo`: the same for the same change from the same state, whichever
/// run plans it, so an order of unknown outcome is found again by it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PoNumber(String);

impl PoNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// None recorded (a plan's start in the journal).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for PoNumber {
    /// A poNumber as recorded (a journal, an order body, the vendor's order list).
    fn from(recorded: String) -> PoNumber {
        PoNumber(recorded)
    }
}

impl From<&str> for PoNumber {
    fn from(recorded: &str) -> PoNumber {
        PoNumber(recorded.to_owned())
    }
}

impl From<PoNumber> for String {
    fn from(po: PoNumber) -> String {
        po.0
    }
}

impl PartialEq<&str> for PoNumber {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::borrow::Borrow<str> for PoNumber {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PoNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The version of the safety keys ([`fingerprint`], [`po_number`]) this entitle computes; the
/// journal records it with each order. Keys of every older version are still recognised
/// ([`fingerprint_matches`]), so an order sent just before an upgrade is known as ours just after it.
pub const KEYS_VERSION: u32 = 2;

/// Fingerprint of what was observed of a PBX (keys version [`KEYS_VERSION`]): a hash of named
/// fields of its subscription state, so adding a field to [`ObservedPbx`] changes no key. The
/// auto-renew flag is left out (read only when declared; enabling it twice is harmless), and
/// so are the product's display name and the PBX's comment (no order changes them).
pub fn fingerprint(o: &ObservedPbx) -> Fingerprint {
    let text = |s: &str| s.as_bytes().to_vec();
    let num = |n: u64| n.to_string().into_bytes();
    let mut parts: Vec<Vec<u8>> = vec![
        text("entitle fingerprint v2"),
        text("sn"),
        text(&o.sn),
        text("product"),
        num(u64::from(o.product.0)),
        text("activation"),
        text(&o.activation_status),
        text("extensions"),
        num(u64::from(o.extensions)),
        text("concurrentCalls"),
        num(u64::from(o.concurrent_calls)),
        text("recordingMinutes"),
        num(u64::from(o.recording_minutes)),
    ];
    match &o.plan {
        Some(p) => parts.extend([
            text("plan"),
            num(p.id.0),
            text(&p.name),
            text(p.cycle.as_str()),
            num(u64::from(p.multi_cycle)),
            text(&p.expires.to_string()),
        ]),
        None => parts.push(text("no plan")),
    }
    match &o.pending_switch {
        Some(s) => parts.extend([
            text("pending switch"),
            text(&s.in_force_id.map(|i| i.0.to_string()).unwrap_or_default()),
            text(&s.in_force),
            text(&s.until.map(|d| d.to_string()).unwrap_or_default()),
        ]),
        None => parts.push(text("no pending switch")),
    }
    let mut services: Vec<_> = o.services.iter().collect();
    services.sort_by(|a, b| (a.id, &a.name).cmp(&(b.id, &b.name)));
    for sv in services {
        parts.extend([
            text("service"),
            num(sv.id.0),
            text(&sv.name),
            num(u64::from(sv.quantity)),
            text(&sv.expires.map(|d| d.to_string()).unwrap_or_default()),
        ]);
    }
    let mut unreported = o.unreported.clone();
    unreported.sort();
    for u in &unreported {
        parts.extend([text("unreported"), text(u)]);
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    Fingerprint(hex(&digest(&refs), 16))
}

/// The fingerprint of keys version 1 (entitle before the keys were versioned): a hash of the
/// whole [`ObservedPbx`] as JSON, as its fields were then. Kept only to recognise the orders
/// such a version journaled.
fn fingerprint_v1(o: &ObservedPbx) -> Fingerprint {
    let mut o = o.clone();
    o.auto_renew = None;
    let json = serde_json::to_vec(&o).unwrap_or_default();
    Fingerprint(hex(&digest(&[&json]), 16))
}

/// Whether `recorded` (a fingerprint of any keys version, from a journal or a saved plan) is
/// the fingerprint of `o`: the PBX has not moved since it was recorded.
pub fn fingerprint_matches(o: &ObservedPbx, recorded: &Fingerprint) -> bool {
    fingerprint(o) == *recorded || fingerprint_v1(o) == *recorded
}

/// Whether `s` has the form of an entitle `poNumber` ([`po_number`]): `ent-` and 16 lowercase
/// hex digits.
pub fn is_po_number(s: &str) -> bool {
    s.strip_prefix("ent-").is_some_and(|h| {
        h.len() == 16
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The `poNumber` of an order: the same for the same observed state (`fingerprint`), PBX,
/// operation and lines, whichever run plans it. Hashes named fields of each line (keys
/// version [`KEYS_VERSION`]), so a field added to the body changes no poNumber.
pub fn po_number(fingerprint: &Fingerprint, body: &OrderBody) -> PoNumber {
    let mut parts: Vec<Vec<u8>> = vec![
        b"entitle poNumber v2".to_vec(),
        fingerprint.as_str().as_bytes().to_vec(),
        body.product_no.as_bytes().to_vec(),
        body.product_id.to_string().into_bytes(),
        body.operation_type.as_bytes().to_vec(),
    ];
    let opt = |v: Option<String>| v.unwrap_or_default().into_bytes();
    for l in &body.service_list {
        parts.extend([
            b"line".to_vec(),
            opt(l.connection_plan_id.map(|i| i.0.to_string())),
            l.service_type.as_bytes().to_vec(),
            l.service_id.0.to_string().into_bytes(),
            opt(l.quantity.map(|q| q.to_string())),
            l.purchase_type.as_bytes().to_vec(),
            opt(l.billing_model.clone()),
            opt(l.billing_cycle.clone()),
            opt(l.multi_cycle.map(|m| m.to_string())),
        ]);
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    PoNumber(format!("ent-{}", hex(&digest(&refs), 16)))
}

/// A plan ID from everything the plan depends on — the manifests' hash, the date, a digest of
/// the desired states, catalogs and contacts it was computed from, every observed fingerprint —
/// plus a nonce, so two plans computed from the same state are still two plans (a plan applies
/// once), and a saved plan whose recorded inputs were edited no longer matches its ID.
pub fn plan_id(
    manifest_hash: &str,
    today: &str,
    inputs_digest: &str,
    fingerprints: &[&str],
    nonce: &str,
) -> String {
    let mut parts: Vec<&[u8]> = vec![
        manifest_hash.as_bytes(),
        today.as_bytes(),
        inputs_digest.as_bytes(),
        nonce.as_bytes(),
    ];
    parts.extend(fingerprints.iter().map(|f| f.as_bytes()));
    format!("plan-{}", hex(&digest(&parts), 20))
}

/// sha256 hex of arbitrary bytes (manifest hashes).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes), 64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Id, OrderLine};

    fn body(qty: u32) -> OrderBody {
        OrderBody {
            operation_type: "purchase_service".into(),
            product_id: 12,
            product_no: "3651D3296882".into(),
            billing_id: Id(3197218168379846218),
            po_number: None,
            service_list: vec![OrderLine {
                connection_plan_id: Some(Id(1)),
                service_type: "service".into(),
                service_id: Id(2),
                quantity: Some(qty),
                purchase_type: "purchase".into(),
                billing_model: None,
                billing_cycle: None,
                multi_cycle: None,
            }],
        }
    }

    #[test]
    fn po_numbers_are_stable_and_sensitive_to_every_input() {
        let a = po_number(&"plan-1".into(), &body(200));
        assert_eq!(a, po_number(&"plan-1".into(), &body(200)));
        assert!(a.as_str().starts_with("ent-") && a.as_str().len() == 20);
        assert_ne!(a, po_number(&"plan-2".into(), &body(200)));
        assert_ne!(a, po_number(&"plan-1".into(), &body(201)));
    }

    fn pbx() -> ObservedPbx {
        use crate::model::{Cycle, ObservedService, ProductId, SubscribedPlan};
        ObservedPbx {
            sn: "3651D3296882".into(),
            product: ProductId(12),
            product_name: "Software Edition".into(),
            activation_status: "activated".into(),
            comment: "Acme HQ".into(),
            plan: Some(SubscribedPlan {
                id: Id(3049040650094409734),
                name: "Enterprise Plan".into(),
                cycle: Cycle::Annually,
                multi_cycle: 1,
                expires: "2027-03-01".parse().unwrap(),
            }),
            pending_switch: None,
            extensions: 100,
            concurrent_calls: 30,
            recording_minutes: 0,
            services: vec![ObservedService {
                id: Id(3049040650094409800),
                name: "Hotel PMS Integration".into(),
                quantity: 1,
                expires: None,
            }],
            auto_renew: Some(true),
            unreported: Vec::new(),
        }
    }

    /// Golden vectors: a change here changes every key after an upgrade, so an order sent
    /// just before it would no longer be known as ours. Bump [`KEYS_VERSION`] instead, and
    /// keep the old computation in [`fingerprint_matches`].
    #[test]
    fn keys_are_pinned_by_golden_vectors() {
        let o = pbx();
        assert_eq!(fingerprint(&o), "50ebd8ea60656185");
        assert_eq!(fingerprint_v1(&o), "53a8443077c397f6");
        assert_eq!(
            po_number(&fingerprint(&o), &body(200)),
            "ent-4ac5640fe249ec96"
        );
        assert_eq!(KEYS_VERSION, 2);
    }

    #[test]
    fn a_key_of_the_older_version_is_still_recognised() {
        let o = pbx();
        assert!(fingerprint_matches(&o, &fingerprint(&o)));
        assert!(fingerprint_matches(&o, &fingerprint_v1(&o)));
        let mut moved = o.clone();
        moved.extensions = 300;
        assert!(!fingerprint_matches(&moved, &fingerprint(&o)));
        assert!(!fingerprint_matches(&moved, &fingerprint_v1(&o)));
        // What no order changes is not a move: the comment, the display name, auto-renewal.
        let mut cosmetic = o.clone();
        cosmetic.comment = "renamed".into();
        cosmetic.product_name = "Renamed".into();
        cosmetic.auto_renew = Some(false);
        assert_eq!(fingerprint(&cosmetic), fingerprint(&o));
    }
}
