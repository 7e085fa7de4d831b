//! Deadline clocks: what is late or due soon for a case. Pure logic; the time is a parameter.
//!
//! - **Acknowledge** within `acknowledge_days` (default 7) of receipt (EU Directive 2019/1937
//!   art. 9(1)(b)).
//! - **First feedback** to the reporter within `feedback_days` (default 90, "3 months") of the
//!   acknowledgement, or of the end of the acknowledgement period if none was sent (art. 9(1)(f)).
//!   A staff reply to the reporter is feedback.
//! - **Investigation target** `investigation_target_days` (default 90) and **limit**
//!   `investigation_limit_days` (default 180) from the day the case went under investigation,
//!   until a finding (substantiated or not) is recorded.

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::cases::Status;

/// The configured clocks, in days.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Clocks {
    /// Days to acknowledge a report (default 7).
    pub acknowledge_days: u16,
    /// Days from acknowledgement to first feedback (default 90).
    pub feedback_days: u16,
    /// Target days for an investigation (default 90).
    pub investigation_target_days: u16,
    /// Most days an investigation may take (default 180).
    pub investigation_limit_days: u16,
    /// A deadline this many days away or less is listed as due soon (default 7).
    pub due_soon_days: u16,
    /// The Member State clocks, `[deadlines.member_state]` (`src/notification.rs`).
    pub member_state: crate::notification::MemberStateClocks,
}

impl Default for Clocks {
    fn default() -> Self {
        Clocks {
            acknowledge_days: 7,
            feedback_days: 90,
            investigation_target_days: 90,
            investigation_limit_days: 180,
            due_soon_days: 7,
            member_state: crate::notification::MemberStateClocks::default(),
        }
    }
}

/// The dates that drive the clocks. Staff actions are given as days here; the store keeps
/// their exact times.
#[derive(Clone, Debug)]
pub struct CaseDates {
    pub status: Status,
    pub received_on: Date,
    pub acknowledged_on: Option<Date>,
    pub first_feedback_on: Option<Date>,
    pub investigation_started_on: Option<Date>,
}

crate::codes::coded_enum! {
    /// A deadline the UN sets on a case, as the code the API and the exports use.
    pub enum Deadline {
        Acknowledge = "acknowledge",
        FirstFeedback = "first_feedback",
        InvestigationTarget = "investigation_target",
        InvestigationLimit = "investigation_limit",
        /// Member State deadlines (`src/notification.rs`), listed with the Member State.
        NotifyMemberState = "notify_member_state",
        MemberStateAcknowledge = "member_state_acknowledge",
        NationalInvestigator = "national_investigator",
        NationalOutcome = "national_outcome",
    }
}

impl From<crate::notification::MemberStateDeadline> for Deadline {
    fn from(d: crate::notification::MemberStateDeadline) -> Deadline {
        use crate::notification::MemberStateDeadline as M;
        match d {
            M::Notify => Deadline::NotifyMemberState,
            M::Acknowledge => Deadline::MemberStateAcknowledge,
            M::NationalInvestigator => Deadline::NationalInvestigator,
            M::Outcome => Deadline::NationalOutcome,
        }
    }
}

/// The Member State deadlines of a case that are late or due soon: `clocks` from
/// [`crate::notification::clocks`] for each Member State concerned.
pub fn member_state_due(
    status: Status,
    clocks: &[crate::notification::Clock],
    settings: &Clocks,
    today: Date,
) -> Vec<Due> {
    if status == Status::Closed {
        return Vec::new();
    }
    let horizon = today + Duration::days(i64::from(settings.due_soon_days));
    clocks
        .iter()
        .filter(|c| c.met_on.is_none() && c.due_on <= horizon)
        .map(|c| Due {
            deadline: c.deadline.into(),
            due_on: c.due_on,
            overdue: c.due_on < today,
        })
        .collect()
}

impl Clocks {
    /// The same clocks with no horizon: every open deadline counts as due soon (a case's own
    /// view lists them all, not only those of the coming days).
    pub fn without_horizon(&self) -> Clocks {
        Clocks {
            due_soon_days: u16::MAX,
            ..self.clone()
        }
    }
}

/// The clocks' dates of a stored case: staff actions' exact times, read as days.
pub fn case_dates(case: &crate::store::CaseRecord) -> CaseDates {
    CaseDates {
        status: case.status,
        received_on: case.received_on,
        acknowledged_on: day_of(&case.acknowledged_at),
        first_feedback_on: day_of(&case.first_feedback_at),
        investigation_started_on: day_of(&case.investigation_started_at),
    }
}

/// The day of an RFC 3339 time the store wrote.
pub fn day_of(at: &Option<String>) -> Option<Date> {
    at.as_deref()
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map(|t| t.date())
}

/// A deadline that is late or due soon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Due {
    pub deadline: Deadline,
    #[serde(with = "crate::store::day_format")]
    #[schemars(with = "String")]
    pub due_on: Date,
    pub overdue: bool,
}

/// The open deadlines of a case that are late or due within `due_soon_days` of `today`.
pub fn due(case: &CaseDates, clocks: &Clocks, today: Date) -> Vec<Due> {
    let days = |n: u16| Duration::days(i64::from(n));
    if case.status == Status::Closed {
        return Vec::new();
    }
    let mut open = Vec::new();
    let ack_due = case.received_on + days(clocks.acknowledge_days);
    if case.acknowledged_on.is_none() && case.status == Status::Received {
        open.push((Deadline::Acknowledge, ack_due));
    }
    if case.first_feedback_on.is_none() {
        let from = case.acknowledged_on.unwrap_or(ack_due);
        open.push((Deadline::FirstFeedback, from + days(clocks.feedback_days)));
    }
    let investigating = matches!(
        case.status,
        Status::UnderInvestigation | Status::ReferredToMemberState
    );
    if let (true, Some(started)) = (investigating, case.investigation_started_on) {
        open.push((
            Deadline::InvestigationTarget,
            started + days(clocks.investigation_target_days),
        ));
        open.push((
            Deadline::InvestigationLimit,
            started + days(clocks.investigation_limit_days),
        ));
    }
    let horizon = today + days(clocks.due_soon_days);
    open.into_iter()
        .filter(|(_, due_on)| *due_on <= horizon)
        .map(|(deadline, due_on)| Due {
            deadline,
            due_on,
            overdue: due_on < today,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn received(on: Date) -> CaseDates {
        CaseDates {
            status: Status::Received,
            received_on: on,
            acknowledged_on: None,
            first_feedback_on: None,
            investigation_started_on: None,
        }
    }

    #[test]
    fn a_new_report_is_due_for_acknowledgement_and_late_after_seven_days() {
        let clocks = Clocks::default();
        let case = received(date!(2026 - 11 - 01));
        assert_eq!(
            due(&case, &clocks, date!(2026 - 11 - 01)),
            vec![Due {
                deadline: Deadline::Acknowledge,
                due_on: date!(2026 - 11 - 08),
                overdue: false
            }]
        );
        assert!(due(&case, &clocks, date!(2026 - 11 - 09))[0].overdue);
    }

    #[test]
    fn acknowledging_stops_that_clock_and_feedback_runs_from_the_acknowledgement() {
        let clocks = Clocks::default();
        let mut case = received(date!(2026 - 01 - 01));
        case.status = Status::Acknowledged;
        case.acknowledged_on = Some(date!(2026 - 01 - 03));
        assert!(due(&case, &clocks, date!(2026 - 01 - 20)).is_empty());
        let late = due(&case, &clocks, date!(2026 - 04 - 04));
        assert_eq!(
            late,
            vec![Due {
                deadline: Deadline::FirstFeedback,
                due_on: date!(2026 - 04 - 03),
                overdue: true
            }]
        );
        case.first_feedback_on = Some(date!(2026 - 02 - 01));
        assert!(due(&case, &clocks, date!(2026 - 04 - 04)).is_empty());
    }

    #[test]
    fn without_acknowledgement_feedback_runs_from_the_end_of_the_acknowledgement_period() {
        let case = received(date!(2026 - 01 - 01));
        let all = due(&case, &Clocks::default(), date!(2026 - 05 - 01));
        assert!(all.contains(&Due {
            deadline: Deadline::FirstFeedback,
            due_on: date!(2026 - 04 - 08),
            overdue: true
        }));
    }

    #[test]
    fn investigations_have_a_target_and_a_limit_until_a_finding() {
        let clocks = Clocks {
            due_soon_days: 0,
            ..Clocks::default()
        };
        let mut case = received(date!(2026 - 01 - 01));
        case.status = Status::UnderInvestigation;
        case.acknowledged_on = Some(date!(2026 - 01 - 02));
        case.first_feedback_on = Some(date!(2026 - 01 - 05));
        case.investigation_started_on = Some(date!(2026 - 01 - 10));
        let at_100_days = due(&case, &clocks, date!(2026 - 04 - 20));
        assert_eq!(at_100_days.len(), 1);
        assert_eq!(at_100_days[0].deadline, Deadline::InvestigationTarget);
        assert_eq!(due(&case, &clocks, date!(2026 - 07 - 10)).len(), 2);
        case.status = Status::Substantiated;
        assert!(due(&case, &clocks, date!(2026 - 07 - 10)).is_empty());
        case.status = Status::Closed;
        assert!(due(&case, &clocks, date!(2027 - 07 - 10)).is_empty());
    }
}
