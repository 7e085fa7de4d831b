//! How staff classify a case for the UN's figures: the type of allegation, who is implicated
//! (personnel category and, for personnel a Member State provides, its nationality) and how many
//! victims of each age group. Recorded in clear by intake officers or investigators, because
//! statistics and Member State notification need them; it is the coarse coding the UN publishes
//! anyway and holds no name, place or narrative. Pure logic: validation only.

use serde::{Deserialize, Serialize};

use crate::codes::coded_enum;

coded_enum! {
    /// The UN's top-level type of allegation (quarterly updates).
    pub enum AllegationType {
        SexualExploitation = "sexual_exploitation",
        SexualAbuse = "sexual_abuse",
        Other = "other",
        Unknown = "unknown",
    }
}

coded_enum! {
    /// Categories of personnel, as the UN Glossary and system-wide reporting name them.
    pub enum PersonnelCategory {
        StaffMember = "staff_member",
        Volunteer = "volunteer",
        /// Military experts on mission and individual police officers.
        ExpertOnMission = "expert_on_mission",
        FormedPoliceUnit = "formed_police_unit",
        GovernmentProvided = "government_provided",
        MilitaryStaffOfficer = "military_staff_officer",
        MilitaryContingent = "military_contingent",
        ImplementingPartner = "implementing_partner",
        /// Non-UN forces under a Security Council mandate.
        NonUnForce = "non_un_force",
        Unknown = "unknown",
    }
}

coded_enum! {
    /// Victims' age groups as the UN reports them (adult, under 18, unknown).
    pub enum AgeGroup {
        Adult = "adult",
        Child = "child",
        UnknownAge = "unknown_age",
    }
}

/// One implicated group: a category of personnel, and the Member State whose nationals they
/// are when known and relevant.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Implicated {
    pub category: PersonnelCategory,
    /// ISO 3166-1 alpha-3 code, e.g. `XAA` in tests.
    #[serde(default)]
    pub member_state: Option<String>,
}

/// How many victims of each age group the report concerns, as far as is known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Victims {
    pub adult: u32,
    pub child: u32,
    pub unknown_age: u32,
}

impl Victims {
    pub fn of(&self, group: AgeGroup) -> u32 {
        match group {
            AgeGroup::Adult => self.adult,
            AgeGroup::Child => self.child,
            AgeGroup::UnknownAge => self.unknown_age,
        }
    }
}

/// A case's classification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    pub allegation: AllegationType,
    #[serde(default)]
    pub implicated: Vec<Implicated>,
    #[serde(default)]
    pub victims: Victims,
}

/// Most implicated groups one case may list, and most victims per age group: far above any
/// real case, low enough that nothing a client sends can blow up a statistics run.
pub const MAX_IMPLICATED: usize = 20;
pub const MAX_VICTIMS: u32 = 1000;

impl Classification {
    /// Checks bounds and codes, and sorts and de-duplicates the implicated groups, so that
    /// the same classification is always stored the same way.
    pub fn checked(mut self) -> Result<Classification, String> {
        if self.implicated.len() > MAX_IMPLICATED {
            return Err(format!(
                "list at most {MAX_IMPLICATED} implicated groups (category and Member State)"
            ));
        }
        for (position, group) in self.implicated.iter().enumerate() {
            if let Some(code) = &group.member_state
                && !is_member_state_code(code)
            {
                return Err(format!(
                    "implicated group {}: the Member State must be an ISO 3166-1 alpha-3 code \
                     in capitals, such as FRA",
                    position + 1
                ));
            }
        }
        for group in AgeGroup::ALL {
            if self.victims.of(*group) > MAX_VICTIMS {
                return Err(format!(
                    "at most {MAX_VICTIMS} victims per age group can be recorded"
                ));
            }
        }
        self.implicated.sort();
        self.implicated.dedup();
        Ok(self)
    }

    /// The distinct Member States whose personnel are implicated, sorted.
    pub fn member_states(&self) -> Vec<&str> {
        let mut states: Vec<&str> = self
            .implicated
            .iter()
            .filter_map(|g| g.member_state.as_deref())
            .collect();
        states.sort_unstable();
        states.dedup();
        states
    }

    /// The distinct personnel categories implicated, sorted.
    pub fn categories(&self) -> Vec<PersonnelCategory> {
        let mut categories: Vec<PersonnelCategory> =
            self.implicated.iter().map(|g| g.category).collect();
        categories.sort_unstable();
        categories.dedup();
        categories
    }
}

/// Whether `code` has the shape of an ISO 3166-1 alpha-3 code (three capital letters).
pub fn is_member_state_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(category: PersonnelCategory, state: Option<&str>) -> Implicated {
        Implicated {
            category,
            member_state: state.map(str::to_string),
        }
    }

    #[test]
    fn a_classification_is_stored_the_same_way_however_it_was_listed() {
        let a = Classification {
            allegation: AllegationType::SexualAbuse,
            implicated: vec![
                group(PersonnelCategory::MilitaryContingent, Some("XBB")),
                group(PersonnelCategory::MilitaryContingent, Some("XAA")),
                group(PersonnelCategory::MilitaryContingent, Some("XBB")),
            ],
            victims: Victims::default(),
        }
        .checked()
        .unwrap();
        assert_eq!(a.implicated.len(), 2);
        assert_eq!(a.member_states(), vec!["XAA", "XBB"]);
        assert_eq!(a.categories(), vec![PersonnelCategory::MilitaryContingent]);
    }

    #[test]
    fn bad_member_state_codes_and_oversized_lists_are_refused_without_echoing_them() {
        let bad = Classification {
            allegation: AllegationType::Other,
            implicated: vec![group(PersonnelCategory::Volunteer, Some("fr<script>"))],
            victims: Victims::default(),
        };
        let err = bad.checked().unwrap_err();
        assert!(err.contains("alpha-3") && !err.contains("script"), "{err}");
        let many = Classification {
            allegation: AllegationType::Other,
            implicated: vec![group(PersonnelCategory::Unknown, None); MAX_IMPLICATED + 1],
            victims: Victims::default(),
        };
        assert!(many.checked().is_err());
        let crowd = Classification {
            allegation: AllegationType::Other,
            implicated: vec![],
            victims: Victims {
                child: MAX_VICTIMS + 1,
                ..Victims::default()
            },
        };
        assert!(crowd.checked().is_err());
    }

    #[test]
    fn unknown_codes_are_refused_by_name_not_by_value() {
        let err = serde_json::from_str::<Classification>(r#"{"allegation":"secret-words"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sexual_abuse") && !err.contains("secret-words"),
            "{err}"
        );
    }
}
