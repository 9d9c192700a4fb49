//! `entitle catalog`: the account's products, their plans and services, and the billing
//! contacts — the names and IDs a manifest author needs, as read by
//! [`crate::account::catalog_report`], rendered by [`render_text`], [`render_json`] and
//! [`render_markdown`] to any writer.

use std::io::{IsTerminal, Write};

use anyhow::bail;
use clap::Args;
use clap::builder::{PossibleValue, TypedValueParser};
use serde::Serialize;

use super::{Exit, Format, GlobalArgs, NetworkArgs, config};
use crate::account::{self, CatalogReport, label};
use crate::clock::Clock;
use crate::model::{Catalog, Id, ProductId};

const NEEDS_PBX: &str = "needs a PBX of this product in the account";

#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Only this product: linkus, appliance, software-edition, cloud-pbx, or a product ID.
    #[arg(long, value_name = "PRODUCT", value_parser = ProductParser, hide_possible_values = true)]
    pub product: Option<ProductId>,
    /// Output format. JSON keeps 19-digit IDs as exact numbers, as the plan's JSON and the vendor
    /// do (read them with a parser that keeps 64-bit integers).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub network: NetworkArgs,
}

pub fn run(global: &GlobalArgs, args: CatalogArgs) -> anyhow::Result<Exit> {
    config::init_logging(
        global.verbose,
        config::use_color(global, std::io::stderr().is_terminal()),
    );
    let only = args.product;
    let report = config::runtime()?.block_on(async {
        let conn = config::connect(&args.network, Clock::system()).await?;
        // `conn` (and an embedded sandbox) lives until the listing is complete.
        anyhow::Ok(account::catalog_report(&conn.client, only).await?)
    })?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text => render_text(
            &report,
            &mut out,
            config::use_color(global, std::io::stdout().is_terminal()),
        ),
        Format::Json => render_json(&report, &mut out),
        Format::Markdown => render_markdown(&report, &mut out),
    }?;
    out.flush()?;
    Ok(Exit::Success)
}

/// `--product`: a manifest alias (`linkus`, ...) or a product ID, parsed with the command line
/// so that a bad one is refused before any request. Its possible values are the aliases of
/// [`ProductId::ALIASES`], which shells complete (`--help` already names them in words).
#[derive(Debug, Clone, Copy)]
pub struct ProductParser;

impl TypedValueParser for ProductParser {
    type Value = ProductId;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<ProductId, clap::Error> {
        // A parser of text, so clap words the error as for its own ("invalid value ...").
        (|s: &str| parse_product(s)).parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(ProductId::ALIASES.iter().map(|(alias, id)| {
            PossibleValue::new(*alias).help(format!("product {}", id.0))
        })))
    }
}

/// An alias or a product ID.
fn parse_product(s: &str) -> anyhow::Result<ProductId> {
    let t = s.trim();
    if let Some(p) = ProductId::from_alias(&t.to_ascii_lowercase()) {
        return Ok(p);
    }
    if !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = t.parse::<u32>()
    {
        return Ok(ProductId(n));
    }
    let aliases: Vec<_> = ProductId::ALIASES.iter().map(|(a, _)| *a).collect();
    bail!(
        "unknown product `{s}`: use one of {} or a product ID",
        aliases.join(", ")
    )
}

fn requirement_names(cat: &Catalog, ids: &[crate::model::Id]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            cat.plan(*id)
                .map_or_else(|| id.to_string(), |p| p.name.clone())
        })
        .collect()
}

/// The plans a service may be bought under, for people: "any plan", their names, or the plan
/// the table of vendor facts says it needs when this catalog does not list it.
fn requirement_text(cat: &Catalog, s: &crate::model::CatalogService) -> String {
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

fn cycles_text(c: &[crate::model::Cycle]) -> String {
    c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
}

// ---------------------------------------------------------------- text

/// Whether colour is on, with the one styling of `render`.
struct Style {
    color: bool,
}

impl Style {
    fn bold(&self, s: &str) -> String {
        crate::render::Style::Bold.paint(s, self.color)
    }
    fn dim(&self, s: &str) -> String {
        crate::render::Style::Dim.paint(s, self.color)
    }
}

/// Left-aligned columns, two spaces apart, no trailing spaces; widths count characters.
fn table(
    w: &mut impl Write,
    style: &Style,
    indent: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
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
pub(crate) fn render_text(
    report: &CatalogReport,
    w: &mut impl Write,
    color: bool,
) -> std::io::Result<()> {
    let style = Style { color };
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
pub const JSON_FORMAT_VERSION: &str = "2.0";

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
pub(crate) fn render_json(report: &CatalogReport, w: &mut impl Write) -> std::io::Result<()> {
    let doc = JsonReport {
        format_version: JSON_FORMAT_VERSION,
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
pub(crate) fn render_markdown(report: &CatalogReport, w: &mut impl Write) -> std::io::Result<()> {
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
        use crate::model::{CatalogPlan, CatalogService, Id, ServiceKind};
        let svc = |requires: Vec<Id>, missing: Option<&str>| CatalogService {
            id: Id(6),
            name: "Disaster Recovery".into(),
            kind: ServiceKind::Feature,
            requires_plan_ids: requires,
            requires_missing_plan: missing.map(str::to_owned),
            cycles: vec![],
            pricing_id: None,
        };
        let cat = Catalog {
            product: ProductId(12),
            product_name: String::new(),
            plans: vec![CatalogPlan {
                id: Id(2),
                name: "Ultimate Plan".into(),
                tier: 3,
                cycles: vec![],
                pricing_id: None,
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

    #[test]
    fn product_aliases_and_numbers() {
        assert_eq!(parse_product("linkus").unwrap(), ProductId(9));
        assert_eq!(parse_product("Cloud-PBX").unwrap(), ProductId(13));
        assert_eq!(parse_product("12").unwrap(), ProductId(12));
        assert_eq!(
            parse_product("pbx").unwrap_err().to_string(),
            "unknown product `pbx`: use one of linkus, appliance, software-edition, cloud-pbx or a product ID"
        );
        assert!(parse_product("-1").is_err());
        assert!(parse_product("99999999999").is_err());
    }
}
