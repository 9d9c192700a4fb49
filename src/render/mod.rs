//! Every format entitle prints, for people and machines: plans and apply results (text, JSON,
//! Markdown), the session's notices and refusals, the catalog, doctor's report, manifest
//! diagnostics (text, snippets, JSON, GitHub annotations, SARIF). Each writes to any
//! `impl Write`; colour is a setting passed in, never detected here. Only this module and
//! `cli` may print (the workspace's lints deny it elsewhere).
// With `cli`, the one place allowed to print (Cargo.toml denies it elsewhere).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

mod apply;
mod catalog;
mod diagnostics;
mod doctor;
mod environment;
mod failure;
mod forecast;
mod json;
mod markdown;
mod sarif;
mod session;
mod style;
mod text;
mod validate;

pub(crate) use apply::{write_apply_json, write_apply_text};
pub(crate) use catalog::{write_catalog_json, write_catalog_markdown, write_catalog_text};
pub(crate) use diagnostics::{write_diagnostics, write_plan_errors, write_plan_refused};
pub(crate) use doctor::{
    write_doctor_price_notice, write_doctor_report, write_doctor_samples, write_doctor_verdict,
};
pub(crate) use environment::{EnvWarning, write_env_warnings};
pub(crate) use failure::{Failure, write_failure_json, write_failure_markdown};
pub(crate) use forecast::{
    write_forecast_csv, write_forecast_ics, write_forecast_json, write_forecast_markdown,
    write_forecast_text,
};
pub(crate) use json::write_plan_json;
pub(crate) use markdown::write_plan_markdown;
pub(crate) use markdown::{DEFAULT_MAX_CHARS, MarkdownOptions, PolicyVerdict};
pub(crate) use sarif::write_sarif;
pub(crate) use session::{
    error_chain, write_blocked, write_confirmation, write_notices, write_refusal, write_saved,
    write_violations,
};
pub(crate) use style::Style;
pub(crate) use text::{TextOptions, write_plan_text, write_summary};
pub(crate) use validate::{
    write_github_annotations, write_invalid, write_valid, write_validation_json,
};

use crate::model::Price;

/// `USD 1,180.00`: grouped for reading; the JSON keeps the vendor's string.
pub(crate) fn money(p: &Price) -> String {
    crate::plan::money::grouped(p)
}

/// "USD 1,180.00 + EUR 20.00", or `None` when nothing was priced.
pub(crate) fn totals(prices: &[Price]) -> Option<String> {
    (!prices.is_empty()).then(|| prices.iter().map(money).collect::<Vec<_>>().join(" + "))
}

pub(crate) use crate::words::plural;

/// "4 orders and 1 auto-renew switch": what a plan does, as every format's headline says it.
pub(crate) fn what_it_does(s: &crate::plan::Summary) -> String {
    let mut parts = vec![plural(s.orders, "order", "orders")];
    if s.auto_renew_switches > 0 {
        parts.push(plural(
            s.auto_renew_switches,
            "auto-renew switch",
            "auto-renew switches",
        ));
    }
    parts.join(" and ")
}

#[cfg(test)]
mod tests;

/// What `--only` left out of a plan, as its headline says it: `2 PBXs held back by --only
/// renew_plan: they have other changes, not ordered here`.
pub(crate) fn held_back_title(plan: &crate::plan::Plan) -> Option<String> {
    if plan.held_back.is_empty() {
        return None;
    }
    let only: Vec<&str> = plan
        .selection
        .operations
        .iter()
        .map(|k| k.as_str())
        .collect();
    Some(format!(
        "{} held back by --only {}: {} other changes, not ordered here",
        plural(plan.held_back.len(), "PBX", "PBXs"),
        only.join(","),
        if plan.held_back.len() == 1 {
            "it has"
        } else {
            "they have"
        }
    ))
}

/// A violated limit in words, as stderr and the PR comment say it (after the limit's name):
/// `USD 1,000.00 for customer acme: the plan would spend USD 1,100.00; USD 1,100.00 is over
/// USD 1,000.00`.
pub(crate) fn violation_words(v: &crate::policy::Violation) -> String {
    let verb = if v.limit == "operations" {
        "place"
    } else if v.limit.starts_with("maxIncrease") {
        "add"
    } else {
        "spend"
    };
    let subject = v
        .subject
        .as_ref()
        .map(|s| format!(" for {s}"))
        .unwrap_or_default();
    format!(
        "{}{subject}: the plan would {verb} {}; {}",
        v.allowed, v.planned, v.reason
    )
}

/// The drift findings a PBX's block shows: a renewal that fell due is said by the renewal's own
/// line (JSON keeps the finding), and the finding every changing PBX shares (`common`) is said
/// once for all of them.
pub(crate) fn shown_drift<'a>(
    p: &'a crate::plan::PbxPlan,
    common: Option<&'a str>,
) -> impl Iterator<Item = &'a crate::plan::DriftFinding> {
    p.drift.iter().filter(move |f| {
        f.cause != crate::plan::DriftCause::RenewalDue && common != Some(f.detail.as_str())
    })
}

/// The "cannot tell" every PBX with changes shares, word for word, when more than one has
/// changes (a workspace that never applied them, as on a first run): said once, in the summary.
pub(crate) fn common_drift(plan: &crate::plan::Plan) -> Option<&str> {
    let mut changing = plan.pbxs.iter().filter(|p| p.has_changes());
    fn unknown(p: &crate::plan::PbxPlan) -> Option<&str> {
        let mut it = p
            .drift
            .iter()
            .filter(|f| f.cause != crate::plan::DriftCause::RenewalDue);
        match (it.next(), it.next()) {
            (Some(f), None) if f.cause == crate::plan::DriftCause::Unknown => {
                Some(f.detail.as_str())
            }
            _ => None,
        }
    }
    let first = unknown(changing.next()?)?;
    let mut n = 1;
    for p in changing {
        if unknown(p) != Some(first) {
            return None;
        }
        n += 1;
    }
    (n > 1).then_some(first)
}
