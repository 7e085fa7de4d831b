//! The case: its server-visible status codes, the kinds of envelope it holds, and who may see
//! it. Pure logic: no I/O, no clock.

use crate::keyring::{Role, Staff};

crate::codes::coded_enum! {
    /// The statuses the UN publishes for SEA allegations, as codes the server stores.
    pub enum Status {
        Received = "received",
        Acknowledged = "acknowledged",
        PreliminaryAssessment = "preliminary_assessment",
        UnderInvestigation = "under_investigation",
        ReferredToMemberState = "referred_to_member_state",
        Substantiated = "substantiated",
        NotSubstantiated = "not_substantiated",
        Closed = "closed",
    }
}

impl Status {
    /// What the status means for the reporter, in plain words, with what happens next.
    pub fn plain_words(self) -> &'static str {
        match self {
            Status::Received => {
                "Your report has arrived safely and is waiting for the team to read it. They should confirm within 7 days that they have read it."
            }
            Status::Acknowledged => {
                "The team has read your report. They are deciding what to do next and will tell you here."
            }
            Status::PreliminaryAssessment => {
                "The team is checking what can be done with the information in your report. They may ask you questions here."
            }
            Status::UnderInvestigation => {
                "An investigation has started. Investigators may ask you questions here. You can add information at any time."
            }
            Status::ReferredToMemberState => {
                "The country whose personnel is concerned has been informed and asked to act. The team will tell you here what happens."
            }
            Status::Substantiated => {
                "The investigation found that what was reported happened. The team will tell you here what follows."
            }
            Status::NotSubstantiated => {
                "The investigation could not confirm what was reported. This does not mean you were not believed. Support is still open to you."
            }
            Status::Closed => "This case is closed. Support services remain available to you.",
        }
    }
}

crate::codes::coded_enum! {
    /// What an envelope holds. Each kind is sealed to exactly the people who need it.
    pub enum EnvelopeKind {
        /// The report as the reporter submitted it, sealed to the entity's intake officers.
        Report = "report",
        /// A file the reporter attached, sealed like the report or message it came with.
        Attachment = "attachment",
        /// Information the reporter added later, sealed to the case's staff.
        Message = "message",
        /// A reply from staff, sealed to the reporter's reply key and the case's staff.
        Reply = "reply",
        /// The report re-sealed by an intake officer to the assigned investigators and intake.
        Assignment = "assignment",
        /// What the case's staff share with a Member State, sealed to its focal points and to
        /// them.
        Notification = "notification",
        /// Details of national action, sealed like the notification it answers.
        NationalAction = "national_action",
        /// A note on victim assistance, sealed to the entity's assistance officers.
        AssistanceNote = "assistance_note",
        /// A note the case's staff write for one another, never for the reporter.
        InternalNote = "internal_note",
    }
}

impl Status {
    /// The statuses a case may move to from this one. The order follows the UN's process:
    /// intake acknowledges, assesses, investigates or refers, concludes, and closes. A case that
    /// turns out to need no investigation may be closed after assessment.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Received => &[Acknowledged],
            Acknowledged => &[PreliminaryAssessment, Closed],
            PreliminaryAssessment => &[UnderInvestigation, ReferredToMemberState, Closed],
            UnderInvestigation => &[ReferredToMemberState, Substantiated, NotSubstantiated],
            ReferredToMemberState => &[UnderInvestigation, Substantiated, NotSubstantiated],
            Substantiated | NotSubstantiated => &[Closed],
            Closed => &[],
        }
    }
}

/// Why a status change was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("a case that is {from} cannot become {to}; from {from} it can become: {allowed}")]
pub struct TransitionError {
    pub from: &'static str,
    pub to: &'static str,
    pub allowed: String,
}

/// Why a case may not be closed yet.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotAnswered {
    #[error(
        "Send the reporter a final reply before closing: every report leaves its reporter a way back (the token), so they are told how their case ended. None has been sent since the last status change."
    )]
    NoFinalReply,
    #[error(
        "The reporter wrote after your last reply: answer them (`confide staff reply CASE`), then close."
    )]
    ReporterWroteLast,
}

/// Whether a case may be closed: a reply must have gone to the reporter after the last status
/// change (`last_change_at`, `last_reply_at`: exact staff times, RFC 3339) and on or after the day of the reporter's last report or message (the store keeps only
/// their day). Every confide report gives its reporter a way back (the token and its reply
/// key), so nobody is ever without one.
pub fn check_final_reply(
    last_change_at: Option<&str>,
    reporter_last_on: crate::store::Day,
    last_reply_at: Option<&str>,
) -> Result<(), NotAnswered> {
    let Some(replied) = last_reply_at else {
        return Err(NotAnswered::NoFinalReply);
    };
    // Times are to the second: a reply in the same second as the change counts as after it.
    let at = |t: &str| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
    };
    if let Some(changed) = last_change_at
        && at(replied).is_none_or(|r| at(changed).is_some_and(|c| r < c))
    {
        return Err(NotAnswered::NoFinalReply);
    }
    let replied_on = crate::deadlines::day_of(&Some(replied.to_string()));
    if replied_on.is_none_or(|day| day < reporter_last_on) {
        return Err(NotAnswered::ReporterWroteLast);
    }
    Ok(())
}

/// Checks a status change against the allowed transitions.
pub fn check_transition(from: Status, to: Status) -> Result<(), TransitionError> {
    if from.next().contains(&to) {
        return Ok(());
    }
    let allowed: Vec<&str> = from.next().iter().map(|s| s.code()).collect();
    Err(TransitionError {
        from: from.code(),
        to: to.code(),
        allowed: if allowed.is_empty() {
            "nothing (it is final)".into()
        } else {
            allowed.join(", ")
        },
    })
}

/// What access decisions need to know about a case.
pub struct Access<'a> {
    pub entity: &'a str,
    pub assignees: &'a [String],
}

/// Whether a staff member may see a case at all.
///
/// Intake officers see the cases of the entities they serve; investigators see the cases
/// assigned to them. Assistance officers, Member State focal points and auditors see no case
/// file through this path.
pub fn may_see(staff: &Staff, case: &Access<'_>) -> bool {
    match staff.role {
        Role::Intake => staff.serves(case.entity),
        Role::Investigator => staff.serves(case.entity) && case.assignees.contains(&staff.name),
        Role::Assistance | Role::MemberState | Role::Auditor => false,
    }
}

/// Whether a staff member may assign the case (intake officers of its entity only).
pub fn may_assign(staff: &Staff, case: &Access<'_>) -> bool {
    staff.role == Role::Intake && staff.serves(case.entity)
}

/// Whether a staff member may reply to the reporter and change the status: anyone who works the
/// case, that is intake of its entity and its assigned investigators.
pub fn may_work(staff: &Staff, case: &Access<'_>) -> bool {
    may_see(staff, case)
}

/// Whether a staff member works on victim assistance for a case: the assistance officers of its
/// entity. They see assistance records, not the investigation file.
pub fn may_assist(staff: &Staff, case: &Access<'_>) -> bool {
    staff.role == Role::Assistance && staff.serves(case.entity)
}

/// Checks the people an intake officer wants to assign: investigators of the case's entity.
pub fn check_assignees<'k>(
    keyring_staff: &'k [Staff],
    names: &[String],
    entity: &str,
) -> Result<Vec<&'k Staff>, String> {
    let mut out = Vec::new();
    for (position, name) in names.iter().enumerate() {
        // The position, not the name sent, so that no error repeats what a client sent.
        let which = position + 1;
        let Some(staff) = keyring_staff.iter().find(|s| &s.name == name) else {
            return Err(format!("assignee {which} is not in the keyring"));
        };
        if staff.role != Role::Investigator || !staff.serves(entity) {
            return Err(format!(
                "assignee {which} is not an investigator of {entity}"
            ));
        }
        if !out.iter().any(|s: &&Staff| s.name == staff.name) {
            out.push(staff);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: Role, entities: &[&str]) -> Staff {
        Staff {
            name: "someone".into(),
            role,
            entities: entities.iter().map(|e| e.to_string()).collect(),
            member_state: None,
            recipient: age::x25519::Identity::generate().to_public(),
            fingerprint: [0; 32],
        }
    }

    #[test]
    fn a_case_closes_only_after_a_reply_newer_than_its_last_change_and_the_reporters_last_word() {
        use time::macros::date;
        let changed = Some("2026-12-02T15:00:00Z");
        assert_eq!(
            check_final_reply(changed, date!(2026 - 12 - 01), None),
            Err(NotAnswered::NoFinalReply)
        );
        assert_eq!(
            check_final_reply(changed, date!(2026 - 12 - 01), Some("2026-12-02T09:00:00Z")),
            Err(NotAnswered::NoFinalReply),
            "a reply from the morning is not the final word on an afternoon's outcome"
        );
        assert_eq!(
            check_final_reply(changed, date!(2026 - 12 - 03), Some("2026-12-02T16:00:00Z")),
            Err(NotAnswered::ReporterWroteLast)
        );
        assert_eq!(
            check_final_reply(changed, date!(2026 - 12 - 02), Some("2026-12-02T16:00:00Z")),
            Ok(())
        );
        assert_eq!(
            check_final_reply(None, date!(2026 - 12 - 01), Some("2026-12-03T08:00:00Z")),
            Ok(())
        );
    }

    #[test]
    fn status_codes_round_trip_and_every_status_has_words() {
        for &s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
            assert!(s.plain_words().len() > 20);
        }
        assert_eq!(Status::from_code("lost"), None);
    }

    fn case<'a>(entity: &'a str, assignees: &'a [String]) -> Access<'a> {
        Access { entity, assignees }
    }

    #[test]
    fn intake_sees_only_its_own_entities_and_investigators_only_their_assigned_cases() {
        let none: Vec<String> = vec![];
        let mine = vec!["someone".to_string()];
        assert!(may_see(
            &staff(Role::Intake, &["minusca"]),
            &case("minusca", &none)
        ));
        assert!(!may_see(
            &staff(Role::Intake, &["minusca"]),
            &case("monusco", &none)
        ));
        assert!(!may_see(
            &staff(Role::Investigator, &["minusca"]),
            &case("minusca", &none)
        ));
        assert!(may_see(
            &staff(Role::Investigator, &["minusca"]),
            &case("minusca", &mine)
        ));
        assert!(!may_see(
            &staff(Role::Investigator, &["monusco"]),
            &case("minusca", &mine)
        ));
        for role in [Role::Assistance, Role::MemberState, Role::Auditor] {
            assert!(!may_see(
                &staff(role, &["minusca"]),
                &case("minusca", &mine)
            ));
        }
        assert!(may_assign(
            &staff(Role::Intake, &["minusca"]),
            &case("minusca", &none)
        ));
        assert!(!may_assign(
            &staff(Role::Investigator, &["minusca"]),
            &case("minusca", &mine)
        ));
    }

    #[test]
    fn every_transition_is_allowed_or_refused_as_the_table_says() {
        use Status::*;
        let allowed = [
            (Received, Acknowledged),
            (Acknowledged, PreliminaryAssessment),
            (Acknowledged, Closed),
            (PreliminaryAssessment, UnderInvestigation),
            (PreliminaryAssessment, ReferredToMemberState),
            (PreliminaryAssessment, Closed),
            (UnderInvestigation, ReferredToMemberState),
            (UnderInvestigation, Substantiated),
            (UnderInvestigation, NotSubstantiated),
            (ReferredToMemberState, UnderInvestigation),
            (ReferredToMemberState, Substantiated),
            (ReferredToMemberState, NotSubstantiated),
            (Substantiated, Closed),
            (NotSubstantiated, Closed),
        ];
        for &from in Status::ALL {
            for &to in Status::ALL {
                let expected = allowed.contains(&(from, to));
                assert_eq!(
                    check_transition(from, to).is_ok(),
                    expected,
                    "{from:?} -> {to:?}"
                );
            }
        }
        let err = check_transition(Closed, Received).unwrap_err().to_string();
        assert!(err.contains("final"), "{err}");
        let err = check_transition(Received, Closed).unwrap_err().to_string();
        assert!(err.contains("acknowledged"), "{err}");
    }

    #[test]
    fn only_investigators_of_the_entity_can_be_assigned() {
        let mut inv = staff(Role::Investigator, &["minusca"]);
        inv.name = "inv".into();
        let mut other = staff(Role::Investigator, &["monusco"]);
        other.name = "other".into();
        let mut intake = staff(Role::Intake, &["minusca"]);
        intake.name = "intake".into();
        let all = vec![inv, other, intake];
        assert_eq!(
            check_assignees(&all, &["inv".into(), "inv".into()], "minusca")
                .unwrap()
                .len(),
            1
        );
        assert!(
            check_assignees(&all, &["other".into()], "minusca")
                .unwrap_err()
                .contains("not an investigator of minusca")
        );
        assert!(check_assignees(&all, &["intake".into()], "minusca").is_err());
        assert!(
            check_assignees(&all, &["ghost".into()], "minusca")
                .unwrap_err()
                .contains("not in the keyring")
        );
    }
}
