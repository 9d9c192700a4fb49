//! The plan as Markdown for a pull-request comment, built for review: the total and a table of
//! PBXs, orders and cost per group (the `customer` label, or any `--group-by` label) up front;
//! then, never collapsed, what needs a person (errors, PBXs in doubt, manual items, orders
//! without a price); then one collapsible section per group where every change names the
//! manifest line that caused it. GitHub refuses comments over 65,536 characters: past the
//! limit each section lists its first PBXs, the room shared equally between the sections
//! (see [`share`]), sections are left out only when their headers alone do not fit, and the
//! comment says what it left out.

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

/// Room the summary table leaves for the attention list, however many groups there are.
const ATTENTION_FLOOR: usize = 4_000;

/// Closes a group's section.
const CLOSE: &str = "</details>\n";

/// How the Markdown plan is laid out.
#[derive(Debug, Clone)]
pub(crate) struct MarkdownOptions {
    /// The label PBXs are grouped by; a PBX without it goes by its manifest file's name.
    pub group_by: String,
    /// Turns `file:line` into a link, `{link_base}/{file}#L{line}` (a blob URL at the commit).
    pub link_base: Option<String>,
    /// The most characters the document may have, counted in bytes of UTF-8: a document of
    /// `max_chars` bytes has at most that many characters however they are counted (code
    /// points, or UTF-16 units). Past it the details are cut, then the table's last rows.
    pub max_chars: usize,
    /// Where the whole plan is saved (`plan -o`), named when details are left out.
    pub saved_as: Option<String>,
    /// The spend limits the run was held to and those the plan breaks: the verdict heads the
    /// comment. `None` when no limit was set.
    pub policy: Option<PolicyVerdict>,
}

/// The spend limits of a run, and what the plan breaks.
#[derive(Debug, Clone, Default)]
pub(crate) struct PolicyVerdict {
    /// Each limit, as the user set it (`--max-cost USD 5,000.00`).
    pub limits: Vec<String>,
    pub violations: Vec<crate::policy::Violation>,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions {
            group_by: "customer".into(),
            link_base: None,
            max_chars: DEFAULT_MAX_CHARS,
            saved_as: None,
            policy: None,
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
    let refused = orders.iter().filter(|a| a.refused.is_some()).count();
    let unpriced = orders.len() - prices.len() - refused + left_out;
    let mut parts: Vec<String> = totals(&sums).into_iter().collect();
    if unpriced > 0 {
        parts.push(format!("{unpriced} unpriced"));
    }
    if refused > 0 {
        parts.push(format!("{refused} refused"));
    }
    parts.join(" + ")
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
    let doc = Doc::new(plan, opts)?;
    let laid_out = doc.layout()?;
    if laid_out.len() <= opts.max_chars {
        return Ok(laid_out);
    }
    doc.too_long()
}

/// A plan's comment in the making: the groups, and the parts every layout keeps.
struct Doc<'a> {
    plan: &'a Plan,
    opts: &'a MarkdownOptions,
    summary: Summary,
    /// Pricing was asked for: some order has a price, a reason for having none, or a refusal.
    priced: bool,
    link: Linker<'a>,
    groups: BTreeMap<String, Group<'a>>,
    /// The title and the counts.
    head: String,
    /// The plan's ID, hash and day.
    foot: String,
    /// Where every order is, for a note that leaves some out.
    whole: String,
}

impl<'a> Doc<'a> {
    fn new(plan: &'a Plan, opts: &'a MarkdownOptions) -> Result<Self, std::fmt::Error> {
        let s = plan.summary();
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

        let mut head = String::new();
        if plan.has_changes() {
            write!(
                head,
                "### entitle plan: {} for {}",
                super::what_it_does(&s),
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
        if let Some(v) = &opts.policy {
            if v.violations.is_empty() {
                writeln!(
                    head,
                    ":white_check_mark: **Within the spend limits** ({}).",
                    v.limits.join(", ")
                )?;
            } else {
                writeln!(
                    head,
                    ":no_entry: **Over the spend limits: nothing of this plan is applied.**"
                )?;
                writeln!(head)?;
                for x in &v.violations {
                    let at =
                        x.at.as_deref()
                            .and_then(|a| a.parse::<Loc>().ok())
                            .map(|a| format!(" — {}", Linker::new(opts).at(&a)))
                            .unwrap_or_default();
                    writeln!(
                        head,
                        "- `{}` {}{at}",
                        x.limit,
                        esc(&super::violation_words(x)),
                    )?;
                }
                writeln!(head)?;
                // An override names this one plan: a person approves what they read here.
                writeln!(
                    head,
                    "Applying it anyway takes a person's approval of this plan: `entitle apply {} --override-policy {}`.",
                    esc(opts.saved_as.as_deref().unwrap_or("plan.json")),
                    plan.plan_id
                )?;
            }
            writeln!(head)?;
        }
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
        if s.upcoming > 0 {
            let cost = totals(&s.upcoming_totals)
                .map(|t| format!(", {t}"))
                .unwrap_or_default();
            writeln!(head)?;
            writeln!(
                head,
                "{} within `renewBefore`, not ordered (`renew: false`){cost}: shown on each PBX.",
                plural(s.upcoming, "renewal falls due", "renewals fall due")
            )?;
        }
        if let Some(title) = super::held_back_title(plan) {
            // A bounded list: the rest is one `entitle plan` without `--only` away.
            const SHOWN: usize = 20;
            let mut keys: Vec<String> = plan
                .held_back
                .iter()
                .take(SHOWN)
                .map(|h| code(&h.key()))
                .collect();
            if plan.held_back.len() > SHOWN {
                keys.push(format!("… and {} more", plan.held_back.len() - SHOWN));
            }
            writeln!(head)?;
            writeln!(head, "**{}**: {}.", esc(&title), keys.join(", "))?;
        }

        let mut foot = String::new();
        writeln!(foot)?;
        writeln!(
            foot,
            "<sub>plan `{}` · manifests sha256 `{}` · computed for {}</sub>",
            plan.plan_id, plan.manifest_hash, plan.today
        )?;

        let whole = match &opts.saved_as {
            Some(path) => format!(
                "Every order is in the saved plan: `entitle show {}`.",
                esc(path)
            ),
            None => "Every order is in the saved plan (`entitle plan -o plan.json`, then `entitle show plan.json`).".to_owned(),
        };
        Ok(Doc {
            plan,
            opts,
            summary: s,
            priced,
            link: Linker::new(opts).with_catalogs(&plan.catalogs),
            groups,
            head,
            foot,
            whole,
        })
    }

    /// The document within `opts.max_chars` bytes when the budget holds at least the title,
    /// the table's header and totals and the note: what must stay comes first (the totals per
    /// group, then what needs a person), then the details in what is left, shared between the
    /// groups.
    fn layout(&self) -> Result<String, std::fmt::Error> {
        let Doc {
            plan,
            opts,
            priced,
            link,
            foot,
            whole,
            ..
        } = self;
        let budget = opts.max_chars;
        let shown: Vec<&Group> = self.groups.values().filter(|g| g.shown()).collect();
        let sections: Vec<Section> = shown
            .iter()
            .map(|g| section(g, *priced, link))
            .collect::<Result<_, _>>()?;
        // The note never takes more than it would with every group and every PBX left out (its
        // numbers are then the largest, and its words the plural ones).
        let note_max = shortened(
            &LeftOut {
                groups: shown.len(),
                changing: shown.iter().map(|g| g.changing()).sum(),
                orders: shown.iter().map(|g| g.orders().count()).sum(),
                pbxs: sections.iter().map(|s| s.rows.len()).sum::<usize>().max(2),
                shown: 2,
            },
            whole,
        )
        .len();
        let mut doc = self.head.clone();
        let fixed = doc.len() + foot.len() + note_max;
        // The attention list keeps some room whatever the table's length, but only what it
        // needs.
        let needs = attention_items(plan, &opts.group_by, link, *priced)?;
        let wanted = attention(&needs, usize::MAX)?.len();
        let floor = wanted.min(ATTENTION_FLOOR).min(budget / 4);
        if !shown.is_empty() {
            let quiet = self.groups.len() - shown.len();
            let quiet = if quiet > 0 {
                format!(
                    "\n{} with nothing to do {} not listed; the **all** row counts them.\n",
                    plural(quiet, "group", "groups"),
                    if quiet == 1 { "is" } else { "are" }
                )
            } else {
                String::new()
            };
            doc.push('\n');
            let room = budget.saturating_sub(fixed + 1 + floor + quiet.len());
            let s = &self.summary;
            doc.push_str(&table(&shown, plan, s, &opts.group_by, *priced, room)?);
            doc.push_str(&quiet);
        }
        let room = budget.saturating_sub(doc.len() + foot.len() + note_max);
        doc.push_str(&attention(&needs, room)?);

        let room = budget.saturating_sub(doc.len() + foot.len() + note_max);
        let rows = share(&sections, room);
        for (section, &k) in sections.iter().zip(&rows) {
            section.write(k, &mut doc);
        }
        let left = &shown[rows.len()..];
        let left = LeftOut {
            groups: left.len(),
            changing: left.iter().map(|g| g.changing()).sum(),
            orders: left.iter().map(|g| g.orders().count()).sum(),
            pbxs: sections
                .iter()
                .zip(&rows)
                .map(|(s, &k)| s.rows.len() - k)
                .sum(),
            shown: rows.len(),
        };
        if left.groups > 0 || left.pbxs > 0 {
            doc.push_str(&shortened(&left, whole));
        }
        doc.push_str(foot);
        Ok(doc)
    }

    /// For a budget too small for the table's totals: the title, the counts and where the
    /// whole plan is, cut at the budget (at a line's end) if even that is too long.
    fn too_long(&self) -> Result<String, std::fmt::Error> {
        let max = self.opts.max_chars;
        let mut doc = self.head.clone();
        write!(
            doc,
            "\n> **Too long for a comment of {max} characters:** the table and the details are left out. {}\n",
            self.whole
        )?;
        doc.push_str(&self.foot);
        if doc.len() > max {
            let mut cut = max;
            while !doc.is_char_boundary(cut) {
                cut -= 1;
            }
            let cut = doc[..cut].rfind('\n').map_or(cut, |nl| nl + 1);
            doc.truncate(cut);
        }
        Ok(doc)
    }
}

/// What a shortened comment leaves out of the details.
struct LeftOut {
    /// Groups whose section is left out, and their changing PBXs and orders.
    groups: usize,
    changing: usize,
    orders: usize,
    /// PBXs not listed in the sections shown, and how many sections are shown.
    pbxs: usize,
    shown: usize,
}

/// The note closing a shortened comment: what it leaves out, and where the whole plan is.
fn shortened(left: &LeftOut, whole: &str) -> String {
    let mut parts = Vec::new();
    if left.groups > 0 {
        parts.push(format!(
            "the details of {} ({}, {}) are left out",
            plural(left.groups, "group", "groups"),
            plural(left.changing, "changing PBX", "changing PBXs"),
            plural(left.orders, "order", "orders"),
        ));
    }
    if left.pbxs > 0 {
        parts.push(if left.shown == 1 {
            format!(
                "the group shown lists its first PBXs and leaves out {} more",
                left.pbxs
            )
        } else {
            format!(
                "the groups shown list their first PBXs and leave out {} more",
                left.pbxs
            )
        });
    }
    format!(
        "\n> **Shortened to fit a pull-request comment:** {}; the table above and the total count them. {whole}\n",
        parts.join("; ")
    )
}

/// Appends `items` to `out` while `out` stays within `budget` bytes, and when not all fit,
/// `more(i)` (`i`: how many fitted) in their place: as many items as leave room for it. Only
/// when `more(0)` alone does not fit does `out` end past `budget`. Returns how many items were
/// appended.
pub(super) fn fill(
    out: &mut String,
    items: &[String],
    budget: usize,
    more: impl Fn(usize) -> String,
) -> usize {
    let mut len = out.len();
    let mut kept = 0;
    while kept < items.len() && len + items[kept].len() <= budget {
        len += items[kept].len();
        kept += 1;
    }
    if kept == items.len() {
        items.iter().for_each(|i| out.push_str(i));
        return kept;
    }
    let mut tail = more(kept);
    while kept > 0 && len + tail.len() > budget {
        kept -= 1;
        len -= items[kept].len();
        tail = more(kept);
    }
    items[..kept].iter().for_each(|i| out.push_str(i));
    out.push_str(&tail);
    kept
}

/// How many PBXs each section lists within `room` bytes; one entry per section kept (the
/// first ones: the rest are left out). Sections are kept from the first while each fits with
/// its header and first PBX. The room is then shared equally (water-filling): every section
/// is allotted the same, a section needing less than its share gives the rest back to the
/// others, and each lists the PBXs that fit in its allotment; what rounding to whole PBXs
/// leaves goes to one more PBX of each, in turn, while one fits.
fn share(sections: &[Section], room: usize) -> Vec<usize> {
    let first = |s: &Section| s.rows.len().min(1);
    let mut used = 0;
    let mut kept = 0;
    for s in sections {
        let least = s.size(first(s));
        if used + least > room {
            break;
        }
        used += least;
        kept += 1;
    }
    let sections = &sections[..kept];
    let lo: Vec<usize> = sections.iter().map(|s| s.size(first(s))).collect();
    let hi: Vec<usize> = sections
        .iter()
        .zip(&lo)
        .map(|(s, &lo)| s.size(s.rows.len()).max(lo))
        .collect();
    let allotted = |level: usize| -> usize {
        lo.iter()
            .zip(&hi)
            .map(|(&lo, &hi)| level.clamp(lo, hi))
            .sum()
    };
    // The highest level whose allotments fit (level 0, every section its least, does).
    let (mut low, mut high) = (0, hi.iter().copied().max().unwrap_or(0));
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        if allotted(mid) <= room {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let mut rows: Vec<usize> = sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let allotment = low.clamp(lo[i], hi[i]);
            (first(s)..=s.rows.len())
                .rev()
                .find(|&k| s.size(k) <= allotment)
                .unwrap_or(first(s))
        })
        .collect();
    let mut spare = room
        - rows
            .iter()
            .zip(sections)
            .map(|(&k, s)| s.size(k))
            .sum::<usize>();
    loop {
        let mut grew = false;
        for (k, s) in rows.iter_mut().zip(sections) {
            if *k < s.rows.len() {
                let (now, next) = (s.size(*k), s.size(*k + 1));
                if next <= now + spare {
                    spare = now + spare - next;
                    *k += 1;
                    grew = true;
                }
            }
        }
        if !grew {
            return rows;
        }
    }
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
    let all_orders = plan.actions().filter(|a| a.order.is_some());
    let all = format!(
        "| **all** | **{}** | **{}** | **{}** | **{}** |\n",
        s.pbxs,
        s.changed,
        s.orders,
        cost(all_orders, priced)
    );
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
    fill(&mut t, &rows, budget.saturating_sub(all.len()), |i| {
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
    t.push_str(&all);
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

/// One group's collapsible section, in the pieces the budget cuts between: its header (the
/// summary line), then one row per PBX that has something to show.
struct Section {
    head: String,
    rows: Vec<String>,
    /// `ends[k]`: the bytes of the first `k` rows.
    ends: Vec<usize>,
}

impl Section {
    /// The line in place of the PBXs after the first `k`.
    fn more(&self, k: usize) -> String {
        match self.rows.len() - k {
            0 => String::new(),
            left => format!(
                "… and {}: see the full plan\n\n",
                plural(left, "more PBX", "more PBXs")
            ),
        }
    }

    /// The bytes of the section listing its first `k` PBXs.
    fn size(&self, k: usize) -> usize {
        self.head.len() + self.ends[k] + self.more(k).len() + CLOSE.len()
    }

    fn write(&self, k: usize, out: &mut String) {
        out.push_str(&self.head);
        self.rows[..k].iter().for_each(|r| out.push_str(r));
        out.push_str(&self.more(k));
        out.push_str(CLOSE);
    }
}

/// One group's collapsible section: each PBX, its actions, and where each change comes from.
fn section(g: &Group, priced: bool, link: &Linker) -> Result<Section, std::fmt::Error> {
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
    let head = w;
    let mut rows = Vec::new();
    let mut shown: Vec<&&PbxPlan> = g
        .pbxs
        .iter()
        .filter(|p| {
            p.has_changes()
                || !p.in_flight.is_empty()
                || !p.notes.is_empty()
                || !p.upcoming.is_empty()
        })
        .collect();
    // Orders first: when rows are cut, what is shown only for information goes first.
    shown.sort_by_key(|p| !p.has_changes());
    for p in shown {
        let mut w = String::new();
        writeln!(w, "**{}** — {}", esc(&p.key()), link.entry(p))?;
        writeln!(w)?;
        for f in super::shown_drift(p, None) {
            writeln!(w, "- {}", esc(&f.describe()))?;
        }
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
        rows.push(w);
    }
    let ends = std::iter::once(0)
        .chain(rows.iter().scan(0, |end, r| {
            *end += r.len();
            Some(*end)
        }))
        .collect();
    Ok(Section { head, rows, ends })
}
