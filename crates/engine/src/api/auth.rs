//! The access token: obtained with the client credentials, renewed with the refresh token
//! shortly before it expires (a fresh credentials request when renewal fails), and invalidated
//! when the server answers 401 `token_expired`/`token_invalid` so the next request renews it.
//! One lock serialises renewals, so concurrent tasks wait for one token request instead of each
//! sending their own.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::error::ApiError;
use super::transport::{Answer, Request, RequestBody, Transport};
use super::{Credentials, Secret};
use crate::wire::{self, paths};

/// How long a refresh token lasts (contract section 2: 15 days), minus a safety hour.
const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 24 * 3600 - 3600);
/// Renew this long before expiry at most (less for short-lived tokens: a tenth of the lifetime).
const RENEW_MARGIN: Duration = Duration::from_secs(60);
/// Assumed lifetime when `expiresIn` is not a number of seconds.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(60);
/// The longest lifetime believed: a vendor number is an input, and `expiresIn` near 2^63
/// would overflow the renewal time (a panic in whichever task asked for the token).
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// After a token request failed (retries included), tasks that were waiting for it get the same
/// error for this long instead of each starting over: a thousand lookups must not each spend
/// the whole retry budget against a dead endpoint or refused credentials.
const FAILURE_MEMORY: Duration = Duration::from_secs(5);

pub(super) struct Auth {
    credentials: Credentials,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    token: Option<Token>,
    last_failure: Option<(Instant, ApiError)>,
}

struct Token {
    /// The whole `Authorization` header value, e.g. `Bearer eyJ...`.
    authorization: Secret,
    refresh: Option<Secret>,
    renew_at: Instant,
    refresh_valid_until: Instant,
    generation: u64,
}

/// A token to send, and which token it was (so a 401 invalidates only that one).
pub(super) struct Bearer {
    pub authorization: Secret,
    pub generation: u64,
}

enum Grant {
    Credentials,
    Refresh(Secret),
}

impl Auth {
    pub(super) fn new(credentials: Credentials) -> Auth {
        Auth {
            credentials,
            state: Mutex::new(State::default()),
        }
    }

    /// A valid access token, requesting or renewing one first when needed.
    pub(super) async fn bearer(&self, transport: &Transport) -> Result<Bearer, ApiError> {
        let mut guard = self.state.lock().await;
        let now = Instant::now();
        if let Some(t) = guard.token.as_ref()
            && now < t.renew_at
        {
            return Ok(Bearer {
                authorization: t.authorization.clone(),
                generation: t.generation,
            });
        }
        if let Some((at, e)) = &guard.last_failure
            && now.duration_since(*at) < FAILURE_MEMORY
        {
            return Err(e.clone());
        }
        match self.renew(transport, guard.token.as_ref(), now).await {
            Ok(token) => {
                let bearer = Bearer {
                    authorization: token.authorization.clone(),
                    generation: token.generation,
                };
                guard.token = Some(token);
                guard.last_failure = None;
                Ok(bearer)
            }
            Err(e) => {
                guard.last_failure = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
    }

    /// A new token: renewed with the refresh token when there is a valid one, otherwise (or when
    /// renewal fails) requested with the credentials.
    async fn renew(
        &self,
        transport: &Transport,
        old: Option<&Token>,
        now: Instant,
    ) -> Result<Token, ApiError> {
        let generation = old.map_or(1, |t| t.generation + 1);
        let refresh = old
            .filter(|t| now < t.refresh_valid_until)
            .and_then(|t| t.refresh.clone().map(|r| (r, t.refresh_valid_until)));
        let Some((refresh_token, valid_until)) = refresh else {
            return self
                .request(transport, Grant::Credentials, generation)
                .await;
        };
        match self
            .request(transport, Grant::Refresh(refresh_token.clone()), generation)
            .await
        {
            Ok(mut t) => {
                // A renewal that returns no new refresh token leaves the old one usable.
                if t.refresh.is_none() {
                    t.refresh = Some(refresh_token);
                    t.refresh_valid_until = valid_until;
                }
                Ok(t)
            }
            Err(e) => {
                tracing::info!("renewing the access token failed ({e}); requesting a new one");
                self.request(transport, Grant::Credentials, generation)
                    .await
            }
        }
    }

    /// For `entitle doctor`: asks for a token with the credentials and, when one comes back,
    /// renews it with the refresh token, apart from the client's own token. What the vendor
    /// answered is described; no token leaves this function.
    pub(super) async fn probe(&self, transport: &Transport) -> Result<TokenProbe, ApiError> {
        let form = vec![
            ("client_id", Secret::new(self.credentials.client_id.clone())),
            ("client_secret", self.credentials.client_secret.clone()),
            ("grant_type", Secret::new("pp_credentials")),
        ];
        let answer = token_request(transport, form).await?;
        let first = answer.result.clone();
        let field = |v: &serde_json::Value, k: &str| v.get(k).cloned().unwrap_or_default();
        let expires_in = field(&first, "expiresIn");
        let refresh = field(&first, "refreshToken")
            .as_str()
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        let mut probe = TokenProbe {
            expires_in: match &expires_in {
                serde_json::Value::String(s) => format!("a string (\"{s}\")"),
                serde_json::Value::Number(n) => format!("a number ({n})"),
                serde_json::Value::Null => "absent".to_owned(),
                other => format!("unexpected: {other}"),
            },
            expires_in_is_string_seconds: expires_in
                .as_str()
                .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())),
            refresh: None,
            sample: {
                // The whole envelope, tokens out, so the sample can be served again as it came.
                let mut whole = answer.whole();
                if let Some(result) = whole.get_mut("result") {
                    *result = redact_token_answer(result.take());
                }
                whole
            },
        };
        if let Some(old) = refresh {
            let form = vec![
                ("grant_type", Secret::new("refresh_token")),
                ("refresh_token", Secret::new(old.clone())),
            ];
            probe.refresh = Some(match token_request(transport, form).await {
                Ok(a) => Ok(field(&a.result, "refreshToken")
                    .as_str()
                    .is_some_and(|new| !new.is_empty() && new != old)),
                Err(e) => Err(e.to_string()),
            });
        }
        Ok(probe)
    }

    /// Marks the token of `generation` as unusable (the server refused it), so the next
    /// [`Auth::bearer`] renews it; a newer token obtained meanwhile is kept.
    pub(super) async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if let Some(t) = state.token.as_mut()
            && t.generation == generation
        {
            t.renew_at = Instant::now();
        }
    }

    async fn request(
        &self,
        transport: &Transport,
        grant: Grant,
        generation: u64,
    ) -> Result<Token, ApiError> {
        let form = match grant {
            Grant::Credentials => vec![
                ("client_id", Secret::new(self.credentials.client_id.clone())),
                ("client_secret", self.credentials.client_secret.clone()),
                ("grant_type", Secret::new("pp_credentials")),
            ],
            Grant::Refresh(refresh) => vec![
                ("grant_type", Secret::new("refresh_token")),
                ("refresh_token", refresh),
            ],
        };
        let req = Request {
            method: reqwest::Method::POST,
            path: paths::TOKEN.to_owned(),
            query: Vec::new(),
            body: RequestBody::Form(form),
        };
        let started = Instant::now();
        let answer = transport.send_retrying(&req, None).await?;
        let unexpected = |reason: &str| ApiError::Unexpected {
            request: req.endpoint(),
            status: Some(answer.status),
            request_id: Some(answer.request_id.clone()),
            reason: reason.to_owned(),
        };
        // The serde error could quote a token, so it is not shown.
        let resp: wire::TokenResponse =
            serde_json::from_value(answer.result.clone()).map_err(|_| {
                unexpected("the token response is not {token, expiresIn, refreshToken}")
            })?;
        if resp.token.is_empty() {
            return Err(unexpected("the token response has an empty token"));
        }
        let lifetime = match resp.expires_in.trim().parse::<u64>() {
            Ok(secs) => Duration::from_secs(secs).min(MAX_LIFETIME),
            Err(_) => {
                tracing::debug!(
                    expires_in = %resp.expires_in,
                    "token expiresIn is not a number of seconds; assuming a short lifetime"
                );
                FALLBACK_LIFETIME
            }
        };
        let margin = RENEW_MARGIN.min(lifetime / 10);
        let head = match resp.token_head.trim() {
            "" => "Bearer",
            h => h,
        };
        tracing::debug!(
            lifetime_s = lifetime.as_secs(),
            generation,
            "obtained an access token"
        );
        Ok(Token {
            authorization: Secret::new(format!("{head} {}", resp.token)),
            refresh: (!resp.refresh_token.is_empty()).then(|| Secret::new(resp.refresh_token)),
            // Counted from before the request was sent, so never later than the server's clock.
            renew_at: started
                .checked_add(lifetime.saturating_sub(margin))
                .unwrap_or(started),
            refresh_valid_until: started
                .checked_add(REFRESH_TOKEN_LIFETIME)
                .unwrap_or(started),
            generation,
        })
    }
}

/// What `entitle doctor` saw of the token endpoint.
#[derive(Debug, Clone)]
pub struct TokenProbe {
    /// How `expiresIn` came: "a string (\"7200\")", "a number (7200)", "absent".
    pub expires_in: String,
    /// As documented: a string of seconds.
    pub expires_in_is_string_seconds: bool,
    /// The refresh: `Ok(rotated)` when it worked, `Err(why)` when it did not.
    pub refresh: Option<Result<bool, String>>,
    /// The first answer, the whole envelope, tokens redacted.
    pub sample: serde_json::Value,
}

async fn token_request(
    transport: &Transport,
    form: Vec<(&'static str, Secret)>,
) -> Result<Answer, ApiError> {
    let req = Request {
        method: reqwest::Method::POST,
        path: paths::TOKEN.to_owned(),
        query: Vec::new(),
        body: RequestBody::Form(form),
    };
    transport.send_retrying(&req, None).await
}

/// A token answer with every token replaced.
fn redact_token_answer(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        for key in [
            "token",
            "refreshToken",
            "accessToken",
            "access_token",
            "refresh_token",
        ] {
            if let Some(x) = o.get_mut(key) {
                *x = serde_json::Value::String("<redacted>".to_owned());
            }
        }
    }
    v
}
