//! `entitle forecast`: what the next days hold for the PBXs in scope — the renewals entitle
//! will order, the terms the vendor will auto-renew, the terms that will lapse — with prices.
//! Read-only, like `plan`.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use entitle_engine::session::{Forecasted, Mode};

use super::output::Output;
use super::scope::{self, ScopeArgs};
use super::{Exit, GlobalArgs, NetworkArgs, config};
use crate::render;

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// Manifest files or directories (default: manifests/).
    #[arg(value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,
    /// How many days ahead, from today.
    #[arg(long, value_name = "N", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ForecastFormat::Text)]
    pub format: ForecastFormat,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// The forecast's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ForecastFormat {
    /// A table, with totals per customer and per month.
    Text,
    /// For an issue or a report, with a per-month spend chart (Mermaid).
    Markdown,
    Json,
    /// `date,sn,product,customer,event,amount,currency`.
    Csv,
    /// An RFC 5545 calendar: one all-day event per renewal, auto-renewal or lapse.
    Ics,
}

pub fn run(global: &GlobalArgs, args: ForecastArgs) -> anyhow::Result<Exit> {
    // Options of `plan` a forecast has no use for: refused, so none seems to have been applied.
    let unused: Vec<&str> = [
        (!args.scope.only.is_empty(), "--only"),
        (args.scope.max_cost.is_some(), "--max-cost"),
        (
            args.scope.price || args.scope.no_price,
            "--price/--no-price",
        ),
    ]
    .into_iter()
    .filter_map(|(given, name)| given.then_some(name))
    .collect();
    if !unused.is_empty() {
        anyhow::bail!(
            "{} {} no meaning for a forecast (it prices every renewal and orders nothing)",
            unused.join(", "),
            if unused.len() == 1 { "has" } else { "have" }
        );
    }
    let color_err = config::use_color(global, std::io::stderr().is_terminal());
    config::init_logging(global.verbose, color_err);
    let Ok(manifests) = scope::load_or_problems(&args.paths, color_err)? else {
        return Ok(Exit::Error);
    };
    let desired = scope::select(&manifests, &args.scope)?;
    let settings = args.scope.settings(&args.network)?;
    let forecasted = config::runtime()?.block_on(async {
        let conn = config::connect(&args.network, settings.clock).await?;
        let mut session = scope::open(&conn, settings, Mode::Plan).await?;
        let reading = super::progress::display(super::progress::READING, global.quiet);
        let pricing = super::progress::display(super::progress::PRICING, global.quiet);
        let f = session
            .forecast(
                &manifests,
                &desired,
                args.days,
                reading.as_ref(),
                pricing.as_ref(),
            )
            .await?;
        anyhow::Ok(f)
    })?;
    let forecast = match forecasted {
        Forecasted::Forecast(f) => f,
        Forecasted::Refused(diags) => {
            render::write_plan_refused(
                &diags,
                &manifests.files,
                color_err,
                &mut std::io::stderr().lock(),
            )?;
            return Ok(Exit::Error);
        }
    };
    // A closed stdout (`| head`) hides the forecast, never its exit code.
    let mut out = Output::stdout();
    let _ = match args.format {
        ForecastFormat::Text => render::write_forecast_text(&forecast, &mut out),
        ForecastFormat::Markdown => render::write_forecast_markdown(&forecast, &mut out),
        ForecastFormat::Json => render::write_forecast_json(&forecast, &mut out),
        ForecastFormat::Csv => render::write_forecast_csv(&forecast, &mut out),
        ForecastFormat::Ics => render::write_forecast_ics(&forecast, &mut out),
    };
    Ok(Exit::Success)
}
