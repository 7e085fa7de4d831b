//! Envelopes on PostgreSQL: the same operations as `store::sqlite::envelopes`.

use super::{PostgresStore, Tx};
use crate::audit::AuditEntry;
use crate::cases::EnvelopeKind;
use crate::store::{
    Day, EnvelopeBody, EnvelopeMeta, NewEnvelope, StoreError, Upload, day_format, rows,
};

const ENVELOPE_FIELDS: &str = "e.id, e.case_id, e.kind, e.created_on, e.size, e.chunks, \
     (SELECT string_agg(recipient, ',') FROM envelope_recipients r WHERE r.envelope_id = e.id) AS recipients";

impl PostgresStore {
    pub async fn envelopes_of_case(&self, case_id: &str) -> Result<Vec<EnvelopeMeta>, StoreError> {
        let sql = format!(
            "SELECT {ENVELOPE_FIELDS} FROM envelopes e WHERE e.case_id = $1 ORDER BY e.created_on, e.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::envelope).collect()
    }

    pub async fn envelope(&self, id: &str) -> Result<Option<EnvelopeMeta>, StoreError> {
        let sql = format!("SELECT {ENVELOPE_FIELDS} FROM envelopes e WHERE e.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::envelope).transpose()
    }

    pub async fn envelope_body(&self, id: &str) -> Result<Vec<u8>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT body FROM envelopes WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or_default(),
        )
    }

    pub async fn envelope_chunk(&self, id: &str, seq: u32) -> Result<Vec<u8>, StoreError> {
        sqlx::query_scalar("SELECT data FROM envelope_chunks WHERE envelope_id = $1 AND seq = $2")
            .bind(id)
            .bind(i64::from(seq))
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::Corrupt("a chunk of an envelope is missing"))
    }

    pub async fn envelope_bodies(
        &self,
        case_id: &str,
        kind: EnvelopeKind,
    ) -> Result<Vec<(EnvelopeMeta, Vec<u8>)>, StoreError> {
        let sql = format!(
            "SELECT {ENVELOPE_FIELDS}, e.body FROM envelopes e
             WHERE e.case_id = $1 AND e.kind = $2 AND e.chunks = 0 ORDER BY e.created_on, e.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .bind(kind.code())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((rows::envelope(r)?, sqlx::Row::try_get(r, "body")?)))
            .collect()
    }

    pub async fn put_chunk(
        &self,
        envelope_id: &str,
        seq: u32,
        data: &[u8],
        today: Day,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO envelope_chunks (envelope_id, seq, data, created_on) VALUES ($1, $2, $3, $4)")
            .bind(envelope_id)
            .bind(i64::from(seq))
            .bind(data)
            .bind(day_format::to_text(today))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_chunks(&self, envelope_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM envelope_chunks WHERE envelope_id = $1")
            .bind(envelope_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes what uploads left behind, once older than a day: several gateways may be
    /// streaming uploads into this database at any moment, and an upload in progress is younger.
    pub async fn sweep(&self, today: Day) -> Result<(), StoreError> {
        let yesterday = day_format::to_text(today - time::Duration::days(1));
        let mut tx = self.write().await?;
        // The upload rows go first, and only their pieces after: an upload claimed by another
        // gateway meanwhile has no row left to delete here, so its pieces stay with its envelope.
        sqlx::query(
            "WITH gone AS (DELETE FROM uploads WHERE created_on < $1 RETURNING id)
             DELETE FROM envelope_chunks WHERE envelope_id IN (SELECT id FROM gone)",
        )
        .bind(&yesterday)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM envelope_chunks c WHERE c.created_on < $1
             AND NOT EXISTS (SELECT 1 FROM envelopes e WHERE e.id = c.envelope_id)
             AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.id = c.envelope_id)",
        )
        .bind(&yesterday)
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

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

    pub async fn finish_upload(&self, upload: &Upload, today: Day) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO uploads (id, stanzas, chunks, size, created_on) VALUES ($1, $2, $3, $4, $5)")
            .bind(&upload.id)
            .bind(i64::from(upload.stanzas))
            .bind(i64::from(upload.chunks))
            .bind(upload.size as i64)
            .bind(day_format::to_text(today))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn upload(&self, id: &str) -> Result<Option<Upload>, StoreError> {
        let row = sqlx::query("SELECT id, stanzas, chunks, size FROM uploads WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::upload).transpose()
    }
}

pub(in crate::store) async fn insert_envelope(
    tx: &mut Tx,
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
        let claimed = sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(&envelope.id)
            .execute(&mut **tx)
            .await?;
        if claimed.rows_affected() != 1 {
            return Err(StoreError::UploadGone);
        }
    }
    sqlx::query("INSERT INTO envelopes (id, case_id, kind, created_on, body, chunks, size) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&envelope.id)
        .bind(case_id)
        .bind(envelope.kind.code())
        .bind(day_format::to_text(today))
        .bind(body)
        .bind(i64::from(chunks))
        .bind(size as i64)
        .execute(&mut **tx)
        .await?;
    for recipient in &envelope.recipients {
        sqlx::query("INSERT INTO envelope_recipients (envelope_id, recipient) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(&envelope.id)
            .bind(recipient)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
