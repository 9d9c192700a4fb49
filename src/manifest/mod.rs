//! Manifests: the v1 model (serde + schemars), loading files and directories, located
//! diagnostics, and validation against the published JSON Schema.

mod desired;
mod suggest;

pub use suggest::suggest;

pub use desired::{CatalogRef, ContactRef, DEFAULT_RENEW_BEFORE_DAYS, DesiredPbx, Loc, Located};
