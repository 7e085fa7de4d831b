//! Staff commands for what resolution 78/331 tracks: classifying a case, notifying Member
//! States and recording their national action, victim assistance, and statistics for auditors.
//! Anything narrative is sealed here, to the people the server names in `seal-to` (checked there
//! again against the keyring), and never leaves this machine in clear.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Subcommand;
use serde_json::json;
use zeroize::Zeroizing;

use super::output::human;
use super::resolve;
use super::staff::{checked_id, open, parse_recipient, write_private};
use super::staff_client::Client;
use crate::allegation::{AllegationType, Classification, Implicated, PersonnelCategory, Victims};
use crate::assistance::{Audience, ConsentPurpose, ReferralState, Service};
use crate::cases::EnvelopeKind;
use crate::keyring::Role;
use crate::notification::NationalAction;
use crate::seal;
use crate::staff_api::{
    Acknowledged, ActionRequest, AssistanceCase, CaseAssistance, CaseRecord, ClassificationAnswer,
    ConsentRequest, Consents, Created, EnvelopeRequest, Member, MoveRequest, NotificationRecord,
    Notified, NotifyRequest, ReferRequest, ReferralRecord, SealTo,
};

#[derive(Subcommand)]
pub enum CaseworkCommand {
    /// Classify a case for the UN's figures (intake or assigned investigators).
    Classify {
        /// The case: its id, or its first 6 or more digits, as `cases` lists it.
        case: String,
        /// sexual_exploitation, sexual_abuse, other or unknown.
        #[arg(long)]
        allegation: String,
        /// Implicated groups, comma-separated, each CATEGORY or CATEGORY:MEMBER_STATE, e.g.
        /// military_contingent:FRA,staff_member.
        #[arg(long, value_delimiter = ',')]
        implicated: Vec<String>,
        /// Victims who are adults, children (under 18), and of unknown age.
        #[arg(long, default_value_t = 0)]
        adults: u32,
        #[arg(long, default_value_t = 0)]
        children: u32,
        #[arg(long, default_value_t = 0)]
        unknown_age: u32,
    },
    /// Notify a Member State whose personnel are implicated: the text is sealed to its focal
    /// points and to the case's staff.
    Notify {
        /// The case: its id, or its first 6 or more digits, as `cases` lists it.
        case: String,
        #[arg(long)]
        member_state: String,
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        message: Option<String>,
        #[arg(long)]
        file: Option<PathBuf>,
        /// The text names the victim: refused unless the victim consented to share their
        /// identity with the Member State.
        #[arg(long)]
        identity_shared: bool,
    },
    /// Notifications: a focal point's own, or a case's (with --case).
    Notifications {
        #[arg(long)]
        case: Option<String>,
    },
    /// Acknowledge a notification (focal points).
    Acknowledge { notification: String },
    /// Record national action on a notification (national_investigator_appointed,
    /// investigation_opened, declined_to_investigate, outcome_substantiated,
    /// outcome_not_substantiated, sanctions, paternity_follow_up), with optional sealed details.
    NationalAction {
        /// The notification: its id, or its first 6 or more digits, as `notifications` lists it.
        notification: String,
        #[arg(value_parser = crate::codes::parse::<NationalAction>)]
        action: NationalAction,
        #[arg(long, conflicts_with = "file")]
        message: Option<String>,
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Download one envelope and open it into a folder (for example a notification).
    Open {
        envelope: String,
        /// Folder to open it into (as `pull --out`; default: your profile's), as
        /// `envelope-ID.json` or, for a file, `envelope-ID-NAME`.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Assistance: the cases of your entities, or one case's consents, referrals and notes.
    Assistance { case: Option<String> },
    /// Record the victim's consent, or its withdrawal (--refused).
    Consent {
        /// The case: its id, or its first 6 or more digits, as `cases` lists it.
        case: String,
        /// receive_assistance, share_information, share_identity or be_contacted.
        #[arg(long, value_parser = crate::codes::parse::<ConsentPurpose>)]
        purpose: ConsentPurpose,
        /// assistance_staff, service_providers, investigators, member_state or
        /// national_authorities.
        #[arg(long, value_parser = crate::codes::parse::<Audience>)]
        audience: Audience,
        #[arg(long)]
        refused: bool,
    },
    /// Offer the victim a service (assistance officers).
    Refer {
        /// The case: its id, or its first 6 or more digits, as `cases` lists it.
        case: String,
        /// safety_protection, medical, psychosocial, legal, education, livelihood_material or
        /// children_born_of_sea.
        #[arg(long, value_parser = crate::codes::parse::<Service>)]
        service: Service,
        /// Your organisation's code for the provider.
        #[arg(long)]
        provider: String,
    },
    /// Move a referral: accepted, declined, delivered, follow_up or closed.
    Referral {
        referral: String,
        #[arg(value_parser = crate::codes::parse::<ReferralState>)]
        state: ReferralState,
    },
    /// A note on assistance, sealed to the entity's assistance officers.
    Note {
        /// The case: its id, or its first 6 or more digits, as `cases` lists it.
        case: String,
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        message: Option<String>,
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Statistics of a year (auditors), as json, csv or html.
    Statistics {
        #[arg(long)]
        year: i32,
        #[arg(long, default_value = "json")]
        format: String,
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn run(
    client: &Client,
    command: &CaseworkCommand,
    folder: Option<PathBuf>,
    identities: impl FnOnce() -> Result<Vec<Box<dyn age::Identity + Send + Sync>>>,
) -> Result<()> {
    use CaseworkCommand::*;
    match command {
        Classify {
            case,
            allegation,
            implicated,
            adults,
            children,
            unknown_age,
        } => {
            let classification = Classification {
                allegation: AllegationType::from_code(allegation).with_context(|| {
                    format!(
                        "unknown allegation; use one of: {}",
                        AllegationType::known()
                    )
                })?,
                implicated: implicated
                    .iter()
                    .map(|g| parse_group(g))
                    .collect::<Result<_>>()?,
                victims: Victims {
                    adult: *adults,
                    child: *children,
                    unknown_age: *unknown_age,
                },
            };
            let path = format!(
                "/api/v1/staff/cases/{}/classification",
                resolve::case(client, case).await?
            );
            client
                .post::<ClassificationAnswer>(&path, &classification)
                .await?;
            human!("case {case} classified");
            Ok(())
        }
        Notify {
            case,
            member_state,
            message,
            file,
            identity_shared,
        } => {
            let case = resolve::case(client, case).await?;
            if !crate::allegation::is_member_state_code(member_state) {
                bail!("--member-state takes an ISO 3166-1 alpha-3 code in capitals, such as FRA");
            }
            let text = text_of(message, file)?.context("give --message TEXT or --file FILE")?;
            let seal_to =
                format!("/api/v1/staff/cases/{case}/notifications/{member_state}/seal-to");
            // The Member State's focal points and the people of the case's entity, nobody else.
            let record: CaseRecord = client.json(&format!("/api/v1/staff/cases/{case}")).await?;
            let allowed =
                |s: &Member| s.is_focal_point_of(member_state) || s.works_cases_of(&record.entity);
            let sealed = seal_document(
                client,
                &seal_to,
                EnvelopeKind::Notification,
                Some(&case),
                &text,
                allowed,
            )
            .await?;
            let answer: Notified = client
                .post(
                    &format!("/api/v1/staff/cases/{case}/notifications"),
                    &NotifyRequest {
                        member_state: member_state.clone(),
                        identity_shared: *identity_shared,
                        envelope: sealed,
                    },
                )
                .await?;
            human!("{member_state} notified: notification {}", answer.id);
            Ok(())
        }
        Notifications { case } => {
            let path = match case {
                Some(case) => format!(
                    "/api/v1/staff/cases/{}/notifications",
                    resolve::case(client, case).await?
                ),
                None => "/api/v1/staff/notifications".to_string(),
            };
            let list: Vec<NotificationRecord> = client.json(&path).await?;
            if list.is_empty() {
                human!("no notifications");
            }
            for n in list {
                let actions: Vec<&str> = n.actions.iter().map(|a| a.action.code()).collect();
                human!(
                    "{}  case {}  {}  notified {}  acknowledged {}  envelope {}  actions: {}",
                    n.id,
                    n.case_id,
                    n.member_state,
                    n.notified_at,
                    n.acknowledged_at.as_deref().unwrap_or("no"),
                    n.envelope_id,
                    if actions.is_empty() {
                        "-".to_string()
                    } else {
                        actions.join(",")
                    }
                );
            }
            Ok(())
        }
        Acknowledge { notification } => {
            let path = format!(
                "/api/v1/staff/notifications/{}/acknowledgement",
                resolve::notification(client, notification).await?
            );
            client.post::<Acknowledged>(&path, &json!({})).await?;
            human!("notification {notification} acknowledged");
            Ok(())
        }
        NationalAction {
            notification,
            action,
            message,
            file,
        } => {
            let id = resolve::notification(client, notification).await?;
            let notified: NotificationRecord = client
                .json(&format!("/api/v1/staff/notifications/{id}"))
                .await?;
            let state = notified.member_state;
            let envelope = match text_of(message, file)? {
                Some(text) => Some(
                    seal_document(
                        client,
                        &format!("/api/v1/staff/notifications/{id}/seal-to"),
                        EnvelopeKind::NationalAction,
                        None,
                        &text,
                        // The notified Member State's focal points and the people of cases.
                        |s: &Member| {
                            s.is_focal_point_of(&state)
                                || matches!(s.role, Role::Intake | Role::Investigator)
                        },
                    )
                    .await?,
                ),
                None => None,
            };
            client
                .post::<Created>(
                    &format!("/api/v1/staff/notifications/{id}/actions"),
                    &ActionRequest {
                        action: *action,
                        envelope,
                    },
                )
                .await?;
            human!("{} recorded on notification {id}", action.code());
            Ok(())
        }
        Open { envelope, out } => {
            // The same folder and names as `pull`, without the case's sub-folder: the kind is
            // not known here, so the stem is `envelope-ID`.
            let id = checked_id(envelope, "envelope")?;
            let body = client
                .bytes(&format!("/api/v1/staff/envelopes/{id}"))
                .await?;
            let plain =
                open(&body, &identities()?)?.context("this envelope is not sealed to your key")?;
            let out = out.clone().or(folder).context(
                "give --out DIR, or name a folder in your profile (`confide staff init --folder DIR`)",
            )?;
            let folder = super::folder::CaseFolder::at(out)?;
            let (name, written) =
                folder.write_opened(&super::folder::CaseFolder::stem(None, id), &plain)?;
            let path = folder.path().join(&name);
            match written {
                super::folder::Written::New => {
                    human!("envelope {id} opened into {}", path.display())
                }
                super::folder::Written::AlreadyThere => {
                    human!("envelope {id} was opened already: {}", path.display())
                }
            }
            super::output::emit(json!({ "envelope": id, "file": path.display().to_string() }));
            Ok(())
        }
        Assistance { case } => {
            match case {
                Some(case) => {
                    let case = resolve::case(client, case).await?;
                    let answer: CaseAssistance = client
                        .json(&format!("/api/v1/staff/cases/{case}/assistance"))
                        .await?;
                    print_assistance(&case, &answer);
                }
                None => {
                    let cases: Vec<AssistanceCase> =
                        client.json("/api/v1/staff/assistance").await?;
                    if cases.is_empty() {
                        human!("no cases in your entities");
                    } else {
                        human!(
                            "{:<32}  {:<10}  {:<10}  {:<26}  OPEN REFERRALS",
                            "CASE",
                            "RECEIVED",
                            "ENTITY",
                            "STATUS"
                        );
                    }
                    for c in cases {
                        human!(
                            "{}  {}  {:<10}  {:<26}  {}",
                            c.id,
                            crate::store::day_format::to_text(c.received_on),
                            c.entity,
                            c.status.code(),
                            c.open_referrals
                        );
                    }
                }
            }
            Ok(())
        }
        Consent {
            case,
            purpose,
            audience,
            refused,
        } => {
            let path = format!(
                "/api/v1/staff/cases/{}/consents",
                resolve::case(client, case).await?
            );
            client
                .post::<Consents>(
                    &path,
                    &ConsentRequest {
                        purpose: *purpose,
                        audience: *audience,
                        given: !refused,
                    },
                )
                .await?;
            human!(
                "consent to {} with {} recorded as {}",
                purpose.code(),
                audience.code(),
                if *refused { "refused" } else { "given" }
            );
            Ok(())
        }
        Refer {
            case,
            service,
            provider,
        } => {
            let path = format!(
                "/api/v1/staff/cases/{}/referrals",
                resolve::case(client, case).await?
            );
            let answer: ReferralRecord = client
                .post(
                    &path,
                    &ReferRequest {
                        service: *service,
                        provider: provider.clone(),
                    },
                )
                .await?;
            human!("referral {} offered", answer.id);
            Ok(())
        }
        Referral { referral, state } => {
            let path = format!(
                "/api/v1/staff/referrals/{}",
                checked_id(referral, "referral")?
            );
            client
                .post::<ReferralRecord>(&path, &MoveRequest { state: *state })
                .await?;
            human!("referral {referral} is now {}", state.code());
            Ok(())
        }
        Note {
            case,
            message,
            file,
        } => {
            let case = resolve::case(client, case).await?;
            let text = text_of(message, file)?.context("give --message TEXT or --file FILE")?;
            let sealed = seal_document(
                client,
                &format!("/api/v1/staff/cases/{case}/assistance-notes/seal-to"),
                EnvelopeKind::AssistanceNote,
                None,
                &text,
                |s: &Member| s.role == Role::Assistance,
            )
            .await?;
            client
                .post::<Created>(
                    &format!("/api/v1/staff/cases/{case}/assistance-notes"),
                    &EnvelopeRequest { envelope: sealed },
                )
                .await?;
            human!("note sealed to the assistance officers and sent");
            Ok(())
        }
        Statistics { year, format, out } => {
            if !["json", "csv", "html"].contains(&format.as_str()) {
                bail!("the format is json, csv or html");
            }
            let body = client
                .bytes(&format!(
                    "/api/v1/staff/statistics?year={year}&format={format}"
                ))
                .await?;
            write_private(out, &body)?;
            human!("statistics of {year} written to {}", out.display());
            Ok(())
        }
    }
}

/// A case's consents, and (for assistance officers) its referrals and notes, as lines.
pub(super) fn print_assistance(case: &str, answer: &CaseAssistance) {
    let day = |d: Option<crate::store::Day>| {
        d.map(crate::store::day_format::to_text)
            .unwrap_or_else(|| "-".into())
    };
    human!("case {case}");
    if answer.consents.is_empty() {
        human!("consents: none recorded");
    } else {
        human!("consents:");
    }
    for c in &answer.consents {
        human!(
            "  {:<20} with {:<22} {:<8} on {}",
            c.purpose.code(),
            c.audience.code(),
            if c.given { "given" } else { "refused" },
            day(Some(c.recorded_on))
        );
    }
    if let Some(referrals) = &answer.referrals {
        if referrals.is_empty() {
            human!("referrals: none");
        } else {
            human!("referrals:");
        }
        for r in referrals {
            human!(
                "  {}  {:<20} {:<12} {:<10} offered {}  delivered {}  closed {}",
                r.id,
                r.service.code(),
                r.provider,
                r.state.code(),
                day(Some(r.referred_on)),
                day(r.delivered_on),
                day(r.closed_on)
            );
        }
    }
    if let Some(notes) = &answer.notes {
        human!(
            "notes sealed to you: {}{}",
            notes.len(),
            if notes.is_empty() {
                ""
            } else {
                " (`confide staff open ID --out DIR` opens one)"
            }
        );
        for n in notes {
            human!(
                "  {}  {}",
                n.id,
                crate::store::day_format::to_text(n.created_on)
            );
        }
    }
}

/// `CATEGORY` or `CATEGORY:MEMBER_STATE`.
fn parse_group(text: &str) -> Result<Implicated> {
    let (category, state) = match text.split_once(':') {
        Some((c, s)) => (c, Some(s.to_string())),
        None => (text, None),
    };
    Ok(Implicated {
        category: PersonnelCategory::from_code(category).with_context(|| {
            format!(
                "unknown personnel category; use one of: {}",
                PersonnelCategory::known()
            )
        })?,
        member_state: state,
    })
}

fn text_of(message: &Option<String>, file: &Option<PathBuf>) -> Result<Option<Zeroizing<String>>> {
    Ok(match (message, file) {
        (Some(text), _) => Some(Zeroizing::new(text.clone())),
        (None, Some(path)) => Some(Zeroizing::new(read_text(path)?)),
        (None, None) => None,
    })
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Seals a small JSON document to the recipients the server lists at `seal_to_path`; returns
/// base64 of the envelope.
async fn seal_document(
    client: &Client,
    seal_to_path: &str,
    kind: EnvelopeKind,
    case: Option<&str>,
    text: &str,
    allowed: impl Fn(&Member) -> bool,
) -> Result<String> {
    if text.trim().is_empty() {
        bail!("the text is empty");
    }
    let list: SealTo = client.json(seal_to_path).await?;
    // Signed members who may hold this kind of document.
    let trusted: std::collections::HashSet<String> = client
        .trusted_staff()
        .await?
        .into_iter()
        .filter(|s| allowed(s))
        .map(|s| s.recipient)
        .collect();
    if let Some(stranger) = list
        .seal_to
        .iter()
        .find(|r| !trusted.contains(&r.recipient))
    {
        bail!(
            "the server asked to seal to {}, who is not in the keyring your organisation signed for this; nothing was sent. Tell your administrator",
            stranger.recipient
        );
    }
    let recipients = list
        .seal_to
        .iter()
        .map(|r| parse_recipient(&r.recipient))
        .collect::<Result<Vec<_>>>()?;
    let by = super::conversation::authoring(client, case).await?;
    let document =
        super::conversation::compose(super::conversation::format_of(kind)?, text, &by, None)?;
    Ok(STANDARD.encode(seal::seal(document, &recipients)?))
}
