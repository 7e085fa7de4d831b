//! Cases: creation, lookup by verifier, listing, assignment and status.

use sqlx::Row;

use super::{SqliteStore, Tx};
use crate::audit::AuditEntry;
use crate::cases::{EnvelopeKind, Status};
use crate::store::rows;
use crate::store::{CaseRecord, Day, NewEnvelope, StoreError, day_format};
use crate::token::Verifier;

const CASE_COLUMNS: &str = "SELECT c.id, c.entity, c.status, c.received_on, c.reply_recipient, \
     c.status_changed_at, c.acknowledged_at, c.first_feedback_at, c.investigation_started_at, c.closed_at, c.last_reply_at, \
     (SELECT group_concat(staff, ',') FROM assignments a WHERE a.case_id = c.id) AS assignees \
     FROM cases c";

impl SqliteStore {
    /// The case whose verifier this is, if any. The final comparison is constant-time.
    pub async fn find_case(&self, verifier: &Verifier) -> Result<Option<CaseRecord>, StoreError> {
        let row = sqlx::query("SELECT id, lookup_verifier FROM cases WHERE lookup_verifier = ?")
            .bind(&verifier.0[..])
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) if verifier.matches(row.try_get::<&[u8], _>("lookup_verifier")?) => {
                self.case(row.try_get("id")?).await
            }
            _ => Ok(None),
        }
    }

    pub async fn case(&self, id: &str) -> Result<Option<CaseRecord>, StoreError> {
        let sql = format!("{CASE_COLUMNS} WHERE c.id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::case).transpose()
    }

    /// Cases routed to `entity`, oldest first.
    pub async fn cases_of_entity(&self, entity: &str) -> Result<Vec<CaseRecord>, StoreError> {
        let sql = format!("{CASE_COLUMNS} WHERE c.entity = ? ORDER BY c.received_on, c.id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::case).collect()
    }

    /// Cases assigned to the staff member `name`, oldest first.
    pub async fn cases_assigned_to(&self, name: &str) -> Result<Vec<CaseRecord>, StoreError> {
        let sql = format!(
            "{CASE_COLUMNS} WHERE c.id IN (SELECT case_id FROM assignments WHERE staff = ?) ORDER BY c.received_on, c.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::case).collect()
    }

    /// Replaces a case's assignees and its assignment copies of the case's envelopes, in one transaction.
    /// Earlier assignment copies are deleted, so an unassigned investigator can no longer fetch
    /// one.
    pub async fn assign(
        &self,
        case_id: &str,
        assignees: &[String],
        copies: &[NewEnvelope],
        today: crate::store::Day,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        drop_former_assignees(&mut tx, case_id, assignees).await?;
        sqlx::query("DELETE FROM assignments WHERE case_id = ?")
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        for name in assignees {
            sqlx::query("INSERT INTO assignments (case_id, staff, assigned_at) VALUES (?, ?, ?)")
                .bind(case_id)
                .bind(name)
                .bind(&audit.at)
                .execute(&mut *tx)
                .await?;
        }
        delete_envelopes_of_kind(&mut tx, case_id, EnvelopeKind::Assignment).await?;
        for copy in copies {
            super::envelopes::insert_envelope(&mut tx, case_id, copy, today).await?;
        }
        super::audit::append(&mut tx, audit).await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Moves a case from `from` to `to`, if it is still at `from`; records the clocks' times.
    /// Returns false when someone else changed the status first.
    pub async fn set_status(
        &self,
        case_id: &str,
        from: Status,
        to: Status,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let changed = sqlx::query(
            "UPDATE cases SET status = ?, status_changed_at = ?,
                 acknowledged_at = CASE WHEN ? = 'acknowledged' THEN coalesce(acknowledged_at, ?) ELSE acknowledged_at END,
                 investigation_started_at = CASE WHEN ? = 'under_investigation' THEN coalesce(investigation_started_at, ?) ELSE investigation_started_at END,
                 closed_at = CASE WHEN ? = 'closed' THEN ? ELSE closed_at END
             WHERE id = ? AND status = ?",
        )
        .bind(to.code())
        .bind(&audit.at)
        .bind(to.code())
        .bind(&audit.at)
        .bind(to.code())
        .bind(&audit.at)
        .bind(to.code())
        .bind(&audit.at)
        .bind(case_id)
        .bind(from.code())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if changed {
            super::audit::append(&mut tx, audit).await?;
            self.commit(tx).await?;
        }
        Ok(changed)
    }

    /// Stores a staff reply to the reporter; the first one stops the feedback clock.
    pub async fn add_reply(
        &self,
        case_id: &str,
        reply: &NewEnvelope,
        today: crate::store::Day,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        super::envelopes::insert_envelope(&mut tx, case_id, reply, today).await?;
        sqlx::query(
            "UPDATE cases SET first_feedback_at = coalesce(first_feedback_at, ?), last_reply_at = ? WHERE id = ?",
        )
        .bind(&audit.at)
        .bind(&audit.at)
        .bind(case_id)
        .execute(&mut *tx)
        .await?;
        super::audit::append(&mut tx, audit).await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Cases that are not closed, for the deadline lists.
    pub async fn open_cases(&self) -> Result<Vec<CaseRecord>, StoreError> {
        let sql = format!("{CASE_COLUMNS} WHERE c.status <> 'closed' ORDER BY c.received_on, c.id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::case).collect()
    }
}

impl SqliteStore {
    /// Deletes closed cases closed before `cutoff` with everything they hold, keeping only
    /// their counts. Returns how many cases went.
    pub async fn purge_closed(&self, cutoff: Day) -> Result<u64, StoreError> {
        let cutoff = day_format::to_text(cutoff);
        let closed = "status = 'closed' AND closed_at IS NOT NULL AND substr(closed_at, 1, 10) < ?";
        let mut tx = self.write().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO purged_counts (entity, received_month, final_status, cases)
             SELECT entity, substr(received_on, 1, 7), status, count(*) FROM cases WHERE {closed}
             GROUP BY entity, substr(received_on, 1, 7), status
             ON CONFLICT (entity, received_month, final_status) DO UPDATE SET cases = cases + excluded.cases"
        )))
        .bind(&cutoff)
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM envelope_chunks WHERE envelope_id IN
             (SELECT id FROM envelopes WHERE case_id IN (SELECT id FROM cases WHERE {closed}))"
        )))
        .bind(&cutoff)
        .execute(&mut *tx)
        .await?;
        // Envelopes, their recipients and assignments go with their case (ON DELETE CASCADE);
        // secure_delete overwrites their pages.
        let purged = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM cases WHERE {closed}"
        )))
        .bind(&cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        self.commit(tx).await?;
        if purged > 0 {
            self.truncate_wal().await?;
        }
        Ok(purged)
    }

    /// secure_delete zeroes the database's freed pages, but the WAL still holds the old page
    /// images until they are overwritten: copy them back and cut the WAL to nothing. A reader
    /// can keep the checkpoint from finishing (it then reports "busy" rather than failing), so
    /// it is tried a few times, and a failure is logged for the operator.
    async fn truncate_wal(&self) -> Result<(), StoreError> {
        for attempt in 0..10 {
            let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await?;
            if busy == 0 {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100 * (attempt + 1))).await;
        }
        tracing::warn!(
            "the WAL could not be truncated after a purge; old pages stay in it until it is overwritten"
        );
        Ok(())
    }

    /// The counts kept of purged cases: (entity, month received, final status, cases).
    pub async fn purged_counts(&self) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        Ok(sqlx::query_as("SELECT entity, received_month, final_status, cases FROM purged_counts ORDER BY 1, 2, 3")
            .fetch_all(&self.pool)
            .await?)
    }
}

/// Whoever is taken off a case loses every envelope of it, not only the assignment copies: what
/// was sealed to them while assigned (the reporter's messages, replies, notes) could otherwise
/// still be listed, fetched or re-sealed by them.
async fn drop_former_assignees(
    tx: &mut Tx,
    case_id: &str,
    assignees: &[String],
) -> Result<(), StoreError> {
    let former: Vec<String> = sqlx::query_scalar("SELECT staff FROM assignments WHERE case_id = ?")
        .bind(case_id)
        .fetch_all(&mut **tx)
        .await?;
    for name in former.iter().filter(|n| !assignees.contains(n)) {
        sqlx::query(
            "DELETE FROM envelope_recipients WHERE recipient = ? AND envelope_id IN (SELECT id FROM envelopes WHERE case_id = ?)",
        )
        .bind(name)
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn delete_envelopes_of_kind(
    tx: &mut Tx,
    case_id: &str,
    kind: EnvelopeKind,
) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM envelope_chunks WHERE envelope_id IN (SELECT id FROM envelopes WHERE case_id = ? AND kind = ?)",
    )
    .bind(case_id)
    .bind(kind.code())
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM envelopes WHERE case_id = ? AND kind = ?")
        .bind(case_id)
        .bind(kind.code())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
