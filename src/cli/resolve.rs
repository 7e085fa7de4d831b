//! Ids as people type them: a case or notification is named by any unique prefix of its id of
//! at least [`SHORTEST`] digits (as `git` names commits), found among those the caller may see.
//! The full id is used from then on, so a prefix never reaches a URL the server has to guess
//! at. Six digits keep a slip of one digit from landing on another survivor's case: among
//! 10,000 cases, a wrong six-digit prefix names a real case about once in 1,700 slips.

use anyhow::{Result, bail};

use super::staff_client::Client;
use crate::staff_api::{AssistanceCase, CaseListing, NotificationRecord};
use crate::store::is_valid_id;

/// The fewest digits that name a case or notification.
pub const SHORTEST: usize = 6;

/// The one id among `known` that starts with `given`; `what` names it in errors.
pub fn unique(given: &str, known: &[String], what: &str, listed_by: &str) -> Result<String> {
    let prefix = shape(given, what, listed_by)?;
    let matching: Vec<&String> = known.iter().filter(|id| id.starts_with(&prefix)).collect();
    match matching.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!(
            "no {what} of yours starts with {prefix}: `{listed_by}` lists the ones you may see"
        ),
        many => {
            let shown: Vec<&str> = many.iter().take(5).map(|id| id.as_str()).collect();
            bail!(
                "{prefix} is the start of {} {what} ids ({}{}): give more digits",
                many.len(),
                shown.join(", "),
                if many.len() > 5 { ", …" } else { "" }
            )
        }
    }
}

/// The prefix, lowercased, if it could name an id: checked before anything is asked of the
/// server.
fn shape(given: &str, what: &str, listed_by: &str) -> Result<String> {
    let prefix = given.trim().to_ascii_lowercase();
    if !prefix.chars().all(|c| c.is_ascii_hexdigit()) || prefix.len() > 32 {
        bail!(
            "{given:?} is not a {what} id: give its 32 hex digits or the first {SHORTEST} or more, as `{listed_by}` lists them"
        );
    }
    if prefix.len() < SHORTEST {
        bail!(
            "give at least the first {SHORTEST} digits of the {what} id (as `{listed_by}` lists them), so that a slip cannot name another {what}"
        );
    }
    Ok(prefix)
}

/// A case the caller may see, from a prefix: their cases, or an assistance officer's.
pub async fn case(client: &Client, given: &str) -> Result<String> {
    if is_valid_id(given) {
        return Ok(given.to_string());
    }
    shape(given, "case", "confide staff cases")?;
    let mut known: Vec<String> = client
        .json::<Vec<CaseListing>>("/api/v1/staff/cases")
        .await?
        .into_iter()
        .map(|c| c.case.id)
        .collect();
    if known.is_empty() {
        // Assistance officers have no case list of their own but the assistance one.
        if let Ok(cases) = client
            .json::<Vec<AssistanceCase>>("/api/v1/staff/assistance")
            .await
        {
            known = cases.into_iter().map(|c| c.id).collect();
        }
    }
    checked_all(&known)?;
    unique(given, &known, "case", "confide staff cases")
}

/// A notification the caller may reach, from a prefix: a focal point's own, or those of the
/// caller's cases.
pub async fn notification(client: &Client, given: &str) -> Result<String> {
    if is_valid_id(given) {
        return Ok(given.to_string());
    }
    shape(given, "notification", "confide staff notifications")?;
    let known: Vec<String> = match client
        .json::<Vec<NotificationRecord>>("/api/v1/staff/notifications")
        .await
    {
        Ok(list) => list.into_iter().map(|n| n.id).collect(),
        Err(_) => {
            let mut ids = Vec::new();
            for case in client
                .json::<Vec<CaseListing>>("/api/v1/staff/cases")
                .await?
            {
                checked_all(std::slice::from_ref(&case.case.id))?;
                let list: Vec<NotificationRecord> = client
                    .json(&format!(
                        "/api/v1/staff/cases/{}/notifications",
                        case.case.id
                    ))
                    .await?;
                ids.extend(list.into_iter().map(|n| n.id));
            }
            ids
        }
    };
    checked_all(&known)?;
    unique(given, &known, "notification", "confide staff notifications")
}

/// Ids the server sent name paths here: each must be a real id.
fn checked_all(ids: &[String]) -> Result<()> {
    if ids.iter().any(|id| !is_valid_id(id)) {
        bail!("the server listed an invalid id; stopping");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::unique;

    fn ids() -> Vec<String> {
        vec![
            format!("3f2a000{}", "0".repeat(25)),
            format!("3f2a001{}", "1".repeat(25)),
            format!("a{}", "2".repeat(31)),
        ]
    }

    #[test]
    fn a_unique_prefix_names_its_case_whatever_its_case() {
        assert_eq!(
            unique("3F2A000", &ids(), "case", "cases").unwrap(),
            ids()[0]
        );
        assert_eq!(unique("a22222", &ids(), "case", "cases").unwrap(), ids()[2]);
    }

    #[test]
    fn fewer_than_six_digits_name_nothing_even_when_they_are_unique() {
        let error = unique("a2", &ids(), "case", "cases")
            .unwrap_err()
            .to_string();
        assert!(error.contains("at least the first 6 digits"), "{error}");
    }

    #[test]
    fn an_ambiguous_prefix_names_the_matches_and_asks_for_more_digits() {
        let error = unique("3f2a00", &ids(), "case", "cases")
            .unwrap_err()
            .to_string();
        assert!(error.contains("start of 2 case ids"), "{error}");
        assert!(
            error.contains(&ids()[0]) && error.contains(&ids()[1]),
            "{error}"
        );
        assert!(error.contains("give more digits"), "{error}");
    }

    #[test]
    fn a_prefix_that_matches_nothing_or_is_not_hex_says_where_ids_are_listed() {
        let none = unique("bbbbbb", &ids(), "case", "confide staff cases").unwrap_err();
        assert!(
            none.to_string().contains("`confide staff cases` lists"),
            "{none}"
        );
        let typo = unique("3f-2a0", &ids(), "case", "confide staff cases").unwrap_err();
        assert!(typo.to_string().contains("is not a case id"), "{typo}");
    }
}
