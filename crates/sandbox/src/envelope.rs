//! The vendor's response envelope and error codes (vendor-api section 1), and the small parsers
//! for query strings and form bodies the vendor endpoints take.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::wire::{CODE_SUCCESS, codes};

/// A refusal, rendered as an error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ErrorReply {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// `result` of a `parameter_validation_failed`: the field and why.
    pub field: Option<(String, String)>,
}

impl ErrorReply {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ErrorReply {
        ErrorReply {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// 400 `parameter_validation_failed` naming the field.
    pub(super) fn param(field: impl Into<String>, reason: impl Into<String>) -> ErrorReply {
        let (field, reason) = (field.into(), reason.into());
        ErrorReply {
            status: StatusCode::BAD_REQUEST,
            code: codes::PARAMETER_VALIDATION_FAILED,
            message: format!("{field}: {reason}"),
            field: Some((field, reason)),
        }
    }

    /// 400 `business_rule_violation` of rule `n` of vendor-api section 5.
    pub(super) fn rule(n: u8, message: impl AsRef<str>) -> ErrorReply {
        ErrorReply::new(
            StatusCode::BAD_REQUEST,
            codes::BUSINESS_RULE_VIOLATION,
            format!("rule {n}: {}", message.as_ref()),
        )
    }

    /// 400 `business_rule_violation` of a catalog constraint outside the numbered rules.
    pub(super) fn business(message: impl Into<String>) -> ErrorReply {
        ErrorReply::new(
            StatusCode::BAD_REQUEST,
            codes::BUSINESS_RULE_VIOLATION,
            message,
        )
    }

    pub(super) fn not_found(message: impl Into<String>) -> ErrorReply {
        ErrorReply::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, message)
    }

    pub(super) fn token_invalid(message: impl Into<String>) -> ErrorReply {
        ErrorReply::new(StatusCode::UNAUTHORIZED, codes::TOKEN_INVALID, message)
    }

    pub(super) fn token_expired(message: impl Into<String>) -> ErrorReply {
        ErrorReply::new(StatusCode::UNAUTHORIZED, codes::TOKEN_EXPIRED, message)
    }

    pub(super) fn invalid_client() -> ErrorReply {
        ErrorReply::new(
            StatusCode::UNAUTHORIZED,
            codes::INVALID_CLIENT,
            "client_id or client_secret is wrong",
        )
    }

    pub(super) fn internal(message: impl Into<String>) -> ErrorReply {
        ErrorReply::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL_ERROR,
            message,
        )
    }

    /// An error answered with HTTP `status` whatever its code says (a gateway answering 200
    /// with the error in the envelope, a 408).
    pub(super) fn with_status(status: StatusCode, code: &'static str, message: &str) -> ErrorReply {
        ErrorReply::new(status, code, message)
    }

    pub(super) fn too_many_requests() -> ErrorReply {
        ErrorReply::new(
            StatusCode::TOO_MANY_REQUESTS,
            codes::TOO_MANY_REQUESTS,
            "rate limit exceeded; retry after the Retry-After delay",
        )
    }
}

/// A success envelope around `result`.
pub(super) fn success(request_id: &str, result: Value) -> Response {
    render(
        StatusCode::OK,
        json!({
            "code": CODE_SUCCESS,
            "detailMessage": "",
            "requestId": request_id,
            "result": result,
            "status": 200,
        }),
    )
}

/// An error envelope.
pub(super) fn failure(request_id: &str, err: &ErrorReply) -> Response {
    let result = match &err.field {
        Some((field, reason)) => json!({"field": field, "reason": reason}),
        None => Value::Null,
    };
    render(
        err.status,
        json!({
            "code": err.code,
            "detailMessage": err.message,
            "requestId": request_id,
            "result": result,
            "status": err.status.as_u16(),
        }),
    )
}

/// A JSON body with a status (admin endpoints use it without the envelope).
pub(super) fn render(status: StatusCode, body: Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Decoded `application/x-www-form-urlencoded` pairs (query strings and the token body).
#[derive(Debug, Default, Clone)]
pub(super) struct Form(Vec<(String, String)>);

impl Form {
    pub(super) fn parse(raw: &str) -> Form {
        Form(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode(k), decode(v))
                })
                .collect(),
        )
    }

    /// The first value of `key`, `None` when absent or empty.
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A required field.
    pub(super) fn require(&self, key: &str) -> Result<&str, ErrorReply> {
        self.get(key)
            .ok_or_else(|| ErrorReply::param(key, "is required"))
    }

    /// An optional unsigned number.
    pub(super) fn number(&self, key: &str) -> Result<Option<u64>, ErrorReply> {
        self.get(key)
            .map(|v| {
                if v.bytes().all(|b| b.is_ascii_digit()) {
                    v.parse::<u64>()
                        .map_err(|_| ErrorReply::param(key, "is too large"))
                } else {
                    Err(ErrorReply::param(key, format!("`{v}` is not a number")))
                }
            })
            .transpose()
    }

    /// A required product ID.
    pub(super) fn product_id(&self) -> Result<u32, ErrorReply> {
        match self.number("productId")? {
            Some(n) => u32::try_from(n)
                .map_err(|_| ErrorReply::not_found(format!("product {n} does not exist"))),
            None => Err(ErrorReply::param("productId", "is required")),
        }
    }
}

/// Percent-decoding with `+` as space; bad escapes are kept literally.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decodes_escapes_and_plus() {
        let f = Form::parse("a=1&b=x%2By+z&c=&d=%zz&e=%41");
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.get("b"), Some("x+y z"));
        assert_eq!(f.get("c"), None);
        assert_eq!(f.get("d"), Some("%zz"));
        assert_eq!(f.get("e"), Some("A"));
        assert_eq!(Form::parse("x=%4").get("x"), Some("%4"));
    }

    #[test]
    fn numbers_are_checked() {
        let f = Form::parse("pageNo=x&productId=12");
        assert!(f.number("pageNo").is_err());
        assert_eq!(f.product_id().unwrap(), 12);
        assert!(Form::parse("").product_id().is_err());
    }
}
