//! The JSON plan document (`format_version` 1.0, documented in `docs/plan-format.md`): the plan
//! itself plus its summary. The same document is what `plan -o` saves.

use std::io::Write;

use serde::Serialize;

use crate::plan::{Plan, Summary};

/// The plan with its summary, as printed and saved.
#[derive(Debug, Serialize)]
pub(super) struct PlanDocument<'a> {
    #[serde(flatten)]
    pub plan: &'a Plan,
    pub summary: Summary,
}

pub(super) fn plan_document(plan: &Plan) -> PlanDocument<'_> {
    PlanDocument {
        plan,
        summary: plan.summary(),
    }
}

/// Pretty JSON with a trailing newline. IDs are JSON integers, exact (never floats).
pub(crate) fn write_plan_json(plan: &Plan, w: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &plan_document(plan))?;
    writeln!(w)
}
