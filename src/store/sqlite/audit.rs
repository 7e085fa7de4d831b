//! The audit chain's storage. Appends happen inside the transaction of the action they record,
//! which holds the write lock, so records are chained in commit order without gaps.

use sqlx::Row;

use super::{SqliteStore, Tx};
use crate::audit::{AuditEntry, AuditRecord, next_record};
use crate::store::{StoreError, rows};

impl SqliteStore {
    /// Records a staff action that changes nothing else (a listing, a download).
    pub async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        append(&mut tx, entry).await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// The whole chain, in order.
    pub async fn audit_records(&self) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query("SELECT seq, at, actor, action, case_id, detail, prev_hash, hash FROM audit ORDER BY seq")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(crate::store::rows::audit).collect()
    }
}

pub(in crate::store) async fn append(tx: &mut Tx, entry: &AuditEntry) -> Result<(), StoreError> {
    let last = sqlx::query("SELECT seq, hash, at FROM audit ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    let last = match last {
        Some(row) => Some((
            row.try_get::<i64, _>("seq")?,
            rows::hash(row.try_get("hash")?)?,
            row.try_get("at")?,
        )),
        None => None,
    };
    let record = next_record(last, entry);
    sqlx::query("INSERT INTO audit (seq, at, actor, action, case_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(record.seq)
        .bind(&record.at)
        .bind(&record.actor)
        .bind(&record.action)
        .bind(&record.case_id)
        .bind(&record.detail)
        .bind(&record.prev_hash[..])
        .bind(&record.hash[..])
        .execute(&mut **tx)
        .await?;
    Ok(())
}
