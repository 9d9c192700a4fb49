//! Structural validation of an order body (`order/v1/save`, L9): every required field present
//! and of the right JSON type, reported as `parameter_validation_failed` naming the field path
//! (`serviceList[1].serviceId`), before any business rule is looked at.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::wire::{Id, OrderBody};

use super::envelope::ErrorReply;

const TOP_REQUIRED: [&str; 5] = [
    "operationType",
    "productId",
    "productNo",
    "billingId",
    "serviceList",
];
const LINE_REQUIRED: [&str; 3] = ["serviceType", "serviceId", "purchaseType"];

/// Parses raw bytes into the JSON value kept in the order log and the typed body checked by the
/// rules.
pub(super) fn parse(raw: &[u8]) -> Result<(Value, OrderBody), ErrorReply> {
    let value: Value = serde_json::from_slice(raw)
        .map_err(|e| ErrorReply::param("body", format!("is not valid JSON: {e}")))?;
    let body = typed(&value)?;
    Ok((value, body))
}

fn typed(value: &Value) -> Result<OrderBody, ErrorReply> {
    let obj = value
        .as_object()
        .ok_or_else(|| ErrorReply::param("body", "must be a JSON object"))?;
    for key in TOP_REQUIRED {
        if obj.get(key).is_none_or(Value::is_null) {
            return Err(ErrorReply::param(key, "is required"));
        }
    }
    field::<String>(obj, "operationType", "operationType", "a string")?;
    field::<u32>(obj, "productId", "productId", "an integer product ID")?;
    field::<String>(obj, "productNo", "productNo", "a string")?;
    field::<Id>(obj, "billingId", "billingId", "a 19-digit integer ID")?;
    field::<Option<String>>(obj, "poNumber", "poNumber", "a string")?;
    let lines = obj["serviceList"]
        .as_array()
        .ok_or_else(|| ErrorReply::param("serviceList", "must be an array of lines"))?;
    if lines.is_empty() {
        return Err(ErrorReply::param(
            "serviceList",
            "must hold at least one line",
        ));
    }
    for (i, line) in lines.iter().enumerate() {
        let at = |k: &str| format!("serviceList[{i}].{k}");
        let line = line
            .as_object()
            .ok_or_else(|| ErrorReply::param(format!("serviceList[{i}]"), "must be an object"))?;
        for key in LINE_REQUIRED {
            if line.get(key).is_none_or(Value::is_null) {
                return Err(ErrorReply::param(at(key), "is required"));
            }
        }
        field::<String>(line, "serviceType", &at("serviceType"), "a string")?;
        field::<Id>(line, "serviceId", &at("serviceId"), "a 19-digit integer ID")?;
        field::<String>(line, "purchaseType", &at("purchaseType"), "a string")?;
        field::<Option<Id>>(
            line,
            "connectionPlanId",
            &at("connectionPlanId"),
            "a 19-digit integer ID",
        )?;
        field::<Option<u32>>(line, "quantity", &at("quantity"), "a non-negative integer")?;
        field::<Option<String>>(line, "billingModel", &at("billingModel"), "a string")?;
        field::<Option<String>>(line, "billingCycle", &at("billingCycle"), "a string")?;
        field::<Option<u32>>(
            line,
            "multiCycle",
            &at("multiCycle"),
            "a non-negative integer",
        )?;
    }
    serde_json::from_value(value.clone()).map_err(|e| ErrorReply::param("body", e.to_string()))
}

/// Checks that `obj[key]`, when present, reads as `T`.
fn field<T: DeserializeOwned>(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    what: &str,
) -> Result<(), ErrorReply> {
    match obj.get(key) {
        None => Ok(()),
        Some(v) => serde_json::from_value::<T>(v.clone())
            .map(drop)
            .map_err(|_| ErrorReply::param(path, format!("must be {what} (got {v})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(raw: &str) -> String {
        parse(raw.as_bytes()).unwrap_err().field.unwrap().0
    }

    #[test]
    fn names_the_missing_or_mistyped_field() {
        assert_eq!(field_of("[]"), "body");
        assert_eq!(field_of("{"), "body");
        assert_eq!(field_of(r#"{"productId":12}"#), "operationType");
        let base = r#""operationType":"renew_plan","productId":13,"productNo":"X","billingId":3197218168379846218"#;
        assert_eq!(field_of(&format!("{{{base}}}")), "serviceList");
        assert_eq!(
            field_of(&format!(
                r#"{{{base},"serviceList":[{{"serviceType":"plan"}}]}}"#
            )),
            "serviceList[0].serviceId"
        );
        assert_eq!(
            field_of(&format!(
                r#"{{{base},"serviceList":[{{"serviceType":"plan","serviceId":1.5e18,"purchaseType":"renew"}}]}}"#
            )),
            "serviceList[0].serviceId"
        );
        assert_eq!(
            field_of(&format!(
                r#"{{{base},"serviceList":[{{"serviceType":"plan","serviceId":1,"purchaseType":"renew","quantity":-1}}]}}"#
            )),
            "serviceList[0].quantity"
        );
    }

    #[test]
    fn keeps_the_body_as_received_with_exact_ids() {
        let raw = r#"{"operationType":"renew_plan","productId":13,"productNo":"X","billingId":3197218168379846218,"serviceList":[{"serviceType":"plan","serviceId":3048571730026938368,"purchaseType":"renew","extra":true}]}"#;
        let (value, body) = parse(raw.as_bytes()).unwrap();
        assert_eq!(body.billing_id, Id(3197218168379846218));
        assert_eq!(value, serde_json::from_str::<Value>(raw).unwrap());
        assert!(
            value
                .to_string()
                .contains("\"billingId\":3197218168379846218")
        );
        assert!(value.to_string().contains("\"extra\":true"));
    }
}
