//! The plan for people: a summary first, then one block per PBX that changes (`+` added, `~`
//! changed, before → after, the reason, the price), then manual items and orders in flight
//! apart; unchanged PBXs are counted, not listed.

use std::io::{self, Write};

use crate::clock::Timestamp;

use super::{Style, money, plural, totals};
use crate::model::Id;
use crate::plan::{Action, Effective, PbxPlan, Plan};

/// How the text plan is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TextOptions {
    pub color: bool,
    /// Show each order's exact body (as JSON) under it.
    pub show_bodies: bool,
}

pub(crate) fn write_plan_text(
    plan: &Plan,
    opts: TextOptions,
    w: &mut impl Write,
) -> io::Result<()> {
    let c = opts.color;
    let s = plan.summary();
    write_summary(plan, c, w)?;
    writeln!(
        w,
        "{}",
        Style::Dim.paint(&format!("plan {} for {}", plan.plan_id, plan.today), c)
    )?;
    // The errors themselves are shown once, where every plan error is (stderr); here, what
    // they mean for this plan.
    let errors = plan.errors.len();
    if errors > 0 {
        let (entries, fixed) = if errors == 1 {
            ("its manifest entry has an error", "it is")
        } else {
            ("their manifest entries have errors", "they are")
        };
        writeln!(
            w,
            "{}",
            Style::Error.paint(
                &format!(
                    "{} not planned: {entries}. No order of this plan is placed until {fixed} fixed.",
                    plural(errors, "PBX", "PBXs")
                ),
                c
            )
        )?;
    }

    // Why every changing PBX differs, when they all share it, once.
    let common = super::common_drift(plan);
    if let Some(why) = common {
        writeln!(
            w,
            "{}",
            Style::Dim.paint(
                &format!("For each PBX below, cannot tell whether the account or the manifest changed: {why}"),
                c
            )
        )?;
    }
    // One reason for every price unknown is said once, in the summary.
    let said = unpriced_reasons(plan).len() == 1;
    for p in plan.pbxs.iter().filter(|p| p.has_changes()) {
        writeln!(w)?;
        write_pbx(p, opts, said, common, w)?;
    }

    let upcoming: Vec<_> = plan
        .pbxs
        .iter()
        .flat_map(|p| p.upcoming.iter().map(move |a| (p, a)))
        .collect();
    if !upcoming.is_empty() {
        writeln!(w)?;
        let cost = totals(&s.upcoming_totals)
            .map(|t| format!(", {t}"))
            .unwrap_or_default();
        writeln!(w, "Upcoming renewals, not ordered ({}{cost}):", s.upcoming)?;
        for (p, a) in upcoming {
            writeln!(w, "  {}: {}", p.key(), a.reason)?;
            let price = match (&a.price, &a.price_error) {
                (Some(price), _) => format!("it would cost {}", money(price)),
                (None, Some(why)) => format!("price unknown: {why}"),
                (None, None) => "not priced".to_owned(),
            };
            let dates = a
                .changes
                .iter()
                .find(|c| c.field == "expires")
                .map(|c| {
                    format!(
                        "expires {} → {}; ",
                        c.before.as_deref().unwrap_or("?"),
                        c.after
                    )
                })
                .unwrap_or_default();
            writeln!(
                w,
                "      {}",
                Style::Dim.paint(&format!("{dates}{price}"), c)
            )?;
        }
    }

    if let Some(title) = super::held_back_title(plan) {
        writeln!(w)?;
        writeln!(w, "{}", Style::Warn.paint(&format!("{title}:"), c))?;
        for h in &plan.held_back {
            let ops: Vec<&str> = h.operations.iter().map(|k| k.as_str()).collect();
            writeln!(
                w,
                "  {}: {}  {}",
                h.key(),
                ops.join(", "),
                Style::Dim.paint(&h.source, c)
            )?;
        }
    }

    let manual: Vec<_> = plan.pbxs.iter().filter(|p| !p.manual.is_empty()).collect();
    if !manual.is_empty() {
        writeln!(w)?;
        writeln!(
            w,
            "{}",
            Style::Warn.paint(
                "Manual changes (the API cannot make them; not attempted):",
                c
            )
        )?;
        for p in manual {
            for m in &p.manual {
                writeln!(
                    w,
                    "  ! {} {}: {} → {}",
                    p.key(),
                    m.field,
                    m.current,
                    m.wanted
                )?;
                writeln!(w, "      {}", m.reason)?;
            }
            // A PBX with changes said why under its own block.
            if !p.has_changes() {
                write_drift(p, None, "      ", c, w)?;
            }
        }
    }

    let in_flight: Vec<_> = plan
        .pbxs
        .iter()
        .filter(|p| !p.in_flight.is_empty())
        .collect();
    if !in_flight.is_empty() {
        writeln!(w)?;
        writeln!(
            w,
            "{}",
            Style::Warn.paint(
                "Orders in flight (nothing more is ordered for these PBXs):",
                c
            )
        )?;
        for p in in_flight {
            for o in &p.in_flight {
                writeln!(
                    w,
                    "  … {} {} {} {} ({})",
                    p.key(),
                    o.order_no,
                    o.operation_type,
                    o.status,
                    o.reference.as_deref().unwrap_or("no reference")
                )?;
            }
        }
    }

    let doubtful: Vec<_> = plan
        .pbxs
        .iter()
        .filter(|p| !p.in_doubt.is_empty())
        .collect();
    if !doubtful.is_empty() {
        writeln!(w)?;
        writeln!(
            w,
            "{}",
            Style::Warn.paint(
                "In doubt (an order's outcome or effect is not known yet; nothing more is ordered for these PBXs):",
                c
            )
        )?;
        for p in doubtful {
            for d in &p.in_doubt {
                let what = match (&d.po_number, &d.order_no) {
                    (Some(po), _) => po.to_string(),
                    (None, Some(no)) => no.clone(),
                    (None, None) => "an order".to_owned(),
                };
                writeln!(
                    w,
                    "  ? {} {} {what} since {}: {}",
                    p.key(),
                    d.operation_type,
                    Timestamp(d.since_ms),
                    d.reason
                )?;
            }
        }
        if let Some(until) = plan.doubt_until_ms() {
            writeln!(
                w,
                "  re-run after {}: by then each order is found, shows on its PBX, or is known never placed",
                Timestamp(until)
            )?;
        }
    }

    let notes: Vec<_> = plan
        .pbxs
        .iter()
        .filter(|p| {
            !p.has_changes()
                && p.in_flight.is_empty()
                && p.in_doubt.is_empty()
                && p.blocked.is_empty()
        })
        .flat_map(|p| p.notes.iter().map(move |n| (p, n)))
        .collect();
    if !notes.is_empty() {
        writeln!(w)?;
        writeln!(w, "Notes:")?;
        for (p, n) in notes {
            writeln!(w, "  - {}: {n}", p.key())?;
        }
    }

    if plan.has_changes() && s.unchanged > 0 {
        writeln!(w)?;
        writeln!(
            w,
            "{}",
            Style::Dim.paint(
                &format!("{} unchanged.", plural(s.unchanged, "PBX", "PBXs")),
                c
            )
        )?;
    }
    Ok(())
}

/// The plan's first line: what it orders, for how many PBXs, and the total price; or that
/// nothing changes.
pub(crate) fn write_summary(plan: &Plan, c: bool, w: &mut impl Write) -> io::Result<()> {
    let s = plan.summary();
    if !plan.has_changes() && !plan.held_back.is_empty() && s.in_doubt + s.errors == 0 {
        let rest = match s.pbxs {
            0 => "none other is in scope".to_owned(),
            n => format!("the other {} the manifests", plural(n, "matches", "match")),
        };
        writeln!(
            w,
            "{} {} held back by --only (listed below); {rest}.",
            Style::Bold.paint("No orders.", c),
            plural(plan.held_back.len(), "PBX", "PBXs"),
        )?;
    } else if !plan.has_changes() && s.in_doubt > 0 {
        writeln!(
            w,
            "{} {} of {} in scope in doubt; the rest match the manifests.",
            Style::Bold.paint("No orders.", c),
            s.in_doubt,
            plural(s.pbxs, "PBX", "PBXs")
        )?;
    } else if !plan.has_changes() && s.errors == s.pbxs {
        let what = if s.pbxs == 1 {
            "The PBX in scope could not be planned.".to_owned()
        } else {
            format!("None of the {} PBXs in scope could be planned.", s.pbxs)
        };
        writeln!(w, "{} {what}", Style::Bold.paint("No orders.", c))?;
    } else if !plan.has_changes() && s.errors > 0 {
        writeln!(
            w,
            "{} {} of {} in scope match the manifests.",
            Style::Bold.paint("No orders.", c),
            s.pbxs - s.errors,
            plural(s.pbxs, "PBX", "PBXs")
        )?;
    } else if !plan.has_changes() {
        writeln!(
            w,
            "{} {} in scope match the manifests.",
            Style::Bold.paint("No changes.", c),
            plural(s.pbxs, "PBX", "PBXs")
        )?;
    } else {
        let held = match plan.held_back.len() {
            0 => String::new(),
            n => format!(" ({n} more held back by --only)"),
        };
        write!(
            w,
            "{} {} for {} of {} in scope{held}",
            Style::Bold.paint("Plan:", c),
            super::what_it_does(&s),
            s.changed,
            plural(s.pbxs, "PBX", "PBXs"),
        )?;
        let why = unpriced_why(plan);
        match totals(&s.totals) {
            Some(t) if s.unpriced > 0 => writeln!(
                w,
                ", total {} {}.",
                Style::Bold.paint(&t, c),
                Style::Warn.paint(
                    &format!(
                        "without {} that got no price{why}",
                        plural(s.unpriced, "order", "orders")
                    ),
                    c
                )
            )?,
            Some(t) => writeln!(w, ", total {}.", Style::Bold.paint(&t, c))?,
            // Prices were asked for and none came: say so, rather than no total at all.
            None if !why.is_empty() && s.unpriced == s.orders => writeln!(
                w,
                ", {}.",
                Style::Warn.paint(
                    &format!(
                        "no total: none of its {} got a price{why}",
                        plural(s.orders, "order", "orders")
                    ),
                    c
                )
            )?,
            // Some orders refused, the others without a price.
            None if !why.is_empty() => writeln!(
                w,
                ", {}.",
                Style::Warn.paint(
                    &format!(
                        "no total: {} got no price{why}",
                        plural(s.unpriced, "order", "orders")
                    ),
                    c
                )
            )?,
            None => writeln!(w, ".")?,
        }
        if s.refused > 0 {
            writeln!(
                w,
                "{}",
                Style::Error.paint(
                    &format!(
                        "The vendor refuses {}: this plan cannot be applied until the manifests change.",
                        plural(s.refused, "order", "orders")
                    ),
                    c
                )
            )?;
        }
    }
    Ok(())
}

/// Why orders have no price, for the total: the one reason, or how many there are (each is
/// shown on its order as "price unknown: …"). Empty when no price was asked for.
fn unpriced_why(plan: &Plan) -> String {
    let reasons = unpriced_reasons(plan);
    match reasons.len() {
        0 => String::new(),
        1 => format!(" ({})", reasons.into_iter().next().unwrap_or_default()),
        n => format!(" ({n} reasons, each shown on its order as \"price unknown\")"),
    }
}

/// The distinct reasons orders got no price.
fn unpriced_reasons(plan: &Plan) -> std::collections::BTreeSet<&str> {
    plan.actions()
        .filter(|a| a.price.is_none())
        .filter_map(|a| a.price_error.as_deref())
        .collect()
}

/// `said`: the one reason prices are unknown is in the summary already.
fn write_pbx(
    p: &PbxPlan,
    opts: TextOptions,
    said: bool,
    common: Option<&str>,
    w: &mut impl Write,
) -> io::Result<()> {
    let c = opts.color;
    let labels = if p.labels.is_empty() {
        String::new()
    } else {
        format!(
            "  [{}]",
            p.labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    writeln!(
        w,
        "{} {}{}  {}",
        Style::Change.paint("~", c),
        Style::Bold.paint(&p.key(), c),
        labels,
        Style::Dim.paint(&p.source, c)
    )?;
    write_drift(p, common, "    ", c, w)?;
    for a in &p.actions {
        write_action(a, p, opts, said, w)?;
    }
    for n in &p.notes {
        writeln!(w, "    {}", Style::Dim.paint(&format!("note: {n}"), c))?;
    }
    Ok(())
}

/// Why the PBX differs from its manifest entry, one line per finding (docs/plan.md, "Drift").
fn write_drift(
    p: &PbxPlan,
    common: Option<&str>,
    indent: &str,
    c: bool,
    w: &mut impl Write,
) -> io::Result<()> {
    for f in super::shown_drift(p, common) {
        writeln!(w, "{indent}{}", Style::Dim.paint(&f.describe(), c))?;
    }
    Ok(())
}

/// The name of plan `id` as this PBX's plan shows it: the plan in force, or the one an order of
/// the plan switches or buys to.
fn plan_name(p: &PbxPlan, id: Id) -> Option<&str> {
    if let Some(plan) = p.observed.plan.as_ref().filter(|o| o.id == id) {
        return Some(&plan.name);
    }
    p.actions
        .iter()
        .filter(|a| {
            a.order.as_ref().is_some_and(|o| {
                o.service_list
                    .iter()
                    .any(|l| l.service_type == "plan" && l.service_id == id)
            })
        })
        .flat_map(|a| &a.changes)
        .find(|c| c.field == "plan")
        .map(|c| c.after.as_str())
}

fn write_action(
    a: &Action,
    p: &PbxPlan,
    opts: TextOptions,
    said: bool,
    w: &mut impl Write,
) -> io::Result<()> {
    let c = opts.color;
    writeln!(
        w,
        "    {} {}: {}",
        Style::Add.paint("+", c),
        Style::Bold.paint(a.kind.as_str(), c),
        a.reason
    )?;
    for ch in &a.changes {
        match &ch.before {
            None => writeln!(
                w,
                "        {} {}: {}",
                Style::Add.paint("+", c),
                ch.field,
                Style::Add.paint(&ch.after, c)
            )?,
            Some(before) => writeln!(
                w,
                "        {} {}: {} → {}",
                Style::Change.paint("~", c),
                ch.field,
                before,
                Style::Change.paint(&ch.after, c)
            )?,
        }
    }
    if let Effective::AtExpiry { date } = &a.effective {
        writeln!(
            w,
            "        in force from {date} (when the current term ends)"
        )?;
    }
    let mut tail = Vec::new();
    if let Some(p) = &a.price {
        tail.push(format!("price {}", money(p)));
    }
    match &a.price_error {
        Some(_) if said => tail.push("price unknown (see the summary)".to_owned()),
        Some(why) => tail.push(format!("price unknown: {why}")),
        None => {}
    }
    if let Some(po) = a.po_number() {
        tail.push(format!("poNumber {po}"));
    }
    if let Some(target) = a.auto_renew_target {
        match plan_name(p, target) {
            Some(name) => tail.push(format!("on {name}")),
            None => tail.push(format!("on plan {target}")),
        }
    }
    if !tail.is_empty() {
        writeln!(w, "        {}", Style::Dim.paint(&tail.join("  "), c))?;
    }
    if let Some(basis) = &a.price_basis {
        writeln!(
            w,
            "        {}",
            Style::Dim.paint(&format!("priced: {basis}"), c)
        )?;
    }
    if let Some(r) = &a.refused {
        writeln!(
            w,
            "        {}",
            Style::Error.paint(&format!("refused by the vendor: {}", r.message), c)
        )?;
        if let Some(help) = &r.help {
            writeln!(w, "        help: {help}")?;
        }
    }
    if opts.show_bodies
        && let Some(body) = &a.order
    {
        let json = serde_json::to_string(body).unwrap_or_default();
        writeln!(
            w,
            "        {}",
            Style::Dim.paint(&format!("body {json}"), c)
        )?;
    }
    Ok(())
}
