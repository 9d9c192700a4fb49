//! `entitle export`: write a manifest from what the account has today — a starting point for
//! an entitlements repository, which `plan` then finds in agreement: adopting an estate orders
//! nothing. Renewals are off (`defaults: renew: false`) until the partner turns them on, and a
//! PBX whose term would be renewed now says, on its own `renew: false`, how to ask for it.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::{Exit, GlobalArgs, NetworkArgs, config};
use crate::account;
use crate::clock::Clock;
use crate::manifest::{self, v1};
use crate::model::{Cycle, ObservedPbx, ProductId};
use crate::wire::date::Date;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only this product: linkus, appliance, software-edition, cloud-pbx, or a product ID
    /// (repeatable; default all four).
    #[arg(
        long = "product",
        value_name = "P",
        value_parser = super::catalog::ProductParser,
        hide_possible_values = true
    )]
    pub products: Vec<ProductId>,
    /// Only this PBX (repeatable).
    #[arg(long = "sn", value_name = "SN")]
    pub sns: Vec<String>,
    /// Also read and write each PBX's auto-renewal flag (one more request per PBX).
    #[arg(long)]
    pub auto_renew: bool,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "out", value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub out: Option<PathBuf>,
    /// The schema the first line names for editors (`# yaml-language-server: $schema=REF`): a
    /// URL, or a path relative to the written file such as ../schema/manifest.schema.json (a
    /// copy from `entitle schema`); `none` writes no such line. Default: where this version of
    /// entitle publishes its schema.
    #[arg(long = "schema", value_name = "REF", default_value = manifest::SCHEMA_URL)]
    pub schema: String,
    #[command(flatten)]
    pub network: NetworkArgs,
}

fn alias(p: ProductId) -> Option<v1::ProductAlias> {
    Some(match p {
        ProductId::LINKUS => v1::ProductAlias::Linkus,
        ProductId::APPLIANCE => v1::ProductAlias::Appliance,
        ProductId::SOFTWARE_EDITION => v1::ProductAlias::SoftwareEdition,
        ProductId::CLOUD_PBX => v1::ProductAlias::CloudPbx,
        _ => return None,
    })
}

/// The manifest entry that says exactly what a PBX has.
fn entry(o: &ObservedPbx) -> v1::PbxEntry {
    let plan = o.plan.as_ref();
    let mut labels = std::collections::BTreeMap::new();
    if !o.comment.trim().is_empty() {
        labels.insert("comment".to_owned(), o.comment.trim().to_owned());
    }
    v1::PbxEntry {
        sn: v1::Sn(o.sn.clone()),
        product: alias(o.product),
        product_id: alias(o.product).is_none().then_some(o.product.0),
        plan: plan.map(|p| p.name.clone()),
        plan_id: None,
        billing_cycle: plan.map(|p| p.cycle.into()),
        term: plan
            .filter(|p| p.cycle == Cycle::Annually)
            .map(|p| p.multi_cycle.max(1)),
        extensions: (o.extensions > 0).then_some(o.extensions),
        concurrent_calls: (o.concurrent_calls > 0).then_some(o.concurrent_calls),
        services: plan.map(|_| {
            o.services
                .iter()
                .map(|s| v1::ServiceRef::Name(s.name.clone()))
                .collect()
        }),
        auto_renew: o.auto_renew,
        renew: None,
        renew_before: None,
        billing_contact: None,
        labels: (!labels.is_empty()).then_some(v1::Labels(labels)),
    }
}

/// When a PBX's term ends within the default `renewBefore` of `today` (or has ended): a plan
/// with renewals on would renew it now.
fn renewal_due(o: &ObservedPbx, today: Date) -> Option<Date> {
    let ends = o.plan.as_ref()?.expires;
    (today.days_until(ends) <= i64::from(manifest::DEFAULT_RENEW_BEFORE_DAYS)).then_some(ends)
}

/// The written manifest with a comment on each `renew: false`: the file's default says how to
/// turn renewals on, and each PBX due now says when its term ends. The YAML writer keeps no
/// comments, so they are added to its lines (entries are `- sn:` items, in `due`'s order).
fn explain_renew(yaml: &str, due: &[Option<Date>]) -> String {
    let window = manifest::DEFAULT_RENEW_BEFORE_DAYS;
    let mut out = String::with_capacity(yaml.len() + 80 * (1 + due.len()));
    let mut entry: Option<usize> = None;
    for line in yaml.lines() {
        if line.starts_with("- sn:") {
            entry = Some(entry.map_or(0, |i| i + 1));
        }
        out.push_str(line);
        if line == "  renew: false" {
            match entry {
                None => out.push_str(&format!(
                    "  # adopted as is: entitle renews nothing here; `true` renews each term once it ends within {window}d (a PBX with its own `renew: false` below excepted)"
                )),
                Some(i) => {
                    if let Some(Some(ends)) = due.get(i) {
                        out.push_str(&format!(
                            "  # term ends {ends}, within {window}d: set `true` to have entitle renew it now"
                        ));
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

pub fn run(global: &GlobalArgs, args: ExportArgs) -> anyhow::Result<Exit> {
    config::init_logging(
        global.verbose,
        config::use_color(global, std::io::stderr().is_terminal()),
    );
    let products: Vec<ProductId> = if args.products.is_empty() {
        ProductId::ALIASES.iter().map(|(_, p)| *p).collect()
    } else {
        args.products
    };
    let rt = config::runtime()?;
    let (pbxs, today) = rt.block_on(async {
        let conn = config::connect(&args.network, Clock::system()).await?;
        let pbxs = account::pbx_states(&conn.client, &products, &args.sns, args.auto_renew).await?;
        // "Due" as plan will count it: on the vendor's clock.
        let clock = conn
            .client
            .vendor_clock()
            .await?
            .unwrap_or_else(Clock::system);
        anyhow::Ok((pbxs, clock.today()))
    })?;
    for sn in &args.sns {
        if !pbxs.iter().any(|o| o.sn.eq_ignore_ascii_case(sn)) {
            bail!("--sn {sn}: no such PBX under the products asked for");
        }
    }
    let due: Vec<Option<Date>> = pbxs.iter().map(|o| renewal_due(o, today)).collect();
    let manifest = v1::Manifest {
        version: v1::FormatVersion,
        defaults: Some(v1::Defaults {
            renew: Some(false),
            ..v1::Defaults::default()
        }),
        pbxs: pbxs
            .iter()
            .zip(&due)
            .map(|(o, due)| v1::PbxEntry {
                renew: due.map(|_| false),
                ..entry(o)
            })
            .collect(),
    };
    // The modeline names the schema this entitle checks against, so an editor opening the
    // file checks the same rules.
    let schema = Some(args.schema.trim()).filter(|r| !r.is_empty() && *r != "none");
    let yaml = explain_renew(&manifest::to_yaml(&manifest, schema)?, &due);
    match &args.out {
        Some(path) => {
            super::plan::write_atomically(path, yaml.as_bytes())?;
            eprintln!(
                "Wrote {} to {}.",
                crate::words::plural(pbxs.len(), "PBX", "PBXs"),
                path.display()
            );
        }
        None => std::io::stdout().lock().write_all(yaml.as_bytes())?,
    }
    Ok(Exit::Success)
}
