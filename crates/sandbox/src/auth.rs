//! Access and refresh tokens (vendor-api section 2). Held in memory only: tokens are secrets and
//! never reach the state file; a restarted sandbox answers old tokens with `token_invalid` and a
//! client authenticates again.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::envelope::ErrorReply;

/// Access tokens last 30 minutes unless an admin call changes it.
pub(super) const ACCESS_LIFETIME: Duration = Duration::from_secs(1800);
/// Refresh tokens last 15 days.
pub(super) const REFRESH_LIFETIME: Duration = Duration::from_secs(15 * 24 * 3600);
/// Tokens remembered after issue (see [`Tokens::issued`]): a test's run needs a handful; the
/// bound keeps a long-running sandbox from growing.
const ISSUED_KEPT: usize = 256;

#[derive(Debug)]
pub(super) struct Tokens {
    access: HashMap<String, Instant>,
    refresh: HashMap<String, Instant>,
    pub access_lifetime: Duration,
    rng: fastrand::Rng,
    /// The latest tokens issued, access and refresh, spent or not: tests check that none
    /// reached a client's output.
    issued: VecDeque<String>,
}

/// A freshly issued pair.
#[derive(Debug, Clone)]
pub(super) struct Issued {
    pub token: String,
    pub refresh_token: String,
    pub expires_in_secs: u64,
}

impl Tokens {
    pub(super) fn new() -> Tokens {
        Tokens {
            access: HashMap::new(),
            refresh: HashMap::new(),
            access_lifetime: ACCESS_LIFETIME,
            // Seeded from the OS: tokens must not repeat across sandboxes or restarts.
            rng: fastrand::Rng::new(),
            issued: VecDeque::new(),
        }
    }

    /// The latest tokens issued (at most [`ISSUED_KEPT`]), oldest first.
    pub(super) fn issued(&self) -> Vec<String> {
        self.issued.iter().cloned().collect()
    }

    fn random(&mut self, prefix: &str) -> String {
        format!(
            "{prefix}.{:016x}{:016x}",
            self.rng.u64(..),
            self.rng.u64(..)
        )
    }

    pub(super) fn issue(&mut self) -> Issued {
        let now = Instant::now();
        // Forget what has expired so a long run does not grow without bound.
        self.access.retain(|_, exp| *exp > now);
        self.refresh.retain(|_, exp| *exp > now);
        let token = self.random("sbx-access");
        let refresh_token = self.random("sbx-refresh");
        // A test may ask for a lifetime near 2^63 seconds (the client must survive it): the
        // sandbox's own expiry is capped where the clock could not hold it.
        let expires = now
            .checked_add(self.access_lifetime)
            .unwrap_or(now + Duration::from_secs(365 * 86_400));
        self.access.insert(token.clone(), expires);
        self.refresh
            .insert(refresh_token.clone(), now + REFRESH_LIFETIME);
        for t in [&token, &refresh_token] {
            if self.issued.len() == ISSUED_KEPT {
                self.issued.pop_front();
            }
            self.issued.push_back(t.clone());
        }
        Issued {
            token,
            refresh_token,
            expires_in_secs: self.access_lifetime.as_secs(),
        }
    }

    /// Trades a refresh token for a new pair; the old refresh token is spent.
    pub(super) fn refresh(&mut self, refresh_token: &str) -> Result<Issued, ErrorReply> {
        match self.refresh.remove(refresh_token) {
            None => Err(ErrorReply::token_invalid(
                "refresh_token is not valid; request a new token with grant_type=pp_credentials",
            )),
            Some(exp) if exp <= Instant::now() => Err(ErrorReply::token_expired(
                "refresh_token has expired; request a new token with grant_type=pp_credentials",
            )),
            Some(_) => Ok(self.issue()),
        }
    }

    /// Checks an `Authorization` header value.
    pub(super) fn verify(&self, authorization: Option<&str>) -> Result<(), ErrorReply> {
        let Some(value) = authorization else {
            return Err(ErrorReply::token_invalid(
                "missing Authorization: Bearer <token>; get a token from the token endpoint",
            ));
        };
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .ok_or_else(|| ErrorReply::token_invalid("Authorization is not `Bearer <token>`"))?;
        match self.access.get(token) {
            None => Err(ErrorReply::token_invalid(
                "access token is not valid; get a new one from the token endpoint",
            )),
            Some(exp) if *exp <= Instant::now() => Err(ErrorReply::token_expired(
                "access token has expired; refresh it",
            )),
            Some(_) => Ok(()),
        }
    }

    /// Makes every access token expired (refresh tokens stay valid).
    pub(super) fn expire_all(&mut self) {
        let past = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        for exp in self.access.values_mut() {
            *exp = past;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_verify_expire_refresh() {
        let mut t = Tokens::new();
        let a = t.issue();
        assert_eq!(a.expires_in_secs, 1800);
        let header = format!("Bearer {}", a.token);
        assert!(t.verify(Some(&header)).is_ok());
        assert_eq!(t.verify(None).unwrap_err().code, "token_invalid");
        assert_eq!(
            t.verify(Some("Bearer nope")).unwrap_err().code,
            "token_invalid"
        );
        t.expire_all();
        assert_eq!(t.verify(Some(&header)).unwrap_err().code, "token_expired");
        let b = t.refresh(&a.refresh_token).unwrap();
        assert_eq!(
            t.issued(),
            [&a.token, &a.refresh_token, &b.token, &b.refresh_token].map(String::clone)
        );
        assert!(t.verify(Some(&format!("bearer {}", b.token))).is_ok());
        // A refresh token is spent once used.
        assert_eq!(
            t.refresh(&a.refresh_token).unwrap_err().code,
            "token_invalid"
        );
    }
}
