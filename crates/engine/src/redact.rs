//! Redaction of the vendor's answers wherever they leave the process: the samples `entitle
//! doctor` saves, and the response bodies `-vv` logs. One list of what is secret or personal
//! serves both, so what a sample withholds and what a log withholds cannot drift apart.

use serde_json::Value;

/// Parts of keys (lowercase, no `_`) whose values are secret or personal, wherever they occur
/// in a key (`contactPhone`, `billingAddress`, `idToken`, `postalCode` as well as `phone`):
/// tokens and credentials; every field of a billing contact but its ID and country (the
/// person, company, phone, address, tax number, remark); a PBX's licence key
/// (`activationCode`) and its free-text label (`comment`, often the customer's name).
const REDACTED_FRAGMENTS: &[&str] = &[
    "token",
    "secret",
    "password",
    "email",
    "firstname",
    "lastname",
    "company",
    "phone",
    "mobile",
    "fax",
    "street",
    "address",
    "city",
    "zip",
    "postal",
    "province",
    "tax",
    "remark",
    "comment",
    "activationcode",
    "licence",
    "license",
];

/// Names that are catalog facts, kept (`name` alone is the product list's product name). Any
/// other key ending in `name` (`contactName`, `userName`, `pbxName`...) names a person or a
/// customer and is redacted.
const CATALOG_NAMES: &[&str] = &[
    "name",
    "productname",
    "planname",
    "servicename",
    "offeringname",
];

/// Whether the value under `key` (lowercase, no `_`) is withheld from a sample.
fn withheld(key: &str, v: &Value) -> bool {
    match v {
        Value::Null => false,
        // An empty value tells a fixture the field came empty, and nothing else.
        Value::String(s) if s.is_empty() => false,
        // A partner may type any remark here in the portal; entitle's own poNumbers are
        // digests, and they are what shows whether the vendor echoes them.
        Value::String(s) if key == "customreferenceno" => !crate::plan::is_po_number(s),
        _ => {
            REDACTED_FRAGMENTS.iter().any(|f| key.contains(f))
                || (key.ends_with("name") && !CATALOG_NAMES.contains(&key))
        }
    }
}

/// A copy of `v` with secrets, tokens, e-mail addresses, contacts' names and addresses,
/// licence keys and customer labels replaced; catalog facts (product, plan and service names)
/// kept.
pub fn redact(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| {
                    let key = k.to_ascii_lowercase().replace('_', "");
                    if withheld(&key, &v) {
                        (k, Value::String("<redacted>".into()))
                    } else {
                        (k, redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(redact).collect()),
        Value::String(s) if looks_like_email(&s) => Value::String("<redacted>".into()),
        other => other,
    }
}

/// Whether any word of `s` is an e-mail address.
fn looks_like_email(s: &str) -> bool {
    s.split_whitespace().any(|w| {
        w.split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'))
    })
}

/// A response body as the trace log (`-vv`) shows it: JSON redacted as a doctor sample is, then
/// cut after `max` characters; anything else by its size alone, since a body that does not
/// parse cannot be redacted.
pub fn for_log(bytes: &[u8], max: usize) -> String {
    match serde_json::from_slice::<Value>(bytes) {
        // Serialized compactly: control characters inside strings come out escaped, so the
        // body stays on one log line. Cut after redaction, so a cut never exposes anything.
        Ok(v) => {
            let mut text = redact(v).to_string();
            if let Some((at, _)) = text.char_indices().nth(max) {
                text.truncate(at);
                text.push('…');
            }
            text
        }
        Err(_) => format!("<{} bytes, not JSON>", bytes.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire;

    #[test]
    fn samples_lose_secrets_tokens_emails_and_names() {
        let v = serde_json::json!({
            "token": "abc", "refreshToken": "def", "expiresIn": "7200",
            "list": [{"emailAddress": "a@b.example", "firstName": "Ann", "billingContactId": "1",
                      "note": "write to x@y.example", "planName": "Enterprise Plan"}]
        });
        let r = redact(v).to_string();
        for gone in ["abc", "def", "a@b.example", "Ann", "x@y.example"] {
            assert!(!r.contains(gone), "{r}");
        }
        assert!(r.contains("Enterprise Plan") && r.contains("7200"), "{r}");
    }

    #[test]
    fn keys_are_matched_by_their_parts_not_only_whole() {
        let v = serde_json::json!({
            "contactPhone": "+1 555", "mobile": "+1 556", "billingAddress": "1 Road",
            "address_line1": "2 Road", "postalCode": "97477", "licenseKey": "LK-1",
            "licenceKey": "LK-2", "idToken": "jwt", "tokenHead": "Bearer",
            "productName": "P-Series Software Edition", "country": "US",
            "billingContactId": "3197218168379846218", "activationStatus": "activated"
        });
        let r = redact(v).to_string();
        for gone in [
            "+1 555", "+1 556", "1 Road", "2 Road", "97477", "LK-1", "LK-2", "jwt",
        ] {
            assert!(!r.contains(gone), "{gone} in {r}");
        }
        for kept in [
            "P-Series Software Edition",
            "US",
            "3197218168379846218",
            "activated",
        ] {
            assert!(r.contains(kept), "{kept} not in {r}");
        }
    }

    #[test]
    fn every_personal_field_of_a_contact_goes_and_its_id_and_country_stay() {
        let contact = wire::Contact {
            billing_contact_id: wire::Id(3_197_218_168_379_846_218),
            email_address: "billing@example.com".into(),
            first_name: "Bill".into(),
            last_name: "Payer".into(),
            company: "Example Partner Ltd".into(),
            phone_number: "+1 555 0100".into(),
            country: "US".into(),
            state_province: "Oregon".into(),
            city: "Springfield".into(),
            street: "1 Main Street".into(),
            zip_code: "97477".into(),
            tax_num: "US-123".into(),
            remark: "pays late".into(),
        };
        let redacted = redact(serde_json::to_value(&contact).unwrap());
        let expected: Value = serde_json::from_str(
            r#"{"billingContactId": "3197218168379846218", "emailAddress": "<redacted>",
                "firstName": "<redacted>", "lastName": "<redacted>", "company": "<redacted>",
                "phoneNumber": "<redacted>", "country": "US", "stateProvince": "<redacted>",
                "city": "<redacted>", "street": "<redacted>", "zipCode": "<redacted>",
                "taxNum": "<redacted>", "remark": "<redacted>"}"#,
        )
        .unwrap();
        assert_eq!(redacted, expected);
    }

    #[test]
    fn licence_keys_and_labels_go_catalog_names_and_po_numbers_stay() {
        let v = serde_json::json!({
            "productId": 12, "name": "P-Series Software Edition",
            "productName": "P-Series Software Edition", "planName": "Enterprise Plan",
            "serviceList": [{"serviceName": "Hotel PMS Integration"}],
            "activationCode": "ABCD-EFGH", "comment": "Acme HQ", "pbxName": "acme-hq",
            "contactName": "Ann Smith", "currentPlan": "",
            "orders": [{"customReferenceNo": "ent-3f9c0a7d1b2e4c55"},
                       {"customReferenceNo": "for Acme, call Ann"},
                       {"customReferenceNo": ""}]
        });
        let expected = serde_json::json!({
            "productId": 12, "name": "P-Series Software Edition",
            "productName": "P-Series Software Edition", "planName": "Enterprise Plan",
            "serviceList": [{"serviceName": "Hotel PMS Integration"}],
            "activationCode": "<redacted>", "comment": "<redacted>", "pbxName": "<redacted>",
            "contactName": "<redacted>", "currentPlan": "",
            "orders": [{"customReferenceNo": "ent-3f9c0a7d1b2e4c55"},
                       {"customReferenceNo": "<redacted>"},
                       {"customReferenceNo": ""}]
        });
        assert_eq!(redact(v), expected);
    }

    #[test]
    fn a_logged_body_is_redacted_cut_or_only_measured() {
        let token = br#"{"code":"success","result":{"token":"tok-1","refreshToken":"ref-1","expiresIn":"7200"}}"#;
        let logged: Value = serde_json::from_str(&for_log(token, 4096)).unwrap();
        assert_eq!(
            logged,
            serde_json::json!({"code": "success", "result": {"token": "<redacted>",
                "refreshToken": "<redacted>", "expiresIn": "7200"}})
        );
        let long = serde_json::json!({"planName": "é".repeat(100)}).to_string();
        let cut = for_log(long.as_bytes(), 20);
        assert_eq!(cut, format!("{{\"planName\":\"{}…", "é".repeat(7)));
        assert_eq!(
            for_log(b"<html>token=tok-1</html>", 4096),
            "<24 bytes, not JSON>"
        );
    }
}
