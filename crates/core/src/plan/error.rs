//! Plan errors: a rule the vendor would refuse, or a name that does not resolve, tied to the
//! manifest line that asked for it.

use std::fmt;

use crate::manifest::{Code, DesiredPbx, Diagnostic, Loc};

use super::rule::Rule;

/// One reason a PBX cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// The kind of problem (`docs/diagnostics.md`).
    pub code: Code,
    /// `SN (product)`.
    pub pbx: String,
    pub at: Loc,
    /// The contract's rule (vendor-api section 5), when one applies.
    pub rule: Option<Rule>,
    pub message: String,
    pub help: Option<String>,
}

impl PlanError {
    pub fn new(
        code: Code,
        d: &DesiredPbx,
        at: &Loc,
        rule: Option<Rule>,
        message: String,
        help: Option<String>,
    ) -> PlanError {
        PlanError {
            code,
            pbx: d.key(),
            at: at.clone(),
            rule,
            message,
            help,
        }
    }
}

impl PlanError {
    /// ` (vendor rule 9: capacity never shrinks through an order)` after the message, or
    /// nothing: the message says what was asked, this sentence the rule, once.
    pub fn rule_note(&self) -> String {
        self.rule
            .map(|r| format!(" (vendor rule {r}: {})", r.explanation()))
            .unwrap_or_default()
    }

    /// The located diagnostic people and CI read: the PBX first, then what is wrong and, where
    /// one applies, the vendor's rule.
    pub fn diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::new(
            self.code,
            Some(self.at.clone()),
            format!("{}: {}{}", self.pbx, self.message, self.rule_note()),
        );
        match &self.help {
            Some(h) => d.with_help(h.clone()),
            None => d,
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}{}",
            self.at,
            self.pbx,
            self.message,
            self.rule_note()
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// All errors of a plan, in manifest order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PlanErrors(pub Vec<PlanError>);

impl fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}
