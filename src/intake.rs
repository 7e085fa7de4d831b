//! Intake: reports in, tokens out, and the reporter's status checks.
//!
//! This is where the pieces meet: a report is sealed to the entity's intake officers (or checked,
//! if the client sealed it), the follow-up token is made and stretched, and the case is stored
//! durably before the token is returned. Plaintext lives only in wiped buffers here.
//!
//! Stretching a token is deliberately slow (Argon2id), so it runs on the blocking pool and no
//! more than `limits.concurrent_stretches` run at once: a flood of status checks queues instead
//! of exhausting memory.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::Semaphore;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::cases::{EnvelopeKind, Status};
use crate::config::Limits;
use crate::keyring::Keyring;
use crate::seal::{self, SealError};
use crate::store::{Day, NewCase, Store, StoreError, day_format};
use crate::token::{LookupKey, ServerSecret, StretchParams, Stretched, Token, TokenError};

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("there is no entity {0:?} to report to; choose one from the list")]
    UnknownEntity(String),
    #[error("please describe what happened")]
    EmptyDescription,
    #[error("the field {field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("the envelope is larger than {0} bytes")]
    EnvelopeTooLarge(usize),
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
    #[error("the report could not be stored")]
    Store(#[source] StoreError),
    #[error("the server is shutting down")]
    ShuttingDown,
}

impl From<StoreError> for IntakeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::LookupTaken => IntakeError::LookupTaken,
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
    /// When it happened, in the reporter's words (exact, approximate, or blank).
    #[serde(default)]
    pub when: String,
    /// Where it happened, in the reporter's words.
    #[serde(default)]
    pub place: String,
}

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

pub struct Intake {
    store: Store,
    keyring: Arc<Keyring>,
    secret: ServerSecret,
    stretch: StretchParams,
    limits: Limits,
    stretch_slots: Arc<Semaphore>,
}

impl Intake {
    pub fn new(
        store: Store,
        keyring: Arc<Keyring>,
        secret: ServerSecret,
        stretch: StretchParams,
        limits: Limits,
    ) -> Intake {
        let slots = Arc::new(Semaphore::new(limits.concurrent_stretches));
        Intake {
            store,
            keyring,
            secret,
            stretch,
            limits,
            stretch_slots: slots,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn stretch_params(&self) -> &StretchParams {
        &self.stretch
    }

    /// Seals a report from the form, stores it and returns the new token.
    pub async fn report_from_form(
        &self,
        answers: ReportAnswers,
        today: Day,
    ) -> Result<Token, IntakeError> {
        let recipients = self.intake_recipients(&answers.entity)?;
        if answers.description.trim().is_empty() {
            return Err(IntakeError::EmptyDescription);
        }
        let l = &self.limits;
        for (field, value, max) in [
            ("description", &answers.description, l.max_description_chars),
            ("when", &answers.when, l.max_field_chars),
            ("place", &answers.place, l.max_field_chars),
        ] {
            if value.chars().count() > max {
                return Err(IntakeError::TooLong { field, max });
            }
        }
        let entity = answers.entity.clone();
        let document = report_document(&answers, today);
        drop(answers);
        let envelope = seal::seal(document, &recipients)?;

        let token = Token::generate();
        let stretched = self.stretch(&token).await?;
        self.store_case(
            &entity,
            envelope,
            stretched.lookup,
            stretched.reply_seed.recipient(),
            today,
        )
        .await?;
        Ok(token)
    }

    /// Stores a report the client sealed. Returns a new token unless the client made its own.
    pub async fn report_sealed(
        &self,
        entity: &str,
        envelope: Vec<u8>,
        client_key: Option<ClientKey>,
        today: Day,
    ) -> Result<Option<Token>, IntakeError> {
        let recipients = self.intake_recipients(entity)?;
        if envelope.len() > self.limits.max_envelope_bytes {
            return Err(IntakeError::EnvelopeTooLarge(
                self.limits.max_envelope_bytes,
            ));
        }
        seal::check_client_envelope(&envelope, recipients.len())?;
        match client_key {
            Some(key) => {
                self.store_case(entity, envelope, key.lookup, key.reply_recipient, today)
                    .await?;
                Ok(None)
            }
            None => {
                let token = Token::generate();
                let stretched = self.stretch(&token).await?;
                self.store_case(
                    entity,
                    envelope,
                    stretched.lookup,
                    stretched.reply_seed.recipient(),
                    today,
                )
                .await?;
                Ok(Some(token))
            }
        }
    }

    /// The reporter's view of the case, replies opened with the key derived from the token.
    pub async fn status_by_token(&self, token: &Token) -> Result<CaseView, IntakeError> {
        let stretched = self.stretch(token).await?;
        let identity = stretched.reply_seed.identity();
        self.case_view(&stretched.lookup, |body| {
            let opened = seal::open(body, &identity).ok()?;
            let text = String::from_utf8_lossy(&opened).trim_end().to_string();
            Some(ReplyView {
                id: String::new(),
                created_on: Day::MIN,
                text: Some(text),
                envelope: None,
            })
        })
        .await
    }

    /// The reporter's view of the case for a client that stretched its token itself: replies
    /// stay sealed, for the client to open.
    pub async fn status_by_lookup(&self, lookup: &LookupKey) -> Result<CaseView, IntakeError> {
        use base64::Engine;
        self.case_view(lookup, |body| {
            let envelope = base64::engine::general_purpose::STANDARD.encode(body);
            Some(ReplyView {
                id: String::new(),
                created_on: Day::MIN,
                text: None,
                envelope: Some(envelope),
            })
        })
        .await
    }

    async fn case_view(
        &self,
        lookup: &LookupKey,
        reply: impl Fn(&[u8]) -> Option<ReplyView>,
    ) -> Result<CaseView, IntakeError> {
        // A wrong token and a purged or never-existing case take this same path and get the
        // same answer: there is no other way a lookup can fail.
        let verifier = lookup.verifier(&self.secret);
        let case = self
            .store
            .find_case(&verifier)
            .await?
            .ok_or(IntakeError::NotFound)?;
        let mut replies = Vec::new();
        for (meta, body) in self
            .store
            .envelope_bodies(&case.id, EnvelopeKind::Reply)
            .await?
        {
            if let Some(mut view) = reply(&body) {
                view.id = meta.id;
                view.created_on = meta.created_on;
                replies.push(view);
            }
        }
        Ok(CaseView {
            status: case.status,
            status_text: case.status.plain_words(),
            received_on: case.received_on,
            replies,
        })
    }

    fn intake_recipients(&self, entity: &str) -> Result<Vec<age::x25519::Recipient>, IntakeError> {
        let recipients = self.keyring.intake_recipients(entity);
        if self.keyring.entity(entity).is_none() || recipients.is_empty() {
            return Err(IntakeError::UnknownEntity(
                entity.chars().take(40).collect(),
            ));
        }
        Ok(recipients)
    }

    /// Argon2id on the blocking pool, at most `concurrent_stretches` at once.
    async fn stretch(&self, token: &Token) -> Result<Stretched, IntakeError> {
        let _slot = self
            .stretch_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| IntakeError::ShuttingDown)?;
        let token = token.clone();
        let params = self.stretch.clone();
        tokio::task::spawn_blocking(move || token.stretch(&params))
            .await
            .map_err(|_| IntakeError::ShuttingDown)?
            .map_err(IntakeError::from)
    }

    async fn store_case(
        &self,
        entity: &str,
        envelope: Vec<u8>,
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
                report: envelope,
                today,
            })
            .await?)
    }
}

/// The report as the intake officer reads it: a small JSON document, pretty-printed so that it
/// is readable straight out of `age -d`. Built in a buffer large enough never to reallocate, so
/// no unwiped copy of the plaintext is left behind.
fn report_document(answers: &ReportAnswers, today: Day) -> Zeroizing<Vec<u8>> {
    #[derive(Serialize)]
    struct Document<'a> {
        format: &'static str,
        entity: &'a str,
        submitted_on: String,
        channel: &'static str,
        description: &'a str,
        #[serde(skip_serializing_if = "str::is_empty")]
        when: &'a str,
        #[serde(skip_serializing_if = "str::is_empty")]
        place: &'a str,
    }
    let text_len =
        answers.entity.len() + answers.description.len() + answers.when.len() + answers.place.len();
    // JSON escaping grows text at most sixfold (\u00XX); padding needs up to the next bucket.
    let mut out = Zeroizing::new(Vec::with_capacity(seal::bucket(6 * text_len + 1024)));
    serde_json::to_writer_pretty(
        &mut *out,
        &Document {
            format: "confide-report/1",
            entity: &answers.entity,
            submitted_on: day_format::to_text(today),
            channel: "web form (sealed on the server)",
            description: &answers.description,
            when: &answers.when,
            place: &answers.place,
        },
    )
    .expect("serialising to memory cannot fail");
    out.push(b'\n');
    out
}
