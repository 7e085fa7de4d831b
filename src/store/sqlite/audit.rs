//! The audit chain's storage. Appends happen inside the transaction of the action they record,
//! which holds the write lock, so records are chained in commit order without gaps.

use sqlx::Row;

use super::{SqliteStore, Tx};
use crate::audit::{AuditEntry, AuditRecord, GENESIS, link_hash};
use crate::store::StoreError;

impl SqliteStore {
    /// Records a staff action that changes nothing else (a listing, a download).
    pub async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        append(&mut tx, entry).await?;
        tx.commit().await?;
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

pub(super) async fn append(tx: &mut Tx, entry: &AuditEntry) -> Result<(), StoreError> {
    let last = sqlx::query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    let (seq, prev) = match last {
        Some(row) => {
            let hash: &[u8] = row.try_get("hash")?;
            let prev: [u8; 32] = hash
                .try_into()
                .map_err(|_| StoreError::Corrupt("an audit hash is not 32 bytes"))?;
            (row.try_get::<i64, _>("seq")? + 1, prev)
        }
        None => (1, GENESIS),
    };
    let hash = link_hash(
        &prev,
        seq,
        &entry.at,
        &entry.actor,
        entry.action,
        &entry.case_id,
        &entry.detail,
    );
    sqlx::query("INSERT INTO audit (seq, at, actor, action, case_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(seq)
        .bind(&entry.at)
        .bind(&entry.actor)
        .bind(entry.action)
        .bind(&entry.case_id)
        .bind(&entry.detail)
        .bind(&prev[..])
        .bind(&hash[..])
        .execute(&mut **tx)
        .await?;
    Ok(())
}
