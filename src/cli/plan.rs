//! `entitle plan`: read what the account has, diff it against the manifests, print the plan,
//! optionally save it for `apply`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::scope::{self, ScopeArgs};
use super::{Exit, Format, GlobalArgs, NetworkArgs, config};
use crate::manifest::Diagnostics;
use crate::pipeline::{self, Workspace, WorkspaceError};
use crate::plan::Plan;
use crate::render::{self, MarkdownOptions, TextOptions};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Manifest files or directories (default: manifests/).
    #[arg(value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Save the plan (JSON) for `entitle apply FILE`.
    #[arg(short = 'o', long = "out", value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub out: Option<PathBuf>,
    /// Exit 2 when the plan has changes, 0 when it has none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Show each order's exact request body in text output.
    #[arg(long)]
    pub show_bodies: bool,
    #[command(flatten)]
    pub markdown: MarkdownArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// How `--format markdown` lays the plan out (a pull-request comment).
#[derive(Debug, Args)]
#[command(next_help_heading = "Markdown")]
pub struct MarkdownArgs {
    /// Group PBXs by this label in the summary table and sections (a PBX without it goes by
    /// its manifest file).
    #[arg(long, value_name = "LABEL", default_value = "customer")]
    pub group_by: String,
    /// Link every `file:line` to `URL/file#Lline`, e.g.
    /// https://github.com/ORG/REPO/blob/COMMIT
    #[arg(long, value_name = "URL")]
    pub link_base: Option<String>,
    /// Leave sections out past this many characters (GitHub refuses comments over 65,536).
    #[arg(long, value_name = "CHARS", default_value_t = render::DEFAULT_MAX_CHARS)]
    pub max_chars: usize,
}

impl MarkdownArgs {
    pub(crate) fn options(&self, saved_as: Option<&std::path::Path>) -> MarkdownOptions {
        MarkdownOptions {
            group_by: self.group_by.clone(),
            link_base: self.link_base.clone(),
            max_chars: self.max_chars,
            saved_as: saved_as.map(|p| p.display().to_string()),
        }
    }
}

/// Writes a rendered plan in the chosen format.
pub(crate) fn render(
    plan: &Plan,
    format: Format,
    opts: TextOptions,
    markdown: &MarkdownOptions,
    w: &mut impl Write,
) -> anyhow::Result<()> {
    match format {
        Format::Text => render::write_plan_text(plan, opts, w)?,
        Format::Json => render::write_plan_json(plan, w)?,
        Format::Markdown => render::write_plan_markdown(plan, markdown, w)?,
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    crate::atomic::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Why `plan` has no plan to print.
enum Failed {
    /// The manifests, or the plan's rules, refused (every problem is printed on stderr).
    Problems(&'static str, Diagnostics),
    Error(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failed {
    fn from(e: E) -> Self {
        Failed::Error(e.into())
    }
}

pub fn run(global: &GlobalArgs, args: PlanArgs) -> anyhow::Result<Exit> {
    let format = args.format;
    let markdown = args.markdown.options(None);
    let failed = match plan(global, args) {
        Ok(exit) => return Ok(exit),
        Err(failed) => failed,
    };
    // Markdown and JSON are read by CI: a failure is a document too, so a PR comment says why
    // there is no plan rather than keeping the last one up.
    let (message, problems) = match &failed {
        Failed::Problems(what, diags) => ((*what).to_owned(), diags.0.as_slice()),
        Failed::Error(e) => (super::error_report(e), &[][..]),
    };
    let report = render::Failure {
        exit_code: Exit::Error.code(),
        message: &message,
        problems,
    };
    let mut out = std::io::stdout().lock();
    match format {
        Format::Text => {}
        Format::Json => render::write_failure_json(&report, &mut out)?,
        Format::Markdown => render::write_failure_markdown(&report, &markdown, &mut out)?,
    }
    match failed {
        Failed::Problems(..) => Ok(Exit::Error),
        Failed::Error(e) => Err(e),
    }
}

fn plan(global: &GlobalArgs, args: PlanArgs) -> Result<Exit, Failed> {
    let color_err = config::use_color(global, std::io::stderr().is_terminal());
    let color_out = config::use_color(global, std::io::stdout().is_terminal());
    config::init_logging(global.verbose, color_err);
    let manifests = scope::load_or_problems(&args.paths, color_err)?
        .map_err(|d| Failed::Problems("the manifests are not valid; nothing was planned", d))?;
    let desired = scope::select(&manifests, &args.scope)?;
    let price = args.scope.wants_price(args.format != Format::Json);
    let clock = args.scope.clock();
    let mut note = scope::OrderListNote::default();
    let rt = config::runtime()?;
    let planned = rt.block_on(async {
        let conn = config::connect(&args.network, clock).await?;
        note.watch(&conn.client);
        let clock = scope::run_clock(&conn, &args.scope, clock).await?;
        // Orders of unknown outcome from earlier applies are resolved first — unless an apply
        // is running right now, whose journal entries are not leftovers.
        let settle_ms = args.scope.settle_ms()?;
        let backend = args.scope.journal.backend()?;
        let account = conn.client.account_key().to_owned();
        // The lock is held only while leftovers are resolved.
        let opened = Workspace::open(
            &backend,
            &args.scope.journal.path,
            &account,
            conn.client.legacy_account_key(),
            clock,
            std::time::Duration::ZERO,
        )
        .await;
        let leftovers = match opened {
            Ok((mut workspace, _)) => {
                scope::resolve_leftovers(&conn, &mut workspace, settle_ms).await?
            }
            Err(
                e @ (WorkspaceError::Lock(_)
                | WorkspaceError::Backend(crate::backend::BackendError::Busy { .. })),
            ) => {
                eprintln!(
                    "warning: {e}; the orders it has not settled yet count as in doubt in this plan"
                );
                let entries = pipeline::entries_unlocked(
                    &backend,
                    &args.scope.journal.path,
                    &account,
                    conn.client.legacy_account_key(),
                )
                .await?;
                pipeline::leftovers_in_progress(&entries, settle_ms)
            }
            Err(e) => return Err(e.into()),
        };
        scope::make_plan(
            &conn,
            &args.scope,
            clock,
            args.network.parallelism,
            scope::PlanInputs {
                manifests: &manifests,
                desired: &desired,
                paths: &args.paths,
                leftovers,
                price,
                color: color_err,
                quiet: global.quiet,
            },
        )
        .await
    })?;
    let plan = planned.map_err(|d| {
        Failed::Problems(
            "the plan breaks the vendor's rules; nothing was planned and nothing was sent",
            d,
        )
    })?;
    // A closed stdout (`| head`) hides the plan, never its exit code, nor the saved file.
    let mut out = super::output::Output::stdout();
    render(
        &plan,
        args.format,
        TextOptions {
            color: color_out,
            show_bodies: args.show_bodies,
        },
        &args.markdown.options(args.out.as_deref()),
        &mut out,
    )?;
    if let Some(path) = &args.out {
        let mut doc = Vec::new();
        render::write_plan_json(&plan, &mut doc)?;
        write_atomically(path, &doc)?;
        eprintln!(
            "Saved plan {} to {}; apply it with `entitle apply {}`.",
            plan.plan_id,
            path.display(),
            path.display()
        );
    }
    let blocked: Vec<&String> = plan.pbxs.iter().flat_map(|p| &p.blocked).collect();
    for b in &blocked {
        eprintln!("error: {b}");
    }
    Ok(if !blocked.is_empty() {
        Exit::Error
    } else if plan.doubt_until_ms().is_some() {
        Exit::InDoubt
    } else if args.detailed_exitcode && plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Success
    })
}
