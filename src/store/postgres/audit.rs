//! The audit chain on PostgreSQL. Appends take a transaction-scoped advisory lock, so records
//! from every gateway sharing the database are chained one at a time.

use sqlx::Row;

use super::{PostgresStore, Tx};
use crate::audit::{AuditEntry, AuditRecord, next_record};
use crate::store::{StoreError, rows};

/// The advisory lock key of the audit chain (any constant shared by all gateways).
const AUDIT_LOCK: i64 = 0x636f_6e66_6964_6501;

impl PostgresStore {
    pub async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        append(&mut tx, entry).await?;
        self.commit(tx).await?;
        Ok(())
    }

    pub async fn audit_records(&self) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query("SELECT seq, at, actor, action, case_id, detail, prev_hash, hash FROM audit ORDER BY seq")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::audit).collect()
    }
}

pub(in crate::store) async fn append(tx: &mut Tx, entry: &AuditEntry) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(AUDIT_LOCK)
        .execute(&mut **tx)
        .await?;
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
    sqlx::query("INSERT INTO audit (seq, at, actor, action, case_id, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
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
