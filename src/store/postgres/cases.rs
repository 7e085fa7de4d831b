//! Cases on PostgreSQL: the same operations as `store::sqlite::cases`.

use sqlx::Row;

use super::{PostgresStore, Tx};
use crate::audit::AuditEntry;
use crate::cases::{EnvelopeKind, Status};
use crate::store::{
    CaseRecord, Day, NewCase, NewEnvelope, StoreError, day_format, random_id, rows,
};
use crate::token::Verifier;

const CASE_COLUMNS: &str = "SELECT c.id, c.entity, c.status, c.received_on, c.reply_recipient, \
     c.status_changed_at, c.acknowledged_at, c.first_feedback_at, c.investigation_started_at, c.closed_at, c.last_reply_at, \
     (SELECT string_agg(staff, ',') FROM assignments a WHERE a.case_id = c.id) AS assignees \
     FROM cases c";

impl PostgresStore {
    pub async fn create_case(&self, new: NewCase<'_>) -> Result<String, StoreError> {
        let case_id = random_id();
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO cases (id, entity, status, received_on, lookup_verifier, reply_recipient)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&case_id)
        .bind(new.entity)
        .bind(Status::Received.code())
        .bind(day_format::to_text(new.today))
        .bind(&new.verifier.0[..])
        .bind(&new.reply_recipient)
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            return Err(match e.as_database_error() {
                Some(db) if db.is_unique_violation() => StoreError::LookupTaken,
                _ => e.into(),
            });
        }
        for envelope in &new.envelopes {
            super::envelopes::insert_envelope(&mut tx, &case_id, envelope, new.today).await?;
        }
        self.commit(tx).await?;
        Ok(case_id)
    }

    pub async fn find_case(&self, verifier: &Verifier) -> Result<Option<CaseRecord>, StoreError> {
        let row = sqlx::query("SELECT id, lookup_verifier FROM cases WHERE lookup_verifier = $1")
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
        let sql = format!("{CASE_COLUMNS} WHERE c.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::case).transpose()
    }

    pub async fn cases_of_entity(&self, entity: &str) -> Result<Vec<CaseRecord>, StoreError> {
        let sql = format!("{CASE_COLUMNS} WHERE c.entity = $1 ORDER BY c.received_on, c.id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::case).collect()
    }

    pub async fn cases_assigned_to(&self, name: &str) -> Result<Vec<CaseRecord>, StoreError> {
        let sql = format!(
            "{CASE_COLUMNS} WHERE c.id IN (SELECT case_id FROM assignments WHERE staff = $1) ORDER BY c.received_on, c.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::case).collect()
    }

    pub async fn open_cases(&self) -> Result<Vec<CaseRecord>, StoreError> {
        let sql = format!("{CASE_COLUMNS} WHERE c.status <> 'closed' ORDER BY c.received_on, c.id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::case).collect()
    }

    pub async fn assign(
        &self,
        case_id: &str,
        assignees: &[String],
        copies: &[NewEnvelope],
        today: Day,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        // Lock the case row: two intake officers assigning at once are applied one after the other.
        sqlx::query("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        drop_former_assignees(&mut tx, case_id, assignees).await?;
        sqlx::query("DELETE FROM assignments WHERE case_id = $1")
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        for name in assignees {
            sqlx::query(
                "INSERT INTO assignments (case_id, staff, assigned_at) VALUES ($1, $2, $3)",
            )
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

    pub async fn set_status(
        &self,
        case_id: &str,
        from: Status,
        to: Status,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let changed = sqlx::query(
            "UPDATE cases SET status = $1, status_changed_at = $2,
                 acknowledged_at = CASE WHEN $1 = 'acknowledged' THEN coalesce(acknowledged_at, $2) ELSE acknowledged_at END,
                 investigation_started_at = CASE WHEN $1 = 'under_investigation' THEN coalesce(investigation_started_at, $2) ELSE investigation_started_at END,
                 closed_at = CASE WHEN $1 = 'closed' THEN $2 ELSE closed_at END
             WHERE id = $3 AND status = $4",
        )
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

    pub async fn add_reply(
        &self,
        case_id: &str,
        reply: &NewEnvelope,
        today: Day,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        super::envelopes::insert_envelope(&mut tx, case_id, reply, today).await?;
        sqlx::query(
            "UPDATE cases SET first_feedback_at = coalesce(first_feedback_at, $1), last_reply_at = $1 WHERE id = $2",
        )
        .bind(&audit.at)
        .bind(case_id)
        .execute(&mut *tx)
        .await?;
        super::audit::append(&mut tx, audit).await?;
        self.commit(tx).await?;
        Ok(())
    }
}

/// The advisory lock key of the purge (any constant shared by all gateways).
const PURGE_LOCK: i64 = 0x636f_6e66_6964_6502;

impl PostgresStore {
    pub async fn purge_closed(&self, cutoff: Day) -> Result<u64, StoreError> {
        let cutoff = day_format::to_text(cutoff);
        let closed = "status = 'closed' AND closed_at IS NOT NULL AND substring(closed_at from 1 for 10) < $1";
        let mut tx = self.write().await?;
        // Gateways purge at start: one at a time, so that no case is counted twice. Each
        // statement after the lock sees what the purge before it deleted.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PURGE_LOCK)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO purged_counts (entity, received_month, final_status, cases)
             SELECT entity, substring(received_on from 1 for 7), status, count(*) FROM cases WHERE {closed}
             GROUP BY entity, substring(received_on from 1 for 7), status
             ON CONFLICT (entity, received_month, final_status) DO UPDATE SET cases = purged_counts.cases + excluded.cases"
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
        let purged = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM cases WHERE {closed}"
        )))
        .bind(&cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        self.commit(tx).await?;
        Ok(purged)
    }

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
    let former: Vec<String> =
        sqlx::query_scalar("SELECT staff FROM assignments WHERE case_id = $1")
            .bind(case_id)
            .fetch_all(&mut **tx)
            .await?;
    for name in former.iter().filter(|n| !assignees.contains(n)) {
        sqlx::query(
            "DELETE FROM envelope_recipients WHERE recipient = $1 AND envelope_id IN (SELECT id FROM envelopes WHERE case_id = $2)",
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
        "DELETE FROM envelope_chunks WHERE envelope_id IN (SELECT id FROM envelopes WHERE case_id = $1 AND kind = $2)",
    )
    .bind(case_id)
    .bind(kind.code())
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM envelopes WHERE case_id = $1 AND kind = $2")
        .bind(case_id)
        .bind(kind.code())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
