//! `entitle plan`: read what the account has, diff it against the manifests, print the plan,
//! optionally save it for `apply`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use entitle_engine::session::{self, Mode};

use super::output::Output;
use super::scope::{self, ScopeArgs};
use super::{Exit, Format, GlobalArgs, NetworkArgs, config};
use crate::manifest::Diagnostics;
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
    /// Shorten the details to stay within this many characters, counted as bytes (GitHub
    /// refuses comments over 65,536).
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
            policy: None,
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
    let mut manifests = scope::load_or_problems(&args.paths, color_err)?.map_err(|d| {
        let policy = d.0.iter().all(|p| {
            p.at.as_ref()
                .is_some_and(|at| at.file.ends_with(crate::policy::POLICY_FILE))
        });
        Failed::Problems(
            if policy {
                "the policy file is not valid; nothing was planned"
            } else {
                "the manifests are not valid; nothing was planned"
            },
            d,
        )
    })?;
    ScopeArgs::warn_idle_budgets(&manifests)?;
    args.scope.record_max_cost(&mut manifests);
    let desired = scope::select(&manifests, &args.scope)?;
    let settings = args.scope.settings(&args.network)?;
    let mut note = scope::OrderListNote::default();
    let planned = config::runtime()?.block_on(async {
        let conn = config::connect(&args.network, settings.clock).await?;
        note.watch(&conn.client);
        let mut session = scope::open(&conn, settings, Mode::Plan).await?;
        let inputs = scope::PlanInputs {
            manifests: &manifests,
            desired: &desired,
            selection: args.scope.selection(&args.paths),
            price: args
                .scope
                .wants_price(args.format != Format::Json, &manifests.policies),
            color: color_err,
            quiet: global.quiet,
        };
        scope::make_plan(&mut session, inputs).await
    })?;
    let plan = planned.map_err(|d| {
        Failed::Problems(
            "the plan breaks the vendor's rules; nothing was planned and nothing was sent",
            d,
        )
    })?;
    // A closed stdout (`| head`) hides the plan, never its exit code, nor the saved file.
    let text = TextOptions {
        color: color_out,
        show_bodies: args.show_bodies,
    };
    let limits = args.scope.limits(&plan);
    let violations = crate::policy::check(&plan, &limits);
    let mut markdown = args.markdown.options(args.out.as_deref());
    markdown.policy = (!limits.is_empty()).then(|| render::PolicyVerdict {
        limits: limits.describe(),
        violations: violations.clone(),
    });
    render(&plan, args.format, text, &markdown, &mut Output::stdout())?;
    let mut err = std::io::stderr().lock();
    if let Some(path) = &args.out {
        let mut doc = Vec::new();
        render::write_plan_json(&plan, &mut doc)?;
        write_atomically(path, &doc)?;
        render::write_saved(&plan, path, !violations.is_empty(), &mut err)?;
    }
    render::write_blocked(&plan, &mut err)?;
    render::write_plan_errors(&plan, &manifests.files, color_err, false, &mut err)?;
    render::write_violations(&violations, &mut err)?;
    let exit = session::plan_exit(&plan, args.detailed_exitcode);
    Ok(match exit {
        Exit::Success | Exit::Changes | Exit::InDoubt
            if args.detailed_exitcode && !violations.is_empty() =>
        {
            Exit::OverBudget
        }
        exit => exit,
    })
}
