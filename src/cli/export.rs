//! `entitle export`: write a manifest from what the account has today — a starting point for
//! an entitlements repository, which `plan` then finds in agreement (but for renewals due).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::{Exit, GlobalArgs, NetworkArgs, config};
use crate::account;
use crate::clock::Clock;
use crate::manifest::{self, v1};
use crate::model::{Cycle, ObservedPbx, ProductId};

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
    let pbxs = rt.block_on(async {
        let conn = config::connect(&args.network, Clock::system()).await?;
        anyhow::Ok(account::pbx_states(&conn.client, &products, &args.sns, args.auto_renew).await?)
    })?;
    for sn in &args.sns {
        if !pbxs.iter().any(|o| o.sn.eq_ignore_ascii_case(sn)) {
            bail!("--sn {sn}: no such PBX under the products asked for");
        }
    }
    let manifest = v1::Manifest {
        version: v1::FormatVersion,
        defaults: None,
        pbxs: pbxs.iter().map(entry).collect(),
    };
    // The modeline names the schema this entitle checks against, so an editor opening the
    // file checks the same rules.
    let schema = Some(args.schema.trim()).filter(|r| !r.is_empty() && *r != "none");
    let yaml = manifest::to_yaml(&manifest, schema)?;
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
