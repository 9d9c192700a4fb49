//! The Partner API client (`docs/vendor-api.md`): authentication, the envelope, typed
//! endpoints L1–L9, order placement and auto-renewal, pagination, retries, the client-side rate
//! limit, and the ONE wire-to-model mapping module ([`mapping`]).
//!
//! Safety rules kept here:
//! - reads, the token request, price quotes and enabling auto-renewal (idempotent) are retried on
//!   transient failures; an order save is NEVER re-sent on a failure whose outcome is open — its
//!   outcome goes back to the caller as a [`SaveOutcome`];
//! - secrets (client secret, tokens) live in [`Secret`] and never reach a log or a message;
//! - plain `http://` is refused except to this machine.

mod auth;
mod client;
mod credentials;
mod endpoints;
mod error;
pub mod mapping;
mod order_list;
mod ratelimit;
mod secret;
mod transport;

pub use client::{Client, ClientConfig, DEFAULT_BASE_URL, RequestStats, SaveOutcome};
pub use credentials::{
    ConfigError, Credentials, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_CREDENTIALS_FILE,
};
pub use endpoints::order_path;
pub use error::{ApiError, Endpoint, MappingError};
pub use order_list::{ListOrder, OrderListCost, OrderListRead, WholeRead};
pub use order_list::{Shape, shape};
pub use secret::Secret;
pub use transport::USER_AGENT;
pub use transport::{Answer, Request};
mod vendor;
