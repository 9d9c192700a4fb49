//! Deterministic keys: the fingerprint of an observed PBX, a plan's ID, and each order's
//! `poNumber` (`ent-` + a hash of the PBX's observed fingerprint, SN, product, operationType
//! and lines), the reference by which an order of unknown outcome is found again in the
//! vendor's order list. The poNumber depends on the state and the change only, never on the
//! run: two workspaces planning the same change from the same state send the same poNumber,
//! so each sees the other's order as its own in the order list.

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

/// Fingerprint of what was observed of a PBX. The auto-renew flag is left out: it is read only
/// when declared, and enabling it twice is harmless.
pub fn fingerprint(o: &ObservedPbx) -> String {
    let mut o = o.clone();
    o.auto_renew = None;
    let json = serde_json::to_vec(&o).unwrap_or_default();
    hex(&digest(&[&json]), 16)
}

/// The `poNumber` of an order: the same for the same observed state (`fingerprint`), PBX,
/// operation and lines, whichever run plans it.
pub fn po_number(fingerprint: &str, body: &OrderBody) -> String {
    let lines = serde_json::to_vec(&body.service_list).unwrap_or_default();
    let d = digest(&[
        fingerprint.as_bytes(),
        body.product_no.as_bytes(),
        body.product_id.to_string().as_bytes(),
        body.operation_type.as_bytes(),
        &lines,
    ]);
    format!("ent-{}", hex(&d, 16))
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
        let a = po_number("plan-1", &body(200));
        assert_eq!(a, po_number("plan-1", &body(200)));
        assert!(a.starts_with("ent-") && a.len() == 20);
        assert_ne!(a, po_number("plan-2", &body(200)));
        assert_ne!(a, po_number("plan-1", &body(201)));
    }
}
