//! `entitle doctor`'s report: each assumption about the vendor's API with what was found, the
//! fields that differ, where the samples went, and the verdict. It only reads the engine's
//! [`Report`].

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use crate::doctor::{Report, Status};
use crate::words::plural;

/// Said before anything is asked when `--price` is given (on stderr).
pub(crate) fn write_doctor_price_notice(w: &mut impl Write) -> io::Result<()> {
    writeln!(
        w,
        "doctor will ask the calculator (pricing/calculate) for one price; a calculation changes nothing"
    )
}

/// The report, as text, to any writer.
pub(crate) fn write_doctor_report(
    base_url: &str,
    r: &Report,
    w: &mut impl Write,
) -> io::Result<()> {
    writeln!(
        w,
        "entitle doctor: {base_url} (read-only: no order was sent, no auto-renewal turned on)"
    )?;
    writeln!(w)?;
    for f in &r.findings {
        let mark = match f.status {
            Status::Confirmed => "confirmed   ",
            Status::Contradicted if f.blocks => "BLOCKS      ",
            Status::Contradicted => "contradicted",
            Status::Unseen => "unseen      ",
        };
        writeln!(w, "  {mark}  {:<14} {}", f.topic, f.assumption)?;
        writeln!(w, "  {:<12}  {:<14} {}", "", "", f.evidence)?;
    }
    let list =
        |w: &mut dyn Write, title: &str, m: &BTreeMap<&str, BTreeSet<String>>| -> io::Result<()> {
            writeln!(w)?;
            if m.is_empty() {
                return writeln!(w, "{title}: none.");
            }
            writeln!(w, "{title}:")?;
            for (kind, fields) in m {
                writeln!(
                    w,
                    "  {kind}: {}",
                    fields.iter().cloned().collect::<Vec<_>>().join(", ")
                )?;
            }
            Ok(())
        };
    list(
        w,
        "Fields the vendor sent that entitle does not read",
        &r.ignored,
    )?;
    list(w, "Fields entitle expects that did not come", &r.missing)?;
    Ok(())
}

/// Where `--save-samples` wrote the raw answers, and what was redacted.
pub(crate) fn write_doctor_samples(count: usize, dir: &Path, w: &mut impl Write) -> io::Result<()> {
    writeln!(
        w,
        "\nSamples: {} written to {} (secrets, tokens, e-mail addresses, contacts' names, company, phone and address, activation codes and PBX comments redacted).",
        plural(count, "file", "files"),
        dir.display()
    )
}

/// The last word: OK, or BLOCKED with each blocking finding.
pub(crate) fn write_doctor_verdict(r: &Report, w: &mut impl Write) -> io::Result<()> {
    let blockers: Vec<_> = r.blockers().collect();
    writeln!(w)?;
    if blockers.is_empty() {
        writeln!(w, "OK: entitle can work with this account as it is.")
    } else {
        writeln!(
            w,
            "BLOCKED: entitle cannot work with this account until these are resolved:"
        )?;
        for b in blockers {
            writeln!(w, "  - {}: {}: {}", b.topic, b.assumption, b.evidence)?;
        }
        Ok(())
    }
}
