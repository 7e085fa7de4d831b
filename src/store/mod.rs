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

/// Largest piece of a chunked envelope body.
pub const CHUNK_BYTES: usize = 256 << 10;

/// Where a new envelope's body is.
pub enum EnvelopeBody {
    /// Small envelopes are stored in one piece.
    Inline(Vec<u8>),
    /// Large envelopes were streamed into `chunks` pieces with [`Store::put_chunk`] first.
    Chunked { chunks: u32, size: u64 },
}

/// An envelope about to be stored, with the names of who can open it.
pub struct NewEnvelope {
    pub id: String,
    pub kind: EnvelopeKind,
    pub body: EnvelopeBody,
    /// Keyring staff names, and [`REPORTER`] for the reporter's reply key.
    pub recipients: Vec<String>,
}

/// A client-sealed file streamed in and waiting for the report or message that carries it.
pub struct Upload {
    pub id: String,
    /// X25519 recipient stanzas in its header.
    pub stanzas: u32,
    pub chunks: u32,
    pub size: u64,
}

/// The recipient name that stands for the reporter's reply key.
pub const REPORTER: &str = "reporter";

/// A new case with its first envelopes: the report and any attachments.
pub struct NewCase<'a> {
    pub entity: &'a str,
    pub verifier: &'a Verifier,
    pub reply_recipient: String,
    pub envelopes: Vec<NewEnvelope>,
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
    /// The reporter's reply public key: replies are sealed to it.
    pub reply_recipient: String,
    pub assignees: Vec<String>,
    /// Exact times of staff actions (RFC 3339, UTC).
    pub status_changed_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub first_feedback_at: Option<String>,
    pub investigation_started_at: Option<String>,
    pub closed_at: Option<String>,
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
    /// Who can open it: staff names, and `reporter`.
    pub recipients: Vec<String>,
    #[serde(skip)]
    pub chunks: u32,
}

/// The store. Cheap to clone: it wraps a connection pool.
pub type Store = SqliteStore;

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
