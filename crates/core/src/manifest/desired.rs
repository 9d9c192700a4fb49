//! What the manifests ask for, after loading: one [`DesiredPbx`] per `(sn, product)` with the
//! defaults applied and every value tied to the place it was written, so later stages (the
//! planner, observe) can name `file:line:column` in their errors.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{Cycle, Id, ProductId};

/// A position in a manifest file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

impl std::str::FromStr for Loc {
    type Err = ();

    /// `file:line:column`, as [`Loc`] displays (the file may hold colons).
    fn from_str(s: &str) -> Result<Loc, ()> {
        let mut parts = s.rsplitn(3, ':');
        let column = parts.next().and_then(|c| c.parse().ok()).ok_or(())?;
        let line = parts.next().and_then(|l| l.parse().ok()).ok_or(())?;
        let file = parts.next().filter(|f| !f.is_empty()).ok_or(())?;
        Ok(Loc {
            file: Arc::from(file),
            line,
            column,
        })
    }
}

/// A value and where it was written (for a default: where the default was written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Located<T> {
    pub value: T,
    pub at: Loc,
}

impl<T> Located<T> {
    pub fn new(value: T, at: Loc) -> Self {
        Located { value, at }
    }
}

/// A plan or service named in a manifest: by catalog name (matched case-insensitively) or ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CatalogRef {
    Name(String),
    Id(Id),
}

impl fmt::Display for CatalogRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatalogRef::Name(n) => f.write_str(n),
            CatalogRef::Id(id) => write!(f, "id {id}"),
        }
    }
}

/// A billing contact named in a manifest: e-mail address or numeric ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactRef {
    Email(String),
    Id(Id),
}

impl fmt::Display for ContactRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContactRef::Email(e) => f.write_str(e),
            ContactRef::Id(id) => write!(f, "{id}"),
        }
    }
}

/// Default renewal window when neither the PBX nor `defaults` sets `renewBefore`.
pub const DEFAULT_RENEW_BEFORE_DAYS: u32 = 30;

/// One `(sn, product)` entry of the manifests, defaults applied. `None` means "don't care": the
/// planner orders nothing for that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredPbx {
    /// Where the entry starts (its `sn:` key).
    pub at: Loc,
    pub sn: String,
    pub product: Located<ProductId>,
    pub plan: Option<Located<CatalogRef>>,
    pub billing_cycle: Option<Located<Cycle>>,
    /// Years per annual term (1..5).
    pub term: Option<Located<u32>>,
    /// TOTAL extensions wanted.
    pub extensions: Option<Located<u32>>,
    /// TOTAL concurrent calls wanted.
    pub concurrent_calls: Option<Located<u32>>,
    /// `None` = services not declared (don't care); `Some` = exactly these wanted.
    pub services: Option<Vec<Located<CatalogRef>>>,
    pub auto_renew: Option<Located<bool>>,
    /// Keep renewing (default true).
    pub renew: bool,
    /// Renew when the term ends within this many days (default 30).
    pub renew_before_days: Located<u32>,
    pub billing_contact: Option<Located<ContactRef>>,
    pub labels: BTreeMap<String, String>,
}

impl DesiredPbx {
    /// `SN (product)`, how messages name a PBX.
    pub fn key(&self) -> String {
        format!("{} ({})", self.sn, self.product.value)
    }
}
