//! `entitle doctor`: checks a real account against every assumption entitle makes about the
//! vendor's API (see [`crate::doctor`]), has `render` print what it found, and saves the raw
//! answers, redacted, when asked. Read-only: no order, no auto-renewal.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{Exit, GlobalArgs, JournalArgs, NetworkArgs, config, scope};
use crate::apply::EntryState;
use crate::clock::Clock;
use crate::doctor::{self, DoctorRequest};
use crate::render;
use crate::workspace;

pub(super) const LONG_ABOUT: &str = "\
Check a real account against every assumption entitle makes about the Partner API, read-only.

Doctor asks for a token (and renews it), lists the products, reads one page of PBXs of every
product of the given manifests (or, without manifests, of every product), the detail and
catalog of each PBX of the manifests (or of one sample PBX per product), one auto-renew status
per product, the billing contacts, the order list (its first page, and back to the oldest
order of this workspace's journal, as apply reads it) and the detail of the newest order, and
sends two requests meant to fail (a made-up token, a made-up SN). It never sends an order or
turns auto-renewal on; with --price it also asks the calculator for one price (which changes
nothing), and says so first.

Each assumption is reported confirmed, contradicted or unseen, with the evidence; then every
field the vendor sent that entitle ignores and every field it expects that did not come.
--save-samples writes each answer whole (the envelope with its result) with secrets, tokens,
e-mail addresses, contacts' names, company, phone and address, activation codes and PBX
comments redacted: send them to us to turn into test fixtures.";

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Manifests whose PBXs to read (default: one sample PBX per product).
    #[arg(value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,
    /// Only this PBX of the manifests (repeatable).
    #[arg(long = "sn", value_name = "SN")]
    pub sns: Vec<String>,
    /// Also ask the calculator for one price (a calculation changes nothing).
    #[arg(long)]
    pub price: bool,
    /// Write the raw answers, redacted, into this directory.
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub save_samples: Option<PathBuf>,
    /// The journal whose placed orders are looked for, to see whether the vendor echoes their
    /// poNumbers (on the shared backend when one is set, as `apply` writes it).
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub network: NetworkArgs,
}

pub fn run(global: &GlobalArgs, args: DoctorArgs) -> anyhow::Result<Exit> {
    let color = config::use_color(global, std::io::stderr().is_terminal());
    config::init_logging(global.verbose, color);
    let mut req = DoctorRequest {
        price: args.price,
        ..DoctorRequest::default()
    };
    if args.paths.is_empty() && !args.sns.is_empty() {
        anyhow::bail!("--sn picks PBXs of the manifests: give the manifests' paths too");
    }
    if !args.paths.is_empty() {
        let Some(loaded) = scope::load(&args.paths, color)? else {
            return Ok(Exit::Error);
        };
        // A mistyped SN would otherwise leave nothing to read, and doctor sample instead.
        req.targets = scope::by_sn(&loaded, &args.sns)?
            .map(|p| (p.product.value, p.sn.clone()))
            .collect();
    }
    let backend = args.journal.backend()?;
    if args.price {
        render::write_doctor_price_notice(&mut std::io::stderr().lock())?;
    }
    let (base_url, report) = config::runtime()?.block_on(async {
        let conn = config::connect(&args.network, Clock::system()).await?;
        // Read without the lock: doctor only looks, and may run beside an apply.
        let entries = workspace::entries_unlocked(
            &backend,
            &args.journal.path,
            conn.client.account_key(),
            conn.client.legacy_account_key(),
        )
        .await?;
        let latest = crate::apply::journal::latest(&entries);
        let placed = |po: &str| {
            latest
                .get(po)
                .is_some_and(|e| matches!(e.state, EntryState::Done | EntryState::Pending))
        };
        req.placed = latest
            .keys()
            .filter(|po| placed(po))
            .map(|po| (*po).to_owned())
            .collect();
        // From the intent, journaled before the order was sent: its order is no older.
        req.placed_since_ms = entries
            .iter()
            .filter(|e| placed(e.po_number.as_str()))
            .map(|e| e.at_ms)
            .min();
        let report = doctor::run(&conn.client, &req).await;
        anyhow::Ok((conn.client.base_url().to_owned(), report))
    })?;
    let mut out = super::output::Output::stdout();
    render::write_doctor_report(&base_url, &report, &mut out)?;
    if let Some(dir) = &args.save_samples {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the samples directory {}", dir.display()))?;
        for (name, value) in &report.samples {
            let path = dir.join(name);
            let text = serde_json::to_string_pretty(value)?;
            crate::atomic::write(&path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        render::write_doctor_samples(report.samples.len(), dir, &mut out)?;
    }
    render::write_doctor_verdict(&report, &mut out)?;
    Ok(report.exit())
}
