//! Member State notifications (resolution 78/331 para 11): when personnel a Member State
//! provides are implicated, the Member State is informed at once, through its focal points in the
//! keyring, with the information the case's staff choose to share, sealed to those focal points.
//! The focal points acknowledge it and record what their national authorities did (para 7).
//! Pure logic: the vocabulary, who may do what, and the clocks.

use serde::Deserialize;
use time::{Date, Duration};

use crate::codes::coded_enum;
use crate::keyring::{Role, Staff};

coded_enum! {
    /// What a Member State reports back about its national action.
    pub enum NationalAction {
        /// A National Investigation Officer was appointed.
        NationalInvestigatorAppointed = "national_investigator_appointed",
        InvestigationOpened = "investigation_opened",
        DeclinedToInvestigate = "declined_to_investigate",
        OutcomeSubstantiated = "outcome_substantiated",
        OutcomeNotSubstantiated = "outcome_not_substantiated",
        Sanctions = "sanctions",
        PaternityFollowUp = "paternity_follow_up",
    }
}

impl NationalAction {
    /// Whether this action ends the national investigation (stops its clock).
    pub fn is_outcome(self) -> bool {
        matches!(
            self,
            NationalAction::OutcomeSubstantiated
                | NationalAction::OutcomeNotSubstantiated
                | NationalAction::DeclinedToInvestigate
        )
    }
}

/// Whether `staff` is a focal point of `member_state`.
pub fn is_focal_point(staff: &Staff, member_state: &str) -> bool {
    staff.role == Role::MemberState && staff.member_state.as_deref() == Some(member_state)
}

/// The focal points of a Member State in the keyring.
pub fn focal_points<'k>(staff: &'k [Staff], member_state: &str) -> Vec<&'k Staff> {
    staff
        .iter()
        .filter(|s| is_focal_point(s, member_state))
        .collect()
}

/// The Member State clocks, in days. Part of `[deadlines]` in the configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemberStateClocks {
    /// Days from receipt of the report to notification of each Member State whose personnel
    /// are implicated (default 1: the resolution says "immediately").
    pub notify_days: u16,
    /// Days from notification to the Member State's acknowledgement (default 5, as for a
    /// troop-contributing country's answer to an SEA referral).
    pub acknowledge_days: u16,
    /// Days from notification to the appointment of a national investigator (default 10).
    pub national_investigator_days: u16,
    /// Days from notification to the outcome of the national investigation (default 90, the
    /// UN's target for SEA investigations).
    pub outcome_days: u16,
}

impl Default for MemberStateClocks {
    fn default() -> Self {
        MemberStateClocks {
            notify_days: 1,
            acknowledge_days: 5,
            national_investigator_days: 10,
            outcome_days: 90,
        }
    }
}

coded_enum! {
    /// The Member State deadlines.
    pub enum MemberStateDeadline {
        Notify = "notify_member_state",
        Acknowledge = "member_state_acknowledge",
        NationalInvestigator = "national_investigator",
        Outcome = "national_outcome",
    }
}

/// What the clocks need to know of one Member State's side of a case.
#[derive(Clone, Debug, Default)]
pub struct NotificationDates {
    pub notified_on: Option<Date>,
    pub acknowledged_on: Option<Date>,
    pub investigator_on: Option<Date>,
    pub outcome_on: Option<Date>,
}

/// One Member State deadline: when it falls due and when (if ever) it was met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clock {
    pub deadline: MemberStateDeadline,
    pub due_on: Date,
    pub met_on: Option<Date>,
}

/// Every Member State clock of one Member State on a case received on `received_on`: the
/// notification is due from receipt; the others run from the notification, once it is made.
pub fn clocks(
    received_on: Date,
    dates: &NotificationDates,
    clocks: &MemberStateClocks,
) -> Vec<Clock> {
    let days = |n: u16| Duration::days(i64::from(n));
    let mut out = vec![Clock {
        deadline: MemberStateDeadline::Notify,
        due_on: received_on + days(clocks.notify_days),
        met_on: dates.notified_on,
    }];
    if let Some(notified) = dates.notified_on {
        out.extend([
            Clock {
                deadline: MemberStateDeadline::Acknowledge,
                due_on: notified + days(clocks.acknowledge_days),
                met_on: dates.acknowledged_on,
            },
            Clock {
                deadline: MemberStateDeadline::NationalInvestigator,
                due_on: notified + days(clocks.national_investigator_days),
                // A Member State that declined to investigate will appoint nobody: its
                // outcome stops this clock too.
                met_on: dates.investigator_on.or(dates.outcome_on),
            },
            Clock {
                deadline: MemberStateDeadline::Outcome,
                due_on: notified + days(clocks.outcome_days),
                met_on: dates.outcome_on,
            },
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn notification_is_due_the_day_after_receipt_and_the_rest_run_from_it() {
        let c = MemberStateClocks::default();
        let none = clocks(date!(2026 - 03 - 01), &NotificationDates::default(), &c);
        assert_eq!(none.len(), 1);
        assert_eq!(none[0].due_on, date!(2026 - 03 - 02));
        assert_eq!(none[0].met_on, None);

        let notified = NotificationDates {
            notified_on: Some(date!(2026 - 03 - 04)),
            ..NotificationDates::default()
        };
        let all = clocks(date!(2026 - 03 - 01), &notified, &c);
        let due: Vec<_> = all.iter().map(|k| (k.deadline, k.due_on)).collect();
        assert_eq!(
            due,
            vec![
                (MemberStateDeadline::Notify, date!(2026 - 03 - 02)),
                (MemberStateDeadline::Acknowledge, date!(2026 - 03 - 09)),
                (
                    MemberStateDeadline::NationalInvestigator,
                    date!(2026 - 03 - 14)
                ),
                (MemberStateDeadline::Outcome, date!(2026 - 06 - 02)),
            ]
        );
    }

    #[test]
    fn a_member_state_that_declines_to_investigate_stops_the_investigator_clock() {
        let dates = NotificationDates {
            notified_on: Some(date!(2026 - 03 - 04)),
            outcome_on: Some(date!(2026 - 03 - 06)),
            ..NotificationDates::default()
        };
        let all = clocks(date!(2026 - 03 - 01), &dates, &MemberStateClocks::default());
        assert_eq!(all[2].met_on, Some(date!(2026 - 03 - 06)));
        assert!(NationalAction::DeclinedToInvestigate.is_outcome());
        assert!(!NationalAction::Sanctions.is_outcome());
    }
}
