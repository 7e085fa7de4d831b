//! The case: its server-visible status codes, the kinds of envelope it holds, and who may see
//! it. Pure logic: no I/O, no clock.

use serde::Serialize;

use crate::keyring::{Role, Staff};

/// The statuses the UN publishes for SEA allegations, as codes the server stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Received,
    Acknowledged,
    PreliminaryAssessment,
    UnderInvestigation,
    ReferredToMemberState,
    Substantiated,
    NotSubstantiated,
    Closed,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Received,
        Status::Acknowledged,
        Status::PreliminaryAssessment,
        Status::UnderInvestigation,
        Status::ReferredToMemberState,
        Status::Substantiated,
        Status::NotSubstantiated,
        Status::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Acknowledged => "acknowledged",
            Status::PreliminaryAssessment => "preliminary_assessment",
            Status::UnderInvestigation => "under_investigation",
            Status::ReferredToMemberState => "referred_to_member_state",
            Status::Substantiated => "substantiated",
            Status::NotSubstantiated => "not_substantiated",
            Status::Closed => "closed",
        }
    }

    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

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

/// What an envelope holds. Each kind is sealed to exactly the people who need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvelopeKind {
    /// The report as the reporter submitted it, sealed to the entity's intake officers.
    Report,
    /// A reply from staff, sealed to the reporter's reply key and the case's staff.
    Reply,
}

impl EnvelopeKind {
    pub fn code(self) -> &'static str {
        match self {
            EnvelopeKind::Report => "report",
            EnvelopeKind::Reply => "reply",
        }
    }

    pub fn from_code(code: &str) -> Option<EnvelopeKind> {
        [EnvelopeKind::Report, EnvelopeKind::Reply]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// Whether a staff member may see a case routed to `entity`.
///
/// Intake officers see the cases of the entities they serve. Other roles see a case only once it
/// is assigned or notified to them, which later parts of the case lifecycle add.
pub fn may_see(staff: &Staff, entity: &str) -> bool {
    match staff.role {
        Role::Intake => staff.serves(entity),
        Role::Investigator | Role::Assistance | Role::MemberState | Role::Auditor => false,
    }
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
    fn status_codes_round_trip_and_every_status_has_words() {
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
            assert!(s.plain_words().len() > 20);
        }
        assert_eq!(Status::from_code("lost"), None);
    }

    #[test]
    fn intake_sees_only_its_own_entities_and_nobody_else_sees_unassigned_cases() {
        assert!(may_see(&staff(Role::Intake, &["minusca"]), "minusca"));
        assert!(!may_see(&staff(Role::Intake, &["minusca"]), "monusco"));
        assert!(!may_see(
            &staff(Role::Investigator, &["minusca"]),
            "minusca"
        ));
        assert!(!may_see(&staff(Role::Auditor, &[]), "minusca"));
    }
}
