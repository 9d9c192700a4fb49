//! Fault injection: rate limits, server errors and stalls on reads; on order saves, failures
//! before the commit, and commits followed by a 500, a dropped connection, or an error answer
//! (401 `token_expired`, 429, 408, a refusal under 200, an envelope that says `code` twice):
//! the outcomes a client cannot tell apart and must resolve through the order list. Random faults come from a
//! seeded RNG so a run can be replayed; scripted ones from the admin endpoint. Every fault
//! served is counted, so a test can prove its faults fired.
//!
//! A hold stops one order save in the middle — before or after its commit — until released:
//! a test kills or interrupts the client at that exact point, never after a guessed delay.

use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use serde::{Deserialize, Serialize};

use super::OrderStatusMode;
use super::rules::Policy;

/// A fault on a read (GET endpoints and the L9 calculator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum ReadFault {
    /// 429 `too_many_requests` with `Retry-After`.
    RateLimit,
    /// 500 `internal_error`.
    ServerError,
    /// No answer for a long time, so the client's timeout fires.
    Stall,
}

/// A fault on an order save.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum SaveFault {
    /// 500 and nothing stored.
    FailBeforeCommit,
    /// The order is committed, then the answer is a 500.
    #[serde(rename = "commit_then_500")]
    CommitThen500,
    /// The order is committed, then the connection is dropped without an answer.
    CommitThenDrop,
    /// The order is committed, then the answer is 401 `token_expired` (a vendor that checks
    /// the token late).
    CommitThenTokenExpired,
    /// The order is committed, then the answer is 429 `too_many_requests`.
    #[serde(rename = "commit_then_429")]
    CommitThen429,
    /// The order is committed, then the answer is 408.
    #[serde(rename = "commit_then_408")]
    CommitThen408,
    /// The order is committed, then the answer is 200 with `business_rule_violation` in the
    /// envelope.
    CommitThenRefused,
    /// The order is committed, then the answer's envelope says `code` twice: `success`, then
    /// `business_rule_violation`.
    CommitThenRepeatedCode,
}

impl ReadFault {
    fn name(self) -> &'static str {
        match self {
            ReadFault::RateLimit => "rate_limit",
            ReadFault::ServerError => "server_error",
            ReadFault::Stall => "stall",
        }
    }
}

impl SaveFault {
    fn name(self) -> &'static str {
        match self {
            SaveFault::FailBeforeCommit => "fail_before_commit",
            SaveFault::CommitThen500 => "commit_then_500",
            SaveFault::CommitThenDrop => "commit_then_drop",
            SaveFault::CommitThenTokenExpired => "commit_then_token_expired",
            SaveFault::CommitThen429 => "commit_then_429",
            SaveFault::CommitThen408 => "commit_then_408",
            SaveFault::CommitThenRefused => "commit_then_refused",
            SaveFault::CommitThenRepeatedCode => "commit_then_repeated_code",
        }
    }
}

/// Where a held order save waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum HoldPhase {
    /// Received, nothing stored yet.
    BeforeCommit,
    /// Stored (and in effect), not answered yet.
    AfterCommit,
}

/// Hold the order save that comes after `skip` more saves, at `phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Hold {
    #[serde(default)]
    pub skip: u64,
    pub phase: HoldPhase,
}

/// Every `every`-th read fails with `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct EveryNth {
    pub every: u64,
    pub kind: ReadFault,
}

/// The fault switches and the dice.
#[derive(Debug)]
pub(super) struct Faults {
    pub fail_rate: f64,
    pub retry_after_secs: u64,
    pub next_order_saves: VecDeque<SaveFault>,
    pub read_fault_every: Option<EveryNth>,
    pub stall: Duration,
    pub order_status: OrderStatusMode,
    pub latency: Duration,
    pub hold_order_save: Option<Hold>,
    /// SNs whose detail (L3) comes back in a form no client can read (`serviceList` a string):
    /// a vendor's answer about one PBX that is broken while the rest are fine.
    pub unreadable_detail: Vec<String>,
    /// How the simulated vendor applies rules the real one may apply otherwise.
    pub policy: Policy,
    /// Faults served so far, by name (`rate_limit`, `commit_then_500`, ...).
    pub served: BTreeMap<&'static str, u64>,
    reads: u64,
    rng: fastrand::Rng,
}

/// How long a stall lasts unless changed: longer than any sane client timeout.
pub(super) const DEFAULT_STALL: Duration = Duration::from_secs(30);

impl Faults {
    pub(super) fn new(
        fail_rate: f64,
        order_status: OrderStatusMode,
        latency: Duration,
        rng_seed: u64,
    ) -> Faults {
        Faults {
            fail_rate: sanitize_rate(fail_rate),
            retry_after_secs: 1,
            next_order_saves: VecDeque::new(),
            read_fault_every: None,
            stall: DEFAULT_STALL,
            order_status,
            latency,
            hold_order_save: None,
            unreadable_detail: Vec::new(),
            policy: Policy::default(),
            served: BTreeMap::new(),
            reads: 0,
            rng: fastrand::Rng::with_seed(rng_seed),
        }
    }

    /// Decides the fate of the next read, and counts the fault.
    pub(super) fn on_read(&mut self) -> Option<ReadFault> {
        let fault = self.roll_read();
        if let Some(f) = fault {
            *self.served.entry(f.name()).or_default() += 1;
        }
        fault
    }

    fn roll_read(&mut self) -> Option<ReadFault> {
        self.reads += 1;
        if let Some(EveryNth { every, kind }) = self.read_fault_every
            && every > 0
            && self.reads.is_multiple_of(every)
        {
            return Some(kind);
        }
        if self.fail_rate > 0.0 && self.rng.f64() < self.fail_rate {
            return Some(match self.rng.u8(0..20) {
                0..=8 => ReadFault::RateLimit,
                9..=17 => ReadFault::ServerError,
                _ => ReadFault::Stall,
            });
        }
        None
    }

    /// Decides the fate of the next order save, and counts the fault: the scripted queue
    /// first, then the dice.
    pub(super) fn on_save(&mut self) -> Option<SaveFault> {
        let fault = self.roll_save();
        if let Some(f) = fault {
            *self.served.entry(f.name()).or_default() += 1;
        }
        fault
    }

    /// Whether this order save is the one to hold, and where.
    pub(super) fn hold_this_save(&mut self) -> Option<HoldPhase> {
        let hold = self.hold_order_save.as_mut()?;
        if hold.skip > 0 {
            hold.skip -= 1;
            return None;
        }
        let phase = hold.phase;
        self.hold_order_save = None;
        *self.served.entry("hold").or_default() += 1;
        Some(phase)
    }

    fn roll_save(&mut self) -> Option<SaveFault> {
        if let Some(f) = self.next_order_saves.pop_front() {
            return Some(f);
        }
        if self.fail_rate > 0.0 && self.rng.f64() < self.fail_rate {
            return Some(match self.rng.u8(0..3) {
                0 => SaveFault::FailBeforeCommit,
                1 => SaveFault::CommitThen500,
                _ => SaveFault::CommitThenDrop,
            });
        }
        None
    }
}

/// A probability clamped to 0..=1 (NaN counts as 0).
pub(super) fn sanitize_rate(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

/// A response body that fails on its first poll: hyper then closes the connection without
/// writing the (still buffered) response head, so the client sees a transport error.
#[derive(Debug)]
struct Broken;

impl HttpBody for Broken {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "sandbox fault: connection dropped after commit",
        ))))
    }

    fn is_end_stream(&self) -> bool {
        false
    }
}

/// The body of a dropped connection.
pub(super) fn dropped_body() -> Body {
    Body::new(Broken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nth_read_fails_and_the_save_queue_comes_first() {
        let mut f = Faults::new(0.0, OrderStatusMode::Succeed, Duration::ZERO, 7);
        f.read_fault_every = Some(EveryNth {
            every: 2,
            kind: ReadFault::RateLimit,
        });
        let got: Vec<_> = (0..4).map(|_| f.on_read()).collect();
        assert_eq!(
            got,
            [
                None,
                Some(ReadFault::RateLimit),
                None,
                Some(ReadFault::RateLimit)
            ]
        );
        f.next_order_saves.push_back(SaveFault::CommitThenDrop);
        assert_eq!(f.on_save(), Some(SaveFault::CommitThenDrop));
        assert_eq!(f.on_save(), None);
    }

    #[test]
    fn save_faults_have_the_documented_names() {
        let all: Vec<SaveFault> = serde_json::from_str(
            r#"["fail_before_commit", "commit_then_500", "commit_then_drop"]"#,
        )
        .unwrap();
        assert_eq!(
            all,
            [
                SaveFault::FailBeforeCommit,
                SaveFault::CommitThen500,
                SaveFault::CommitThenDrop
            ]
        );
        let kinds: Vec<ReadFault> =
            serde_json::from_str(r#"["rate_limit", "server_error", "stall"]"#).unwrap();
        assert_eq!(kinds.len(), 3);
    }

    #[test]
    fn random_faults_replay_with_the_same_seed() {
        let run = |seed| {
            let mut f = Faults::new(0.5, OrderStatusMode::Succeed, Duration::ZERO, seed);
            (0..50).map(|_| f.on_read()).collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert!(run(3).iter().any(Option::is_some));
        assert!(run(3).iter().any(Option::is_none));
        assert_eq!(sanitize_rate(f64::NAN), 0.0);
        assert_eq!(sanitize_rate(2.0), 1.0);
    }
}
