//! The result of an apply: one line per order with its outcome, order number and what it
//! cost (charged, as the vendor's order list says; else the plan's quote), the total charged,
//! then what to do next.

use std::io::{self, Write};

use super::{Style, money, plural};
use crate::apply::{ApplyReport, Outcome, Stop};

/// The report as JSON (`--format json`), with a final newline.
pub(crate) fn write_apply_json(r: &ApplyReport, w: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, r)?;
    writeln!(w)
}

pub(crate) fn write_apply_text(r: &ApplyReport, color: bool, w: &mut impl Write) -> io::Result<()> {
    let c = color;
    writeln!(
        w,
        "{} {} done, {} pending, {} failed, {} unknown, {} skipped.",
        Style::Bold.paint(&format!("Applied {}:", r.plan_id), c),
        r.count(Outcome::Done),
        r.count(Outcome::Pending),
        r.count(Outcome::Failed),
        r.count(Outcome::Unknown),
        r.count(Outcome::Skipped),
    )?;
    for o in &r.orders {
        let (mark, style, word) = match o.outcome {
            Outcome::Done => ("✓", Style::Add, "done"),
            Outcome::Pending => ("…", Style::Change, "pending"),
            Outcome::Skipped => ("-", Style::Dim, "skipped"),
            Outcome::Failed => ("✗", Style::Error, "failed"),
            Outcome::Unknown => ("?", Style::Warn, "unknown"),
        };
        let mut line = format!(
            "  {} {:<8} {} ({}) {}",
            style.paint(mark, c),
            style.paint(word, c),
            o.sn,
            o.product,
            o.kind
        );
        if let Some(n) = &o.order_no {
            line.push_str(&format!("  order {n}"));
        }
        match (&o.charged, &o.price) {
            (Some(charged), Some(quoted)) if charged != quoted => line.push_str(&format!(
                "  charged {} (quoted {})",
                money(charged),
                money(quoted)
            )),
            (Some(charged), _) => line.push_str(&format!("  charged {}", money(charged))),
            (None, Some(quoted)) => line.push_str(&format!("  quoted {}", money(quoted))),
            (None, None) => {}
        }
        if let Some(po) = &o.po_number {
            line.push_str(&format!("  {}", Style::Dim.paint(po.as_str(), c)));
        }
        writeln!(w, "{line}")?;
        if let Some(m) = &o.message {
            writeln!(w, "      {m}")?;
        }
    }
    if let Some(all) = super::totals(&r.charged()) {
        let n = r.orders.iter().filter(|o| o.charged.is_some()).count();
        writeln!(
            w,
            "Charged {all} for {}, as the vendor's order list says.",
            plural(n, "order", "orders")
        )?;
    }
    match r.stopped_by {
        Some(Stop::Journal) => writeln!(
            w,
            "Stopped: the journal could not be written, and no order is sent without its record; orders not started were skipped. Fix the journal's disk or backend, then re-run `entitle apply`."
        )?,
        Some(Stop::LockLost) => writeln!(
            w,
            "Stopped: this apply lost its lock on the shared backend (its database session ended) and another apply took it; any order not started was skipped. Re-run `entitle apply` once the other has finished."
        )?,
        Some(s) => writeln!(
            w,
            "Interrupted ({}): orders not started were skipped; re-run `entitle apply` to continue.",
            match s {
                Stop::Sigterm => "SIGTERM",
                Stop::Sighup => "SIGHUP",
                _ => "Ctrl-C",
            }
        )?,
        None if r.interrupted => writeln!(
            w,
            "Interrupted: orders not started were skipped; re-run `entitle apply` to continue."
        )?,
        None => {}
    }
    if r.lock_session_ended {
        writeln!(
            w,
            "Note: this apply's lock session on the shared backend ended during the run (a restart, an idle timeout, an operator); no other apply took the lock (its fencing token is unchanged), so every order was still fenced. If it recurs, check the server's idle_session_timeout and connection limits."
        )?;
    }
    let unknown = r.count(Outcome::Unknown);
    if unknown > 0 {
        writeln!(
            w,
            "{} outcome is unknown; the next `entitle plan` or `entitle apply` looks for them in the order list and on their PBXs, and never re-sends one without proof it was not placed (their PBXs stay in doubt for up to the settle period).",
            plural(unknown, "order's", "orders'")
        )?;
    }
    let pending = r.count(Outcome::Pending);
    if pending > 0 {
        writeln!(
            w,
            "{} awaiting payment; nothing more is ordered for those PBXs until paid.",
            plural(pending, "order is", "orders are")
        )?;
    }
    Ok(())
}
