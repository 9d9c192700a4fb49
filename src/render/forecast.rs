//! The forecast (`entitle forecast`): text with totals per customer and per month, JSON, and
//! CSV with exactly `date,sn,product,customer,event,amount,currency`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use entitle_engine::session::{Forecast, ForecastRow};

use super::{money, totals};
use crate::plan::money::sum;

/// What a group of events comes to: the priced totals per currency and what it counts.
#[derive(serde::Serialize)]
struct Totals {
    totals: Vec<crate::model::Price>,
    renewals: usize,
    auto_renewals: usize,
    lapses: usize,
    /// Renewals and auto-renewals without a price: not in `totals`.
    unpriced: usize,
}

fn totals_of(rows: &[&ForecastRow]) -> Totals {
    use entitle_core::forecast::EventKind as K;
    let n = |k: K| rows.iter().filter(|r| r.event.kind == k).count();
    Totals {
        totals: sum(rows.iter().filter_map(|r| r.price.as_ref())).0,
        renewals: n(K::Renew),
        auto_renewals: n(K::AutoRenew),
        lapses: n(K::Lapse),
        unpriced: rows
            .iter()
            .filter(|r| r.price.is_none() && r.event.kind != K::Lapse)
            .count(),
    }
}

type ByCustomer<'a> = BTreeMap<Option<&'a str>, Vec<&'a ForecastRow>>;
type ByMonth<'a> = BTreeMap<String, Vec<&'a ForecastRow>>;

/// The events by customer (their `customer` label; none for a PBX without one) and by month.
fn groups(f: &Forecast) -> (ByCustomer<'_>, ByMonth<'_>) {
    let mut customers = ByCustomer::new();
    let mut months = ByMonth::new();
    for r in &f.rows {
        customers
            .entry(r.event.customer.as_deref())
            .or_default()
            .push(r);
        months
            .entry(r.event.date.to_string()[..7].to_owned())
            .or_default()
            .push(r);
    }
    (customers, months)
}

/// `totals` with the group's key first (`customer` is null for PBXs without the label).
fn keyed(key: &str, value: serde_json::Value, totals: Totals) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert(key.to_owned(), value);
    if let Ok(serde_json::Value::Object(t)) = serde_json::to_value(totals) {
        m.extend(t);
    }
    serde_json::Value::Object(m)
}

/// The forecast as JSON, with a final newline: the events, then the totals in all, per
/// customer and per month.
pub(crate) fn write_forecast_json(f: &Forecast, w: &mut impl Write) -> io::Result<()> {
    let (customers, months) = groups(f);
    let all: Vec<&ForecastRow> = f.rows.iter().collect();
    let doc = serde_json::json!({
        "today": f.today,
        "days": f.days,
        "rows": f.rows,
        "changed_first": f.changed_first,
        "totals": totals_of(&all),
        "per_customer": customers
            .iter()
            .map(|(c, rows)| keyed("customer", serde_json::json!(c), totals_of(rows)))
            .collect::<Vec<_>>(),
        "per_month": months
            .iter()
            .map(|(m, rows)| keyed("month", serde_json::json!(m), totals_of(rows)))
            .collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

/// The heading of the PBXs left out of a forecast because the manifest changes them first.
const CHANGED_FIRST: &str = "Not forecast: the manifest changes their plan or term first, and their renewals follow the term that order leaves (apply it, then forecast again)";

/// Each PBX the manifest changes first, in words: `SN (product) [customer]: switch_plan: ...`.
fn changed_first(f: &Forecast) -> impl Iterator<Item = String> + '_ {
    f.changed_first.iter().map(|c| {
        format!(
            "{} ({})  [{}]  {}: {}",
            c.sn,
            c.product,
            c.customer.as_deref().unwrap_or("-"),
            c.operation,
            c.reason
        )
    })
}

/// The PBXs the manifest changes first, under their heading (nothing when there is none).
fn write_changed_first(f: &Forecast, w: &mut impl Write) -> io::Result<()> {
    if f.changed_first.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(w, "{CHANGED_FIRST}:")?;
    for line in changed_first(f) {
        writeln!(w, "  {line}")?;
    }
    Ok(())
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

/// The forecast as an RFC 5545 calendar: one all-day event per renewal, auto-renewal or lapse,
/// with CRLF line ends and lines folded at 75 octets. Stamped with the forecast's day, so the
/// same account gives the same calendar.
pub(crate) fn write_forecast_ics(f: &Forecast, w: &mut impl Write) -> io::Result<()> {
    let mut out = String::new();
    let mut line = |s: &str| fold(s, &mut out);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//entitle//forecast//EN");
    line("CALSCALE:GREGORIAN");
    line("X-WR-CALNAME:entitle renewals");
    let stamp = format!("DTSTAMP:{}T000000Z", compact(f.today));
    for r in &f.rows {
        let e = &r.event;
        let what = match e.kind {
            entitle_core::forecast::EventKind::Renew => "entitle renews",
            entitle_core::forecast::EventKind::AutoRenew => "the vendor auto-renews",
            entitle_core::forecast::EventKind::Lapse => "lapses",
        };
        let cost = match (&r.price, r.estimate) {
            (Some(p), false) => format!(": {}", money(p)),
            (Some(p), true) => format!(": {} (estimate)", money(p)),
            (None, _) => String::new(),
        };
        line("BEGIN:VEVENT");
        line(&format!(
            "UID:{}-{}-{}-{}@entitle",
            compact(e.date),
            e.sn,
            e.product.0,
            e.kind.as_str()
        ));
        line(&stamp);
        line(&format!("DTSTART;VALUE=DATE:{}", compact(e.date)));
        line(&format!("DTEND;VALUE=DATE:{}", compact(e.date.add_days(1))));
        line(&format!(
            "SUMMARY:{}",
            escape(&format!("{} ({}) {what}{cost}", e.sn, e.product))
        ));
        let mut description = format!("The term ends {}.", e.term_ends);
        if let Some(c) = &e.customer {
            description.push_str(&format!(" Customer: {c}."));
        }
        if let Some(why) = &r.why_unknown {
            description.push_str(&format!(" Price unknown: {why}."));
        }
        line(&format!("DESCRIPTION:{}", escape(&description)));
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    w.write_all(out.as_bytes())
}

/// `20261208`.
fn compact(d: crate::wire::date::Date) -> String {
    d.to_string().replace('-', "")
}

/// A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at 75 octets (RFC 5545 3.1), never inside a character, with CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The forecast for an issue or a report: the total, a per-month spend chart GitHub renders
/// (Mermaid `xychart-beta`, one per currency), totals per customer, then every event, within
/// the budget of a GitHub comment.
pub(crate) fn write_forecast_markdown(f: &Forecast, w: &mut impl Write) -> io::Result<()> {
    use std::fmt::Write as _;
    let until = f.today.add_days(i64::from(f.days));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### entitle forecast: {} to {until} ({} days)\n",
        f.today, f.days
    );
    if !f.changed_first.is_empty() {
        let _ = writeln!(out, "**{}:**\n", CHANGED_FIRST);
        for c in &f.changed_first {
            let customer = c
                .customer
                .as_deref()
                .map(|c| format!(", customer {}", super::markdown::esc(c)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- {} ({}){customer}: `{}` — {}",
                super::markdown::esc(&c.sn),
                c.product,
                c.operation,
                super::markdown::esc(&c.reason)
            );
        }
        let _ = writeln!(out);
    }
    if f.rows.is_empty() {
        let _ = writeln!(out, "Nothing renews, auto-renews or lapses.");
        return w.write_all(out.as_bytes());
    }
    let _ = writeln!(out, "{}.\n", capitalized(&cost(f.rows.iter())));
    let (customers, months) = groups(f);
    let currencies: std::collections::BTreeSet<&str> = f
        .rows
        .iter()
        .filter_map(|r| r.price.as_ref().map(|p| p.currency.as_str()))
        .collect();
    for currency in currencies {
        let labels: Vec<String> = months.keys().map(|m| format!("\"{m}\"")).collect();
        let values: Vec<String> = months
            .values()
            .map(|rows| {
                let (sums, _) = sum(rows.iter().filter_map(|r| r.price.as_ref()));
                sums.iter()
                    .find(|p| p.currency == currency)
                    .map_or_else(|| "0".to_owned(), |p| p.total.clone())
            })
            .collect();
        let _ = writeln!(out, "```mermaid\nxychart-beta");
        let _ = writeln!(out, "    title \"Spend per month ({currency})\"");
        let _ = writeln!(out, "    x-axis [{}]", labels.join(", "));
        let _ = writeln!(out, "    y-axis \"{currency}\"");
        let _ = writeln!(out, "    bar [{}]", values.join(", "));
        let _ = writeln!(out, "```\n");
    }
    let _ = writeln!(out, "| customer | cost |\n|---|---:|");
    for (c, rows) in &customers {
        let c = c.unwrap_or("(no customer label)");
        let _ = writeln!(out, "| {} | {} |", cell(c), cost(rows.iter().copied()));
    }
    let _ = writeln!(out, "| **month** | |");
    for (m, rows) in &months {
        let _ = writeln!(out, "| {m} | {} |", cost(rows.iter().copied()));
    }
    let _ = writeln!(
        out,
        "\n<details><summary>{}</summary>\n\n| date | PBX | customer | event | amount |\n|---|---|---|---|---:|",
        super::plural(f.rows.len(), "event", "events")
    );
    let close = "\n</details>\n";
    for (i, r) in f.rows.iter().enumerate() {
        let e = &r.event;
        let amount = match (&r.price, &r.why_unknown) {
            (Some(p), _) if r.estimate => format!("{} (estimate)", money(p)),
            (Some(p), _) => money(p),
            (None, Some(why)) => format!("unknown: {}", cell(why)),
            (None, None) => String::new(),
        };
        let row = format!(
            "| {} | {} ({}) | {} | {} | {amount} |\n",
            e.date,
            cell(&e.sn),
            e.product,
            cell(e.customer.as_deref().unwrap_or("")),
            e.kind.as_str()
        );
        // A comment past GitHub's limit is refused: the rows stop, and say how many are left.
        if out.len() + row.len() + close.len() + 80 > super::DEFAULT_MAX_CHARS {
            let _ = writeln!(
                out,
                "| … and {} more: `entitle forecast --format csv` lists them all | | | | |",
                f.rows.len() - i
            );
            break;
        }
        out.push_str(&row);
    }
    out.push_str(close);
    w.write_all(out.as_bytes())
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|first| first.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A table cell: pipes escaped, line breaks as spaces.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
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
        writeln!(
            w,
            "Nothing renews, auto-renews or lapses from {} to {until}.",
            f.today
        )?;
        return write_changed_first(f, w);
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
    write_changed_first(f, w)?;
    let (customers, months) = groups(f);
    writeln!(w)?;
    writeln!(w, "Per customer:")?;
    for (c, rows) in &customers {
        let c = c.unwrap_or("(no customer label)");
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
    let t = totals_of(&rows);
    let what: Vec<String> = [
        (t.renewals, "renewal", "renewals"),
        (t.auto_renewals, "auto-renewal", "auto-renewals"),
        (t.lapses, "lapse", "lapses"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| super::plural(n, one, many))
    .collect();
    let total = match totals(&t.totals) {
        Some(total) => total,
        None if t.unpriced == 0 => "no cost".to_owned(),
        None => "nothing priced".to_owned(),
    };
    let mut s = format!("{total} for {}", what.join(", "));
    if t.unpriced > 0 {
        s.push_str(&format!(
            " ({} without a price)",
            super::plural(t.unpriced, "event", "events")
        ));
    }
    s
}
