//! `entitle catalog`'s three formats: the human listing (text), the machine document (JSON)
//! and Markdown tables, each of a [`CatalogReport`] as read by
//! [`crate::account::catalog_report`], to any writer.

use std::io::{self, Write};

use serde::Serialize;

use super::Style;
use crate::account::{CatalogReport, label};
use crate::model::{Catalog, Cycle, Id, OfferedService};

/// What a product without a PBX in the account shows instead of its catalog.
const NEEDS_PBX: &str = "needs a PBX of this product in the account";

fn requirement_names(cat: &Catalog, ids: &[Id]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            cat.plan(*id)
                .map_or_else(|| id.to_string(), |p| p.name.clone())
        })
        .collect()
}

/// The plans a service may be bought under, for people: "any plan", their names, or the plan
/// the table of vendor facts says it needs when this catalog does not list it.
fn requirement_text(cat: &Catalog, s: &OfferedService) -> String {
    if let Some(word) = &s.requires_missing_plan {
        return format!("the `{word}` plan, which this catalog does not list: not buyable here");
    }
    let req = requirement_names(cat, &s.requires_plan_ids);
    if req.is_empty() {
        "any plan".to_owned()
    } else {
        req.join(", ")
    }
}

fn cycles_text(c: &[Cycle]) -> String {
    c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
}

// ---------------------------------------------------------------- text

/// Whether colour is on, with the one styling of `render`.
struct Paint {
    color: bool,
}

impl Paint {
    fn bold(&self, s: &str) -> String {
        Style::Bold.paint(s, self.color)
    }
    fn dim(&self, s: &str) -> String {
        Style::Dim.paint(s, self.color)
    }
}

/// Left-aligned columns, two spaces apart, no trailing spaces; widths count characters.
fn table(
    w: &mut impl Write,
    style: &Paint,
    indent: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let last = cells.len().saturating_sub(1);
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c.clone()
                } else {
                    let pad = widths[i] - c.chars().count();
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let head = line(header.iter().map(|h| (*h).to_owned()).collect());
    writeln!(w, "{indent}{}", style.dim(&head))?;
    for row in rows {
        writeln!(w, "{indent}{}", line(row.clone()))?;
    }
    Ok(())
}

/// The human listing: one block per product, then the billing contacts.
pub(crate) fn write_catalog_text(
    report: &CatalogReport,
    color: bool,
    w: &mut impl Write,
) -> io::Result<()> {
    let style = Paint { color };
    for (i, e) in report.products.iter().enumerate() {
        if i > 0 {
            writeln!(w)?;
        }
        let mut heading = format!("{}  {}", style.bold(&label(e.product)), e.name);
        if let Some(sn) = &e.sn {
            heading.push_str(&format!("  (catalog of PBX {sn})"));
        }
        writeln!(w, "{heading}")?;
        let Some(cat) = &e.catalog else {
            writeln!(w, "  ({NEEDS_PBX})")?;
            continue;
        };
        if cat.plans.is_empty() {
            writeln!(w, "  plans: none")?;
        } else {
            writeln!(w, "  plans:")?;
            let rows: Vec<Vec<String>> = cat
                .plans
                .iter()
                .map(|p| {
                    vec![
                        p.name.clone(),
                        p.id.to_string(),
                        p.tier.to_string(),
                        cycles_text(&p.cycles),
                    ]
                })
                .collect();
            table(w, &style, "    ", &["NAME", "ID", "TIER", "CYCLES"], &rows)?;
        }
        if cat.services.is_empty() {
            writeln!(w, "  services: none")?;
        } else {
            writeln!(w, "  services:")?;
            let rows: Vec<Vec<String>> = cat
                .services
                .iter()
                .map(|s| {
                    vec![
                        s.name.clone(),
                        s.id.to_string(),
                        s.kind.as_str().to_owned(),
                        requirement_text(cat, s),
                    ]
                })
                .collect();
            table(
                w,
                &style,
                "    ",
                &["NAME", "ID", "KIND", "REQUIRES"],
                &rows,
            )?;
        }
    }
    if !report.products.is_empty() {
        writeln!(w)?;
    }
    if report.contacts.is_empty() {
        writeln!(w, "{} none", style.bold("billing contacts:"))?;
    } else {
        writeln!(w, "{}", style.bold("billing contacts:"))?;
        let rows: Vec<Vec<String>> = report
            .contacts
            .iter()
            .map(|c| vec![c.id.to_string(), c.email.clone(), c.name.clone()])
            .collect();
        table(w, &style, "  ", &["ID", "EMAIL", "NAME"], &rows)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- json

/// Version of the JSON document below, `major.minor` like the plan's; the major is bumped on any
/// incompatible change (2.0: IDs became numbers and the version a string).
pub(crate) const CATALOG_FORMAT_VERSION: &str = "2.0";

#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: &'static str,
    products: Vec<JsonProduct<'a>>,
    billing_contacts: Vec<JsonContact<'a>>,
}

#[derive(Serialize)]
struct JsonProduct<'a> {
    /// Small vendor numbers (9, 11, 12, 13): safe as JSON numbers.
    product_id: u32,
    alias: Option<&'static str>,
    name: &'a str,
    catalog_available: bool,
    /// The PBX whose catalog was read (products 9 and 11).
    catalog_sn: Option<&'a str>,
    note: Option<&'static str>,
    plans: Vec<JsonPlan<'a>>,
    services: Vec<JsonService<'a>>,
}

#[derive(Serialize)]
struct JsonPlan<'a> {
    id: Id,
    name: &'a str,
    tier: u32,
    cycles: Vec<&'static str>,
}

#[derive(Serialize)]
struct JsonService<'a> {
    id: Id,
    name: &'a str,
    kind: &'static str,
    cycles: Vec<&'static str>,
    /// Empty = any plan, unless `requires_missing_plan` says otherwise.
    requires_plans: Vec<JsonPlanRef>,
    /// The plan (a word of its name) the table of vendor facts says the service needs, which
    /// this catalog does not list: the service cannot be bought here.
    #[serde(skip_serializing_if = "Option::is_none")]
    requires_missing_plan: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonPlanRef {
    id: Id,
    name: Option<String>,
}

#[derive(Serialize)]
struct JsonContact<'a> {
    id: Id,
    email: &'a str,
    name: &'a str,
}

/// The machine listing. IDs are exact JSON numbers, as in the plan's JSON.
pub(crate) fn write_catalog_json(report: &CatalogReport, w: &mut impl Write) -> io::Result<()> {
    let doc = JsonReport {
        format_version: CATALOG_FORMAT_VERSION,
        products: report
            .products
            .iter()
            .map(|e| {
                let (plans, services) = match &e.catalog {
                    None => (Vec::new(), Vec::new()),
                    Some(cat) => (
                        cat.plans
                            .iter()
                            .map(|p| JsonPlan {
                                id: p.id,
                                name: &p.name,
                                tier: p.tier,
                                cycles: p.cycles.iter().map(|c| c.as_str()).collect(),
                            })
                            .collect(),
                        cat.services
                            .iter()
                            .map(|s| JsonService {
                                id: s.id,
                                name: &s.name,
                                kind: s.kind.as_str(),
                                cycles: s.cycles.iter().map(|c| c.as_str()).collect(),
                                requires_plans: s
                                    .requires_plan_ids
                                    .iter()
                                    .map(|id| JsonPlanRef {
                                        id: *id,
                                        name: cat.plan(*id).map(|p| p.name.clone()),
                                    })
                                    .collect(),
                                requires_missing_plan: s.requires_missing_plan.as_deref(),
                            })
                            .collect(),
                    ),
                };
                JsonProduct {
                    product_id: e.product.0,
                    alias: e.product.alias(),
                    name: &e.name,
                    catalog_available: e.catalog.is_some(),
                    catalog_sn: e.sn.as_deref(),
                    note: e.catalog.is_none().then_some(NEEDS_PBX),
                    plans,
                    services,
                }
            })
            .collect(),
        billing_contacts: report
            .contacts
            .iter()
            .map(|c| JsonContact {
                id: c.id,
                email: &c.email,
                name: &c.name,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

// ---------------------------------------------------------------- markdown

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The listing as Markdown tables (for wikis and pull requests).
pub(crate) fn write_catalog_markdown(report: &CatalogReport, w: &mut impl Write) -> io::Result<()> {
    for e in &report.products {
        write!(w, "## {}: {}", label(e.product), md(&e.name))?;
        if let Some(sn) = &e.sn {
            write!(w, " (catalog of PBX `{sn}`)")?;
        }
        writeln!(w, "\n")?;
        let Some(cat) = &e.catalog else {
            writeln!(w, "_{NEEDS_PBX}_\n")?;
            continue;
        };
        if !cat.plans.is_empty() {
            writeln!(w, "| Plan | ID | Tier | Cycles |\n|---|---|---|---|")?;
            for p in &cat.plans {
                writeln!(
                    w,
                    "| {} | `{}` | {} | {} |",
                    md(&p.name),
                    p.id,
                    p.tier,
                    cycles_text(&p.cycles)
                )?;
            }
            writeln!(w)?;
        }
        if !cat.services.is_empty() {
            writeln!(w, "| Service | ID | Kind | Requires |\n|---|---|---|---|")?;
            for s in &cat.services {
                writeln!(
                    w,
                    "| {} | `{}` | {} | {} |",
                    md(&s.name),
                    s.id,
                    s.kind.as_str(),
                    md(&requirement_text(cat, s))
                )?;
            }
            writeln!(w)?;
        }
    }
    writeln!(w, "## Billing contacts\n")?;
    if report.contacts.is_empty() {
        writeln!(w, "_none_")?;
    } else {
        writeln!(w, "| ID | Email | Name |\n|---|---|---|")?;
        for c in &report.contacts {
            writeln!(w, "| `{}` | {} | {} |", c.id, md(&c.email), md(&c.name))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_is_shown_with_the_plans_it_may_be_bought_under() {
        use crate::model::{OfferedPlan, ProductId, ServiceKind};
        let svc = |requires: Vec<Id>, missing: Option<&str>| OfferedService {
            id: Id(6),
            name: "Disaster Recovery".into(),
            kind: ServiceKind::Feature,
            requires_plan_ids: requires,
            requires_missing_plan: missing.map(str::to_owned),
            cycles: vec![],
            pricing_id: None,
            price_unit: None,
        };
        let cat = Catalog {
            product: ProductId(12),
            product_name: String::new(),
            plans: vec![OfferedPlan {
                id: Id(2),
                name: "Ultimate Plan".into(),
                tier: 3,
                cycles: vec![],
                pricing_id: None,
                price_unit: None,
            }],
            services: vec![],
        };
        assert_eq!(requirement_text(&cat, &svc(vec![], None)), "any plan");
        assert_eq!(
            requirement_text(&cat, &svc(vec![Id(2)], None)),
            "Ultimate Plan"
        );
        assert_eq!(
            requirement_text(&cat, &svc(vec![], Some("ultimate"))),
            "the `ultimate` plan, which this catalog does not list: not buyable here"
        );
    }
}
