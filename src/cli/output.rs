//! Standard output for commands whose exit code says something (`plan`, `apply`,
//! `validate`, `doctor`): a reader that went away (`entitle plan … | head`) is remembered, not
//! returned, so a closed pipe can never decide the exit code — the command still exits with
//! what happened (changes, in doubt, unknown, invalid). Any other write error is returned.

use std::io::Write;

/// Standard output that survives its reader going away.
pub(super) struct Output {
    out: std::io::Stdout,
    closed: Option<std::io::Error>,
}

impl Output {
    pub(super) fn stdout() -> Output {
        Output {
            out: std::io::stdout(),
            closed: None,
        }
    }

    /// The broken pipe, if the reader went away.
    pub(super) fn failed(self) -> Option<std::io::Error> {
        self.closed
    }

    fn check(&mut self, r: std::io::Result<()>) -> std::io::Result<()> {
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = Some(e);
                Ok(())
            }
            other => other,
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed.is_some() {
            return Ok(buf.len());
        }
        match self.out.write(buf) {
            Ok(n) => Ok(n),
            Err(e) => self.check(Err(e)).map(|()| buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed.is_some() {
            return Ok(());
        }
        let r = self.out.flush();
        self.check(r)
    }
}
