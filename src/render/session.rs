//! What a session tells the user on stderr: its notices (the clock, the locks, the leftovers
//! of earlier applies, prices it could not get) and why a saved plan is refused.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::Path;

use entitle_engine::session::{Notice, Refusal};

use crate::clock::Timestamp;
use crate::model::PbxDoubt;
use crate::plan::Plan;
use crate::words::{plural, span};

/// Writes each notice as its lines.
pub(crate) fn write_notices(notices: &[Notice], w: &mut impl Write) -> io::Result<()> {
    for notice in notices {
        match notice {
            Notice::ClockSkew { skew_ms } => writeln!(
                w,
                "warning: this machine's clock is {} {} the vendor's (its Date header); today's date and every settle and in-doubt window are taken from the vendor's clock",
                span(skew_ms.unsigned_abs()),
                if *skew_ms > 0 { "ahead of" } else { "behind" }
            )?,
            Notice::WaitedForLock { waited } => writeln!(
                w,
                "waited {:.1}s for another apply of this account to finish",
                waited.as_secs_f64()
            )?,
            Notice::WorkspaceBusy { reason } => writeln!(
                w,
                "warning: {reason}; the orders it has not settled yet count as in doubt in this plan"
            )?,
            Notice::Resolved(res) => {
                for found in &res.found {
                    writeln!(
                        w,
                        "resolved: order {} of an earlier apply exists as {} ({})",
                        found.po_number, found.order_no, found.status
                    )?;
                }
                for took in &res.took_effect {
                    writeln!(
                        w,
                        "resolved: order {} of an earlier apply is not listed, but {} changed since it was sent; taken as placed",
                        took.po_number, took.sn
                    )?;
                }
                for po in &res.absent {
                    writeln!(
                        w,
                        "resolved: order {po} of an earlier apply left no trace within the settle period: never placed; planning it again"
                    )?;
                }
                for PbxDoubt { sn, doubt: d, .. } in &res.in_doubt {
                    writeln!(
                        w,
                        "in doubt: order {} for {sn} sent at {}: {}; nothing more is ordered for {sn} until it shows or {} passes",
                        d.po_number.as_ref().map_or("?", |po| po.as_str()),
                        Timestamp(d.since_ms),
                        d.reason,
                        Timestamp(d.until_ms)
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// Why a saved plan is refused, what it found, and what to do next.
pub(crate) fn write_refusal(refusal: &Refusal, w: &mut impl Write) -> io::Result<()> {
    const AGAIN: &str = "run `entitle plan -o` again and review the new plan";
    match refusal {
        Refusal::Corrupt(e) => {
            writeln!(
                w,
                "error: refusing a corrupt plan: {}; nothing was sent",
                error_chain(e)
            )?;
            writeln!(w, "{AGAIN}")
        }
        Refusal::OtherAccount {
            plan_id,
            plan_account,
            base_url,
        } => {
            let made_for = if plan_account.is_empty() {
                "an account it does not record (it was saved by an older entitle)".to_owned()
            } else {
                format!("another vendor account (key {plan_account})")
            };
            writeln!(
                w,
                "error: refusing plan {plan_id}: it was made for {made_for}, not for the account this run applies to ({base_url} with this client ID); nothing was sent"
            )?;
            writeln!(
                w,
                "run `entitle plan -o` against this account and review the new plan"
            )
        }
        Refusal::FromTheFuture {
            plan_id,
            observed_at_ms,
            now_ms,
        } => {
            writeln!(
                w,
                "error: refusing plan {plan_id}: it says the account was read at {}, later than the vendor's time now ({}); was it made with --now ahead? nothing was sent",
                Timestamp(*observed_at_ms),
                Timestamp(*now_ms)
            )?;
            writeln!(
                w,
                "run `entitle plan -o` without --now and review the new plan"
            )
        }
        Refusal::Edited { path, edits } => {
            writeln!(
                w,
                "error: refusing an edited plan: {} is not what entitle planned from the state it records; nothing was sent",
                path.display()
            )?;
            for e in edits {
                writeln!(w, "  ~ {e}")?;
            }
            writeln!(w, "{AGAIN}")
        }
        Refusal::AlreadyApplied { plan_id, journal } => writeln!(
            w,
            "error: refusing to replay plan {plan_id}: it was applied before (it is in {}); plans apply once: run `entitle plan -o` again",
            journal.display()
        ),
        Refusal::HasErrors { plan_id, errors } => {
            writeln!(w, "{errors}")?;
            writeln!(
                w,
                "error: refusing plan {plan_id}: {} of its manifests {} wrong; nothing was sent",
                plural(errors.len(), "entry", "entries"),
                if errors.len() == 1 { "is" } else { "are" }
            )?;
            writeln!(w, "fix the manifests, then {AGAIN}")
        }
        Refusal::Stale(stale) => {
            writeln!(
                w,
                "error: the saved plan is stale: {} changed since it was made; nothing was sent",
                stale.len()
            )?;
            for moved in stale {
                writeln!(w, "  ~ {}: {}", moved.pbx, moved.changes.join("; "))?;
            }
            writeln!(w, "{AGAIN}")
        }
        Refusal::Replayed { plan_id, evidence } => {
            writeln!(
                w,
                "error: refusing plan {plan_id}: the vendor's order list shows it applied, or its PBXs ordered for, since it was made (from another checkout or machine?); nothing was sent"
            )?;
            for e in evidence {
                writeln!(w, "  ~ {}: {}", e.pbx, e.order)?;
            }
            writeln!(w, "{AGAIN}")
        }
        Refusal::NotSettled { plan_id, holds } => {
            for h in holds {
                writeln!(w, "in doubt: {}: {}", h.pbx, h.hold.reason())?;
            }
            let pbxs: BTreeSet<&String> = holds.iter().map(|h| &h.pbx).collect();
            writeln!(
                w,
                "error: refusing to apply plan {plan_id} now: it orders for {} with an order of this workspace not settled yet; nothing was sent",
                plural(pbxs.len(), "PBX", "PBXs")
            )?;
            // An order awaiting payment holds the plan until it settles, whatever the others'
            // times.
            if holds.iter().any(|h| h.hold.until_ms().is_none()) {
                writeln!(
                    w,
                    "re-run once the order awaiting payment is paid or cancelled"
                )
            } else if let Some(until) = holds.iter().filter_map(|h| h.hold.until_ms()).max() {
                writeln!(
                    w,
                    "re-run after {}: the plan applies then if nothing moved, or is refused as stale if the order showed",
                    Timestamp(until)
                )
            } else {
                Ok(())
            }
        }
    }
}

/// An error and its sources on one line, each said once: "a: b: c" (a message that already
/// holds its source's text does not repeat it).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = String::new();
    let mut next = Some(e);
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
        next = cause.source();
    }
    line
}

/// Where a plan was saved, and how to apply it.
pub(crate) fn write_saved(
    plan: &Plan,
    path: &Path,
    over_limits: bool,
    w: &mut impl Write,
) -> io::Result<()> {
    if over_limits && !plan.has_errors() && !plan.is_refused() {
        return writeln!(
            w,
            "Saved plan {id} to {p}; it breaks its spend limits, so `entitle apply` sends nothing of it unless a person approves this plan: `entitle apply {p} --override-policy {id}`.",
            id = plan.plan_id,
            p = path.display()
        );
    }
    if plan.has_errors() {
        return writeln!(
            w,
            "Saved plan {} to {}; `entitle apply` refuses it while its manifests have errors: fix them and plan again.",
            plan.plan_id,
            path.display()
        );
    }
    if plan.is_refused() {
        return writeln!(
            w,
            "Saved plan {} to {}; `entitle apply` sends nothing of it: the vendor refuses an order of it. Change the manifests and plan again.",
            plan.plan_id,
            path.display()
        );
    }
    writeln!(
        w,
        "Saved plan {} to {}; apply it with `entitle apply {}`.",
        plan.plan_id,
        path.display(),
        path.display()
    )
}

/// Each spend limit the plan breaks, one `error:` line each, with the figures.
pub(crate) fn write_violations(
    violations: &[crate::policy::Violation],
    w: &mut impl Write,
) -> io::Result<()> {
    for v in violations {
        let at = v.at.as_ref().map(|a| format!("{a}: ")).unwrap_or_default();
        writeln!(w, "error: {at}{} {}", v.limit, super::violation_words(v))?;
    }
    if !violations.is_empty() {
        writeln!(
            w,
            "error: the plan breaks {}: nothing of it is applied",
            plural(violations.len(), "spend limit", "spend limits")
        )?;
    }
    Ok(())
}

/// What the plan cannot carry out, one `error:` line each: PBXs that could not be planned, and
/// orders the vendor's calculator refused (whose words the plan shows on the order).
pub(crate) fn write_blocked(plan: &Plan, w: &mut impl Write) -> io::Result<()> {
    for b in plan.pbxs.iter().flat_map(|p| &p.blocked) {
        writeln!(w, "error: {b}")?;
    }
    for p in &plan.pbxs {
        for a in p.actions.iter().filter(|a| a.refused.is_some()) {
            writeln!(
                w,
                "error: {}: the vendor refuses {} for {}; nothing of this plan is applied until the manifest changes",
                p.source,
                a.kind,
                p.key()
            )?;
        }
    }
    Ok(())
}

/// Before an apply on a terminal: the plan's summary again, with its total, and the question.
pub(crate) fn write_confirmation(plan: &Plan, color: bool, w: &mut impl Write) -> io::Result<()> {
    writeln!(w)?;
    super::write_summary(plan, color, w)?;
    write!(w, "Place them? They cost money. Only `yes` is accepted: ")
}
