//! The sandbox: a stateful, rule-enforcing simulator of the Partner API (`shared/partner-api.md`)
//! served by axum. It imports the vendor's serde types from [`crate::wire`] and nothing of
//! `api`, `plan` or `apply`, so it cannot share (and hide) a bug of the client.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::date::Date;

/// The initial state of a new sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seed {
    /// Exactly the table of partner-api section 7.
    Demo,
    /// N PBXs spread over the four products and states, deterministic.
    Fleet(usize),
    /// Only the catalog and the billing contact.
    Empty,
}

/// What a new order's status is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatusMode {
    Succeed,
    Pending,
}

/// How a sandbox is started.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Port 0 picks a free port; the bound address is in [`RunningSandbox::addr`].
    pub listen: SocketAddr,
    /// Persisted atomically after every change; loaded when it exists (the seed is then unused).
    pub state_file: Option<PathBuf>,
    pub seed: Seed,
    /// "Today" for expiry dates and effects; the system date (UTC) when `None`.
    pub today: Option<Date>,
    /// Added to every vendor-API response.
    pub latency_ms: u64,
    /// Probability of an injected fault per request (reads and order saves).
    pub fail_rate: f64,
    pub order_status: OrderStatusMode,
    /// Accepted credentials.
    pub client_id: String,
    pub client_secret: String,
    /// Seed of the fault dice, so a run can be replayed.
    pub rng_seed: u64,
}

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read sandbox state {path}: {reason}; delete it to start from the seed")]
    State { path: PathBuf, reason: String },
}

/// A sandbox serving on a tokio runtime; stops when [`RunningSandbox::shutdown`] is called or
/// when dropped.
#[derive(Debug)]
pub struct RunningSandbox {
    pub addr: SocketAddr,
}

/// Starts a sandbox on the current tokio runtime.
pub async fn start(_config: SandboxConfig) -> Result<RunningSandbox, SandboxError> {
    unimplemented!("built by the sandbox issue")
}
