//! Intake: reports in, tokens out, and everything the reporter does with the token afterwards
//! (status, replies, more information and files).
//!
//! This is where the pieces meet: a report is sealed to the entity's intake officers (or checked,
//! if the client sealed it), the follow-up token is made and stretched, and the case is stored
//! durably before the token is returned. Plaintext lives only in wiped buffers here.
//!
//! Stretching a token is deliberately slow (Argon2id), so it runs on a fixed pool of
//! `limits.concurrent_stretches` workers (see `stretch`): a flood of status checks queues instead
//! of exhausting memory.

mod stretch;
mod upload;

use std::sync::Arc;

use serde::Serialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::cases::{EnvelopeKind, Status};
use crate::config::Limits;
use crate::keyring::{Live, Role};
use crate::seal::{self, SealError};
use crate::store::{
    CaseRecord, Day, EnvelopeBody, NewCase, NewEnvelope, Store, StoreError, day_format, random_id,
};
use crate::token::{LookupKey, ServerSecret, StretchParams, Stretched, Token, TokenError};

pub use upload::ChunkSource;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("there is no such entity to report to; choose one from the list")]
    UnknownEntity,
    #[error("please describe what happened")]
    EmptyDescription,
    #[error("please write a message or attach a file")]
    EmptyMessage,
    #[error("the field {field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("the field {field} holds an answer the form does not offer")]
    BadChoice { field: &'static str },
    #[error("the envelope is larger than {0} bytes")]
    EnvelopeTooLarge(usize),
    #[error("a file is larger than {0} bytes")]
    FileTooLarge(u64),
    #[error("at most {0} files can be sent at once")]
    TooManyFiles(usize),
    #[error("the upload was interrupted; please send it again")]
    UploadInterrupted,
    #[error(
        "an attachment names no finished upload (uploads not sent with a report or message within a day are removed)"
    )]
    UploadNotFound,
    #[error(transparent)]
    Envelope(#[from] SealError),
    #[error("a lookup key is 32 bytes in base64, sent together with an age1… reply_recipient")]
    BadClientKey,
    #[error("this lookup key is already in use; make a new token")]
    LookupTaken,
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("no case matches this follow-up number")]
    NotFound,
    #[error(
        "this case is closed and takes no more information; to tell us something new, send a new report"
    )]
    CaseClosed,
    #[error("the report could not be stored")]
    Store(#[source] StoreError),
    #[error("the server is shutting down")]
    ShuttingDown,
    #[error("there is no such offer of support on your case")]
    NoSuchOffer,
    #[error("this answer cannot be given now; the page shows what you can do")]
    AnswerRefused,
}

impl From<StoreError> for IntakeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::LookupTaken => IntakeError::LookupTaken,
            StoreError::UploadGone => IntakeError::UploadNotFound,
            other => IntakeError::Store(other),
        }
    }
}

/// The answers of the no-JavaScript report form. Wiped when dropped.
#[derive(Default, Zeroize, ZeroizeOnDrop, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportAnswers {
    pub entity: String,
    pub description: String,
    /// Who is reporting: `self`, `witness`, `relative` or `helper`.
    #[serde(default)]
    pub reporter: String,
    /// Whether the date is known: `exact`, `approximate` or `unknown`.
    #[serde(default)]
    pub when_known: String,
    /// The day, `YYYY-MM-DD`, when known.
    #[serde(default)]
    pub when_date: String,
    /// When it happened, in the reporter's words.
    #[serde(default)]
    pub when: String,
    /// Where it happened, in the reporter's words.
    #[serde(default)]
    pub place: String,
    /// A code of `allegation::PersonnelCategory`, or empty.
    #[serde(default)]
    pub perpetrator_category: String,
    #[serde(default)]
    pub perpetrator_nationality: String,
    #[serde(default)]
    pub perpetrator_unit: String,
    #[serde(default)]
    pub perpetrator_description: String,
    /// `yes`, `no` or `unknown`.
    #[serde(default)]
    pub child_involved: String,
    /// `yes`, `no` or `unsure`.
    #[serde(default)]
    pub safe_now: String,
    /// The report page's one-time mark (see `http::public::once`); not part of the report.
    #[serde(default)]
    pub once: String,
    /// Checkboxes: `yes` when ticked.
    #[serde(default)]
    pub need_medical: String,
    #[serde(default)]
    pub need_psychosocial: String,
    #[serde(default)]
    pub need_shelter: String,
    #[serde(default)]
    pub need_legal: String,
    /// `yes` or `no`.
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub contact_how: String,
    #[serde(default)]
    pub share_assistance: String,
    #[serde(default)]
    pub share_investigators: String,
    #[serde(default)]
    pub share_member_state: String,
}

/// What a questionnaire answer may hold.
#[derive(Clone, Copy)]
enum Answer {
    /// The description: up to `max_description_chars`.
    Long,
    /// Other free text: up to `max_field_chars`.
    Short,
    /// One of these codes, or nothing.
    Choice(&'static [&'static str]),
    /// A day, `YYYY-MM-DD`, or nothing.
    Day,
}

const YES: &[&str] = &["yes"];

/// What a form held, for telling the same form sent again from a changed one
/// (`http::public::once`): SHA-256 over each field's name, length and value, then each file's
/// sealed size. (A file is known by its size's bucket only: another photo of about the same
/// size, sent from the same page within minutes, is taken for the first.) Fed in place, so
/// that no copy of what was written is made.
pub struct FormDigest(ring::digest::Context);

impl FormDigest {
    pub fn new() -> FormDigest {
        FormDigest(ring::digest::Context::new(&ring::digest::SHA256))
    }

    pub fn field(mut self, name: &str, value: &str) -> FormDigest {
        self.0.update(name.as_bytes());
        self.0.update(&(value.len() as u64).to_be_bytes());
        self.0.update(value.as_bytes());
        self
    }

    pub fn finish(mut self, files: &[NewEnvelope]) -> [u8; 32] {
        for file in files {
            let size = match &file.body {
                EnvelopeBody::Inline(body) => body.len() as u64,
                EnvelopeBody::Chunked { size, .. } | EnvelopeBody::Uploaded { size, .. } => *size,
            };
            self.0.update(&size.to_be_bytes());
        }
        self.0.finish().as_ref().try_into().expect("32 bytes")
    }
}

impl Default for FormDigest {
    fn default() -> Self {
        FormDigest::new()
    }
}

impl ReportAnswers {
    /// What the form held (see [`FormDigest`]), with its files.
    pub fn digest(&mut self, files: &[NewEnvelope]) -> [u8; 32] {
        let mut digest = FormDigest::new().field("entity", &self.entity);
        for name in FIELDS {
            if let Some((value, _)) = self.slot(name) {
                digest = digest.field(name, value);
            }
        }
        digest.finish(files)
    }

    /// The answer called `name` with its rule, for forms read one field at a time, and for
    /// checking: every questionnaire field but the entity.
    fn slot(&mut self, name: &str) -> Option<(&mut String, Answer)> {
        use Answer::*;
        Some(match name {
            "description" => (&mut self.description, Long),
            "reporter" => (
                &mut self.reporter,
                Choice(&["self", "witness", "relative", "helper"]),
            ),
            "when_known" => (
                &mut self.when_known,
                Choice(&["exact", "approximate", "unknown"]),
            ),
            "when_date" => (&mut self.when_date, Day),
            "when" => (&mut self.when, Short),
            "place" => (&mut self.place, Short),
            "perpetrator_category" => (&mut self.perpetrator_category, Choice(CATEGORIES)),
            "perpetrator_nationality" => (&mut self.perpetrator_nationality, Short),
            "perpetrator_unit" => (&mut self.perpetrator_unit, Short),
            "perpetrator_description" => (&mut self.perpetrator_description, Short),
            "child_involved" => (&mut self.child_involved, Choice(&["yes", "no", "unknown"])),
            "safe_now" => (&mut self.safe_now, Choice(&["yes", "no", "unsure"])),
            "need_medical" => (&mut self.need_medical, Choice(YES)),
            "need_psychosocial" => (&mut self.need_psychosocial, Choice(YES)),
            "need_shelter" => (&mut self.need_shelter, Choice(YES)),
            "need_legal" => (&mut self.need_legal, Choice(YES)),
            "contact" => (&mut self.contact, Choice(&["yes", "no"])),
            "contact_how" => (&mut self.contact_how, Short),
            "share_assistance" => (&mut self.share_assistance, Choice(YES)),
            "share_investigators" => (&mut self.share_investigators, Choice(YES)),
            "share_member_state" => (&mut self.share_member_state, Choice(YES)),
            _ => return None,
        })
    }

    /// The field called `name`, for a form read one field at a time, with the most characters
    /// it may hold; `None` for a name the form does not have.
    pub fn field_mut(&mut self, name: &str, limits: &Limits) -> Option<(&mut String, usize)> {
        let (slot, rule) = self.slot(name)?;
        let max = match rule {
            Answer::Long => limits.max_description_chars,
            _ => limits.max_field_chars,
        };
        Some((slot, max))
    }

    /// Checks every answer against its rule. The error names the field, never its value.
    pub fn check(&mut self, limits: &Limits) -> Result<(), IntakeError> {
        if self.description.trim().is_empty() {
            return Err(IntakeError::EmptyDescription);
        }
        // A date typed by hand where a browser has no date picker is kept, in the reporter's
        // words, rather than refused: the whole report would be lost to a format.
        if !self.when_date.is_empty()
            && crate::store::day_format::from_text(&self.when_date).is_none()
        {
            let typed = std::mem::take(&mut self.when_date);
            self.when = if self.when.is_empty() {
                typed
            } else {
                format!("{} ({typed})", self.when)
            };
        }
        for field in FIELDS {
            let (value, rule) = self.slot(field).expect("every listed field has a slot");
            // Browsers send a textarea's line breaks as CR LF: each counts once, as typed.
            let typed = value.chars().filter(|c| *c != '\r').count();
            let fine = match rule {
                Answer::Long => typed <= limits.max_description_chars,
                Answer::Short => typed <= limits.max_field_chars,
                Answer::Choice(codes) => value.is_empty() || codes.contains(&value.as_str()),
                Answer::Day => {
                    value.is_empty() || crate::store::day_format::from_text(value).is_some()
                }
            };
            if !fine {
                return Err(match rule {
                    Answer::Long => IntakeError::TooLong {
                        field,
                        max: limits.max_description_chars,
                    },
                    Answer::Short => IntakeError::TooLong {
                        field,
                        max: limits.max_field_chars,
                    },
                    _ => IntakeError::BadChoice { field },
                });
            }
        }
        Ok(())
    }
}

/// The questionnaire's fields, in the form's order.
const FIELDS: [&str; 21] = [
    "description",
    "reporter",
    "when_known",
    "when_date",
    "when",
    "place",
    "perpetrator_category",
    "perpetrator_nationality",
    "perpetrator_unit",
    "perpetrator_description",
    "child_involved",
    "safe_now",
    "need_medical",
    "need_psychosocial",
    "need_shelter",
    "need_legal",
    "contact",
    "contact_how",
    "share_assistance",
    "share_investigators",
    "share_member_state",
];

/// The personnel categories a reporter can choose, as the report page lists them.
pub const CATEGORIES: &[&str] = &[
    "military_contingent",
    "formed_police_unit",
    "expert_on_mission",
    "military_staff_officer",
    "staff_member",
    "volunteer",
    "government_provided",
    "implementing_partner",
    "non_un_force",
    "unknown",
];

/// The lookup key and reply recipient of a token the client made and stretched itself.
pub struct ClientKey {
    pub lookup: LookupKey,
    pub reply_recipient: age::x25519::Recipient,
}

/// What the reporter is shown about their case.
#[derive(Serialize)]
pub struct CaseView {
    pub status: Status,
    pub status_text: &'static str,
    #[serde(with = "crate::store::day_format")]
    pub received_on: Day,
    pub replies: Vec<ReplyView>,
    /// The people working on the case: a client seals follow-up messages to these.
    pub staff_recipients: Vec<String>,
    /// Support offered to the victim, and where each offer stands.
    pub assistance: Vec<AssistanceView>,
}

/// An offer of support as the reporter sees it, in plain words.
#[derive(Serialize)]
pub struct AssistanceView {
    pub id: String,
    pub service: crate::assistance::Service,
    pub service_text: &'static str,
    pub state: crate::assistance::ReferralState,
    pub state_text: &'static str,
    /// Whether the reporter may accept it now, or decline it now.
    pub may_accept: bool,
    pub may_decline: bool,
}

/// A reply: opened on the server for a token holder, or sealed for a client holding its key.
#[derive(Serialize)]
pub struct ReplyView {
    pub id: String,
    #[serde(with = "crate::store::day_format")]
    pub created_on: Day,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Base64 of the age file, when the client opens replies itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope: Option<String>,
}

/// A case found with the reporter's token or lookup key.
pub struct ReporterCase {
    pub case: CaseRecord,
    /// Present when the reporter gave the token itself: it opens replies.
    reply_identity: Option<age::x25519::Identity>,
}

pub struct Intake {
    store: Store,
    keyring: Arc<Live>,
    secret: ServerSecret,
    stretch: StretchParams,
    limits: Limits,
    stretcher: stretch::StretchPool,
}

impl Intake {
    pub fn new(
        store: Store,
        keyring: Arc<Live>,
        secret: ServerSecret,
        stretch: StretchParams,
        limits: Limits,
    ) -> Intake {
        let stretcher = stretch::StretchPool::new(stretch.clone(), limits.concurrent_stretches);
        Intake {
            store,
            keyring,
            secret,
            stretch,
            limits,
            stretcher,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn stretch_params(&self) -> &StretchParams {
        &self.stretch
    }

    /// The names and recipients every new report for `entity` is sealed to.
    pub fn intake_of(&self, entity: &str) -> Result<Recipients, IntakeError> {
        if self.keyring.current().entity(entity).is_none() {
            return Err(IntakeError::UnknownEntity);
        }
        let recipients = Recipients::of(
            self.keyring
                .current()
                .staff()
                .iter()
                .filter(|s| s.role == Role::Intake && s.serves(entity)),
        );
        if recipients.keys.is_empty() {
            return Err(IntakeError::UnknownEntity);
        }
        Ok(recipients)
    }

    /// The people working on a case now: the entity's intake officers and the assignees.
    pub fn case_staff(&self, case: &CaseRecord) -> Recipients {
        Recipients::of(self.keyring.current().staff().iter().filter(|s| {
            (s.role == Role::Intake && s.serves(&case.entity)) || case.assignees.contains(&s.name)
        }))
    }

    /// Seals a report from the form, stores it with its attachments, returns the new token.
    pub async fn report_from_form(
        &self,
        answers: ReportAnswers,
        attachments: Vec<NewEnvelope>,
        today: Day,
    ) -> Result<Token, IntakeError> {
        let pending = ids_of(&attachments);
        let result = self
            .report_from_form_inner(answers, attachments, today)
            .await;
        if result.is_err() {
            self.discard_ids(&pending).await;
        }
        result
    }

    async fn report_from_form_inner(
        &self,
        answers: ReportAnswers,
        attachments: Vec<NewEnvelope>,
        today: Day,
    ) -> Result<Token, IntakeError> {
        let recipients = self.intake_of(&answers.entity)?;
        let mut answers = answers;
        answers.check(&self.limits)?;
        let entity = answers.entity.clone();
        let document = report_document(&answers, attachments.len(), today);
        drop(answers);
        let report = NewEnvelope {
            id: random_id(),
            kind: EnvelopeKind::Report,
            body: EnvelopeBody::Inline(seal::seal(document, &recipients.keys)?),
            recipients: recipients.names.clone(),
        };

        let token = Token::generate();
        let stretched = self.stretch(&token).await?;
        let mut envelopes = vec![report];
        envelopes.extend(attachments);
        self.store_case(
            &entity,
            envelopes,
            stretched.lookup,
            stretched.reply_seed.recipient(),
            today,
        )
        .await?;
        Ok(token)
    }

    /// Stores a report the client sealed, with the files it uploaded for it. Returns a new token
    /// unless the client made its own.
    pub async fn report_sealed(
        &self,
        entity: &str,
        envelope: Vec<u8>,
        attachments: &[String],
        client_key: Option<ClientKey>,
        today: Day,
    ) -> Result<Filed, IntakeError> {
        // The same report sent again because its answer was lost: filed already, answered as
        // the first time. First of all: its files were claimed by the first send, and a keyring
        // reloaded since may count other recipients.
        let sent = ring::digest::digest(&ring::digest::SHA256, &envelope);
        if let Some(key) = &client_key
            && self.already_filed(&key.lookup, sent.as_ref()).await?
        {
            return Ok(Filed::Again);
        }
        let recipients = self.intake_of(entity)?;
        self.check_client_envelope(&envelope, recipients.keys.len())?;
        let report = NewEnvelope {
            id: random_id(),
            kind: EnvelopeKind::Report,
            body: EnvelopeBody::Inline(envelope),
            recipients: recipients.names.clone(),
        };
        let mut envelopes = vec![report];
        let claimed = self
            .claim_uploads(attachments, &recipients, EnvelopeKind::Attachment)
            .await;
        match client_key {
            Some(key) => {
                // Two sends of the same report at once: the one that lost the race finds the
                // other's case (its lookup key taken, or its files claimed) and is answered
                // as the winner was.
                let filed = match claimed {
                    Ok(files) => {
                        envelopes.extend(files);
                        self.store_case(
                            entity,
                            envelopes,
                            key.lookup.clone(),
                            key.reply_recipient,
                            today,
                        )
                        .await
                        .map(|_| ())
                    }
                    Err(e) => Err(e),
                };
                match filed {
                    Err(IntakeError::LookupTaken | IntakeError::UploadNotFound)
                        if self.already_filed(&key.lookup, sent.as_ref()).await? =>
                    {
                        Ok(Filed::Again)
                    }
                    Err(e) => Err(e),
                    Ok(()) => Ok(Filed::New(None)),
                }
            }
            None => {
                envelopes.extend(claimed?);
                let token = Token::generate();
                let stretched = self.stretch(&token).await?;
                self.store_case(
                    entity,
                    envelopes,
                    stretched.lookup,
                    stretched.reply_seed.recipient(),
                    today,
                )
                .await?;
                Ok(Filed::New(Some(token)))
            }
        }
    }

    /// Finds the case of a token. Replies will be opened with the key derived from it.
    pub async fn case_by_token(&self, token: &Token) -> Result<ReporterCase, IntakeError> {
        let stretched = self.stretch(token).await?;
        let case = self.case_by_lookup(&stretched.lookup).await?;
        Ok(ReporterCase {
            reply_identity: Some(stretched.reply_seed.identity()),
            ..case
        })
    }

    /// Finds the case of a lookup key sent by a client that stretched its token itself.
    pub async fn case_by_lookup(&self, lookup: &LookupKey) -> Result<ReporterCase, IntakeError> {
        // A wrong token and a purged or never-existing case take this same path and get the
        // same answer: there is no other way a lookup can fail.
        let verifier = lookup.verifier(&self.secret);
        let case = self
            .store
            .find_case(&verifier)
            .await?
            .ok_or(IntakeError::NotFound)?;
        Ok(ReporterCase {
            case,
            reply_identity: None,
        })
    }

    /// The reporter's view of their case: replies opened in memory for a token holder, or left
    /// sealed for a client that holds the key.
    pub async fn view(&self, found: &ReporterCase) -> Result<CaseView, IntakeError> {
        use base64::Engine;
        let mut replies = Vec::new();
        for (meta, body) in self
            .store
            .envelope_bodies(&found.case.id, EnvelopeKind::Reply)
            .await?
        {
            let (text, envelope) = match &found.reply_identity {
                Some(identity) => match seal::open(&body, identity) {
                    Ok(opened) => (Some(reply_text(&opened)), None),
                    Err(_) => continue,
                },
                None => (
                    None,
                    Some(base64::engine::general_purpose::STANDARD.encode(&body)),
                ),
            };
            replies.push(ReplyView {
                id: meta.id,
                created_on: meta.created_on,
                text,
                envelope,
            });
        }
        let case = &found.case;
        let assistance = self
            .store
            .referrals_of_case(&case.id)
            .await?
            .into_iter()
            .map(|r| {
                use crate::assistance::{ReferralState, reporter_may_move};
                AssistanceView {
                    may_accept: reporter_may_move(r.state, ReferralState::Accepted),
                    may_decline: reporter_may_move(r.state, ReferralState::Declined),
                    service_text: r.service.plain_words(),
                    state_text: r.state.plain_words(),
                    id: r.id,
                    service: r.service,
                    state: r.state,
                }
            })
            .collect();
        Ok(CaseView {
            assistance,
            status: case.status,
            status_text: case.status.plain_words(),
            received_on: case.received_on,
            replies,
            staff_recipients: self
                .case_staff(case)
                .keys
                .iter()
                .map(|r| r.to_string())
                .collect(),
        })
    }

    /// The reporter accepts or declines an offer of support on their case. Not in the audit
    /// chain, which records staff: the referral keeps the day of the answer, and nothing finer.
    pub async fn answer_offer(
        &self,
        found: &ReporterCase,
        referral_id: &str,
        accept: bool,
        today: Day,
    ) -> Result<(), IntakeError> {
        use crate::assistance::{ReferralState, reporter_may_move};
        let referral = match crate::store::is_valid_id(referral_id) {
            true => self.store.referral(referral_id).await?,
            false => None,
        };
        // Another case's offer gets the same answer as one that does not exist.
        let referral = referral
            .filter(|r| r.case_id == found.case.id)
            .ok_or(IntakeError::NoSuchOffer)?;
        let to = if accept {
            ReferralState::Accepted
        } else {
            ReferralState::Declined
        };
        if !reporter_may_move(referral.state, to)
            || !self
                .store
                .move_referral(&referral.id, referral.state, to, today, None)
                .await?
        {
            return Err(IntakeError::AnswerRefused);
        }
        Ok(())
    }

    /// Adds what the reporter wrote later, sealed here to the case's staff, with its files.
    pub async fn add_message(
        &self,
        found: &ReporterCase,
        text: Zeroizing<String>,
        attachments: Vec<NewEnvelope>,
        today: Day,
    ) -> Result<(), IntakeError> {
        let pending = ids_of(&attachments);
        let result = self
            .add_message_inner(found, text, attachments, today)
            .await;
        if result.is_err() {
            self.discard_ids(&pending).await;
        }
        result
    }

    async fn add_message_inner(
        &self,
        found: &ReporterCase,
        text: Zeroizing<String>,
        attachments: Vec<NewEnvelope>,
        today: Day,
    ) -> Result<(), IntakeError> {
        if found.case.status == Status::Closed {
            return Err(IntakeError::CaseClosed);
        }
        if text.trim().is_empty() && attachments.is_empty() {
            return Err(IntakeError::EmptyMessage);
        }
        if text.chars().count() > self.limits.max_description_chars {
            return Err(IntakeError::TooLong {
                field: "message",
                max: self.limits.max_description_chars,
            });
        }
        let staff = self.case_staff(&found.case);
        let mut envelopes = Vec::with_capacity(attachments.len() + 1);
        if !text.trim().is_empty() {
            let document = message_document(&text, attachments.len(), today);
            envelopes.push(NewEnvelope {
                id: random_id(),
                kind: EnvelopeKind::Message,
                body: EnvelopeBody::Inline(seal::seal(document, &staff.keys)?),
                recipients: staff.names.clone(),
            });
        }
        envelopes.extend(attachments);
        self.store
            .add_envelopes(&found.case.id, &envelopes, today, None)
            .await?;
        Ok(())
    }

    /// Adds a message the client sealed to the case's staff (as listed in its status view),
    /// with the files it uploaded for it.
    pub async fn add_sealed_message(
        &self,
        found: &ReporterCase,
        envelope: Option<Vec<u8>>,
        attachments: &[String],
        today: Day,
    ) -> Result<(), IntakeError> {
        // The same message sent again because its answer was lost: added already (with the
        // files the first claimed). First of all, as for a report.
        if let Some(envelope) = &envelope
            && self
                .message_already_added(&found.case.id, envelope, today)
                .await?
        {
            return Ok(());
        }
        if found.case.status == Status::Closed {
            return Err(IntakeError::CaseClosed);
        }
        let staff = self.case_staff(&found.case);
        let mut envelopes = Vec::new();
        let sent = envelope.as_ref().map(|e| e.to_vec());
        if let Some(envelope) = envelope {
            self.check_client_envelope(&envelope, staff.keys.len())?;
            envelopes.push(NewEnvelope {
                id: random_id(),
                kind: EnvelopeKind::Message,
                body: EnvelopeBody::Inline(envelope),
                recipients: staff.names.clone(),
            });
        }
        let claimed = self
            .claim_uploads(attachments, &staff, EnvelopeKind::Attachment)
            .await;
        // Two sends of the same message at once: the one whose files the other claimed finds
        // the other's message.
        if let (Err(IntakeError::UploadNotFound), Some(sent)) = (&claimed, &sent)
            && self
                .message_already_added(&found.case.id, sent, today)
                .await?
        {
            return Ok(());
        }
        envelopes.extend(claimed?);
        if envelopes.is_empty() {
            return Err(IntakeError::EmptyMessage);
        }
        self.store
            .add_envelopes(&found.case.id, &envelopes, today, None)
            .await?;
        Ok(())
    }

    /// Receives a file the client sealed itself (streamed, checked, stored). Returns the upload
    /// id that a report or message then names in its `attachments`.
    pub async fn receive_upload(
        &self,
        source: &mut impl ChunkSource,
        today: Day,
    ) -> Result<String, IntakeError> {
        // The largest sealed form of the largest allowed file: its padding bucket, one 16-byte
        // tag per 64 KiB, the nonce and the header.
        let bucket =
            seal::bucket(usize::try_from(self.limits.max_attachment_bytes).unwrap_or(usize::MAX))
                as u64;
        let max = bucket + bucket / 4096 + 32 + seal::MAX_HEADER_BYTES as u64;
        Ok(upload::receive_sealed(&self.store, source, max, today)
            .await?
            .id)
    }

    /// Turns finished uploads into envelopes of `kind`, checking each is sealed to as many keys
    /// as `recipients` holds. (The claim itself happens when the envelopes are stored.)
    pub async fn claim_uploads(
        &self,
        ids: &[String],
        recipients: &Recipients,
        kind: EnvelopeKind,
    ) -> Result<Vec<NewEnvelope>, IntakeError> {
        if ids.len() > self.limits.max_attachments {
            return Err(IntakeError::TooManyFiles(self.limits.max_attachments));
        }
        let mut claimed: Vec<NewEnvelope> = Vec::with_capacity(ids.len());
        for id in ids {
            let upload = match crate::store::is_valid_id(id) {
                true => self.store.upload(id).await?,
                false => None,
            };
            let upload = upload.ok_or(IntakeError::UploadNotFound)?;
            if upload.stanzas as usize != recipients.keys.len() {
                return Err(SealError::RecipientCount {
                    expected: recipients.keys.len(),
                    found: upload.stanzas as usize,
                }
                .into());
            }
            if claimed.iter().any(|c| c.id == upload.id) {
                continue;
            }
            claimed.push(NewEnvelope {
                id: upload.id,
                kind,
                body: EnvelopeBody::Uploaded {
                    chunks: upload.chunks,
                    size: upload.size,
                },
                recipients: recipients.names.clone(),
            });
        }
        Ok(claimed)
    }

    /// Streams a file from the reporter, sealing it as it arrives, into the store.
    pub async fn seal_upload(
        &self,
        recipients: &Recipients,
        file_name: &str,
        media_type: &str,
        source: &mut impl ChunkSource,
        today: Day,
    ) -> Result<NewEnvelope, IntakeError> {
        upload::seal_upload(
            &self.store,
            recipients,
            file_name,
            media_type,
            source,
            self.limits.max_attachment_bytes,
            today,
        )
        .await
    }

    /// Removes attachments that were streamed in but will not be stored with a case.
    pub async fn discard(&self, envelopes: &[NewEnvelope]) {
        self.discard_ids(&ids_of(envelopes)).await;
    }

    async fn discard_ids(&self, ids: &[String]) {
        for id in ids {
            if let Err(e) = self.store.delete_chunks(id).await {
                tracing::error!(error = %e, "removing an abandoned upload failed");
            }
        }
    }

    fn check_client_envelope(&self, envelope: &[u8], recipients: usize) -> Result<(), IntakeError> {
        if envelope.len() > self.limits.max_envelope_bytes {
            return Err(IntakeError::EnvelopeTooLarge(
                self.limits.max_envelope_bytes,
            ));
        }
        Ok(seal::check_client_envelope(envelope, recipients)?)
    }

    /// Argon2id on the stretching pool: at most `concurrent_stretches` runs at once.
    async fn stretch(&self, token: &Token) -> Result<Stretched, IntakeError> {
        self.stretcher.stretch(token).await
    }

    /// Whether the case holds a message that is `envelope`, byte for byte (sealed on the phone
    /// to fresh keys, it cannot be sent by anyone but the phone that sealed it). A lost answer
    /// is sent again within minutes, so only the case's messages of today or yesterday are
    /// read, at most [`RESENT_AMONG`] of them, however many the case holds.
    async fn message_already_added(
        &self,
        case_id: &str,
        envelope: &[u8],
        today: Day,
    ) -> Result<bool, IntakeError> {
        let sent = ring::digest::digest(&ring::digest::SHA256, envelope);
        let mut recent: Vec<crate::store::EnvelopeMeta> = self
            .store
            .envelopes_of_case(case_id)
            .await?
            .into_iter()
            .filter(|e| e.kind == EnvelopeKind::Message && e.size == envelope.len() as u64)
            .filter(|e| e.created_on >= today - time::Duration::days(1))
            .collect();
        recent.sort_by_key(|e| std::cmp::Reverse(e.created_on));
        for held in recent.into_iter().take(RESENT_AMONG) {
            let body = self.store.envelope_body(&held.id).await?;
            let digest = ring::digest::digest(&ring::digest::SHA256, &body);
            if bool::from(subtle::ConstantTimeEq::ct_eq(
                digest.as_ref(),
                sent.as_ref(),
            )) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether the case of `lookup` exists and its report is the envelope whose SHA-256 is
    /// `sent`: the same report sent again by a phone whose answer was lost. Nobody else can
    /// send those bytes (sealed on the phone to fresh keys, they crossed the network under
    /// TLS), so a different report under a lookup key already in use is still refused as a
    /// guess.
    async fn already_filed(&self, lookup: &LookupKey, sent: &[u8]) -> Result<bool, IntakeError> {
        let verifier = lookup.verifier(&self.secret);
        let Some(case) = self.store.find_case(&verifier).await? else {
            return Ok(false);
        };
        let envelopes = self.store.envelopes_of_case(&case.id).await?;
        let Some(report) = envelopes.iter().find(|e| e.kind == EnvelopeKind::Report) else {
            return Ok(false);
        };
        let stored = self.store.envelope_body(&report.id).await?;
        let stored = ring::digest::digest(&ring::digest::SHA256, &stored);
        Ok(bool::from(subtle::ConstantTimeEq::ct_eq(
            stored.as_ref(),
            sent,
        )))
    }

    async fn store_case(
        &self,
        entity: &str,
        envelopes: Vec<NewEnvelope>,
        lookup: LookupKey,
        reply_recipient: age::x25519::Recipient,
        today: Day,
    ) -> Result<String, IntakeError> {
        let verifier = lookup.verifier(&self.secret);
        Ok(self
            .store
            .create_case(NewCase {
                entity,
                verifier: &verifier,
                reply_recipient: reply_recipient.to_string(),
                envelopes,
                today,
            })
            .await?)
    }
}

fn ids_of(envelopes: &[NewEnvelope]) -> Vec<String> {
    envelopes.iter().map(|e| e.id.clone()).collect()
}

/// How many of a case's recent messages a message sent again is compared with.
const RESENT_AMONG: usize = 8;

/// What became of a report sealed by the client.
#[derive(Debug)]
pub enum Filed {
    /// Filed now, with the token the server made if it made one.
    New(Option<Token>),
    /// Filed already: the same report sent again, its answer lost.
    Again,
}

/// Who an envelope is sealed to: keyring names (recorded) and their age keys (used).
#[derive(Clone)]
pub struct Recipients {
    pub names: Vec<String>,
    pub keys: Vec<age::x25519::Recipient>,
}

impl Recipients {
    pub fn of<'a>(staff: impl Iterator<Item = &'a crate::keyring::Staff>) -> Recipients {
        let (names, keys) = staff.map(|s| (s.name.clone(), s.recipient.clone())).unzip();
        Recipients { names, keys }
    }
}

/// A reply as the reporter reads it: the `text` of the reply document, or the whole plaintext
/// if a client sealed something else.
fn reply_text(opened: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Reply {
        text: String,
    }
    match serde_json::from_slice::<Reply>(opened) {
        Ok(reply) => reply.text,
        Err(_) => String::from_utf8_lossy(opened).trim_end().to_string(),
    }
}

/// The report as the intake officer reads it: a small JSON document, pretty-printed so that it
/// is readable straight out of `age -d`. Built in a buffer large enough never to reallocate, so
/// no unwiped copy of the plaintext is left behind.
fn report_document(answers: &ReportAnswers, attachments: usize, today: Day) -> Zeroizing<Vec<u8>> {
    // The same document the reporter's browser seals (web/src/main.js), so that staff read
    // one format whichever way a report came.
    #[derive(Serialize)]
    struct Document<'a> {
        format: &'static str,
        entity: &'a str,
        submitted_on: String,
        channel: &'static str,
        #[serde(skip_serializing_if = "str::is_empty")]
        reporter: &'a str,
        description: &'a str,
        when: When<'a>,
        #[serde(skip_serializing_if = "str::is_empty")]
        place: &'a str,
        perpetrator: Perpetrator<'a>,
        #[serde(skip_serializing_if = "str::is_empty")]
        child_involved: &'a str,
        #[serde(skip_serializing_if = "str::is_empty")]
        safe_now: &'a str,
        needs: Vec<&'static str>,
        contact: Contact<'a>,
        share_with: Vec<&'static str>,
        attachments: usize,
    }
    #[derive(Serialize)]
    struct When<'a> {
        #[serde(skip_serializing_if = "str::is_empty")]
        known: &'a str,
        #[serde(skip_serializing_if = "str::is_empty")]
        date: &'a str,
        #[serde(skip_serializing_if = "str::is_empty")]
        words: &'a str,
    }
    #[derive(Serialize)]
    struct Perpetrator<'a> {
        #[serde(skip_serializing_if = "str::is_empty")]
        category: &'a str,
        #[serde(skip_serializing_if = "str::is_empty")]
        nationality: &'a str,
        #[serde(skip_serializing_if = "str::is_empty")]
        unit: &'a str,
        #[serde(skip_serializing_if = "str::is_empty")]
        description: &'a str,
    }
    #[derive(Serialize)]
    struct Contact<'a> {
        #[serde(skip_serializing_if = "str::is_empty")]
        allowed: &'a str,
        #[serde(skip_serializing_if = "str::is_empty")]
        how: &'a str,
    }
    fn ticked(pairs: &[(&'static str, &String)]) -> Vec<&'static str> {
        pairs
            .iter()
            .filter(|(_, v)| v.as_str() == "yes")
            .map(|(name, _)| *name)
            .collect()
    }
    let a = answers;
    let text_len = [
        &a.entity,
        &a.description,
        &a.when,
        &a.place,
        &a.perpetrator_nationality,
        &a.perpetrator_unit,
        &a.perpetrator_description,
        &a.contact_how,
    ]
    .iter()
    .map(|s| s.len())
    .sum::<usize>()
        + 512;
    write_document(
        text_len,
        &Document {
            // Version 2: the questionnaire (`when` became an object).
            format: "confide-report/2",
            entity: &a.entity,
            submitted_on: day_format::to_text(today),
            channel: "web form (sealed on the server)",
            reporter: &a.reporter,
            description: &a.description,
            when: When {
                known: &a.when_known,
                date: &a.when_date,
                words: &a.when,
            },
            place: &a.place,
            perpetrator: Perpetrator {
                category: &a.perpetrator_category,
                nationality: &a.perpetrator_nationality,
                unit: &a.perpetrator_unit,
                description: &a.perpetrator_description,
            },
            child_involved: &a.child_involved,
            safe_now: &a.safe_now,
            needs: ticked(&[
                ("medical", &a.need_medical),
                ("psychosocial", &a.need_psychosocial),
                ("shelter", &a.need_shelter),
                ("legal", &a.need_legal),
            ]),
            contact: Contact {
                allowed: &a.contact,
                how: &a.contact_how,
            },
            share_with: ticked(&[
                ("assistance", &a.share_assistance),
                ("investigators", &a.share_investigators),
                ("member_state", &a.share_member_state),
            ]),
            attachments,
        },
    )
}

/// A follow-up message from the reporter.
fn message_document(text: &str, attachments: usize, today: Day) -> Zeroizing<Vec<u8>> {
    #[derive(Serialize)]
    struct Document<'a> {
        format: &'static str,
        written_on: String,
        text: &'a str,
        attachments: usize,
    }
    write_document(
        text.len(),
        &Document {
            format: "confide-message/1",
            written_on: day_format::to_text(today),
            text,
            attachments,
        },
    )
}

/// Serialises a document holding `text_len` bytes of reporter text into a wiped buffer big
/// enough for escaping (at most sixfold, `\u00XX`) and padding, so it never reallocates.
fn write_document(text_len: usize, document: &impl Serialize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(seal::bucket(6 * text_len + 1024)));
    serde_json::to_writer_pretty(&mut *out, document).expect("serialising to memory cannot fail");
    out.push(b'\n');
    out
}
