//! One HTTP exchange with the Partner API, and the retry loop for requests that are safe to
//! repeat. Owns the single `reqwest::Client` (connection reuse), the concurrency bound, the shared
//! rate limit, the envelope decoding and the per-request debug log.
//!
//! Nothing here decides whether a request may be repeated: [`Transport::send_once`] sends exactly
//! once, and only callers that know their request is safe (reads, the token request, idempotent
//! writes) use [`Transport::send_retrying`]. An order save never does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::Deserialize;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::error::{ApiError, Endpoint};
use super::ratelimit::RateLimiter;
use super::{RequestStats, Secret};
use crate::wire::{self, CODE_SUCCESS, paths};

/// Sent with every request (the vendor refuses requests without a User-Agent).
pub const USER_AGENT: &str = concat!("entitle/", env!("CARGO_PKG_VERSION"));

/// Largest response body read. The largest real answer is a page of 100 orders (tens of KiB);
/// anything near this is not an answer of this API.
pub(super) const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// First retry delay; doubles per attempt up to [`BACKOFF_CAP`], with jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_CAP: Duration = Duration::from_secs(8);
/// A `Retry-After` longer than this is not waited for: the error is returned instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Retries of a safe request answered 429, besides `max_retries` for other transient failures.
pub(super) const MAX_THROTTLED_RETRIES: u32 = 16;
/// How long everyone waits after a 429 that gave no `Retry-After`.
const DEFAULT_THROTTLE_PAUSE: Duration = Duration::from_secs(1);

/// A request to send. Built by the endpoint functions; the transport adds the base URL,
/// `User-Agent` and `Authorization`.
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: RequestBody,
}

pub enum RequestBody {
    Empty,
    /// `application/json`.
    Json(Vec<u8>),
    /// `application/x-www-form-urlencoded`; every value is treated as secret (the token
    /// request carries the client secret and the refresh token).
    Form(Vec<(&'static str, Secret)>),
}

impl Request {
    pub fn get(path: impl Into<String>, query: Vec<(&'static str, String)>) -> Request {
        Request {
            method: Method::GET,
            path: path.into(),
            query,
            body: RequestBody::Empty,
        }
    }

    pub fn post_json(path: impl Into<String>, body: Vec<u8>) -> Request {
        Request {
            method: Method::POST,
            path: path.into(),
            query: Vec::new(),
            body: RequestBody::Json(body),
        }
    }

    pub fn endpoint(&self) -> Box<Endpoint> {
        let query = if self.query.is_empty() {
            String::new()
        } else {
            let mut u = Url::parse("http://q/").expect("static URL parses");
            u.query_pairs_mut()
                .extend_pairs(self.query.iter().map(|(k, v)| (*k, v.as_str())));
            u.query().unwrap_or_default().to_owned()
        };
        Box::new(Endpoint {
            method: if self.method == Method::POST {
                "POST"
            } else {
                "GET"
            },
            path: self.path.clone(),
            query,
        })
    }
}

/// A success envelope.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub request_id: String,
    pub result: serde_json::Value,
    /// Every other field of the envelope as the vendor sent it (`code`, `requestId`,
    /// `detailMessage`, `status`, and any the contract does not name), so `entitle doctor` can
    /// save the answer whole, fit to be served again by a test fixture.
    pub envelope: serde_json::Map<String, serde_json::Value>,
}

impl Answer {
    /// The envelope as it came, `result` in place.
    pub fn whole(&self) -> serde_json::Value {
        let mut o = self.envelope.clone();
        o.insert("result".to_owned(), self.result.clone());
        serde_json::Value::Object(o)
    }
}

/// A failed exchange, with the server's `Retry-After` when it sent one.
#[derive(Debug)]
pub(super) struct Failure {
    pub error: ApiError,
    pub retry_after: Option<Duration>,
}

#[derive(Debug, Default)]
pub(super) struct Stats {
    sent: AtomicU64,
    retried: AtomicU64,
    token_requests: AtomicU64,
    throttled: AtomicU64,
}

impl Stats {
    pub(super) fn snapshot(&self) -> RequestStats {
        RequestStats {
            sent: self.sent.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            token_requests: self.token_requests.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
        }
    }
    pub(super) fn count_retry(&self) {
        self.retried.fetch_add(1, Ordering::Relaxed);
    }
}

/// The vendor's clock as its answers' `Date` headers tell it: the offset from this machine's
/// system clock of the latest one (second resolution, so a lower bound).
#[derive(Debug, Default)]
pub(super) struct VendorTime {
    offset_ms: std::sync::atomic::AtomicI64,
    seen: std::sync::atomic::AtomicBool,
}

impl VendorTime {
    fn record(&self, date: &str) {
        if let Some(ms) = crate::clock::parse_http_date(date) {
            self.offset_ms
                .store(ms - crate::clock::system_now_ms(), Ordering::SeqCst);
            self.seen.store(true, Ordering::SeqCst);
        }
    }

    /// The vendor's offset from the system clock, once an answer carried a `Date`.
    pub(super) fn offset_ms(&self) -> Option<i64> {
        self.seen
            .load(Ordering::SeqCst)
            .then(|| self.offset_ms.load(Ordering::SeqCst))
    }
}

pub(super) struct Transport {
    http: reqwest::Client,
    /// Validated, without a trailing slash.
    base: String,
    permits: Semaphore,
    limiter: RateLimiter,
    max_retries: u32,
    timeout: Duration,
    pub stats: Stats,
    pub vendor_time: VendorTime,
}

/// The settings the transport needs (a subset of `ClientConfig`).
pub(super) struct TransportConfig<'a> {
    pub base_url: &'a str,
    pub concurrency: usize,
    pub rate_per_sec: f64,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_retries: u32,
}

impl Transport {
    pub(super) fn new(cfg: TransportConfig<'_>) -> Result<Transport, ApiError> {
        let base = validate_base_url(cfg.base_url)?;
        if cfg.concurrency == 0 {
            return Err(ApiError::InvalidConfig(
                "concurrency must be at least 1".to_owned(),
            ));
        }
        if cfg.rate_per_sec.is_nan() || cfg.rate_per_sec < 0.0 {
            return Err(ApiError::InvalidConfig(format!(
                "rate limit {} requests/s is not a positive number (0 disables it)",
                cfg.rate_per_sec
            )));
        }
        if cfg.timeout.is_zero() || cfg.connect_timeout.is_zero() {
            return Err(ApiError::InvalidConfig(
                "timeouts must be longer than zero".to_owned(),
            ));
        }
        crate::tls::use_ring();
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            // The API never redirects; following one could re-send an order elsewhere or leak
            // the token to another host.
            .redirect(reqwest::redirect::Policy::none())
            // Every re-send is decided here, where an order save is known never to be one.
            .retry(reqwest::retry::never())
            .build()
            .map_err(|e| ApiError::Setup(error_chain(&e)))?;
        Ok(Transport {
            http,
            base,
            permits: Semaphore::new(cfg.concurrency),
            limiter: RateLimiter::new(cfg.rate_per_sec),
            max_retries: cfg.max_retries,
            timeout: cfg.timeout,
            stats: Stats::default(),
            vendor_time: VendorTime::default(),
        })
    }

    pub(super) fn base_url(&self) -> &str {
        &self.base
    }

    /// Sends `req` exactly once (waiting for a concurrency permit and the rate limit first).
    /// `authorization` is the full header value (`Bearer <token>`).
    pub(super) async fn send_once(
        &self,
        req: &Request,
        authorization: Option<&Secret>,
        attempt: u32,
    ) -> Result<Answer, Failure> {
        let endpoint = req.endpoint();
        let fail = |error| Failure {
            error,
            retry_after: None,
        };
        let mut url = Url::parse(&format!("{}{}", self.base, req.path)).map_err(|e| {
            fail(ApiError::InvalidConfig(format!(
                "cannot build the URL for {}: {e}",
                req.path
            )))
        })?;
        if !req.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(req.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut rb = self.http.request(req.method.clone(), url);
        if let Some(auth) = authorization {
            let mut value = HeaderValue::from_str(auth.expose()).map_err(|_| {
                fail(ApiError::Unexpected {
                    request: endpoint.clone(),
                    status: None,
                    request_id: None,
                    reason: "the access token is not a valid HTTP header value".to_owned(),
                })
            })?;
            // Keeps it out of HTTP/2 header compression tables and any header debug output.
            value.set_sensitive(true);
            rb = rb.header(AUTHORIZATION, value);
        }
        rb = match &req.body {
            RequestBody::Empty => rb,
            RequestBody::Json(bytes) => rb
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            RequestBody::Form(fields) => {
                let pairs: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.expose())).collect();
                rb.form(&pairs)
            }
        };

        let _permit = self.permits.acquire().await.ok();
        self.limiter.acquire().await;
        self.stats.sent.fetch_add(1, Ordering::Relaxed);
        if req.path == paths::TOKEN {
            self.stats.token_requests.fetch_add(1, Ordering::Relaxed);
        }
        let started = Instant::now();
        let outcome = self.exchange(rb, &endpoint, req.path == paths::TOKEN).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;

        match &outcome {
            Ok(a) => tracing::debug!(
                method = endpoint.method,
                path = %endpoint.path,
                query = %endpoint.query,
                status = a.status,
                request_id = %a.request_id,
                elapsed_ms,
                attempt,
                "api request"
            ),
            Err(f) => tracing::debug!(
                method = endpoint.method,
                path = %endpoint.path,
                query = %endpoint.query,
                status = f.error.status().unwrap_or(0),
                elapsed_ms,
                attempt,
                error = %f.error,
                "api request failed"
            ),
        }
        match &outcome {
            Err(f) if f.error.is_rate_limited() || f.error.status() == Some(503) => {
                self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                self.limiter.on_throttle(
                    f.retry_after
                        .unwrap_or(DEFAULT_THROTTLE_PAUSE)
                        .min(MAX_RETRY_AFTER),
                );
            }
            _ => self.limiter.on_success(),
        }
        outcome
    }

    async fn exchange(
        &self,
        rb: reqwest::RequestBuilder,
        endpoint: &Endpoint,
        is_token: bool,
    ) -> Result<Answer, Failure> {
        let resp = rb.send().await.map_err(|e| Failure {
            error: self.transport_error(&e, endpoint),
            retry_after: None,
        })?;
        let status = resp.status().as_u16();
        if let Some(date) = resp
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
        {
            self.vendor_time.record(date);
        }
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = self
            .read_capped(resp, endpoint, status)
            .await
            .map_err(|error| Failure { error, retry_after })?;
        // Redacted as a doctor sample is: answers carry licence keys, contacts' names and
        // e-mail addresses. The token answer is not logged at all: it is nothing but
        // credentials.
        if !is_token {
            tracing::trace!(path = %endpoint.path, status, body = %crate::redact::for_log(&bytes, 4096), "api response");
        }
        let fail = |error| Failure { error, retry_after };
        if (300..400).contains(&status) {
            return Err(fail(ApiError::Unexpected {
                request: Box::new(endpoint.clone()),
                status: Some(status),
                request_id: None,
                reason: format!(
                    "redirect to `{}`; the API does not redirect, check --base-url",
                    location.unwrap_or_default()
                ),
            }));
        }
        // Read as JSON first so the fields the contract does not name are kept (`Answer::envelope`);
        // `result` is taken out before the typed read, so it is not copied.
        let parsed = serde_json::from_slice::<serde_json::Value>(&bytes).and_then(|v| match v {
            serde_json::Value::Object(mut rest) => {
                let result = rest.remove("result");
                wire::Envelope::<serde_json::Value>::deserialize(&rest)
                    .map(|env| (env, result, rest))
            }
            other => wire::Envelope::<serde_json::Value>::deserialize(&other)
                .map(|env| (env, None, serde_json::Map::new())),
        });
        let parsed = parsed.and_then(|parts| {
            // A JSON map keeps the last of a repeated key: `{"code":"success",…,"code":"…"}`
            // would be read as whichever came last. An envelope that says two things is
            // neither: for a save, its outcome is unknown.
            if repeats_code(&bytes) {
                Err(serde::de::Error::custom(
                    "the envelope repeats its `code` key",
                ))
            } else {
                Ok(parts)
            }
        });
        let (envelope, result, rest) = match parsed {
            Ok(parts) => parts,
            Err(e) => {
                // A token response may hold a token even when malformed: never quote it.
                let reason = if is_token {
                    "the body is not the API's JSON envelope".to_owned()
                } else {
                    format!(
                        "the body is not the API's JSON envelope ({e}): `{}`",
                        snippet(&bytes, 120)
                    )
                };
                return Err(fail(ApiError::Unexpected {
                    request: Box::new(endpoint.clone()),
                    status: Some(status),
                    request_id: None,
                    reason,
                }));
            }
        };
        if envelope.code != CODE_SUCCESS {
            let field = result.as_ref().and_then(|r| {
                let field = r.get("field")?.as_str()?.to_owned();
                let reason = r
                    .get("reason")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned();
                Some(Box::new((field, reason)))
            });
            return Err(fail(ApiError::Vendor {
                request: Box::new(endpoint.clone()),
                status,
                code: envelope.code,
                detail: envelope.detail_message,
                request_id: envelope.request_id,
                field,
            }));
        }
        if !(200..300).contains(&status) {
            return Err(fail(ApiError::Unexpected {
                request: Box::new(endpoint.clone()),
                status: Some(status),
                request_id: Some(envelope.request_id),
                reason: format!("HTTP {status} with a success envelope"),
            }));
        }
        Ok(Answer {
            status,
            request_id: envelope.request_id,
            result: result.unwrap_or(serde_json::Value::Null),
            envelope: rest,
        })
    }

    /// Sends a request that is safe to repeat, retrying transient failures (no answer, 5xx)
    /// with exponential backoff and jitter, or after the server's `Retry-After`, at most
    /// `max_retries` times. A 429 is the vendor pacing the client, not a failure: it is
    /// retried up to [`MAX_THROTTLED_RETRIES`] times besides, so a read that meets the limit
    /// again and again while other requests go through is not reported as failed.
    pub(super) async fn send_retrying(
        &self,
        req: &Request,
        authorization: Option<&Secret>,
    ) -> Result<Answer, ApiError> {
        let mut attempt = 1;
        let (mut failed, mut throttled) = (0, 0);
        loop {
            let failure = match self.send_once(req, authorization, attempt).await {
                Ok(answer) => return Ok(answer),
                Err(f) => f,
            };
            if !failure.error.is_transient() {
                return Err(failure.error);
            }
            let (spent, budget) = if failure.error.is_rate_limited() {
                throttled += 1;
                (throttled, MAX_THROTTLED_RETRIES)
            } else {
                failed += 1;
                (failed, self.max_retries)
            };
            if spent > budget {
                return Err(failure.error);
            }
            let delay = match failure.retry_after {
                Some(d) if d > MAX_RETRY_AFTER => return Err(failure.error),
                Some(d) => d,
                None => backoff(spent),
            };
            tracing::info!(
                "retrying in {:.1}s (retry {spent} of {budget} for this kind of failure): {}",
                delay.as_secs_f64(),
                failure.error
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
            self.stats.count_retry();
        }
    }

    /// The body, read chunk by chunk up to [`MAX_BODY_BYTES`]: a larger one (declared or
    /// streamed, endless or not) is an error naming the endpoint, and memory stays bounded.
    async fn read_capped(
        &self,
        mut resp: reqwest::Response,
        endpoint: &Endpoint,
        status: u16,
    ) -> Result<Vec<u8>, ApiError> {
        let too_large = |what: String| ApiError::Unexpected {
            request: Box::new(endpoint.clone()),
            status: Some(status),
            request_id: None,
            reason: format!(
                "the answer is {what}, more than the {} MiB any answer of this API needs; not read",
                MAX_BODY_BYTES / (1024 * 1024)
            ),
        };
        if let Some(len) = resp.content_length()
            && len > MAX_BODY_BYTES as u64
        {
            return Err(too_large(format!("declared as {len} bytes")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e, endpoint))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_large("still coming".to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_error(&self, e: &reqwest::Error, endpoint: &Endpoint) -> ApiError {
        let request = Box::new(endpoint.clone());
        // A connect failure (refused, DNS, TLS handshake, connect timeout) means nothing was
        // sent; check it before the generic timeout.
        if e.is_connect() {
            let host = Url::parse(&self.base)
                .ok()
                .and_then(|u| {
                    let host = u.host_str()?.to_owned();
                    Some(match u.port() {
                        Some(p) => format!("{host}:{p}"),
                        None => host,
                    })
                })
                .unwrap_or_default();
            let mut reason = format!("{host}: {}", error_chain(e));
            // rustls reads a plain-HTTP answer to its hello as a record of an unknown type.
            if self.base.starts_with("https://") && reason.contains("InvalidContentType") {
                reason.push_str(
                    "; the server answered in plain HTTP, not TLS: is this an http:// address?",
                );
            }
            ApiError::Connect { request, reason }
        } else if e.is_timeout() {
            ApiError::Timeout {
                request,
                after: self.timeout,
            }
        } else {
            ApiError::Transport {
                request,
                reason: error_chain(e),
            }
        }
    }
}

/// Exponential backoff with "equal jitter": half the delay fixed, half random, so concurrent
/// tasks that failed together do not come back together.
pub(super) fn backoff(attempt: u32) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let d = exp.min(BACKOFF_CAP);
    let half = d / 2;
    half + half.mul_f64(fastrand::f64())
}

/// Whether the body's top-level object names `code` more than once.
fn repeats_code(bytes: &[u8]) -> bool {
    struct Count;
    impl<'de> serde::de::Visitor<'de> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
            let mut codes = 0;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "code" {
                    codes += 1;
                }
                map.next_value::<serde::de::IgnoredAny>()?;
            }
            Ok(codes)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde::Deserializer::deserialize_map(&mut de, Count).is_ok_and(|n| n > 1)
}

fn parse_retry_after(v: &str) -> Option<Duration> {
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// The most specific cause of a transport error ("Connection refused (os error 111)"): the
/// outer layers only repeat the URL and the client library's own wrapping.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// A body excerpt for error messages and trace logs: valid UTF-8, one line, bounded.
fn snippet(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]);
    let mut s: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if bytes.len() > max {
        s.push('…');
    }
    s
}

/// Accepts `https://` anywhere and `http://` only to this machine; returns the URL without a
/// trailing slash.
pub(super) fn validate_base_url(raw: &str) -> Result<String, ApiError> {
    let invalid = |reason: &str| ApiError::InvalidBaseUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    // A CI secret pasted with a newline, a stray space: the URL parser would drop them, but a
    // value that is not what it looks like is refused rather than trimmed in silence.
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "it contains whitespace or a control character (a newline pasted with it?); remove it",
        ));
    }
    // `openapi.partner.yeastar.com` or `localhost:8787`: a host without a scheme (which `Url`
    // would misread, or call relative).
    if !raw.contains("://") {
        let bare = raw.trim().trim_start_matches('/');
        let host = bare.split([':', '/']).next().unwrap_or_default();
        let scheme = if is_loopback_host(host) {
            "http"
        } else {
            "https"
        };
        return Err(invalid(&format!(
            "it has no scheme; did you mean `{scheme}://{bare}`?"
        )));
    }
    let url = Url::parse(raw.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials in the URL are not allowed"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a base URL has no query or fragment"));
    }
    match url.scheme() {
        "https" => {}
        "http" => {
            // `Url` normalises hosts (`127.1` -> `127.0.0.1`, IPv6 in brackets).
            let host = url.host_str().unwrap_or_default();
            if !is_loopback_host(host) {
                return Err(ApiError::InsecureBaseUrl {
                    url: raw.to_owned(),
                });
            }
        }
        other => {
            return Err(invalid(&format!(
                "scheme `{other}` is not supported; use https://"
            )));
        }
    }
    if url.host().is_none() {
        return Err(invalid("no host"));
    }
    // `Url` gives the canonical form: scheme and host in lower case, IPv4 in dotted decimal
    // (`127.1` is `127.0.0.1`), the default port dropped. The account key is built from it.
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `localhost`, `127.0.0.0/8` or `::1` (with or without brackets).
pub(super) fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_loopback() {
        assert_eq!(
            validate_base_url("https://openapi.partner.yeastar.com/").unwrap(),
            "https://openapi.partner.yeastar.com"
        );
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://localhost:1/api/",
            "http://[::1]:3000",
        ] {
            assert!(validate_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.evil.com",
        ] {
            assert!(
                matches!(
                    validate_base_url(bad),
                    Err(ApiError::InsecureBaseUrl { .. })
                ),
                "{bad}"
            );
        }
        for bad in [
            "ftp://x",
            "openapi.partner.yeastar.com",
            "https://u:p@h",
            "https://h/?a=1",
        ] {
            assert!(
                matches!(validate_base_url(bad), Err(ApiError::InvalidBaseUrl { .. })),
                "{bad}"
            );
        }
    }

    /// One account, one spelling: every way to write the same URL gives the same canonical
    /// form, so the account key (and with it the lock and the journal) is the same.
    #[test]
    fn every_spelling_of_one_url_is_one_canonical_url() {
        for same in [
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/",
            "HTTP://127.0.0.1:8080",
            "http://127.1:8080",
            "http://0x7f.0.0.1:8080//",
        ] {
            assert_eq!(
                validate_base_url(same).unwrap().trim_end_matches('/'),
                "http://127.0.0.1:8080",
                "{same}"
            );
        }
        for same in [
            "https://Openapi.Partner.Yeastar.com",
            "https://openapi.partner.yeastar.com:443/",
            "HTTPS://OPENAPI.PARTNER.YEASTAR.COM",
        ] {
            assert_eq!(
                validate_base_url(same).unwrap(),
                "https://openapi.partner.yeastar.com",
                "{same}"
            );
        }
        // Whitespace or a control character is refused, never trimmed in silence.
        for bad in [
            "https://openapi.partner.yeastar.com\n",
            " https://openapi.partner.yeastar.com",
            "https://openapi.partner.yeastar.com\t",
            "https://openapi.partner\u{7f}.yeastar.com",
        ] {
            let e = validate_base_url(bad).unwrap_err().to_string();
            assert!(
                e.contains("whitespace or a control character"),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        for attempt in 1..20 {
            let d = backoff(attempt);
            let full = BACKOFF_BASE
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(BACKOFF_CAP);
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn a_repeated_code_key_is_seen() {
        assert!(repeats_code(
            br#"{"code":"business_rule_violation","result":{},"code":"success"}"#
        ));
        assert!(!repeats_code(br#"{"code":"success","result":{"code":1}}"#));
        assert!(!repeats_code(b"[1,2]"));
    }

    #[test]
    fn retry_after_is_seconds() {
        assert_eq!(parse_retry_after("1"), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 2.5 "),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
