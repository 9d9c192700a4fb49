//! `entitle catalog`: the account's products, their plans and services, and the billing
//! contacts — the names and IDs a manifest author needs, as read by
//! [`crate::account::catalog_report`] and written by `render` in the format asked for.

use std::io::{IsTerminal, Write};

use anyhow::bail;
use clap::Args;
use clap::builder::{PossibleValue, TypedValueParser};

use super::{Exit, Format, GlobalArgs, NetworkArgs, config};
use crate::account;
use crate::clock::Clock;
use crate::model::ProductId;
use crate::render;

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
        Format::Text => render::write_catalog_text(
            &report,
            config::use_color(global, std::io::stdout().is_terminal()),
            &mut out,
        ),
        Format::Json => render::write_catalog_json(&report, &mut out),
        Format::Markdown => render::write_catalog_markdown(&report, &mut out),
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

#[cfg(test)]
mod tests {
    use super::*;

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
