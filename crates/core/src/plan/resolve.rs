//! Resolving manifest names and IDs against the catalog and the account, case-insensitively,
//! with a suggestion when a name is close to a real one.

use crate::manifest::CatalogRef;
use crate::model::{Catalog, Id, OfferedPlan, OfferedService};

/// Does a manifest reference name this (id, name)?
pub(super) fn refers_to(r: &CatalogRef, id: Id, name: &str) -> bool {
    match r {
        CatalogRef::Id(want) => *want == id,
        CatalogRef::Name(want) => want.trim().eq_ignore_ascii_case(name.trim()),
    }
}

/// Why a reference did not resolve, with the closest real name when there is one.
pub(super) struct Unresolved {
    pub suggestion: Option<String>,
    pub known: Vec<String>,
}

fn unresolved<'a>(r: &CatalogRef, names: impl Iterator<Item = &'a str> + Clone) -> Unresolved {
    let suggestion = match r {
        CatalogRef::Name(n) => crate::manifest::suggest(n, names.clone()).map(str::to_owned),
        CatalogRef::Id(_) => None,
    };
    Unresolved {
        suggestion,
        known: names.map(str::to_owned).collect(),
    }
}

pub(super) fn plan<'c>(cat: &'c Catalog, r: &CatalogRef) -> Result<&'c OfferedPlan, Unresolved> {
    cat.plans
        .iter()
        .find(|p| refers_to(r, p.id, &p.name))
        .ok_or_else(|| unresolved(r, cat.plans.iter().map(|p| p.name.as_str())))
}

pub(super) fn service<'c>(
    cat: &'c Catalog,
    r: &CatalogRef,
) -> Result<&'c OfferedService, Unresolved> {
    cat.services
        .iter()
        .find(|s| refers_to(r, s.id, &s.name))
        .ok_or_else(|| {
            unresolved(
                r,
                cat.services
                    .iter()
                    .filter(|s| !s.kind.is_capacity())
                    .map(|s| s.name.as_str()),
            )
        })
}

/// "did you mean `X`?" or the list of valid names.
pub(super) fn help(u: &Unresolved, what: &str) -> String {
    match &u.suggestion {
        Some(s) => format!("did you mean `{s}`?"),
        None if u.known.is_empty() => format!("the catalog lists no {what}s"),
        None => format!(
            "the catalog's {what}s are: {}",
            u.known
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
