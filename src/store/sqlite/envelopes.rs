//! Envelopes: small ones in one row, large ones in chunks that stream in and out.

use sqlx::{Row, SqliteConnection};

use super::SqliteStore;
use crate::audit::AuditEntry;
use crate::cases::EnvelopeKind;
use crate::store::rows;
use crate::store::{Day, EnvelopeBody, EnvelopeMeta, NewEnvelope, StoreError, Upload, day_format};

const ENVELOPE_FIELDS: &str = "e.id, e.case_id, e.kind, e.created_on, e.size, e.chunks, \
     (SELECT group_concat(recipient, ',') FROM envelope_recipients r WHERE r.envelope_id = e.id) AS recipients";

impl SqliteStore {
    /// A case's envelopes, oldest first.
    pub async fn envelopes_of_case(&self, case_id: &str) -> Result<Vec<EnvelopeMeta>, StoreError> {
        let sql = format!(
            "SELECT {ENVELOPE_FIELDS} FROM envelopes e WHERE e.case_id = ? ORDER BY e.created_on, e.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::envelope).collect()
    }

    /// One envelope's metadata.
    pub async fn envelope(&self, id: &str) -> Result<Option<EnvelopeMeta>, StoreError> {
        let sql = format!("SELECT {ENVELOPE_FIELDS} FROM envelopes e WHERE e.id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::envelope).transpose()
    }

    /// The body of an envelope stored in one piece (empty for a chunked one).
    pub async fn envelope_body(&self, id: &str) -> Result<Vec<u8>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT body FROM envelopes WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or_default(),
        )
    }

    /// Piece `seq` (from 0) of a chunked envelope.
    pub async fn envelope_chunk(&self, id: &str, seq: u32) -> Result<Vec<u8>, StoreError> {
        sqlx::query_scalar("SELECT data FROM envelope_chunks WHERE envelope_id = ? AND seq = ?")
            .bind(id)
            .bind(i64::from(seq))
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::Corrupt("a chunk of an envelope is missing"))
    }

    /// Bodies of a case's small envelopes of one kind, oldest first (replies for the status page).
    pub async fn envelope_bodies(
        &self,
        case_id: &str,
        kind: EnvelopeKind,
    ) -> Result<Vec<(EnvelopeMeta, Vec<u8>)>, StoreError> {
        let sql = format!(
            "SELECT {ENVELOPE_FIELDS}, e.body FROM envelopes e
             WHERE e.case_id = ? AND e.kind = ? AND e.chunks = 0 ORDER BY e.created_on, e.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .bind(kind.code())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((rows::envelope(r)?, r.try_get("body")?)))
            .collect()
    }

    /// Writes one piece of a large envelope before its row exists. Each piece commits on its
    /// own, so a long upload never holds the write lock for long.
    pub async fn put_chunk(
        &self,
        envelope_id: &str,
        seq: u32,
        data: &[u8],
        today: Day,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO envelope_chunks (envelope_id, seq, data, created_on) VALUES (?, ?, ?, ?)",
        )
        .bind(envelope_id)
        .bind(i64::from(seq))
        .bind(data)
        .bind(day_format::to_text(today))
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Removes the pieces of an upload that did not complete.
    pub async fn delete_chunks(&self, envelope_id: &str) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM envelope_chunks WHERE envelope_id = ?")
            .bind(envelope_id)
            .execute(&mut *tx)
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Removes what uploads left behind: finished uploads nobody claimed, and pieces of uploads
    /// that never finished, once they are older than a day (an upload in progress is younger).
    pub async fn sweep(&self, today: Day) -> Result<(), StoreError> {
        let yesterday = day_format::to_text(today - time::Duration::days(1));
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM envelope_chunks WHERE envelope_id IN (SELECT id FROM uploads WHERE created_on < ?)")
            .bind(&yesterday)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM uploads WHERE created_on < ?")
            .bind(&yesterday)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM envelope_chunks WHERE created_on < ?
             AND envelope_id NOT IN (SELECT id FROM envelopes) AND envelope_id NOT IN (SELECT id FROM uploads)",
        )
        .bind(&yesterday)
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Adds envelopes to a case (a reporter's message and its attachments), with an audit record
    /// when a staff member made them.
    pub async fn add_envelopes(
        &self,
        case_id: &str,
        envelopes: &[NewEnvelope],
        today: Day,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        for envelope in envelopes {
            insert_envelope(&mut tx, case_id, envelope, today).await?;
        }
        if let Some(audit) = audit {
            super::audit::append(&mut tx, audit).await?;
        }
        self.commit(tx).await?;
        Ok(())
    }
}

impl SqliteStore {
    /// Records a finished upload of a client-sealed file whose pieces are stored.
    pub async fn finish_upload(&self, upload: &Upload, today: Day) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO uploads (id, stanzas, chunks, size, created_on) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&upload.id)
        .bind(i64::from(upload.stanzas))
        .bind(i64::from(upload.chunks))
        .bind(upload.size as i64)
        .bind(day_format::to_text(today))
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// A finished upload not yet claimed by a report or message.
    pub async fn upload(&self, id: &str) -> Result<Option<Upload>, StoreError> {
        let row = sqlx::query("SELECT id, stanzas, chunks, size FROM uploads WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::upload).transpose()
    }
}

/// Inserts inline and chunked (not uploaded) envelopes of several cases with one statement for
/// the envelopes and one for their recipients.
pub(super) async fn insert_many(
    conn: &mut SqliteConnection,
    envelopes: &[(&str, &NewEnvelope, Day)],
) -> Result<(), StoreError> {
    if envelopes.is_empty() {
        return Ok(());
    }
    let rows = vec!["(?, ?, ?, ?, ?, ?, ?)"; envelopes.len()].join(", ");
    let sql = format!(
        "INSERT INTO envelopes (id, case_id, kind, created_on, body, chunks, size) VALUES {rows}"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (case_id, envelope, today) in envelopes {
        let (body, chunks, size): (&[u8], u32, u64) = match &envelope.body {
            EnvelopeBody::Inline(body) => (body, 0, body.len() as u64),
            EnvelopeBody::Chunked { chunks, size } | EnvelopeBody::Uploaded { chunks, size } => {
                (&[], *chunks, *size)
            }
        };
        query = query
            .bind(envelope.id.clone())
            .bind(case_id.to_string())
            .bind(envelope.kind.code())
            .bind(day_format::to_text(*today))
            .bind(body.to_vec())
            .bind(i64::from(chunks))
            .bind(size as i64);
    }
    query.execute(&mut *conn).await?;
    let pairs: Vec<(&str, &str)> = envelopes
        .iter()
        .flat_map(|(_, e, _)| {
            e.recipients
                .iter()
                .map(move |r| (e.id.as_str(), r.as_str()))
        })
        .collect();
    for chunk in pairs.chunks(400) {
        // Each staff recipient's row records the key it is sealed to (key rotation).
        let rows = vec!["(?, ?, (SELECT recipient FROM staff_keys WHERE name = ?))"; chunk.len()]
            .join(", ");
        let sql = format!(
            "INSERT OR IGNORE INTO envelope_recipients (envelope_id, recipient, sealed_key) VALUES {rows}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, recipient) in chunk {
            query = query
                .bind(id.to_string())
                .bind(recipient.to_string())
                .bind(recipient.to_string());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

pub(in crate::store) async fn insert_envelope(
    conn: &mut SqliteConnection,
    case_id: &str,
    envelope: &NewEnvelope,
    today: Day,
) -> Result<(), StoreError> {
    let (body, chunks, size): (&[u8], u32, u64) = match &envelope.body {
        EnvelopeBody::Inline(body) => (body, 0, body.len() as u64),
        EnvelopeBody::Chunked { chunks, size } | EnvelopeBody::Uploaded { chunks, size } => {
            (&[], *chunks, *size)
        }
    };
    // An envelope made from a client's upload takes over its pieces, exactly once.
    if let EnvelopeBody::Uploaded { .. } = envelope.body {
        let claimed = sqlx::query("DELETE FROM uploads WHERE id = ?")
            .bind(&envelope.id)
            .execute(&mut *conn)
            .await?;
        if claimed.rows_affected() != 1 {
            return Err(StoreError::UploadGone);
        }
    }
    sqlx::query("INSERT INTO envelopes (id, case_id, kind, created_on, body, chunks, size) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(&envelope.id)
        .bind(case_id)
        .bind(envelope.kind.code())
        .bind(day_format::to_text(today))
        .bind(body)
        .bind(i64::from(chunks))
        .bind(size as i64)
        .execute(&mut *conn)
        .await?;
    for recipient in &envelope.recipients {
        sqlx::query(
            "INSERT OR IGNORE INTO envelope_recipients (envelope_id, recipient, sealed_key) \
             VALUES (?1, ?2, (SELECT recipient FROM staff_keys WHERE name = ?2))",
        )
        .bind(&envelope.id)
        .bind(recipient)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
