//! [`Client`]: one shared HTTP client, token and rate limit behind an `Arc`, cheap to clone into
//! every task; its configuration; and the outcome of an order save.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::Credentials;
use super::auth::Auth;
use super::error::ApiError;
use super::mapping;
use super::order_list::{OrderListCost, OrderListRead};
use super::transport::{Answer, Request, Transport, TransportConfig};
use crate::model::OrderStatus;
use crate::wire::{self, codes, paths};

/// The production Partner API.
pub const DEFAULT_BASE_URL: &str = "https://openapi.partner.yeastar.com";

/// How a [`Client`] talks to the API. [`ClientConfig::new`] fills in the defaults.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://...`, or `http://` to localhost / 127.0.0.0/8 / ::1 only.
    pub base_url: String,
    pub credentials: Credentials,
    /// Requests in flight at once, across all tasks sharing the client (at least 1).
    pub concurrency: usize,
    /// A hard ceiling of requests per second across all tasks; 0: none (the client paces
    /// itself only when the vendor throttles, see `ratelimit`).
    pub rate_per_sec: f64,
    /// Whole-request timeout (sending, waiting, reading the body).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Re-sends of a failed safe request (so `max_retries + 1` attempts); never applies to an
    /// order save.
    pub max_retries: u32,
    /// What the account is, when not its base URL: the embedded sandbox is its state file,
    /// whichever port it listens on this time (see [`Client::account_key`]).
    pub account: Option<String>,
}

impl ClientConfig {
    pub const DEFAULT_CONCURRENCY: usize = 8;
    pub const DEFAULT_RATE_PER_SEC: f64 = 0.0;
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_MAX_RETRIES: u32 = 4;

    pub fn new(base_url: impl Into<String>, credentials: Credentials) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            credentials,
            concurrency: Self::DEFAULT_CONCURRENCY,
            rate_per_sec: Self::DEFAULT_RATE_PER_SEC,
            timeout: Self::DEFAULT_TIMEOUT,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            max_retries: Self::DEFAULT_MAX_RETRIES,
            account: None,
        }
    }
}

/// Counts of what a client sent, for benchmarks and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// HTTP requests sent, every attempt and the token requests included.
    pub sent: u64,
    /// Of those, re-sends: retries after transient failures and after a refused token.
    pub retried: u64,
    /// Token requests and renewals.
    pub token_requests: u64,
    /// Answers that were 429 `too_many_requests`.
    pub throttled: u64,
}

/// What became of an order save. The save is sent once, ever; only the caller, after looking
/// the order up by evidence, may decide to send it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    /// A success envelope: the order exists.
    Placed {
        order_no: String,
        status: OrderStatus,
        request_id: String,
    },
    /// Provably never left this machine (no token, connection refused, a body that cannot be
    /// encoded): nothing can have been bought.
    NotSent(ApiError),
    /// The vendor answered with one of the contract's refusal codes (a rule violation, a
    /// validation failure, forbidden, not found). Most likely nothing was bought, but a vendor
    /// may answer an error after it committed: the order is looked up by evidence before its
    /// PBX is ordered for again.
    Refused(ApiError),
    /// May or may not have been placed: timeout, connection dropped, 5xx, 401, 408, 429, an
    /// unreadable or ambiguous answer. Look the order up (L6 `customReferenceNo`) before
    /// anything else.
    Unknown(ApiError),
}

impl SaveOutcome {
    pub fn is_placed(&self) -> bool {
        matches!(self, SaveOutcome::Placed { .. })
    }
}

/// The Partner API client. `Clone` shares one connection pool, token, concurrency bound and
/// rate limit.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    auth: Auth,
    /// See [`Client::account_key`].
    account: String,
    /// See [`Client::legacy_account_key`].
    legacy_account: Option<String>,
    /// See [`Client::order_list_cost`].
    order_list: Mutex<OrderListCost>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.transport.base_url())
            .finish_non_exhaustive()
    }
}

/// A success answer's `result`, typed, with the request id.
pub struct Reply<T> {
    pub result: T,
    pub request_id: String,
}

impl Client {
    /// Builds a client; checks the base URL (https, or http to loopback) and the settings. No
    /// request is sent until the first call.
    pub fn new(cfg: ClientConfig) -> Result<Client, ApiError> {
        if cfg.credentials.client_id.trim().is_empty() || cfg.credentials.client_secret.is_empty() {
            return Err(ApiError::InvalidConfig(
                "the client id and secret must not be empty".to_owned(),
            ));
        }
        if cfg.credentials.client_id.chars().any(char::is_control)
            || cfg.credentials.client_id.trim() != cfg.credentials.client_id
        {
            return Err(ApiError::InvalidConfig(
                "the client id has surrounding whitespace or a control character (a pasted newline?); remove it".to_owned(),
            ));
        }
        let transport = Transport::new(TransportConfig {
            base_url: &cfg.base_url,
            concurrency: cfg.concurrency,
            rate_per_sec: cfg.rate_per_sec,
            timeout: cfg.timeout,
            connect_timeout: cfg.connect_timeout,
            max_retries: cfg.max_retries,
        })?;
        let (account, legacy_account) = match &cfg.account {
            Some(name) => (key_of(name, &cfg.credentials.client_id), None),
            None => {
                let account = account_key(transport.base_url(), &cfg.credentials.client_id);
                // Before keys were built from the canonical URL, they were built from the URL
                // as written (less a trailing slash).
                let legacy = key_of(
                    cfg.base_url.trim_end_matches('/'),
                    &cfg.credentials.client_id,
                );
                (account.clone(), (legacy != account).then_some(legacy))
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                account,
                legacy_account,
                auth: Auth::new(cfg.credentials),
                order_list: Mutex::new(OrderListCost::default()),
            }),
        })
    }

    /// A short, stable name of the vendor account this client speaks for (a hash of the base
    /// URL and the client ID, nothing secret): applies to one account serialize on it.
    pub fn account_key(&self) -> &str {
        &self.inner.account
    }

    /// The key an entitle before canonical account keys gave this account, when it differs
    /// (the URL is written in a non-canonical way): the shared backend's rows filed under it
    /// are read too, so an order in flight at the upgrade is still known as ours.
    pub fn legacy_account_key(&self) -> Option<&str> {
        self.inner.legacy_account.as_deref()
    }

    /// The validated base URL (no trailing slash).
    pub fn base_url(&self) -> &str {
        self.inner.transport.base_url()
    }

    /// The vendor's clock, for every window that decides whether an order may be in flight
    /// (settle, in doubt, pending): the offset its answers' `Date` headers show from this
    /// machine's clock, so a clock that is off here never shortens a wait. Sends one request
    /// (the token) when no answer has come yet. `None` when the vendor sends no `Date`.
    pub async fn vendor_clock(&self) -> Result<Option<crate::clock::Clock>, ApiError> {
        let Inner {
            transport, auth, ..
        } = &*self.inner;
        if transport.vendor_time.offset_ms().is_none() {
            auth.bearer(transport).await?;
        }
        Ok(transport
            .vendor_time
            .offset_ms()
            .map(crate::clock::Clock::shifted))
    }

    pub fn stats(&self) -> RequestStats {
        self.inner.transport.stats.snapshot()
    }

    /// What reading the recent orders has cost so far, every read by every clone together: a
    /// command says it once, at its end, when the list had to be read whole.
    pub fn order_list_cost(&self) -> OrderListCost {
        self.order_list_lock().clone()
    }

    pub fn record_order_list_read(&self, read: &OrderListRead) {
        self.order_list_lock().record(read);
    }

    fn order_list_lock(&self) -> std::sync::MutexGuard<'_, OrderListCost> {
        // A tally: one poisoned by a panic elsewhere is still worth reading.
        self.inner
            .order_list
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Sends a safe request with the bearer token: retried on transient failures, and once
    /// more with a renewed token after a 401 `token_expired`/`token_invalid`.
    pub async fn call<T: DeserializeOwned>(&self, req: &Request) -> Result<Reply<T>, ApiError> {
        let answer = self.call_raw(req).await?;
        decode(req, answer)
    }

    /// For `entitle doctor`: the token endpoint's behaviour (see `Auth::probe`).
    pub async fn probe_token(&self) -> Result<super::auth::TokenProbe, ApiError> {
        self.inner.auth.probe(&self.inner.transport).await
    }

    /// For `entitle doctor`: `req` sent once with a token the vendor never issued, to see how
    /// it refuses one.
    pub async fn call_with_bad_token(&self, req: &Request) -> Result<Answer, ApiError> {
        let bad = crate::api::Secret::new("Bearer entitle-doctor-not-a-token");
        self.inner
            .transport
            .send_once(req, Some(&bad), 0)
            .await
            .map_err(|f| f.error)
    }

    pub async fn call_raw(&self, req: &Request) -> Result<Answer, ApiError> {
        let Inner {
            transport, auth, ..
        } = &*self.inner;
        let mut renewed = false;
        loop {
            let bearer = auth.bearer(transport).await?;
            match transport
                .send_retrying(req, Some(&bearer.authorization))
                .await
            {
                Err(e) if e.is_token_refused() && !renewed => {
                    tracing::debug!(code = e.code().unwrap_or(""), "token refused; renewing it");
                    renewed = true;
                    auth.invalidate(bearer.generation).await;
                    transport.stats.count_retry();
                }
                other => return other,
            }
        }
    }

    /// `POST /order/openapi/order/v1/save`, sent ONCE, ever. Not even a 401
    /// `token_expired` is re-sent: a vendor may answer it after the order committed, so the
    /// outcome is unknown and resolved by evidence. The token is renewed before the save when
    /// it is due, so that answer is rare.
    pub async fn save_order(&self, body: &wire::OrderBody) -> SaveOutcome {
        let Inner {
            transport, auth, ..
        } = &*self.inner;
        let bytes = match serde_json::to_vec(body) {
            Ok(b) => b,
            Err(e) => {
                return SaveOutcome::NotSent(ApiError::InvalidConfig(format!(
                    "cannot encode the order body: {e}"
                )));
            }
        };
        let req = Request::post_json(paths::ORDER_SAVE, bytes);
        // Without a token nothing is sent: a definite failure.
        let bearer = match auth.bearer(transport).await {
            Ok(b) => b,
            Err(e) => return SaveOutcome::NotSent(e),
        };
        let failure = match transport
            .send_once(&req, Some(&bearer.authorization), 1)
            .await
        {
            Ok(answer) => return placed(&req, answer),
            Err(f) => f,
        };
        if failure.error.is_token_refused() {
            // The next request gets a new token; this save is not re-sent.
            auth.invalidate(bearer.generation).await;
        }
        classify_save_failure(failure.error)
    }
}

/// The account key of a canonical base URL (see `validate_base_url`: scheme and host in lower
/// case, IPv4 in dotted decimal, no default port, no trailing slash) and a client ID: however
/// the URL was spelled, one account has one key, so every workspace and machine applying to it
/// takes the same lock and reads the same journal.
///
/// This machine's loopback names (`localhost`, `127.0.0.0/8`, `[::1]`) are one host here: when
/// in doubt two spellings are taken for one account, since sharing a lock and a journal costs a
/// wait, and splitting them can buy twice. Other aliases of one host (another DNS name, its
/// address) cannot be told apart: use one spelling of the vendor's URL everywhere.
pub(super) fn account_key(canonical_base_url: &str, client_id: &str) -> String {
    let url = match reqwest::Url::parse(canonical_base_url) {
        Ok(mut u) if u.host_str().is_some_and(super::transport::is_loopback_host) => {
            let _ = u.set_host(Some("127.0.0.1"));
            u.as_str().trim_end_matches('/').to_owned()
        }
        _ => canonical_base_url.to_owned(),
    };
    key_of(&url, client_id)
}

/// The key of a base URL, taken as it is, and a client ID.
fn key_of(url: &str, client_id: &str) -> String {
    crate::plan::sha256_hex(format!("{url}\n{client_id}").as_bytes())[..16].to_owned()
}

fn decode<T: DeserializeOwned>(req: &Request, answer: Answer) -> Result<Reply<T>, ApiError> {
    match serde_json::from_value::<T>(answer.result) {
        Ok(result) => Ok(Reply {
            result,
            request_id: answer.request_id,
        }),
        Err(e) => Err(ApiError::Unexpected {
            request: req.endpoint(),
            status: Some(answer.status),
            request_id: Some(answer.request_id),
            reason: format!("the result does not have the contract's shape: {e}"),
        }),
    }
}

fn placed(req: &Request, answer: Answer) -> SaveOutcome {
    let request_id = answer.request_id.clone();
    let status = answer.status;
    let unknown = |reason: String| {
        SaveOutcome::Unknown(ApiError::Unexpected {
            request: req.endpoint(),
            status: Some(status),
            request_id: Some(request_id.clone()),
            reason,
        })
    };
    let result = match serde_json::from_value::<wire::OrderResult>(answer.result) {
        Ok(r) => r,
        Err(e) => {
            return unknown(format!(
                "the order was accepted (code success) but the result is unreadable: {e}"
            ));
        }
    };
    match mapping::placed(result) {
        Ok((order_no, status)) => SaveOutcome::Placed {
            order_no,
            status,
            request_id,
        },
        Err(m) => unknown(m.to_string()),
    }
}

/// Not sent only when the request provably never left (a connect failure, a bad
/// configuration). Refused when the vendor answered one of the contract's refusal codes under
/// a 4xx or a 2xx (some gateways answer 200 with the error in the envelope). Everything else —
/// timeouts, dropped connections, 5xx, 401 and `token_*`, 408, 429, unreadable or ambiguous
/// answers, unknown codes — is unknown.
fn classify_save_failure(e: ApiError) -> SaveOutcome {
    const REFUSALS: [&str; 5] = [
        codes::PARAMETER_VALIDATION_FAILED,
        codes::BUSINESS_RULE_VIOLATION,
        codes::INVALID_CLIENT,
        codes::FORBIDDEN,
        codes::NOT_FOUND,
    ];
    match &e {
        ApiError::Connect { .. }
        | ApiError::InvalidConfig(_)
        | ApiError::InvalidBaseUrl { .. }
        | ApiError::InsecureBaseUrl { .. }
        | ApiError::Setup(_) => SaveOutcome::NotSent(e),
        ApiError::Vendor { status, code, .. }
            if matches!(status, 200..=299 | 400..=499)
                && *status != 401
                && *status != 408
                && *status != 429
                && REFUSALS.contains(&code.as_str()) =>
        {
            SaveOutcome::Refused(e)
        }
        _ => SaveOutcome::Unknown(e),
    }
}

#[cfg(test)]
mod tests {
    use super::account_key;
    use crate::api::transport::validate_base_url;

    /// One account, one key: however its URL is spelled, the lock and the journal are one.
    #[test]
    fn one_account_has_one_key_however_its_url_is_spelled() {
        let key = |u: &str| account_key(&validate_base_url(u).unwrap(), "id");
        let k = key("http://127.0.0.1:8080");
        for same in [
            "HTTP://127.1:8080/",
            "http://localhost:8080",
            "http://LOCALHOST:8080//",
            "http://[::1]:8080",
            "http://0x7f.0.0.1:8080",
        ] {
            assert_eq!(key(same), k, "{same}");
        }
        assert_ne!(
            key("http://127.0.0.1:8081"),
            k,
            "another port, another vendor"
        );
        assert_ne!(
            account_key(
                &validate_base_url("http://127.0.0.1:8080").unwrap(),
                "other"
            ),
            k,
            "another client ID"
        );
        assert_eq!(
            key("https://openapi.partner.yeastar.com"),
            key("HTTPS://Openapi.Partner.Yeastar.com:443/")
        );
    }
}
