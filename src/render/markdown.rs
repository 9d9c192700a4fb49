//! The plan as Markdown for a pull-request comment: totals up front, one collapsible section
//! per customer (the `customer` label, else the manifest file), manual items and orders in
//! flight called out.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{money, plural, totals};
use crate::plan::{Effective, PbxPlan, Plan};

/// Escapes what Markdown tables and inline text would misread.
fn esc(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn customer(p: &PbxPlan) -> String {
    if let Some(c) = p.labels.get("customer") {
        return c.clone();
    }
    let file = p.source.split(':').next().unwrap_or(&p.source);
    std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_owned())
}

pub(crate) fn write_plan_markdown(plan: &Plan, w: &mut impl Write) -> io::Result<()> {
    let s = plan.summary();
    if plan.has_changes() {
        write!(
            w,
            "### entitle plan: {} for {}",
            plural(s.orders, "order", "orders"),
            plural(s.changed, "PBX", "PBXs")
        )?;
        match totals(&s.totals) {
            Some(t) if s.unpriced > 0 => writeln!(
                w,
                ", {t} (without {} that got no price)",
                plural(s.unpriced, "order", "orders")
            )?,
            Some(t) => writeln!(w, ", {t}")?,
            None => writeln!(w)?,
        }
    } else {
        writeln!(w, "### entitle plan: no changes")?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "| PBXs in scope | changing | orders | auto-renew | manual | in flight | unchanged |"
    )?;
    writeln!(w, "|---:|---:|---:|---:|---:|---:|---:|")?;
    writeln!(
        w,
        "| {} | {} | {} | {} | {} | {} | {} |",
        s.pbxs, s.changed, s.orders, s.auto_renew_switches, s.manual, s.in_flight, s.unchanged
    )?;

    let mut groups: BTreeMap<String, Vec<&PbxPlan>> = BTreeMap::new();
    for p in &plan.pbxs {
        if p.has_changes()
            || !p.manual.is_empty()
            || !p.in_flight.is_empty()
            || !p.in_doubt.is_empty()
        {
            groups.entry(customer(p)).or_default().push(p);
        }
    }
    for (name, pbxs) in groups {
        let orders: usize = pbxs
            .iter()
            .map(|p| p.actions.iter().filter(|a| a.order.is_some()).count())
            .sum();
        writeln!(w)?;
        writeln!(
            w,
            "<details><summary><b>{}</b>: {}, {}</summary>",
            esc(&name),
            plural(pbxs.len(), "PBX", "PBXs"),
            plural(orders, "order", "orders")
        )?;
        writeln!(w)?;
        for p in pbxs {
            writeln!(w, "**{}** — `{}`", esc(&p.key()), esc(&p.source))?;
            writeln!(w)?;
            for a in &p.actions {
                let price = match (&a.price, &a.price_error) {
                    (Some(p), _) => format!(" — {}", money(p)),
                    (None, Some(why)) => format!(" — price unknown: {}", esc(why)),
                    (None, None) => String::new(),
                };
                writeln!(w, "- `{}`: {}{}", a.kind, esc(&a.reason), price)?;
                for ch in &a.changes {
                    match &ch.before {
                        None => writeln!(w, "  - `+` {}: {}", ch.field, esc(&ch.after))?,
                        Some(b) => {
                            writeln!(w, "  - `~` {}: {} → {}", ch.field, esc(b), esc(&ch.after))?
                        }
                    }
                }
                if let Effective::AtExpiry { date } = &a.effective {
                    writeln!(w, "  - in force from {date}")?;
                }
            }
            for m in &p.manual {
                writeln!(
                    w,
                    "- :warning: manual: {} {} → {} — {}",
                    m.field,
                    esc(&m.current),
                    esc(&m.wanted),
                    esc(&m.reason)
                )?;
            }
            for o in &p.in_flight {
                writeln!(
                    w,
                    "- :hourglass: in flight: {} `{}` {}",
                    o.order_no, o.operation_type, o.status
                )?;
            }
            for b in &p.blocked {
                writeln!(w, "- :x: not planned: {}", esc(b))?;
            }
            for d in &p.in_doubt {
                writeln!(
                    w,
                    "- :question: in doubt: `{}` since {}: {}; nothing is ordered before {}",
                    d.operation_type,
                    crate::clock::Timestamp(d.since_ms),
                    esc(&d.reason),
                    crate::clock::Timestamp(d.until_ms)
                )?;
            }
            writeln!(w)?;
        }
        writeln!(w, "</details>")?;
    }
    writeln!(w)?;
    writeln!(w, "<sub>plan `{}` for {}</sub>", plan.plan_id, plan.today)?;
    Ok(())
}
