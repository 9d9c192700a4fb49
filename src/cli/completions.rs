//! `entitle completions SHELL`: print a shell completion script.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Exit, GlobalArgs};

#[derive(Debug, Args)]
#[command(long_about = "Print a completion script for SHELL to stdout.\n\n\
        Install it where your shell looks for completions, for example:\n  \
        bash: entitle completions bash > ~/.local/share/bash-completion/completions/entitle\n  \
        zsh:  entitle completions zsh > ~/.zfunc/_entitle   (with fpath+=~/.zfunc)\n  \
        fish: entitle completions fish > ~/.config/fish/completions/entitle.fish\n  \
        PowerShell: entitle completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

pub fn run(_global: &GlobalArgs, args: CompletionsArgs) -> anyhow::Result<Exit> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "entitle", &mut out);
    std::io::Write::flush(&mut out)?;
    Ok(Exit::Success)
}
