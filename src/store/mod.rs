//! Persistence: cases and sealed envelopes, behind one interface.
//!
//! Only this module speaks SQL. The embedded default is SQLite in WAL mode with
//! `synchronous=FULL`, so a transaction that has returned is on disk: the reporter is shown a
//! token only after `create_case` returns. Nothing stored here opens an envelope or names a
//! reporter: see `migrations/sqlite/` for every column.

mod sqlite;

use ring::rand::SecureRandom;
use serde::Serialize;

use crate::cases::{EnvelopeKind, Status};
use crate::token::Verifier;

pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A client-made lookup key collides with an existing case.
    #[error("this lookup key is already in use")]
    LookupTaken,
    /// The database failed. The detail goes to the operator's log, never to a client.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(&'static str),
}

/// A day, as `YYYY-MM-DD`: the only precision kept for reporter-originated dates.
pub type Day = time::Date;

/// A new case with its first envelope, the report.
pub struct NewCase<'a> {
    pub entity: &'a str,
    pub verifier: &'a Verifier,
    pub reply_recipient: String,
    pub report: Vec<u8>,
    pub today: Day,
}

/// A case as staff and the status page see it.
#[derive(Clone, Debug, Serialize)]
pub struct CaseRecord {
    pub id: String,
    pub entity: String,
    pub status: Status,
    #[serde(with = "day_format")]
    pub received_on: Day,
    #[serde(skip)]
    pub reply_recipient: String,
}

/// An envelope's metadata.
#[derive(Clone, Debug, Serialize)]
pub struct EnvelopeMeta {
    pub id: String,
    pub case_id: String,
    pub kind: EnvelopeKind,
    #[serde(with = "day_format")]
    pub created_on: Day,
    pub size: u64,
}

/// The store. Cheap to clone: it wraps a connection pool.
#[derive(Clone)]
pub struct Store {
    backend: SqliteStore,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Ok(Store {
            backend: SqliteStore::open(url).await?,
        })
    }

    /// Stores a new case and its report durably. Returns the new case id.
    pub async fn create_case(&self, new: NewCase<'_>) -> Result<String, StoreError> {
        self.backend.create_case(new).await
    }

    /// The case whose verifier this is, if any.
    pub async fn find_case(&self, verifier: &Verifier) -> Result<Option<CaseRecord>, StoreError> {
        self.backend.find_case(verifier).await
    }

    pub async fn case(&self, id: &str) -> Result<Option<CaseRecord>, StoreError> {
        self.backend.case(id).await
    }

    /// Cases routed to any of `entities`, oldest first.
    pub async fn cases_of_entities(
        &self,
        entities: &[String],
    ) -> Result<Vec<CaseRecord>, StoreError> {
        let mut all = Vec::new();
        for entity in entities {
            all.extend(self.backend.cases_of_entity(entity).await?);
        }
        all.sort_by(|a, b| (a.received_on, &a.id).cmp(&(b.received_on, &b.id)));
        Ok(all)
    }

    pub async fn envelopes_of_case(&self, case_id: &str) -> Result<Vec<EnvelopeMeta>, StoreError> {
        self.backend.envelopes_of_case(case_id).await
    }

    /// One envelope with its body.
    pub async fn envelope(&self, id: &str) -> Result<Option<(EnvelopeMeta, Vec<u8>)>, StoreError> {
        self.backend.envelope(id).await
    }

    /// Bodies of a case's envelopes of one kind, oldest first.
    pub async fn envelope_bodies(
        &self,
        case_id: &str,
        kind: EnvelopeKind,
    ) -> Result<Vec<(EnvelopeMeta, Vec<u8>)>, StoreError> {
        self.backend.envelope_bodies(case_id, kind).await
    }

    /// Adds an envelope to a case (replies and follow-ups).
    pub async fn add_envelope(
        &self,
        case_id: &str,
        kind: EnvelopeKind,
        body: &[u8],
        today: Day,
    ) -> Result<String, StoreError> {
        self.backend.add_envelope(case_id, kind, body, today).await
    }
}

/// A fresh random identifier: 128 bits, hex. Random, so that ids reveal no order or count.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source failed");
    hex::encode(bytes)
}

/// Whether `id` has the shape of an id made by [`random_id`]; checked before any query.
pub fn is_valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub(crate) mod day_format {
    use serde::Serializer;

    const FORMAT: &[time::format_description::FormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(day: &time::Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_text(*day))
    }

    pub fn to_text(day: time::Date) -> String {
        day.format(FORMAT).expect("a date always formats")
    }

    pub fn from_text(text: &str) -> Option<time::Date> {
        time::Date::parse(text, FORMAT).ok()
    }
}
