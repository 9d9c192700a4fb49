//! `entitle schema`: print the manifest JSON Schema (the same text as the committed
//! `schema/manifest.schema.json`), or with `--policy` the policy file's
//! (`schema/policy.schema.json`), for editors and CI.

use std::io::Write;

use clap::Args;

use super::{Exit, GlobalArgs};

/// The long `--help` text (set on the subcommand in `cli/mod.rs`).
pub const LONG_ABOUT: &str = "Print the manifest JSON Schema (draft-07) to stdout.\n\n\
        The same schema is committed as schema/manifest.schema.json. Point an editor at it with a \
        first line such as `# yaml-language-server: $schema=../schema/manifest.schema.json`; \
        `entitle validate` checks manifests against it as well as the rules no schema can express.\n\n\
        With --policy, the schema of the policy file (entitle.policy.yaml), committed as \
        schema/policy.schema.json.";

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema of the policy file (entitle.policy.yaml) instead of the manifests'.
    #[arg(long)]
    pub policy: bool,
}

pub fn run(_global: &GlobalArgs, args: SchemaArgs) -> anyhow::Result<Exit> {
    let mut out = std::io::stdout().lock();
    let schema = if args.policy {
        crate::manifest::policy_schema_json()
    } else {
        crate::manifest::schema_json()
    };
    out.write_all(schema.as_bytes())?;
    out.flush()?;
    Ok(Exit::Success)
}
