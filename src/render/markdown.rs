//! The plan as Markdown for a pull-request comment, built for review: the total and a table of
//! PBXs, orders and cost per group (the `customer` label, or any `--group-by` label) up front;
//! then, never collapsed, what needs a person (errors, PBXs in doubt, manual items, orders
//! without a price); then one collapsible section per group where every change names the
//! manifest line that caused it. GitHub refuses comments over 65,536 characters: past the
//! limit the sections are left out, from the last, and the comment says so.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{money, plural, totals};
use crate::manifest::Loc;
use crate::model::{Catalog, Price};
use crate::plan::{
    Action, Effective, PbxPlan, Plan, RecordedCatalog, Summary, field_at, money::sum,
};

/// GitHub's limit is 65,536 characters; what the workflow adds around the plan needs room.
pub(crate) const DEFAULT_MAX_CHARS: usize = 60_000;

/// Room kept for the note that says what was left out.
const NOTE_RESERVE: usize = 600;

/// Room the summary table leaves for the attention list, however many groups there are.
const ATTENTION_FLOOR: usize = 4_000;

/// How the Markdown plan is laid out.
#[derive(Debug, Clone)]
pub(crate) struct MarkdownOptions {
    /// The label PBXs are grouped by; a PBX without it goes by its manifest file's name.
    pub group_by: String,
    /// Turns `file:line` into a link, `{link_base}/{file}#L{line}` (a blob URL at the commit).
    pub link_base: Option<String>,
    /// The most characters the document may have; sections are left out past it.
    pub max_chars: usize,
    /// Where the whole plan is saved (`plan -o`), named when sections are left out.
    pub saved_as: Option<String>,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions {
            group_by: "customer".into(),
            link_base: None,
            max_chars: DEFAULT_MAX_CHARS,
            saved_as: None,
        }
    }
}

/// Escapes text from manifests and the vendor for a comment: as HTML entities, which work in
/// table cells and inside `<summary>` alike, so no label or vendor string can break the table,
/// open a tag, make a link, or mention (notify) someone.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '@' => out.push_str("&#64;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text as a code span (which Markdown shows as written: no entities, links or mentions).
fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

/// A manifest path as a URL path: each segment between `/` encoded ([`crate::uri::segment`]).
fn url_path(path: &str) -> String {
    path.split('/')
        .map(crate::uri::segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// The PBXs of one group, and what they cost.
struct Group<'a> {
    name: String,
    pbxs: Vec<&'a PbxPlan>,
}

impl Group<'_> {
    fn orders(&self) -> impl Iterator<Item = &Action> {
        self.pbxs
            .iter()
            .flat_map(|p| &p.actions)
            .filter(|a| a.order.is_some())
    }

    fn changing(&self) -> usize {
        self.pbxs.iter().filter(|p| p.has_changes()).count()
    }

    fn shown(&self) -> bool {
        self.pbxs.iter().any(|p| {
            p.has_changes()
                || !p.in_flight.is_empty()
                || needs_attention(p)
                || !p.notes.is_empty()
                || !p.upcoming.is_empty()
        })
    }
}

fn needs_attention(p: &PbxPlan) -> bool {
    !p.blocked.is_empty()
        || !p.in_doubt.is_empty()
        || !p.manual.is_empty()
        || p.actions
            .iter()
            .any(|a| a.price_error.is_some() || a.refused.is_some())
}

/// The cost of `orders`: per-currency totals, and how many have no price.
fn cost<'a>(orders: impl Iterator<Item = &'a Action>, priced: bool) -> String {
    let orders: Vec<&Action> = orders.collect();
    if orders.is_empty() {
        return "—".into();
    }
    if !priced {
        return "not priced".into();
    }
    let prices: Vec<&Price> = orders.iter().filter_map(|a| a.price.as_ref()).collect();
    let (sums, left_out) = sum(prices.iter().copied());
    let unpriced = orders.len() - prices.len() + left_out;
    let total = totals(&sums);
    match (total, unpriced) {
        (Some(t), 0) => t,
        (Some(t), n) => format!("{t} + {n} unpriced"),
        (None, n) => format!("{n} unpriced"),
    }
}

/// Writes `file:line`, as a link when there is a base to link to.
pub(super) struct Linker<'a> {
    base: Option<&'a str>,
    /// The catalogs the plan used, which name the services a manifest wrote by ID.
    catalogs: &'a [RecordedCatalog],
}

impl<'a> Linker<'a> {
    pub(super) fn new(opts: &'a MarkdownOptions) -> Self {
        Linker {
            base: opts.link_base.as_deref(),
            catalogs: &[],
        }
    }

    fn with_catalogs(mut self, catalogs: &'a [RecordedCatalog]) -> Self {
        self.catalogs = catalogs;
        self
    }

    /// The catalog a PBX was planned with: its own, else its product's.
    fn catalog(&self, p: &PbxPlan) -> Option<&'a Catalog> {
        let of = |sn: Option<&str>| {
            self.catalogs
                .iter()
                .find(|c| c.product == p.product && c.sn.as_deref() == sn)
        };
        of(Some(&p.sn)).or_else(|| of(None)).map(|c| &c.catalog)
    }

    pub(super) fn at(&self, at: &Loc) -> String {
        let file = at.file.strip_prefix("./").unwrap_or(&at.file);
        let text = format!("{file}:{}", at.line);
        match self.base {
            Some(base) if !file.starts_with('/') => format!(
                "[{}]({}/{}#L{})",
                code(&text),
                base.trim_end_matches('/'),
                url_path(file),
                at.line
            ),
            _ => code(&text),
        }
    }

    /// A PBX's entry (its `source` is `file:line:column`).
    fn entry(&self, p: &PbxPlan) -> String {
        match &p.desired {
            Some(d) => self.at(&d.at),
            None => code(&p.source),
        }
    }

    /// The line that caused a change of `p`'s `field` to `value`, unless it is the entry's
    /// own line (already shown with the PBX).
    fn field(&self, p: &PbxPlan, field: &str, value: &str) -> String {
        p.desired
            .as_ref()
            .map(|d| (d, field_at(d, field, value, self.catalog(p))))
            .filter(|(d, at)| *at != &d.at)
            .map(|(_, at)| format!(" — {}", self.at(at)))
            .unwrap_or_default()
    }
}

pub(crate) fn write_plan_markdown(
    plan: &Plan,
    opts: &MarkdownOptions,
    w: &mut impl Write,
) -> io::Result<()> {
    let doc = render(plan, opts).map_err(io::Error::other)?;
    w.write_all(doc.as_bytes())
}

fn render(plan: &Plan, opts: &MarkdownOptions) -> Result<String, std::fmt::Error> {
    let link = Linker::new(opts).with_catalogs(&plan.catalogs);
    let s = plan.summary();
    // Pricing was asked for when any order has a price, a reason for having none, or a refusal.
    let priced = plan
        .actions()
        .any(|a| a.price.is_some() || a.price_error.is_some() || a.refused.is_some());

    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for p in &plan.pbxs {
        let name = group_name(p, &opts.group_by);
        groups
            .entry(name.clone())
            .or_insert_with(|| Group { name, pbxs: vec![] })
            .pbxs
            .push(p);
    }
    let shown: Vec<&Group> = groups.values().filter(|g| g.shown()).collect();

    let mut head = String::new();
    if plan.has_changes() {
        write!(
            head,
            "### entitle plan: {} for {}",
            plural(s.orders, "order", "orders"),
            plural(s.changed, "PBX", "PBXs")
        )?;
        if s.orders > 0 {
            if !priced {
                write!(head, " (not priced)")?;
            } else {
                match totals(&s.totals) {
                    Some(t) if s.unpriced > 0 => write!(
                        head,
                        ", {t} without {} that got no price",
                        plural(s.unpriced, "order", "orders")
                    )?,
                    Some(t) => write!(head, ", {t}")?,
                    None if s.unpriced > 0 => write!(head, ", no order got a price")?,
                    None => {}
                }
            }
        }
        if s.refused > 0 {
            write!(
                head,
                "; the vendor refuses {}, so it cannot be applied",
                plural(s.refused, "order", "orders")
            )?;
        }
    } else if s.errors > 0 {
        write!(head, "### entitle plan: no orders")?;
    } else {
        write!(head, "### entitle plan: no changes")?;
    }
    // What the comment shows is not what would be applied: nothing would.
    if s.errors > 0 {
        write!(
            head,
            " — {}, cannot be applied",
            plural(s.errors, "error", "errors")
        )?;
    }
    writeln!(head)?;
    writeln!(head)?;
    if s.errors > 0 {
        let n = s.errors;
        writeln!(
            head,
            "**{} {}** (under *Needs attention*): no order of this plan is placed until {} fixed.",
            plural(n, "manifest entry", "manifest entries"),
            if n == 1 {
                "has an error"
            } else {
                "have errors"
            },
            if n == 1 { "it is" } else { "they are" }
        )?;
        writeln!(head)?;
    }
    writeln!(
        head,
        "{} in scope: {} changing, {} unchanged, {} with orders in flight, {} in doubt, {} not planned; {}, {}.",
        plural(s.pbxs, "PBX", "PBXs"),
        s.changed,
        s.unchanged,
        s.in_flight,
        s.in_doubt,
        // An entry in error is not planned either; the attention list says which and why.
        s.blocked + s.errors,
        plural(
            s.auto_renew_switches,
            "auto-renew switch",
            "auto-renew switches"
        ),
        plural(s.manual, "manual item", "manual items"),
    )?;

    let mut foot = String::new();
    writeln!(foot)?;
    writeln!(
        foot,
        "<sub>plan `{}` · manifests sha256 `{}` · computed for {}</sub>",
        plan.plan_id, plan.manifest_hash, plan.today
    )?;

    // What must stay comes first: the totals per group, then what needs a person, then the
    // details in what is left.
    let budget = opts.max_chars;
    let fixed = chars(&head) + chars(&foot) + NOTE_RESERVE;
    // The attention list keeps some room whatever the table's length, but only what it needs.
    let needs = attention_items(plan, &opts.group_by, &link, priced)?;
    let wanted = chars(&attention(&needs, usize::MAX)?);
    let floor = wanted.min(ATTENTION_FLOOR).min(budget / 4);
    if !shown.is_empty() {
        writeln!(head)?;
        let room = budget.saturating_sub(fixed + floor);
        head.push_str(&table(&shown, plan, &s, &opts.group_by, priced, room)?);
        let quiet = groups.len() - shown.len();
        if quiet > 0 {
            writeln!(
                head,
                "\n{} with nothing to do {} not listed; the **all** row counts them.",
                plural(quiet, "group", "groups"),
                if quiet == 1 { "is" } else { "are" }
            )?;
        }
    }
    let room = budget.saturating_sub(chars(&head) + chars(&foot) + NOTE_RESERVE);
    head.push_str(&attention(&needs, room)?);

    let sections: Vec<String> = shown
        .iter()
        .map(|g| section(g, priced, &link))
        .collect::<Result<_, _>>()?;
    let mut doc = head;
    let room = budget.saturating_sub(chars(&foot) + NOTE_RESERVE);
    fill(&mut doc, &sections, room, |kept| {
        let left = &shown[kept..];
        let pbxs: usize = left.iter().map(|g| g.changing()).sum();
        let orders: usize = left.iter().map(|g| g.orders().count()).sum();
        let whole = match &opts.saved_as {
            Some(path) => format!(
                "Every order is in the saved plan: `entitle show {}`.",
                esc(path)
            ),
            None => "Every order is in the saved plan (`entitle plan -o plan.json`, then `entitle show plan.json`).".to_owned(),
        };
        format!(
            "\n> **Shortened to fit a pull-request comment:** the details of {} ({}, {}) are left out; the table above and the total count them. {whole}\n",
            plural(left.len(), "group", "groups"),
            plural(pbxs, "changing PBX", "changing PBXs"),
            plural(orders, "order", "orders"),
        )
    });
    doc.push_str(&foot);
    Ok(doc)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Appends `items` to `out` while `out` stays within `budget` characters. At the first item
/// that would not fit, appends `more(i)` instead (`i`: how many fitted) and stops. Returns how
/// many items were appended.
pub(super) fn fill(
    out: &mut String,
    items: &[String],
    budget: usize,
    more: impl FnOnce(usize) -> String,
) -> usize {
    let mut len = chars(out);
    for (i, item) in items.iter().enumerate() {
        let n = chars(item);
        if len + n > budget {
            out.push_str(&more(i));
            return i;
        }
        len += n;
        out.push_str(item);
    }
    items.len()
}

fn group_name(p: &PbxPlan, label: &str) -> String {
    if let Some(c) = p.labels.get(label) {
        return c.clone();
    }
    file_stem(p.source.split(':').next().unwrap_or(&p.source))
}

/// A manifest file's name without its extension: the group of a PBX without the label.
fn file_stem(file: &str) -> String {
    std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_owned())
}

/// The summary table: one row per group with something to show, then the whole plan. Past
/// `budget` characters the remaining groups are folded into one row.
fn table(
    shown: &[&Group],
    plan: &Plan,
    s: &Summary,
    label: &str,
    priced: bool,
    budget: usize,
) -> Result<String, std::fmt::Error> {
    let mut t = String::new();
    writeln!(t, "| {} | PBXs | changing | orders | cost |", esc(label))?;
    writeln!(t, "|---|---:|---:|---:|---:|")?;
    let rows: Vec<String> = shown
        .iter()
        .map(|g| {
            format!(
                "| {} | {} | {} | {} | {} |\n",
                esc(&g.name),
                g.pbxs.len(),
                g.changing(),
                g.orders().count(),
                cost(g.orders(), priced)
            )
        })
        .collect();
    fill(&mut t, &rows, budget, |i| {
        let rest = &shown[i..];
        format!(
            "| *{}* | {} | {} | {} | {} |\n",
            plural(rest.len(), "more group", "more groups"),
            rest.iter().map(|g| g.pbxs.len()).sum::<usize>(),
            rest.iter().map(|g| g.changing()).sum::<usize>(),
            rest.iter().map(|g| g.orders().count()).sum::<usize>(),
            cost(rest.iter().flat_map(|g| g.orders()), priced)
        )
    });
    let all_orders = plan.actions().filter(|a| a.order.is_some());
    writeln!(
        t,
        "| **all** | **{}** | **{}** | **{}** | **{}** |",
        s.pbxs,
        s.changed,
        s.orders,
        cost(all_orders, priced)
    )?;
    Ok(t)
}

/// What a person must look at, never collapsed: errors, PBXs in doubt, manual items, and
/// orders without a price (grouped by reason); one list item each.
fn attention_items(
    plan: &Plan,
    label: &str,
    link: &Linker,
    priced: bool,
) -> Result<Vec<String>, std::fmt::Error> {
    let mut items: Vec<String> = Vec::new();
    for e in &plan.errors {
        let group = e
            .desired
            .as_ref()
            .and_then(|d| d.labels.get(label))
            .cloned()
            .unwrap_or_else(|| file_stem(&e.at.file));
        let help = e
            .help
            .as_ref()
            .map(|h| format!(" — help: {}", esc(h)))
            .unwrap_or_default();
        // The message names the PBX first; here the PBX leads the item.
        let key = e.key();
        let what = e
            .message
            .strip_prefix(&format!("{key}: "))
            .unwrap_or(&e.message);
        items.push(format!(
            ":x: **{}** ({}) {}: error: {}{help}",
            esc(&key),
            esc(&group),
            link.at(&e.at),
            esc(what)
        ));
    }
    for p in plan.pbxs.iter().filter(|p| needs_attention(p)) {
        let who = format!(
            "**{}** ({}) {}",
            esc(&p.key()),
            esc(&group_name(p, label)),
            link.entry(p)
        );
        for b in &p.blocked {
            items.push(format!(":x: {who}: not planned: {}", esc(b)));
        }
        for d in &p.in_doubt {
            items.push(format!(
                ":question: {who}: in doubt, {} sent {}: {}; nothing is ordered for it before {}",
                code(&d.operation_type),
                crate::clock::Timestamp(d.since_ms),
                esc(&d.reason),
                crate::clock::Timestamp(d.until_ms)
            ));
        }
        for a in &p.actions {
            if let Some(r) = &a.refused {
                let help = r
                    .help
                    .as_ref()
                    .map(|h| format!(" Help: {}", esc(h)))
                    .unwrap_or_default();
                items.push(format!(
                    ":no_entry: {who}: {} refused by the vendor: {}.{help}",
                    code(a.kind.as_str()),
                    esc(&r.message)
                ));
            }
        }
        for m in &p.manual {
            items.push(format!(
                ":warning: {who}: manual: {} {} → {}{}: {}",
                m.field,
                esc(&m.current),
                esc(&m.wanted),
                link.field(p, &m.field, &m.wanted),
                esc(&m.reason)
            ));
        }
    }
    // One line per reason: a calculator that is down fails every order the same way.
    let mut unpriced: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for p in &plan.pbxs {
        for a in p.actions.iter().filter(|a| a.refused.is_none()) {
            let why = match (&a.price, &a.price_error) {
                (_, Some(why)) => why.as_str(),
                // Pricing was asked for and this order got neither a price nor a reason.
                (None, None) if priced && a.order.is_some() => "the calculator gave no answer",
                _ => continue,
            };
            unpriced
                .entry(why)
                .or_default()
                .push(format!("{} `{}`", p.sn, a.kind));
        }
    }
    for (why, orders) in unpriced {
        let named: Vec<&str> = orders.iter().take(5).map(String::as_str).collect();
        let more = orders.len().saturating_sub(named.len());
        items.push(format!(
            ":grey_question: price unknown for {} ({}{}), left out of the total: {}",
            plural(orders.len(), "order", "orders"),
            esc(&named.join(", ")),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            },
            esc(why)
        ));
    }
    Ok(items.into_iter().map(|i| format!("- {i}\n")).collect())
}

/// The attention list under its heading; past `budget` characters the rest is counted.
fn attention(items: &[String], budget: usize) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    if items.is_empty() {
        return Ok(out);
    }
    writeln!(out)?;
    writeln!(out, "#### Needs attention")?;
    writeln!(out)?;
    fill(&mut out, items, budget, |i| {
        format!(
            "- … and {} more: see the full plan\n",
            plural(items.len() - i, "item", "items")
        )
    });
    Ok(out)
}

/// One group's collapsible section: each PBX, its actions, and where each change comes from.
fn section(g: &Group, priced: bool, link: &Linker) -> Result<String, std::fmt::Error> {
    let mut w = String::new();
    writeln!(w)?;
    let orders = g.orders().count();
    let what = if orders == 0 {
        "no orders".to_owned()
    } else {
        format!(
            "{}, {}, {}",
            plural(g.changing(), "changing PBX", "changing PBXs"),
            plural(orders, "order", "orders"),
            cost(g.orders(), priced)
        )
    };
    writeln!(
        w,
        "<details><summary><b>{}</b>: {what}</summary>",
        esc(&g.name)
    )?;
    writeln!(w)?;
    for p in g.pbxs.iter().filter(|p| {
        p.has_changes() || !p.in_flight.is_empty() || !p.notes.is_empty() || !p.upcoming.is_empty()
    }) {
        writeln!(w, "**{}** — {}", esc(&p.key()), link.entry(p))?;
        writeln!(w)?;
        for a in &p.actions {
            let price = match (&a.price, &a.price_error, &a.refused) {
                (_, _, Some(_)) => " — refused by the vendor (see above)".to_owned(),
                (Some(p), _, _) => format!(" — {}", money(p)),
                (None, Some(_), _) => " — price unknown (see above)".to_owned(),
                (None, None, None) => String::new(),
            };
            writeln!(w, "- `{}`: {}{}", a.kind, esc(&a.reason), price)?;
            if let Some(basis) = &a.price_basis {
                writeln!(w, "  - priced: {}", esc(basis))?;
            }
            for ch in &a.changes {
                // A service change names the service: added (after) or dropped (before).
                let value = match &ch.before {
                    Some(b) if ch.field == "services" => b,
                    _ => &ch.after,
                };
                let at = link.field(p, &ch.field, value);
                match &ch.before {
                    None => writeln!(w, "  - `+` {}: {}{at}", ch.field, esc(&ch.after))?,
                    Some(b) => writeln!(
                        w,
                        "  - `~` {}: {} → {}{at}",
                        ch.field,
                        esc(b),
                        esc(&ch.after)
                    )?,
                }
            }
            if let Effective::AtExpiry { date } = &a.effective {
                writeln!(w, "  - in force from {date}")?;
            }
        }
        for o in &p.in_flight {
            writeln!(
                w,
                "- :hourglass: in flight: {} {} {}",
                esc(&o.order_no),
                code(&o.operation_type),
                esc(&o.status.to_string())
            )?;
        }
        for a in &p.upcoming {
            let price = match (&a.price, &a.price_error) {
                (Some(p), _) => format!(" — it would cost {}", money(p)),
                (None, Some(why)) => format!(" — price unknown: {}", esc(why)),
                (None, None) => String::new(),
            };
            writeln!(w, "- upcoming `{}`: {}{price}", a.kind, esc(&a.reason))?;
        }
        for n in &p.notes {
            writeln!(w, "- note: {}", esc(n))?;
        }
        writeln!(w)?;
    }
    writeln!(w, "</details>")?;
    Ok(w)
}
