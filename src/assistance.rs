//! Victim assistance (resolution 78/331 para 15; the UN Protocol on assistance to victims,
//! 2019): what the victim consented to, and each referral to a service with its progress.
//! Assistance never depends on the complaint going ahead: it can be offered on any case, in any
//! status. The server keeps only coded facts and dates to the day; notes are sealed to the
//! entity's assistance officers. Pure logic.

use crate::codes::coded_enum;

coded_enum! {
    /// Forms of assistance in the UN Protocol.
    pub enum Service {
        SafetyProtection = "safety_protection",
        Medical = "medical",
        Psychosocial = "psychosocial",
        Legal = "legal",
        Education = "education",
        LivelihoodMaterial = "livelihood_material",
        ChildrenBornOfSea = "children_born_of_sea",
    }
}

impl Service {
    /// The service in plain words, for the reporter.
    pub fn plain_words(self) -> &'static str {
        match self {
            Service::SafetyProtection => "Help to stay safe",
            Service::Medical => "Medical care",
            Service::Psychosocial => "Someone to talk to (psychosocial support)",
            Service::Legal => "Legal advice and help",
            Service::Education => "Help with school or training",
            Service::LivelihoodMaterial => "Help with money, food, shelter or work",
            Service::ChildrenBornOfSea => "Support for a child born after the abuse",
        }
    }
}

coded_enum! {
    /// Where a referral stands.
    pub enum ReferralState {
        /// Proposed to the victim, waiting for their answer.
        Offered = "offered",
        Accepted = "accepted",
        Declined = "declined",
        Delivered = "delivered",
        FollowUp = "follow_up",
        Closed = "closed",
    }
}

impl ReferralState {
    /// The states a referral may move to from this one. A victim who declined may change
    /// their mind; a referral may close at any point before it is delivered (the provider
    /// cannot help, the victim moved away).
    pub fn next(self) -> &'static [ReferralState] {
        use ReferralState::*;
        match self {
            Offered => &[Accepted, Declined, Closed],
            Accepted => &[Delivered, Declined, Closed],
            Declined => &[Accepted, Closed],
            Delivered => &[FollowUp, Closed],
            FollowUp => &[Closed],
            Closed => &[],
        }
    }

    /// The state in plain words, for the reporter.
    pub fn plain_words(self) -> &'static str {
        match self {
            ReferralState::Offered => "Offered to you. You can accept or decline it.",
            ReferralState::Accepted => "You accepted. The service will be arranged.",
            ReferralState::Declined => {
                "You declined. You can still accept it later if you change your mind."
            }
            ReferralState::Delivered => "The service has been provided.",
            ReferralState::FollowUp => "The team is checking how things went for you.",
            ReferralState::Closed => "Finished.",
        }
    }

    /// Whether the referral still needs something done.
    pub fn is_open(self) -> bool {
        !matches!(self, ReferralState::Closed | ReferralState::Declined)
    }
}

/// Checks a referral's move, explaining the allowed ones when refused.
pub fn check_move(from: ReferralState, to: ReferralState) -> Result<(), String> {
    if from.next().contains(&to) {
        return Ok(());
    }
    let allowed: Vec<&str> = from.next().iter().map(|s| s.code()).collect();
    Err(format!(
        "a referral that is {} cannot become {}; it can become: {}",
        from.code(),
        to.code(),
        if allowed.is_empty() {
            "nothing (it is closed)".to_string()
        } else {
            allowed.join(", ")
        }
    ))
}

/// What the reporter may do to a referral with the token: answer an offer, or change an answer
/// given before the service was delivered.
pub fn reporter_may_move(from: ReferralState, to: ReferralState) -> bool {
    matches!(
        (from, to),
        (ReferralState::Offered, ReferralState::Accepted)
            | (ReferralState::Offered, ReferralState::Declined)
            | (ReferralState::Declined, ReferralState::Accepted)
            | (ReferralState::Accepted, ReferralState::Declined)
    )
}

coded_enum! {
    /// What a consent is for.
    pub enum ConsentPurpose {
        ReceiveAssistance = "receive_assistance",
        ShareInformation = "share_information",
        /// Sharing who the victim is: needed before a notification may carry it.
        ShareIdentity = "share_identity",
        BeContacted = "be_contacted",
    }
}

coded_enum! {
    /// Whom a consent covers.
    pub enum Audience {
        AssistanceStaff = "assistance_staff",
        ServiceProviders = "service_providers",
        Investigators = "investigators",
        MemberState = "member_state",
        NationalAuthorities = "national_authorities",
    }
}

/// Whether `code` can be a service provider's code: the organisation's own short identifier for
/// a provider (never a person's name): 1 to 40 lowercase letters, digits or dashes.
pub fn is_provider_code(code: &str) -> bool {
    (1..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_referral_move_is_allowed_or_refused_as_the_table_says() {
        use ReferralState::*;
        let allowed = [
            (Offered, Accepted),
            (Offered, Declined),
            (Offered, Closed),
            (Accepted, Delivered),
            (Accepted, Declined),
            (Accepted, Closed),
            (Declined, Accepted),
            (Declined, Closed),
            (Delivered, FollowUp),
            (Delivered, Closed),
            (FollowUp, Closed),
        ];
        for from in ReferralState::ALL {
            for to in ReferralState::ALL {
                assert_eq!(
                    check_move(*from, *to).is_ok(),
                    allowed.contains(&(*from, *to)),
                    "{from:?} -> {to:?}"
                );
                if reporter_may_move(*from, *to) {
                    assert!(check_move(*from, *to).is_ok(), "{from:?} -> {to:?}");
                }
            }
        }
        assert!(check_move(Closed, Offered).unwrap_err().contains("closed"));
        assert!(!reporter_may_move(Accepted, Delivered));
        assert!(!reporter_may_move(Delivered, Declined));
    }

    #[test]
    fn every_service_and_state_has_plain_words() {
        for s in Service::ALL {
            assert!(s.plain_words().len() > 8);
        }
        for s in ReferralState::ALL {
            assert!(s.plain_words().len() > 8);
        }
    }

    #[test]
    fn provider_codes_are_short_identifiers() {
        assert!(is_provider_code("msf-bangui-2"));
        assert!(!is_provider_code("Dr Jane Doe"));
        assert!(!is_provider_code(""));
        assert!(!is_provider_code(&"a".repeat(41)));
    }
}
