//! The forwarding outbox (`migrations/*/0008_forwarding.sql`, `crate::forward`). One SQL text
//! for both backends.

use super::{Store, StoreError, rows};
use rows::Columns;

impl Store {
    /// Makes the database forward exactly `entities` from now on: new entities start empty,
    /// and the waiting envelopes of an entity no longer forwarded are dropped from the outbox.
    pub async fn set_forward_targets(&self, entities: &[String]) -> Result<(), StoreError> {
        on_backend!(self, db => {
            let mut tx = db.write().await?;
            let existing = sqlx::query("SELECT entity FROM forward_targets")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.text("entity"))
                .collect::<Result<Vec<_>, _>>()?;
            for gone in existing.iter().filter(|e| !entities.contains(e)) {
                sqlx::query("DELETE FROM outbox WHERE entity = $1")
                    .bind(gone)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM forward_targets WHERE entity = $1")
                    .bind(gone)
                    .execute(&mut *tx)
                    .await?;
            }
            for entity in entities {
                sqlx::query("INSERT INTO forward_targets (entity) VALUES ($1) ON CONFLICT DO NOTHING")
                    .bind(entity)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Takes the entity's deliveries for `lease` seconds, if they are due and no other gateway
    /// holds them.
    pub async fn claim_forwarding(
        &self,
        entity: &str,
        now: i64,
        lease: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE forward_targets SET claimed_until = $3 \
                   WHERE entity = $1 AND claimed_until <= $2 AND next_attempt_at <= $2";
        on_backend!(self, db => Ok(sqlx::query(sql)
            .bind(entity)
            .bind(now)
            .bind(now + lease)
            .execute(&db.pool)
            .await?
            .rows_affected()
            == 1))
    }

    /// Up to `limit` envelopes waiting for the entity.
    pub async fn waiting(&self, entity: &str, limit: i64) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT envelope_id FROM outbox WHERE entity = $1 ORDER BY envelope_id LIMIT $2";
        on_backend!(self, db => {
            let found = sqlx::query(sql).bind(entity).bind(limit).fetch_all(&db.pool).await?;
            found.iter().map(|r| r.text("envelope_id")).collect()
        })
    }

    /// The receiver has it.
    pub async fn delivered(&self, envelope_id: &str) -> Result<(), StoreError> {
        on_backend!(self, db => {
            sqlx::query("DELETE FROM outbox WHERE envelope_id = $1")
                .bind(envelope_id)
                .execute(&db.pool)
                .await?;
            Ok(())
        })
    }

    /// Ends a round of deliveries: on success the endpoint's failures are forgotten; on failure
    /// they are counted and `backoff` (given the count) sets when to try again. Returns the
    /// failures in a row.
    pub async fn forwarding_done(
        &self,
        entity: &str,
        ok: bool,
        now: i64,
        backoff: impl Fn(i64) -> i64,
    ) -> Result<i64, StoreError> {
        on_backend!(self, db => {
            if ok {
                sqlx::query("UPDATE forward_targets SET failures = 0, next_attempt_at = 0, claimed_until = 0 WHERE entity = $1")
                    .bind(entity)
                    .execute(&db.pool)
                    .await?;
                return Ok(0);
            }
            let failures = sqlx::query("SELECT failures FROM forward_targets WHERE entity = $1")
                .bind(entity)
                .fetch_optional(&db.pool)
                .await?
                .map(|r| r.int("failures"))
                .transpose()?
                .unwrap_or(0)
                + 1;
            sqlx::query("UPDATE forward_targets SET failures = $2, next_attempt_at = $3, claimed_until = 0 WHERE entity = $1")
                .bind(entity)
                .bind(failures)
                .bind(now + backoff(failures))
                .execute(&db.pool)
                .await?;
            Ok(failures)
        })
    }

    /// Envelopes waiting for delivery, all entities together (a metric).
    pub async fn outbox_depth(&self) -> Result<i64, StoreError> {
        on_backend!(self, db => {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM outbox").fetch_one(&db.pool).await?;
            row.int("n")
        })
    }
}
