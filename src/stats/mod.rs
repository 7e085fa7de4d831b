//! Yearly statistics (resolution 78/331 para 16) that identify nobody. Pure logic: the facts of
//! every stored case go in, tables with small counts suppressed come out, as JSON, CSV or a
//! self-contained HTML report (`report`).
//!
//! Counting follows the UN (OIOS): one per report received; a report that implicates several
//! personnel categories, or personnel of several Member States, is counted once under each.
//! Every table is published through [`suppress::publish`]: counts of 1 to 4 show as "<5", and
//! further counts as "x" where a small one could otherwise be worked out from the totals; a
//! table that no publication can protect is withheld whole.

pub mod report;
pub mod suppress;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};
use time::Date;

use crate::allegation::{AgeGroup, AllegationType, PersonnelCategory};
use crate::assistance::{ReferralState, Service};
use crate::cases::Status;
use crate::deadlines::{Clocks, case_dates, day_of};
use crate::notification::{MemberStateDeadline, NationalAction, NotificationDates};
use crate::store::CaseFacts;
use suppress::{Published, Shown};

/// The label of a column or row for cases staff have not classified yet.
pub const UNCLASSIFIED: &str = "unclassified";

/// Counts kept of purged cases: (entity, month received `YYYY-MM`, final status, cases).
pub type PurgedCount = (String, String, String, i64);

/// One published table.
#[derive(Clone, Debug, Serialize)]
pub struct Table {
    pub id: &'static str,
    pub title: &'static str,
    /// What one unit in the table is.
    pub counts: &'static str,
    pub row_label: &'static str,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// `None` when the table is withheld because no publication could protect it.
    #[serde(skip)]
    pub published: Option<Published>,
}

/// An indicator: one figure with what it measures.
#[derive(Clone, Debug, Serialize)]
pub struct Indicator {
    pub id: &'static str,
    pub title: &'static str,
    /// The figure as published: a number, "<5", or "withheld (fewer than 5 cases)".
    pub value: String,
}

/// Statistics of the reports received in one year.
#[derive(Clone, Debug, Serialize)]
pub struct Statistics {
    pub year: i32,
    /// The day the figures were computed: open deadlines are judged as of this day.
    #[serde(with = "crate::store::day_format")]
    pub as_of: Date,
    pub tables: Vec<Table>,
    pub indicators: Vec<Indicator>,
}

/// What the statistics need besides the facts.
pub struct Inputs<'a> {
    pub year: i32,
    pub today: Date,
    pub clocks: &'a Clocks,
    /// Entity ids, in keyring order: every entity has a row, even with nothing to count.
    pub entities: Vec<String>,
}

/// Computes the year's statistics.
pub fn compute(facts: &[CaseFacts], purged: &[PurgedCount], inputs: &Inputs<'_>) -> Statistics {
    let year: Vec<&CaseFacts> = facts
        .iter()
        .filter(|f| f.case.received_on.year() == inputs.year)
        .collect();
    let purged: Vec<&PurgedCount> = purged
        .iter()
        .filter(|(_, month, _, _)| month.starts_with(&format!("{:04}-", inputs.year)))
        .collect();
    let entities = &inputs.entities;
    let mut tables = Vec::new();

    let quarters: Vec<String> = (1..=4).map(|q| format!("Q{q}")).collect();
    let mut by_quarter = Grid::new(entities, &quarters).sharing(ROWS);
    for f in &year {
        let quarter = (f.case.received_on.month() as usize - 1) / 3;
        by_quarter.add(&f.case.entity, &quarters[quarter], 1);
    }
    for (entity, month, _, cases) in &purged {
        let quarter = month
            .get(5..7)
            .and_then(|m| m.parse::<usize>().ok())
            .map_or(0, |m| (m.max(1) - 1) / 3);
        by_quarter.add_reports(entity, &quarters[quarter.min(3)], count(*cases));
    }
    tables.push(by_quarter.publish(
        "reports_by_quarter",
        "Reports received, by quarter",
        "reports (purged cases included)",
    ));

    let allegations = codes(AllegationType::ALL.iter().map(|a| a.code()));
    let mut by_allegation = Grid::new(entities, &allegations).sharing(ROWS);
    for f in &year {
        let column = f
            .classification
            .as_ref()
            .map_or(UNCLASSIFIED, |c| c.allegation.code());
        by_allegation.add(&f.case.entity, column, 1);
    }
    tables.push(by_allegation.publish(
        "reports_by_allegation",
        "Reports by type of allegation",
        "reports",
    ));

    // Unclassified reports are counted once, in the table above, not again here.
    let categories: Vec<String> = PersonnelCategory::ALL
        .iter()
        .map(|c| c.code().to_string())
        .collect();
    let mut by_category = Grid::new(entities, &categories);
    for c in year
        .iter()
        .filter_map(|f| f.classification.as_ref().map(|c| (f, c)))
    {
        let (f, c) = c;
        let mut implicated = c.categories();
        if implicated.is_empty() {
            implicated.push(PersonnelCategory::Unknown);
        }
        for category in implicated {
            by_category.add(&f.case.entity, category.code(), 1);
        }
    }
    tables.push(by_category.publish(
        "reports_by_personnel_category",
        "Reports by category of personnel implicated",
        "classified reports, once under each category a report implicates",
    ));

    let mut states: Vec<String> = year
        .iter()
        .filter_map(|f| f.classification.as_ref())
        .flat_map(|c| c.member_states().into_iter().map(str::to_string))
        .collect();
    states.sort();
    states.dedup();
    let mut by_state = Grid::new(entities, &states).sharing(TOTAL);
    for f in &year {
        if let Some(c) = &f.classification {
            for state in c.member_states() {
                by_state.add(&f.case.entity, state, 1);
            }
        }
    }
    tables.push(by_state.publish(
        "reports_by_member_state",
        "Reports by Member State of the personnel implicated",
        "reports, once under each Member State whose personnel a report implicates",
    ));

    let statuses: Vec<String> = Status::ALL.iter().map(|s| s.code().to_string()).collect();
    let mut by_status = Grid::new(entities, &statuses).sharing(ROWS);
    for f in &year {
        by_status.add(&f.case.entity, f.case.status.code(), 1);
    }
    for (entity, _, status, cases) in &purged {
        by_status.add_reports(entity, status, count(*cases));
    }
    tables.push(by_status.publish(
        "reports_by_status",
        "Reports by current status",
        "reports (purged cases included, at their final status)",
    ));

    let groups: Vec<String> = AgeGroup::ALL.iter().map(|g| g.code().to_string()).collect();
    let mut victims = Grid::new(entities, &groups);
    for f in &year {
        if let Some(c) = &f.classification {
            for group in AgeGroup::ALL {
                victims.add(
                    &f.case.entity,
                    group.code(),
                    u64::from(c.victims.of(*group)),
                );
            }
        }
    }
    tables.push(victims.publish(
        "victims_by_age_group",
        "Victims by age group",
        "victims named in classified reports",
    ));

    let services: Vec<String> = Service::ALL.iter().map(|s| s.code().to_string()).collect();
    let referral_states: Vec<String> = ReferralState::ALL
        .iter()
        .map(|s| s.code().to_string())
        .collect();
    let mut assistance = Grid::new(&services, &referral_states);
    for f in &year {
        // Per case, so that a cell's contributors are cases, not referrals.
        let mut of_case: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for r in &f.referrals {
            *of_case
                .entry((r.service.code(), r.state.code()))
                .or_default() += 1;
        }
        for ((service, state), n) in of_case {
            assistance.add(service, state, n);
        }
    }
    let mut table = assistance.publish(
        "assistance_by_service",
        "Referrals to assistance, by service and where they stand",
        "referrals for reports received in the year",
    );
    table.row_label = "service";

    let indicators = indicators(&year, &table);
    tables.push(table);
    tables.push(timeliness(&year, inputs));

    Statistics {
        year: inputs.year,
        as_of: inputs.today,
        indicators,
        tables,
    }
}

fn count(cases: i64) -> u64 {
    u64::try_from(cases).unwrap_or(0)
}

/// The codes of a vocabulary, with the column for unclassified cases.
fn codes<'a>(list: impl Iterator<Item = &'a str>) -> Vec<String> {
    list.map(str::to_string)
        .chain([UNCLASSIFIED.to_string()])
        .collect()
}

/// How each deadline fared for the year's reports, judged on the day of computation.
fn timeliness(year: &[&CaseFacts], inputs: &Inputs<'_>) -> Table {
    let outcomes: Vec<String> = [
        "met_on_time",
        "met_late",
        "open_overdue",
        "open_not_yet_due",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let targets: Vec<String> = [
        "acknowledge",
        "first_feedback",
        "investigation_target",
        MemberStateDeadline::Notify.code(),
        MemberStateDeadline::Acknowledge.code(),
        MemberStateDeadline::NationalInvestigator.code(),
        MemberStateDeadline::Outcome.code(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut grid = Grid::new(&targets, &outcomes).sharing(ROWS);
    let clocks = inputs.clocks;
    let days = |n: u16| time::Duration::days(i64::from(n));
    for f in year {
        let dates = case_dates(&f.case);
        let mut judge = |target: &str, due_on: Date, met_on: Option<Date>| {
            let outcome = match met_on {
                Some(met) if met <= due_on => "met_on_time",
                Some(_) => "met_late",
                None if due_on < inputs.today => "open_overdue",
                None => "open_not_yet_due",
            };
            grid.add(target, outcome, 1);
        };
        let ack_due = dates.received_on + days(clocks.acknowledge_days);
        judge("acknowledge", ack_due, dates.acknowledged_on);
        let feedback_from = dates.acknowledged_on.unwrap_or(ack_due);
        judge(
            "first_feedback",
            feedback_from + days(clocks.feedback_days),
            dates.first_feedback_on,
        );
        if let Some(started) = dates.investigation_started_on {
            // The day of the finding is when the status last changed to one; a case closed since
            // is judged by its closure, which can only make it look later, never earlier.
            let finding = match f.case.status {
                Status::Substantiated | Status::NotSubstantiated => {
                    day_of(&f.case.status_changed_at)
                }
                Status::Closed => day_of(&f.case.closed_at),
                _ => None,
            };
            judge(
                "investigation_target",
                started + days(clocks.investigation_target_days),
                finding,
            );
        }
        let states = f
            .classification
            .as_ref()
            .map(|c| c.member_states())
            .unwrap_or_default();
        for state in states {
            let notification = f.notifications.iter().find(|n| n.member_state == state);
            let dates = notification.map(notification_dates).unwrap_or_default();
            let mut judged =
                crate::notification::clocks(f.case.received_on, &dates, &clocks.member_state);
            if dates.notified_on.is_none() {
                // Every Member State clock counts every Member State concerned, notified or
                // not, so that no row's total is a sum of another row's cells; the later clocks
                // of a notification not yet made run from the day it was due.
                let assumed = NotificationDates {
                    notified_on: Some(judged[0].due_on),
                    ..NotificationDates::default()
                };
                judged.extend(
                    crate::notification::clocks(f.case.received_on, &assumed, &clocks.member_state)
                        .into_iter()
                        .skip(1)
                        .map(|c| crate::notification::Clock { met_on: None, ..c }),
                );
            }
            for clock in judged {
                judge(clock.deadline.code(), clock.due_on, clock.met_on);
            }
        }
    }
    let mut table = grid.publish(
        "timeliness",
        "Deadlines met and missed",
        "deadlines of the year's reports (one per report, and per Member State concerned)",
    );
    table.row_label = "deadline";
    table
}

/// The days a notification's clocks need.
pub fn notification_dates(n: &crate::store::NotificationRecord) -> NotificationDates {
    let first = |wanted: &dyn Fn(NationalAction) -> bool| {
        n.actions
            .iter()
            .filter(|a| wanted(a.action))
            .filter_map(|a| day_of(&Some(a.recorded_at.clone())))
            .min()
    };
    NotificationDates {
        notified_on: day_of(&Some(n.notified_at.clone())),
        acknowledged_on: day_of(&n.acknowledged_at),
        investigator_on: first(&|a| a == NationalAction::NationalInvestigatorAppointed),
        outcome_on: first(&|a| a.is_outcome()),
    }
}

/// Indicators of assistance. A median of days needs at least 10 cases behind it; an uptake
/// rate is shown in steps of 10% and only when at least 5 took the service up and 5 did not, so
/// that no small count can be worked out from it; open referrals are the sum of the published
/// columns of the assistance table, or withheld when part of that sum is hidden there.
fn indicators(year: &[&CaseFacts], assistance: &Table) -> Vec<Indicator> {
    let mut out = Vec::new();
    let mut first_service: Vec<i64> = year
        .iter()
        .filter_map(|f| {
            let first = f.referrals.iter().filter_map(|r| r.delivered_on).min()?;
            Some((first - f.case.received_on).whole_days())
        })
        .collect();
    first_service.sort_unstable();
    out.push(Indicator {
        id: "days_to_first_service",
        title: "Median days from report to first service delivered",
        value: if first_service.len() < 10 {
            "withheld (fewer than 10 cases)".to_string()
        } else {
            first_service[first_service.len() / 2].to_string()
        },
    });
    for service in Service::ALL {
        let offered: Vec<_> = year
            .iter()
            .flat_map(|f| &f.referrals)
            .filter(|r| r.service == *service)
            .collect();
        // Taken up: accepted at some point and not declined since, or delivered.
        let taken = offered
            .iter()
            .filter(|r| {
                r.delivered_on.is_some()
                    || matches!(
                        r.state,
                        ReferralState::Accepted
                            | ReferralState::Delivered
                            | ReferralState::FollowUp
                    )
            })
            .count();
        let not_taken = offered.len() - taken;
        out.push(Indicator {
            id: "uptake",
            title: service.plain_words(),
            value: if taken < 5 || not_taken < 5 {
                withheld()
            } else {
                let tenths = (taken * 10 + offered.len() / 2) / offered.len();
                format!("about {}% taken up", tenths * 10)
            },
        });
    }
    let open_columns = [
        ReferralState::Offered,
        ReferralState::Accepted,
        ReferralState::Delivered,
        ReferralState::FollowUp,
    ];
    let open = assistance.published.as_ref().and_then(|p| {
        open_columns.iter().try_fold(0u64, |sum, state| {
            let c = assistance.columns.iter().position(|c| c == state.code())?;
            match p.column_totals[c] {
                Shown::Count(n) => Some(sum + n),
                _ => None,
            }
        })
    });
    out.push(Indicator {
        id: "open_referrals",
        title: "Referrals still open",
        value: match open {
            Some(n) => n.to_string(),
            None => "withheld (part of it is hidden in the table)".to_string(),
        },
    });
    out
}

fn withheld() -> String {
    "withheld (too few to show without identifying anyone)".to_string()
}

/// A table being filled: rows × columns of counts, looked up by label.
struct Grid {
    rows: Vec<String>,
    columns: Vec<String>,
    counts: BTreeMap<(usize, usize), u64>,
    /// How many reports contribute to each cell: a cell of 5 or more that fewer than 5 reports
    /// make up (6 victims of one report) is hidden as if it were small.
    reports: BTreeMap<(usize, usize), u64>,
    shared: Shared,
}

/// Reports per entity (and all reports), or deadlines per kind: published by several tables.
const ROWS: Shared = Shared {
    rows: true,
    total: true,
};
/// Case and Member State pairs: the member-state table's total and the timeliness rows'.
const TOTAL: Shared = Shared {
    rows: false,
    total: true,
};

/// Which totals of a table other tables publish too.
#[derive(Clone, Copy, Default)]
struct Shared {
    /// The row totals (and so the grand total): the reports of each entity, say.
    rows: bool,
    /// The grand total only.
    total: bool,
}

impl Grid {
    fn new(rows: &[String], columns: &[String]) -> Grid {
        Grid {
            rows: rows.to_vec(),
            columns: columns.to_vec(),
            counts: BTreeMap::new(),
            reports: BTreeMap::new(),
            shared: Shared::default(),
        }
    }

    /// Marks which totals other tables publish too.
    fn sharing(mut self, shared: Shared) -> Grid {
        self.shared = shared;
        self
    }

    /// Adds to a cell; a row or column not listed (an entity removed from the keyring since)
    /// is added at the end rather than dropped, so that totals stay true.
    fn add(&mut self, row: &str, column: &str, n: u64) {
        let r = index_of(&mut self.rows, row);
        let c = index_of(&mut self.columns, column);
        *self.counts.entry((r, c)).or_default() += n;
        if n > 0 {
            *self.reports.entry((r, c)).or_default() += 1;
        }
    }

    /// Adds the counts kept of purged cases: `n` reports, each its own contributor.
    fn add_reports(&mut self, row: &str, column: &str, n: u64) {
        let r = index_of(&mut self.rows, row);
        let c = index_of(&mut self.columns, column);
        *self.counts.entry((r, c)).or_default() += n;
        *self.reports.entry((r, c)).or_default() += n;
    }

    fn publish(self, id: &'static str, title: &'static str, counts: &'static str) -> Table {
        let matrix: Vec<Vec<u64>> = (0..self.rows.len())
            .map(|r| {
                (0..self.columns.len())
                    .map(|c| self.counts.get(&(r, c)).copied().unwrap_or(0))
                    .collect()
            })
            .collect();
        let sensitive = (0..self.rows.len())
            .map(|r| {
                (0..self.columns.len())
                    .map(|c| (1..5).contains(&self.reports.get(&(r, c)).copied().unwrap_or(0)))
                    .collect()
            })
            .collect();
        // Totals that other tables publish too are never hidden here, since hiding them in one
        // table would protect nothing. A table that cannot be protected so is withheld.
        let rules = suppress::Rules {
            fixed_row_totals: self.shared.rows,
            fixed_total: self.shared.total,
            sensitive,
        };
        let published = suppress::publish_with(&matrix, &rules);
        Table {
            id,
            title,
            counts,
            row_label: "entity",
            rows: self.rows,
            columns: self.columns,
            published,
        }
    }
}

fn index_of(list: &mut Vec<String>, label: &str) -> usize {
    match list.iter().position(|l| l == label) {
        Some(i) => i,
        None => {
            list.push(label.to_string());
            list.len() - 1
        }
    }
}

/// A published cell as JSON: the number, or the text "<5" or "x".
fn cell_json(shown: Shown) -> Value {
    match shown {
        Shown::Count(n) => json!(n),
        other => json!(other.text()),
    }
}

impl Statistics {
    /// The figures as JSON: each table with its cells, margins and total as published.
    pub fn to_json(&self) -> Value {
        let tables: Vec<Value> = self
            .tables
            .iter()
            .map(|t| {
                let mut value = serde_json::to_value(t).unwrap_or(Value::Null);
                value["withheld"] = json!(t.published.is_none());
                if t.published.is_none() {
                    // Even the labels of a withheld table can tell something (which Member
                    // States have reports at all).
                    value["rows"] = json!([]);
                    value["columns"] = json!([]);
                }
                if let Some(p) = &t.published {
                    value["cells"] = p
                        .cells
                        .iter()
                        .map(|row| row.iter().map(|s| cell_json(*s)).collect::<Vec<Value>>())
                        .collect();
                    value["row_totals"] = p.row_totals.iter().map(|s| cell_json(*s)).collect();
                    value["column_totals"] =
                        p.column_totals.iter().map(|s| cell_json(*s)).collect();
                    value["total"] = cell_json(p.total);
                }
                value
            })
            .collect();
        json!({
            "year": self.year,
            "as_of": crate::store::day_format::to_text(self.as_of),
            "legend": { "<5": "a count from 1 to 4", "x": "hidden so that a small count cannot be worked out from the totals" },
            "tables": tables,
            "indicators": self.indicators,
        })
    }

    /// The figures as CSV: `table,row,column,value`, margins under the label `total`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("table,row,column,value\n");
        for t in &self.tables {
            let Some(p) = &t.published else {
                out.push_str(&format!("{},total,total,withheld\n", t.id));
                continue;
            };
            for (r, row) in t.rows.iter().enumerate() {
                for (c, column) in t.columns.iter().enumerate() {
                    line(&mut out, t.id, row, column, p.cells[r][c]);
                }
                line(&mut out, t.id, row, "total", p.row_totals[r]);
            }
            for (c, column) in t.columns.iter().enumerate() {
                line(&mut out, t.id, "total", column, p.column_totals[c]);
            }
            line(&mut out, t.id, "total", "total", p.total);
        }
        for i in &self.indicators {
            out.push_str(&format!(
                "indicator,{},{},{}\n",
                csv_field(i.id),
                csv_field(i.title),
                csv_field(&i.value)
            ));
        }
        out
    }
}

fn line(out: &mut String, table: &str, row: &str, column: &str, shown: Shown) {
    out.push_str(&format!(
        "{},{},{},{}\n",
        table,
        csv_field(row),
        csv_field(column),
        shown.text()
    ));
}

/// A CSV field, quoted when it holds a comma, quote or line break. A field that a spreadsheet
/// would run as a formula gets a leading quote mark, so no label can become one.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allegation::{Classification, Implicated, Victims};
    use crate::store::CaseRecord;
    use time::macros::date;

    fn case(entity: &str, received_on: Date) -> CaseFacts {
        CaseFacts {
            case: CaseRecord {
                id: crate::store::random_id(),
                entity: entity.into(),
                status: Status::Received,
                received_on,
                reply_recipient: String::new(),
                assignees: vec![],
                status_changed_at: None,
                acknowledged_at: None,
                first_feedback_at: None,
                investigation_started_at: None,
                closed_at: None,
                last_reply_at: None,
            },
            classification: None,
            notifications: vec![],
            referrals: vec![],
        }
    }

    fn implicating(groups: &[(PersonnelCategory, Option<&str>)]) -> Classification {
        Classification {
            allegation: AllegationType::SexualAbuse,
            implicated: groups
                .iter()
                .map(|(category, state)| Implicated {
                    category: *category,
                    member_state: state.map(str::to_string),
                })
                .collect(),
            victims: Victims {
                adult: 1,
                child: 0,
                unknown_age: 0,
            },
        }
        .checked()
        .unwrap()
    }

    fn inputs(clocks: &Clocks) -> Inputs<'_> {
        Inputs {
            year: 2026,
            today: date!(2026 - 12 - 31),
            clocks,
            entities: vec!["minusca".into(), "monusco".into()],
        }
    }

    fn cell(stats: &Statistics, table: &str, row: &str, column: &str) -> Shown {
        let t = stats.tables.iter().find(|t| t.id == table).unwrap();
        let r = t.rows.iter().position(|x| x == row).unwrap();
        let c = t.columns.iter().position(|x| x == column).unwrap();
        t.published.as_ref().unwrap().cells[r][c]
    }

    #[test]
    fn a_report_is_counted_once_under_each_category_and_each_member_state_it_implicates() {
        use PersonnelCategory::*;
        let mut facts = Vec::new();
        // Ten reports implicating contingent members of XAA and of XBB and a police unit of XAA.
        for _ in 0..10 {
            let mut f = case("minusca", date!(2026 - 02 - 01));
            f.classification = Some(implicating(&[
                (MilitaryContingent, Some("XAA")),
                (MilitaryContingent, Some("XBB")),
                (FormedPoliceUnit, Some("XAA")),
            ]));
            facts.push(f);
        }
        // Six reports implicating a staff member only.
        for _ in 0..6 {
            let mut f = case("minusca", date!(2026 - 05 - 01));
            f.classification = Some(implicating(&[(StaffMember, None)]));
            facts.push(f);
        }
        let clocks = Clocks::default();
        let stats = compute(&facts, &[], &inputs(&clocks));
        let by = |t, c| cell(&stats, t, "minusca", c);
        let categories = "reports_by_personnel_category";
        assert_eq!(by(categories, "military_contingent"), Shown::Count(10));
        assert_eq!(by(categories, "formed_police_unit"), Shown::Count(10));
        assert_eq!(by(categories, "staff_member"), Shown::Count(6));
        assert_eq!(by("reports_by_member_state", "XAA"), Shown::Count(10));
        assert_eq!(by("reports_by_member_state", "XBB"), Shown::Count(10));
        // One per report in tables of one value per report.
        assert_eq!(
            by("reports_by_allegation", "sexual_abuse"),
            Shown::Count(16)
        );
        assert_eq!(by("reports_by_quarter", "Q1"), Shown::Count(10));
        assert_eq!(by("reports_by_quarter", "Q2"), Shown::Count(6));
        assert_eq!(by("victims_by_age_group", "adult"), Shown::Count(16));
    }

    #[test]
    fn other_years_and_small_counts_do_not_show() {
        let mut facts = vec![case("minusca", date!(2025 - 12 - 31))];
        let filed = [
            ("monusco", 7, 3),
            ("monusco", 10, 6),
            ("minusca", 7, 9),
            ("minusca", 10, 7),
        ];
        for (entity, month, n) in filed {
            for _ in 0..n {
                let on = Date::from_calendar_date(2026, time::Month::try_from(month).unwrap(), 1);
                facts.push(case(entity, on.unwrap()));
            }
        }
        let clocks = Clocks::default();
        let stats = compute(&facts, &[], &inputs(&clocks));
        let t = stats
            .tables
            .iter()
            .find(|t| t.id == "reports_by_quarter")
            .unwrap();
        let p = t.published.as_ref().unwrap();
        assert_eq!(
            p.row_totals,
            vec![Shown::Count(16), Shown::Count(9)],
            "margins stay"
        );
        assert_eq!(p.total, Shown::Count(25), "the 2025 report is not counted");
        assert_eq!(
            cell(&stats, "reports_by_quarter", "monusco", "Q3"),
            Shown::Small
        );
        assert_eq!(
            cell(&stats, "reports_by_quarter", "minusca", "Q3"),
            Shown::Hidden,
            "the complement of a small cell above a published total"
        );
        let csv = stats.to_csv();
        assert!(csv.contains("reports_by_quarter,monusco,Q3,<5\n"), "{csv}");
        assert!(!csv.contains(",3\n"), "no small count in the export: {csv}");
    }

    #[test]
    fn a_table_whose_small_count_follows_from_published_totals_is_withheld() {
        // Each entity's reports all fall in one quarter: MONUSCO's 3 would be the column total
        // less MINUSCA's total, both published (they are the reports of an entity and of a
        // quarter, which other tables publish too), so the table is withheld whole.
        let mut facts = Vec::new();
        for (entity, n) in [("monusco", 3), ("minusca", 9)] {
            for _ in 0..n {
                facts.push(case(entity, date!(2026 - 07 - 01)));
            }
        }
        let clocks = Clocks::default();
        let stats = compute(&facts, &[], &inputs(&clocks));
        let t = stats
            .tables
            .iter()
            .find(|t| t.id == "reports_by_quarter")
            .unwrap();
        assert!(t.published.is_none());
        assert!(
            stats
                .to_csv()
                .contains("reports_by_quarter,total,total,withheld\n")
        );
        let json = stats.to_json();
        let withheld = json["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == "reports_by_quarter")
            .unwrap();
        assert_eq!(withheld["withheld"], true);
        assert_eq!(withheld["rows"], json!([]), "not even the labels");
    }

    #[test]
    fn deadlines_are_judged_met_late_or_open_against_their_targets() {
        let mut facts = Vec::new();
        for i in 0..6 {
            let mut f = case("minusca", date!(2026 - 01 - 01));
            // Three acknowledged on the 3rd day, three on the 20th.
            let day = if i < 3 { "2026-01-03" } else { "2026-01-20" };
            f.case.acknowledged_at = Some(format!("{day}T10:00:00Z"));
            facts.push(f);
        }
        for _ in 0..5 {
            facts.push(case("minusca", date!(2026 - 12 - 29)));
        }
        let clocks = Clocks::default();
        let stats = compute(&facts, &[], &inputs(&clocks));
        let t = |outcome| cell_of(&stats, "timeliness", "acknowledge", outcome);
        assert_eq!(t("met_on_time"), Shown::Small);
        assert_eq!(t("met_late"), Shown::Small);
        assert_eq!(t("open_not_yet_due"), Shown::Count(5));
        assert_eq!(t("open_overdue"), Shown::Count(0));
    }

    fn cell_of(stats: &Statistics, table: &str, row: &str, column: &str) -> Shown {
        cell(stats, table, row, column)
    }

    #[test]
    fn csv_fields_cannot_become_formulas_or_break_lines() {
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
