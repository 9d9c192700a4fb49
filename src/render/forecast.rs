//! The forecast (`entitle forecast`): text with totals per customer and per month, JSON, and
//! CSV with exactly `date,sn,product,customer,event,amount,currency`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use entitle_engine::session::{Forecast, ForecastRow};

use super::{money, totals};
use crate::plan::money::sum;

/// The forecast as JSON, with a final newline.
pub(crate) fn write_forecast_json(f: &Forecast, w: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, f)?;
    writeln!(w)
}

/// One line per event; the amount is empty when unknown (and for a lapse).
pub(crate) fn write_forecast_csv(f: &Forecast, w: &mut impl Write) -> io::Result<()> {
    writeln!(w, "date,sn,product,customer,event,amount,currency")?;
    for r in &f.rows {
        let e = &r.event;
        let (amount, currency) = r
            .price
            .as_ref()
            .map_or(("", ""), |p| (p.total.as_str(), p.currency.as_str()));
        writeln!(
            w,
            "{},{},{},{},{},{},{}",
            e.date,
            csv_field(&e.sn),
            e.product,
            csv_field(e.customer.as_deref().unwrap_or("")),
            e.kind.as_str(),
            amount,
            currency
        )?;
    }
    Ok(())
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The events, then what they cost per customer and per month.
pub(crate) fn write_forecast_text(f: &Forecast, w: &mut impl Write) -> io::Result<()> {
    let until = f.today.add_days(i64::from(f.days));
    if f.rows.is_empty() {
        return writeln!(
            w,
            "Nothing renews, auto-renews or lapses from {} to {until}.",
            f.today
        );
    }
    writeln!(
        w,
        "Forecast from {} to {until} ({} days): {}.",
        f.today,
        f.days,
        cost(f.rows.iter())
    )?;
    writeln!(w)?;
    for r in &f.rows {
        let e = &r.event;
        let amount = match (&r.price, &r.why_unknown) {
            (Some(p), _) if r.estimate => format!("{} (estimate)", money(p)),
            (Some(p), _) => money(p),
            (None, Some(why)) => format!("price unknown: {why}"),
            (None, None) => String::new(),
        };
        writeln!(
            w,
            "  {}  {:<10}  {} ({})  [{}]  term ends {}  {amount}",
            e.date,
            e.kind.as_str(),
            e.sn,
            e.product,
            e.customer.as_deref().unwrap_or("-"),
            e.term_ends
        )?;
    }
    let mut customers: BTreeMap<&str, Vec<&ForecastRow>> = BTreeMap::new();
    let mut months: BTreeMap<String, Vec<&ForecastRow>> = BTreeMap::new();
    for r in &f.rows {
        customers
            .entry(r.event.customer.as_deref().unwrap_or("(no customer label)"))
            .or_default()
            .push(r);
        months
            .entry(r.event.date.to_string()[..7].to_owned())
            .or_default()
            .push(r);
    }
    writeln!(w)?;
    writeln!(w, "Per customer:")?;
    for (c, rows) in &customers {
        writeln!(w, "  {c}: {}", cost(rows.iter().copied()))?;
    }
    writeln!(w)?;
    writeln!(w, "Per month:")?;
    for (m, rows) in &months {
        writeln!(w, "  {m}: {}", cost(rows.iter().copied()))?;
    }
    Ok(())
}

/// "USD 1,180.00 for 3 renewals, 1 lapse": the priced total, and what it counts.
fn cost<'a>(rows: impl Iterator<Item = &'a ForecastRow>) -> String {
    let rows: Vec<&ForecastRow> = rows.collect();
    let (sums, _) = sum(rows.iter().filter_map(|r| r.price.as_ref()));
    let count = |kind: entitle_core::forecast::EventKind, one: &str, many: &str| {
        let n = rows.iter().filter(|r| r.event.kind == kind).count();
        (n > 0).then(|| super::plural(n, one, many))
    };
    use entitle_core::forecast::EventKind as K;
    let what: Vec<String> = [
        count(K::Renew, "renewal", "renewals"),
        count(K::AutoRenew, "auto-renewal", "auto-renewals"),
        count(K::Lapse, "lapse", "lapses"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let unknown = rows
        .iter()
        .filter(|r| r.price.is_none() && r.event.kind != K::Lapse)
        .count();
    let mut s = format!(
        "{} for {}",
        totals(&sums).unwrap_or_else(|| "nothing priced".to_owned()),
        what.join(", ")
    );
    if unknown > 0 {
        s.push_str(&format!(
            " ({} without a price)",
            super::plural(unknown, "event", "events")
        ));
    }
    s
}
