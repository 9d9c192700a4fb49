//! [`ApiError`]: everything that can go wrong talking to the Partner API, each carrying what the
//! user needs to act on it — the request (method, path, query), the HTTP status, the vendor's
//! `code` and `detailMessage`, and the `requestId` the vendor's support asks for.

use std::fmt;
use std::time::Duration;

use crate::wire::codes;

/// The request an error belongs to: `GET /path?query`. Queries hold product IDs and SNs only,
/// never secrets, so they are shown: they say which PBX a failure is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: String,
    /// URL-encoded, without the `?`; empty when there is none.
    pub query: String,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if !self.query.is_empty() {
            write!(f, "?{}", self.query)?;
        }
        Ok(())
    }
}

/// A Partner API failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The vendor answered with an error envelope (`code != "success"`).
    #[error(
        "{request}: {status} {code}: {}{}{} ({})",
        detail_or_code(detail, code),
        field_text(field),
        hint(code),
        request_text(request_id)
    )]
    Vendor {
        request: Box<Endpoint>,
        status: u16,
        code: String,
        detail: String,
        request_id: String,
        /// The offending field of a `parameter_validation_failed`: (`field`, `reason`).
        field: Option<Box<(String, String)>>,
    },
    /// An answer that is not what the contract says: not the JSON envelope, a redirect, a
    /// success envelope whose `result` has the wrong shape.
    #[error("{request}: {}unexpected response: {reason}{}", status_text(*status), request_suffix(request_id))]
    Unexpected {
        request: Box<Endpoint>,
        status: Option<u16>,
        request_id: Option<String>,
        reason: String,
    },
    /// No answer within the request timeout.
    #[error("{request}: no response within {}s; the API is slow or unreachable, retry later", after.as_secs_f64())]
    Timeout {
        request: Box<Endpoint>,
        after: Duration,
    },
    /// The connection could not be opened: nothing was sent.
    #[error("{request}: cannot connect: {reason}; check the network and --base-url")]
    Connect {
        request: Box<Endpoint>,
        reason: String,
    },
    /// The connection failed while the request or response was in flight.
    #[error("{request}: connection failed: {reason}")]
    Transport {
        request: Box<Endpoint>,
        reason: String,
    },
    /// A success envelope whose content does not fit the model (see `api::mapping`).
    #[error("{request}: {source}{}", request_suffix(request_id))]
    Mapping {
        request: Box<Endpoint>,
        request_id: Option<String>,
        #[source]
        source: Box<MappingError>,
    },
    /// The base URL is not an absolute http(s) URL.
    #[error("invalid API base URL `{url}`: {reason}")]
    InvalidBaseUrl { url: String, reason: String },
    /// Plain http to anything but this machine would send the credentials in clear.
    #[error(
        "refusing plain http:// to `{url}`: credentials would travel unencrypted; use https:// \
         (http:// is allowed only to localhost, 127.0.0.0/8 and ::1)"
    )]
    InsecureBaseUrl { url: String },
    /// A [`crate::api::ClientConfig`] value out of range, or an argument the API cannot take.
    #[error("invalid client setting: {0}")]
    InvalidConfig(String),
    /// The HTTP client could not be built (TLS roots, ...).
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

/// A success answer whose content cannot be turned into the domain model: the field, the
/// value and what was expected, and which PBX / product / order it was about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject}: field `{field}`: {problem}")]
pub struct MappingError {
    /// What the answer was about, e.g. `PBX 3651D3296882 (software-edition)`.
    pub subject: String,
    /// The SN concerned, when the answer is about one PBX.
    pub sn: Option<String>,
    /// The wire field, e.g. `serviceList[1].expireDate`.
    pub field: String,
    /// What is wrong, e.g. "`2026-13-01` is not a date in the form YYYY-MM-DD".
    pub problem: String,
}

fn detail_or_code(detail: &str, code: &str) -> String {
    if detail.is_empty() {
        match code {
            codes::NOT_FOUND => "not found".to_owned(),
            codes::FORBIDDEN => "not owned by this account".to_owned(),
            codes::TOO_MANY_REQUESTS => "rate limited".to_owned(),
            codes::INTERNAL_ERROR => "server error".to_owned(),
            _ => "(no detail)".to_owned(),
        }
    } else {
        detail.to_owned()
    }
}

fn field_text(field: &Option<Box<(String, String)>>) -> String {
    match field.as_deref() {
        Some((f, r)) if !f.is_empty() => format!(" (field `{f}`: {r})"),
        _ => String::new(),
    }
}

fn hint(code: &str) -> &'static str {
    match code {
        codes::INVALID_CLIENT => {
            "; check ENTITLE_CLIENT_ID and ENTITLE_CLIENT_SECRET (or ENTITLE_CREDENTIALS_FILE)"
        }
        codes::TOKEN_INVALID | codes::TOKEN_EXPIRED => "; the token was refused even after renewal",
        codes::TOO_MANY_REQUESTS => "; lower --parallelism or retry later",
        _ => "",
    }
}

fn request_text(id: &str) -> String {
    if id.is_empty() {
        "no request id".to_owned()
    } else {
        format!("request {id}")
    }
}

fn request_suffix(id: &Option<String>) -> String {
    match id {
        Some(id) if !id.is_empty() => format!(" (request {id})"),
        _ => String::new(),
    }
}

fn status_text(status: Option<u16>) -> String {
    status.map(|s| format!("{s} ")).unwrap_or_default()
}

impl ApiError {
    /// The request the error belongs to (none for setup errors).
    pub fn endpoint(&self) -> Option<&Endpoint> {
        match self {
            ApiError::Vendor { request, .. }
            | ApiError::Unexpected { request, .. }
            | ApiError::Timeout { request, .. }
            | ApiError::Connect { request, .. }
            | ApiError::Transport { request, .. }
            | ApiError::Mapping { request, .. } => Some(request.as_ref()),
            _ => None,
        }
    }

    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Vendor { status, .. } => Some(*status),
            ApiError::Unexpected { status, .. } => *status,
            _ => None,
        }
    }

    /// The vendor's error `code`, when it answered with an error envelope.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Vendor { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The vendor's `detailMessage`.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ApiError::Vendor { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// The vendor's `requestId`, when the answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Vendor { request_id, .. } => Some(request_id.as_str()),
            ApiError::Unexpected { request_id, .. } | ApiError::Mapping { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
        .filter(|s| !s.is_empty())
    }

    /// 404 `not_found`: unknown product, SN or order.
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(codes::NOT_FOUND)
    }

    /// The vendor answered with success, but what it said about the one thing asked (a PBX's
    /// detail) cannot be read into the model: a field missing, of the wrong type, or a value
    /// the contract does not allow. Not a transport or account-wide failure, so the caller
    /// can set that one thing aside and go on with the rest.
    ///
    /// Only answers of the per-PBX reads count: a token answer that cannot be read fails every
    /// later request, and must fail the run rather than set every PBX aside.
    pub fn is_unreadable_answer(&self) -> bool {
        let about_one_pbx = |request: &Endpoint| {
            [
                crate::wire::paths::INSTANCE_DETAIL,
                crate::wire::paths::AUTO_RENEW_STATUS,
            ]
            .contains(&request.path.as_str())
        };
        match self {
            ApiError::Mapping { request, .. } => about_one_pbx(request),
            // A result that does not deserialize (it came in a success envelope).
            ApiError::Unexpected {
                request,
                status: Some(status),
                request_id: Some(_),
                ..
            } => (200..300).contains(status) && about_one_pbx(request),
            _ => false,
        }
    }

    /// 403 `forbidden`: the product or SN is not owned by this account.
    pub fn is_forbidden(&self) -> bool {
        self.code() == Some(codes::FORBIDDEN)
    }

    /// 429 `too_many_requests` (or a bare HTTP 429).
    pub fn is_rate_limited(&self) -> bool {
        self.code() == Some(codes::TOO_MANY_REQUESTS) || self.status() == Some(429)
    }

    /// The credentials or the token were refused.
    pub fn is_auth(&self) -> bool {
        matches!(
            self.code(),
            Some(codes::INVALID_CLIENT | codes::TOKEN_INVALID | codes::TOKEN_EXPIRED)
        )
    }

    /// 401 `token_expired` / `token_invalid`: renewing the token may help.
    pub fn is_token_refused(&self) -> bool {
        self.status().is_some_and(|s| s < 500)
            && matches!(
                self.code(),
                Some(codes::TOKEN_INVALID | codes::TOKEN_EXPIRED)
            )
    }

    /// A failure that may pass if the same request is sent again later: no answer, 429, or a
    /// server fault. Only safe requests (reads, token, idempotent writes) act on this.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Timeout { .. } | ApiError::Connect { .. } | ApiError::Transport { .. } => {
                true
            }
            ApiError::Vendor { status, code, .. } => {
                matches!(status, 429 | 500 | 502 | 503 | 504)
                    || code == codes::TOO_MANY_REQUESTS
                    || code == codes::INTERNAL_ERROR
            }
            ApiError::Unexpected { status, .. } => {
                matches!(status, Some(429 | 500 | 502 | 503 | 504))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(method: &'static str, path: &str, query: &str) -> Box<Endpoint> {
        Box::new(Endpoint {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
        })
    }

    #[test]
    fn only_a_pbxs_own_answer_can_be_unreadable_for_that_pbx_alone() {
        let unreadable = |path: &str| ApiError::Unexpected {
            request: ep("GET", path, ""),
            status: Some(200),
            request_id: Some("r".into()),
            reason: "the result does not have the contract's shape".into(),
        };
        assert!(unreadable("/product/openapi/instance_product/v1/detail").is_unreadable_answer());
        assert!(
            unreadable("/order/openapi/order/v1/check/existed_auto_renew").is_unreadable_answer()
        );
        // The token's answer fails the whole run, whichever read it was renewed for.
        assert!(!unreadable("/auth/openapi/v1/oauth/token").is_unreadable_answer());
        assert!(!unreadable("/order/openapi/order/v1/page").is_unreadable_answer());
        let server = ApiError::Unexpected {
            request: ep("GET", "/product/openapi/instance_product/v1/detail", ""),
            status: Some(502),
            request_id: Some("r".into()),
            reason: "HTTP 502 with a success envelope".into(),
        };
        assert!(!server.is_unreadable_answer());
    }

    #[test]
    fn vendor_error_renders_everything_a_user_needs() {
        let e = ApiError::Vendor {
            request: ep("POST", "/order/openapi/order/v1/save", ""),
            status: 400,
            code: "business_rule_violation".into(),
            detail: "rule 2: Disaster Recovery requires Ultimate Plan".into(),
            request_id: "59d974128ae8b000e0ab1a907dc96a13".into(),
            field: None,
        };
        assert_eq!(
            e.to_string(),
            "POST /order/openapi/order/v1/save: 400 business_rule_violation: rule 2: Disaster \
             Recovery requires Ultimate Plan (request 59d974128ae8b000e0ab1a907dc96a13)"
        );
        assert_eq!(e.request_id(), Some("59d974128ae8b000e0ab1a907dc96a13"));
        assert!(!e.is_transient());
    }

    #[test]
    fn not_found_with_query_and_field_errors() {
        let e = ApiError::Vendor {
            request: ep(
                "GET",
                "/product/openapi/instance_product/v1/detail",
                "productId=12&productNo=X1",
            ),
            status: 404,
            code: "not_found".into(),
            detail: String::new(),
            request_id: String::new(),
            field: None,
        };
        assert!(e.is_not_found());
        assert_eq!(
            e.to_string(),
            "GET /product/openapi/instance_product/v1/detail?productId=12&productNo=X1: 404 \
             not_found: not found (no request id)"
        );
        let e = ApiError::Vendor {
            request: ep("POST", "/p", ""),
            status: 400,
            code: "parameter_validation_failed".into(),
            detail: "bad".into(),
            request_id: "ab".into(),
            field: Some(Box::new(("billingId".into(), "unknown contact".into()))),
        };
        assert_eq!(
            e.to_string(),
            "POST /p: 400 parameter_validation_failed: bad (field `billingId`: unknown contact) (request ab)"
        );
    }
}
