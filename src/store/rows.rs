//! Turning rows into records, the same for both backends: every query selects the same columns
//! under the same names.

use sqlx::{ColumnIndex, Decode, Row, Type};

use super::{CaseRecord, EnvelopeMeta, StoreError, Upload, day_format};
use crate::audit::AuditRecord;
use crate::cases::{EnvelopeKind, Status};

/// What a backend's rows must decode for the mapping below.
pub trait Columns<'r>: Row
where
    &'static str: ColumnIndex<Self>,
{
    fn text(&'r self, name: &'static str) -> Result<String, StoreError>;
    fn maybe_text(&'r self, name: &'static str) -> Result<Option<String>, StoreError>;
    fn int(&'r self, name: &'static str) -> Result<i64, StoreError>;
    fn bytes(&'r self, name: &'static str) -> Result<Vec<u8>, StoreError>;
}

impl<'r, R> Columns<'r> for R
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn text(&'r self, name: &'static str) -> Result<String, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn maybe_text(&'r self, name: &'static str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn int(&'r self, name: &'static str) -> Result<i64, StoreError> {
        Ok(self.try_get(name)?)
    }
    fn bytes(&'r self, name: &'static str) -> Result<Vec<u8>, StoreError> {
        Ok(self.try_get(name)?)
    }
}

pub fn case<'r, R: Columns<'r>>(row: &'r R) -> Result<CaseRecord, StoreError>
where
    &'static str: ColumnIndex<R>,
{
    Ok(CaseRecord {
        id: row.text("id")?,
        entity: row.text("entity")?,
        status: Status::from_code(&row.text("status")?)
            .ok_or(StoreError::Corrupt("unknown status code"))?,
        received_on: day(&row.text("received_on")?)?,
        reply_recipient: row.text("reply_recipient")?,
        assignees: list(row.maybe_text("assignees")?),
        status_changed_at: row.maybe_text("status_changed_at")?,
        acknowledged_at: row.maybe_text("acknowledged_at")?,
        first_feedback_at: row.maybe_text("first_feedback_at")?,
        investigation_started_at: row.maybe_text("investigation_started_at")?,
        closed_at: row.maybe_text("closed_at")?,
        last_reply_at: row.maybe_text("last_reply_at")?,
    })
}

pub fn envelope<'r, R: Columns<'r>>(row: &'r R) -> Result<EnvelopeMeta, StoreError>
where
    &'static str: ColumnIndex<R>,
{
    Ok(EnvelopeMeta {
        id: row.text("id")?,
        case_id: row.text("case_id")?,
        kind: EnvelopeKind::from_code(&row.text("kind")?)
            .ok_or(StoreError::Corrupt("unknown envelope kind"))?,
        created_on: day(&row.text("created_on")?)?,
        size: row.int("size")?.try_into().unwrap_or(0),
        recipients: list(row.maybe_text("recipients")?),
        chunks: row.int("chunks")?.try_into().unwrap_or(0),
    })
}

pub fn audit<'r, R: Columns<'r>>(row: &'r R) -> Result<AuditRecord, StoreError>
where
    &'static str: ColumnIndex<R>,
{
    Ok(AuditRecord {
        seq: row.int("seq")?,
        at: row.text("at")?,
        actor: row.text("actor")?,
        action: row.text("action")?,
        case_id: row.text("case_id")?,
        detail: row.text("detail")?,
        prev_hash: hash(row.bytes("prev_hash")?)?,
        hash: hash(row.bytes("hash")?)?,
    })
}

pub fn upload<'r, R: Columns<'r>>(row: &'r R) -> Result<Upload, StoreError>
where
    &'static str: ColumnIndex<R>,
{
    Ok(Upload {
        id: row.text("id")?,
        stanzas: row.int("stanzas")?.try_into().unwrap_or(0),
        chunks: row.int("chunks")?.try_into().unwrap_or(0),
        size: row.int("size")?.try_into().unwrap_or(0),
    })
}

pub fn hash(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("an audit hash is not 32 bytes"))
}

fn day(text: &str) -> Result<super::Day, StoreError> {
    day_format::from_text(text).ok_or(StoreError::Corrupt("a stored date is not YYYY-MM-DD"))
}

/// A comma-joined list of keyring names (names never hold commas), sorted.
fn list(joined: Option<String>) -> Vec<String> {
    let mut names: Vec<String> = joined
        .map(|j| {
            j.split(',')
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
