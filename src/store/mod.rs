//! Persistence: cases and sealed envelopes, behind one interface.
//!
//! Only this module speaks SQL. The embedded default is SQLite in WAL mode, and a write is on
//! disk before it is acknowledged: the reporter is shown a token only after `create_case`
//! returns. Nothing stored here opens an envelope or names a
//! reporter: see `migrations/sqlite/` for every column.

#[macro_use]
mod casework;
pub mod cover;
pub mod health;
mod outbox;
mod pool;
mod postgres;
mod revocations;
mod rows;
mod sqlite;

use ring::rand::SecureRandom;
use serde::Serialize;

use crate::audit::{AuditEntry, AuditRecord};
use crate::cases::{EnvelopeKind, Status};
use crate::token::Verifier;

pub use casework::{
    CaseFacts, ConsentRecord, NationalActionRecord, NotificationRecord, ReferralRecord,
};
pub use postgres::PostgresStore;
pub use revocations::{Resealed, SealedTo};
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
    /// The report was not stored durably: the group committer is gone (the store is shutting
    /// down or is read-only), its commit failed, or a failed sync stopped it (each logged once
    /// by the committer).
    #[error("the report could not be committed")]
    Committer,
    /// A write reached its COMMIT but whether it is on disk is unknown: the sync after it
    /// failed (SQLite), or the database's answer to the COMMIT was lost (PostgreSQL). The
    /// client is told so, not that nothing was saved.
    #[error("the write could not be confirmed durable")]
    Unconfirmed,
    /// A batch of new reports failed for a reason of its own (not storage being unavailable);
    /// the cause was logged by the committer.
    #[error("a batch of reports failed to commit")]
    BatchFailed,
    /// The WAL file of the SQLite database could not be opened at start.
    #[error("the database's WAL file: {0}")]
    Wal(std::io::Error),
    /// An upload named by a report or message no longer waits (claimed or swept already).
    #[error("this upload was already used or has expired")]
    UploadGone,
    #[error("stored data is inconsistent: {0}")]
    Corrupt(&'static str),
    /// A row that may exist once exists already (someone did the same at the same time).
    #[error("{0}")]
    Conflict(&'static str),
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
    /// A client's finished upload (see [`Store::finish_upload`]), claimed by this envelope:
    /// storing it fails with [`StoreError::UploadGone`] if the upload was claimed already.
    Uploaded { chunks: u32, size: u64 },
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
#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct CaseRecord {
    pub id: String,
    pub entity: String,
    pub status: Status,
    #[serde(with = "day_format")]
    #[schemars(with = "String")]
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
    /// The newest reply to the reporter (a closure needs one after the last status change).
    #[serde(default)]
    pub last_reply_at: Option<String>,
}

/// An envelope's metadata.
#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct EnvelopeMeta {
    pub id: String,
    pub case_id: String,
    pub kind: EnvelopeKind,
    #[serde(with = "day_format")]
    #[schemars(with = "String")]
    pub created_on: Day,
    pub size: u64,
    /// Who can open it: staff names, and `reporter`.
    pub recipients: Vec<String>,
    /// How it is stored (whole or in pieces): the server's business, never sent.
    #[serde(skip)]
    pub chunks: u32,
}

/// The store: SQLite (`sqlite://PATH`) or PostgreSQL (`postgres://…`), chosen by the URL.
/// Cheap to clone: it wraps a connection pool.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// Calls the same method on whichever backend this is.
macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            Store::Sqlite(s) => s.$method($($arg),*).await,
            Store::Postgres(p) => p.$method($($arg),*).await,
        }
    };
}

impl Store {
    /// Opens (creating if needed, for SQLite) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store::Postgres(PostgresStore::open(url).await?))
        } else {
            Ok(Store::Sqlite(SqliteStore::open(url).await?))
        }
    }

    /// Opens an existing database for reading only: no migration, no sweep, no write of any
    /// kind (for `confide audit verify`, which may run beside a live gateway).
    pub async fn open_read_only(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store::Postgres(PostgresStore::open_read_only(url).await?))
        } else {
            Ok(Store::Sqlite(SqliteStore::open_read_only(url).await?))
        }
    }

    /// Stores a new case and its first envelopes durably. Returns the new case id.
    pub async fn create_case(&self, new: NewCase<'_>) -> Result<String, StoreError> {
        dispatch!(self.create_case(new))
    }

    /// The case whose verifier this is, if any. The final comparison is constant-time.
    pub async fn find_case(&self, verifier: &Verifier) -> Result<Option<CaseRecord>, StoreError> {
        dispatch!(self.find_case(verifier))
    }

    pub async fn case(&self, id: &str) -> Result<Option<CaseRecord>, StoreError> {
        dispatch!(self.case(id))
    }

    /// Cases routed to `entity`, oldest first.
    pub async fn cases_of_entity(&self, entity: &str) -> Result<Vec<CaseRecord>, StoreError> {
        dispatch!(self.cases_of_entity(entity))
    }

    /// Cases assigned to the staff member `name`, oldest first.
    pub async fn cases_assigned_to(&self, name: &str) -> Result<Vec<CaseRecord>, StoreError> {
        dispatch!(self.cases_assigned_to(name))
    }

    /// Cases that are not closed, for the deadline lists.
    pub async fn open_cases(&self) -> Result<Vec<CaseRecord>, StoreError> {
        dispatch!(self.open_cases())
    }

    /// Replaces a case's assignees and its assignment copies, with the audit record, atomically.
    /// Earlier assignment copies are deleted.
    pub async fn assign(
        &self,
        case_id: &str,
        assignees: &[String],
        copies: &[NewEnvelope],
        today: Day,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        dispatch!(self.assign(case_id, assignees, copies, today, audit))
    }

    /// Moves a case from `from` to `to` if it is still at `from`, recording the clocks' times.
    /// Returns false when someone else changed the status first.
    pub async fn set_status(
        &self,
        case_id: &str,
        from: Status,
        to: Status,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        dispatch!(self.set_status(case_id, from, to, audit))
    }

    /// Stores a staff reply to the reporter; the first one stops the feedback clock.
    pub async fn add_reply(
        &self,
        case_id: &str,
        reply: &NewEnvelope,
        today: Day,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        dispatch!(self.add_reply(case_id, reply, today, audit))
    }

    /// A case's envelopes, oldest first.
    pub async fn envelopes_of_case(&self, case_id: &str) -> Result<Vec<EnvelopeMeta>, StoreError> {
        dispatch!(self.envelopes_of_case(case_id))
    }

    /// One envelope's metadata.
    pub async fn envelope(&self, id: &str) -> Result<Option<EnvelopeMeta>, StoreError> {
        dispatch!(self.envelope(id))
    }

    /// The body of an envelope stored in one piece (empty for a chunked one).
    pub async fn envelope_body(&self, id: &str) -> Result<Vec<u8>, StoreError> {
        dispatch!(self.envelope_body(id))
    }

    /// Piece `seq` (from 0) of a chunked envelope.
    pub async fn envelope_chunk(&self, id: &str, seq: u32) -> Result<Vec<u8>, StoreError> {
        dispatch!(self.envelope_chunk(id, seq))
    }

    /// A chunked envelope's `count` pieces, read one at a time as the reader takes them (a
    /// download, a forwarding), so that a large file never sits whole in memory.
    pub fn envelope_pieces(
        &self,
        id: String,
        count: u32,
    ) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
        let store = self.clone();
        futures_util::stream::unfold(0u32, move |seq| {
            let (store, id) = (store.clone(), id.clone());
            async move {
                if seq == count {
                    return None;
                }
                let piece = store
                    .envelope_chunk(&id, seq)
                    .await
                    .map_err(std::io::Error::other);
                Some((piece, seq + 1))
            }
        })
    }

    /// Bodies of a case's small envelopes of one kind, oldest first (replies for the status page).
    pub async fn envelope_bodies(
        &self,
        case_id: &str,
        kind: EnvelopeKind,
    ) -> Result<Vec<(EnvelopeMeta, Vec<u8>)>, StoreError> {
        dispatch!(self.envelope_bodies(case_id, kind))
    }

    /// Writes one piece of a large envelope before its row exists, committed on its own.
    pub async fn put_chunk(
        &self,
        envelope_id: &str,
        seq: u32,
        data: &[u8],
        today: Day,
    ) -> Result<(), StoreError> {
        dispatch!(self.put_chunk(envelope_id, seq, data, today))
    }

    /// Deletes closed cases closed before `cutoff`, with their envelopes, keeping only counts by
    /// entity, month received and final status. A purged case's token then finds nothing, like
    /// a wrong one. Returns how many cases went.
    pub async fn purge_closed(&self, cutoff: Day) -> Result<u64, StoreError> {
        dispatch!(self.purge_closed(cutoff))
    }

    /// The counts kept of purged cases: (entity, month received, final status, cases).
    pub async fn purged_counts(&self) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        dispatch!(self.purged_counts())
    }

    /// Moves committed data from SQLite's WAL into the database file, off the path of reports
    /// (PostgreSQL checkpoints on its own: nothing to do).
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.checkpoint().await,
            Store::Postgres(_) => Ok(()),
        }
    }

    /// Removes uploads nobody claimed and pieces of uploads that never finished, once they are
    /// more than a day old. Runs at start and every hour.
    pub async fn sweep(&self, today: Day) -> Result<(), StoreError> {
        dispatch!(self.sweep(today))
    }

    /// Removes the pieces of an upload that did not complete.
    pub async fn delete_chunks(&self, envelope_id: &str) -> Result<(), StoreError> {
        dispatch!(self.delete_chunks(envelope_id))
    }

    /// Adds envelopes to a case, with an audit record when a staff member made them.
    pub async fn add_envelopes(
        &self,
        case_id: &str,
        envelopes: &[NewEnvelope],
        today: Day,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        dispatch!(self.add_envelopes(case_id, envelopes, today, audit))
    }

    /// Records a finished upload of a client-sealed file whose pieces are stored.
    pub async fn finish_upload(&self, upload: &Upload, today: Day) -> Result<(), StoreError> {
        dispatch!(self.finish_upload(upload, today))
    }

    /// A finished upload not yet claimed by a report or message.
    pub async fn upload(&self, id: &str) -> Result<Option<Upload>, StoreError> {
        dispatch!(self.upload(id))
    }

    /// Records a staff action that changes nothing else (a listing, a download).
    pub async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        dispatch!(self.record(entry))
    }

    /// The whole audit chain, in order.
    pub async fn audit_records(&self) -> Result<Vec<AuditRecord>, StoreError> {
        dispatch!(self.audit_records())
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
    use serde::{Deserialize, Deserializer, Serializer};

    const FORMAT: &[time::format_description::FormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(day: &time::Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_text(*day))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<time::Date, D::Error> {
        let text = String::deserialize(d)?;
        from_text(&text).ok_or_else(|| serde::de::Error::custom("a day is YYYY-MM-DD"))
    }

    pub fn to_text(day: time::Date) -> String {
        day.format(FORMAT).expect("a date always formats")
    }

    pub fn from_text(text: &str) -> Option<time::Date> {
        time::Date::parse(text, FORMAT).ok()
    }
}
