//! The forecast: what the next days hold for each PBX in scope —
//! the renewals entitle will order (on the day each falls due under `renewBefore`), the terms
//! the vendor will auto-renew, and the terms that will lapse. Pure: the manifests, the account
//! as read (with each PBX's auto-renewal flag) and the day come in; events come out, in date
//! order. Prices are added by the engine, one quote per distinct renewal body.

use serde::Serialize;

use crate::date::Date;
use crate::manifest::DesiredPbx;
use crate::model::{Cycle, ObservedPbx, ProductId, SubscribedPlan};

/// What happens to a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// entitle orders the renewal (`renew` on), on the day it falls due.
    Renew,
    /// The vendor renews the term at its end (auto-renewal on, `renew: false`).
    AutoRenew,
    /// Nobody renews it: the term ends.
    Lapse,
}

impl EventKind {
    /// As the CSV's `event` column and the JSON write it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Renew => "renew",
            EventKind::AutoRenew => "auto-renew",
            EventKind::Lapse => "lapse",
        }
    }
}

/// One thing that happens to a PBX's term inside the horizon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When: the renewal's due day, or the term's end for an auto-renewal or a lapse.
    pub date: Date,
    pub sn: String,
    pub product: ProductId,
    /// The `customer` label, when the manifest gives one.
    pub customer: Option<String>,
    pub kind: EventKind,
    /// The end of the term this event is about.
    pub term_ends: Date,
}

/// The events of `desired` (each with its observed state, when read) between `today` and
/// `today + days`, both included, in date order (then SN, then kind). A PBX without a plan has
/// none. A monthly term recurs: each renewal inside the horizon is an event of its own.
pub fn forecast<'a>(
    pbxs: impl IntoIterator<Item = (&'a DesiredPbx, &'a ObservedPbx)>,
    today: Date,
    days: u32,
) -> Vec<Event> {
    let until = today.add_days(i64::from(days));
    let mut events = Vec::new();
    for (d, o) in pbxs {
        let Some(plan) = &o.plan else { continue };
        let event = |kind, date, term_ends| Event {
            date,
            sn: d.sn.clone(),
            product: d.product.value,
            customer: d.labels.get(crate::policy::CUSTOMER_LABEL).cloned(),
            kind,
            term_ends,
        };
        let mut ends = plan.expires;
        // Auto-renewal is on, or the manifest has it switched on (the next apply does); the
        // API cannot switch it off, so the account's `true` stands whatever the manifest says.
        let auto_renew =
            o.auto_renew == Some(true) || d.auto_renew.as_ref().is_some_and(|a| a.value);
        if d.renew {
            let window = i64::from(d.renew_before_days.value);
            let mut after: Option<Date> = None;
            loop {
                // A term already within the window (or ended) is renewed today; a run renews a
                // term once, so the next term's renewal, due too, is the next day's.
                let mut due = ends.add_days(-window).max(today);
                if let Some(last) = after {
                    due = due.max(last.add_days(1));
                }
                if due > until {
                    break;
                }
                events.push(event(EventKind::Renew, due, ends));
                after = Some(due);
                ends = next_term_end(plan, ends);
            }
        } else if auto_renew {
            while ends <= until {
                if ends >= today {
                    events.push(event(EventKind::AutoRenew, ends, ends));
                }
                ends = next_term_end(plan, ends);
            }
        } else if (today..=until).contains(&ends) {
            events.push(event(EventKind::Lapse, ends, ends));
        }
    }
    events.sort_by(|a, b| (a.date, &a.sn, a.kind).cmp(&(b.date, &b.sn, b.kind)));
    events
}

/// The end of the term after one ending on `ends`: a month, or the term's years.
fn next_term_end(plan: &SubscribedPlan, ends: Date) -> Date {
    match plan.cycle {
        Cycle::Monthly => ends.add_months(1),
        Cycle::Annually => ends.add_years(plan.multi_cycle.max(1) as i32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Id;
    use crate::testing::{at, date, desired, observed, subscribed_plan};

    fn pbx(sn: &str, cycle: Cycle, years: u32, expires: &str) -> ObservedPbx {
        ObservedPbx {
            plan: Some(subscribed_plan(
                Id(1),
                "Enterprise Plan",
                cycle,
                years,
                expires,
            )),
            ..observed(sn, 12)
        }
    }

    fn run(
        pbxs: &[(DesiredPbx, ObservedPbx)],
        today: &str,
        days: u32,
    ) -> Vec<(String, EventKind, String)> {
        forecast(pbxs.iter().map(|(d, o)| (d, o)), date(today), days)
            .into_iter()
            .map(|e| (e.sn, e.kind, e.date.to_string()))
            .collect()
    }

    #[test]
    fn a_renewal_falls_due_renew_before_the_term_ends_and_recurs_monthly() {
        let annual = (desired("A", 12), pbx("A", Cycle::Annually, 1, "2027-02-15"));
        let monthly = (desired("M", 12), pbx("M", Cycle::Monthly, 0, "2027-01-10"));
        let mut late = desired("L", 12);
        late.renew_before_days = at(7, 2);
        let late = (late, pbx("L", Cycle::Annually, 2, "2026-12-20"));
        assert_eq!(
            run(&[annual, monthly, late], "2026-12-01", 90),
            [
                ("M".to_owned(), EventKind::Renew, "2026-12-11".to_owned()),
                ("L".to_owned(), EventKind::Renew, "2026-12-13".to_owned()),
                // The next terms end 2027-02-10 and 2027-03-10: due 30 days before each.
                ("M".to_owned(), EventKind::Renew, "2027-01-11".to_owned()),
                ("A".to_owned(), EventKind::Renew, "2027-01-16".to_owned()),
                ("M".to_owned(), EventKind::Renew, "2027-02-08".to_owned()),
            ]
        );
    }

    #[test]
    fn without_renew_a_term_auto_renews_or_lapses_at_its_end() {
        let mut off = desired("O", 12);
        off.renew = false;
        let mut auto = pbx("U", Cycle::Monthly, 0, "2026-12-05");
        auto.auto_renew = Some(true);
        let lapses = (off.clone(), pbx("O", Cycle::Annually, 1, "2027-01-31"));
        let renews = (
            DesiredPbx {
                sn: "U".into(),
                ..off.clone()
            },
            auto,
        );
        let lapsed = (
            DesiredPbx {
                sn: "P".into(),
                ..off
            },
            pbx("P", Cycle::Annually, 1, "2026-11-01"),
        );
        assert_eq!(
            run(&[lapses, renews, lapsed], "2026-12-01", 61),
            [
                (
                    "U".to_owned(),
                    EventKind::AutoRenew,
                    "2026-12-05".to_owned()
                ),
                (
                    "U".to_owned(),
                    EventKind::AutoRenew,
                    "2027-01-05".to_owned()
                ),
                ("O".to_owned(), EventKind::Lapse, "2027-01-31".to_owned()),
            ],
            "a term that ended before today has nothing left to forecast"
        );
    }

    #[test]
    fn a_term_already_in_the_window_is_renewed_today_and_nothing_past_the_horizon_shows() {
        let due = (desired("D", 12), pbx("D", Cycle::Annually, 1, "2026-12-10"));
        let ended = (desired("E", 12), pbx("E", Cycle::Annually, 1, "2026-11-20"));
        let far = (desired("F", 12), pbx("F", Cycle::Annually, 1, "2027-12-10"));
        let none = (desired("N", 12), observed("N", 12));
        assert_eq!(
            run(&[due, ended, far, none], "2026-12-01", 30),
            [
                ("D".to_owned(), EventKind::Renew, "2026-12-01".to_owned()),
                ("E".to_owned(), EventKind::Renew, "2026-12-01".to_owned()),
            ]
        );
    }

    #[test]
    fn a_window_longer_than_a_monthly_term_renews_one_term_per_day() {
        let mut d = desired("W", 12);
        d.renew_before_days = at(45, 2);
        let w = (d, pbx("W", Cycle::Monthly, 0, "2026-12-10"));
        assert_eq!(
            run(&[w], "2026-12-01", 40),
            [
                // The term ending 2026-12-10 and the next (2027-01-10) are both due today:
                // today's run renews one, the next day's the other.
                ("W".to_owned(), EventKind::Renew, "2026-12-01".to_owned()),
                ("W".to_owned(), EventKind::Renew, "2026-12-02".to_owned()),
                // 2027-02-10 less 45 days.
                ("W".to_owned(), EventKind::Renew, "2026-12-27".to_owned()),
            ]
        );
    }

    #[test]
    fn a_manifest_that_switches_auto_renewal_on_makes_it_an_auto_renewal() {
        let mut d = desired("A", 12);
        d.renew = false;
        d.auto_renew = Some(at(true, 3));
        let off = (d.clone(), pbx("A", Cycle::Annually, 1, "2026-12-20"));
        assert_eq!(
            run(&[off], "2026-12-01", 30),
            [(
                "A".to_owned(),
                EventKind::AutoRenew,
                "2026-12-20".to_owned()
            )]
        );
        // `autoRenew: false` cannot switch the account's `true` off: it still auto-renews.
        d.auto_renew = Some(at(false, 3));
        let mut on = pbx("A", Cycle::Annually, 1, "2026-12-20");
        on.auto_renew = Some(true);
        assert_eq!(
            run(&[(d, on)], "2026-12-01", 30),
            [(
                "A".to_owned(),
                EventKind::AutoRenew,
                "2026-12-20".to_owned()
            )]
        );
    }
}
