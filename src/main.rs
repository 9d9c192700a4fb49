//! The `entitle` binary: parse, run, map the outcome to an exit code.
#![forbid(unsafe_code)]
// The last error is printed here (Cargo.toml denies printing outside `cli` and `render`).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

use std::process::ExitCode;

use entitle::cli::{self, Exit};

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        // Usage errors exit 1 like every other error (clap's own 2 means "changes" here);
        // --help and --version exit 0.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                Exit::Error.code()
            } else {
                0
            });
        }
    };
    match cli::run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", cli::error_report(&err));
            ExitCode::from(Exit::Error.code())
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
