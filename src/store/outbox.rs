//! The forwarding outbox (`migrations/*/0008_forwarding.sql`, `crate::forward`). One SQL text
//! for both backends.

use super::{Store, StoreError, rows};
use rows::Columns;

impl Store {
    /// Makes the database forward `entities` (adding, never removing: another gateway of the
    /// database may have a newer configuration, and removing would drop its deliveries).
    pub async fn add_forward_targets(&self, entities: &[String]) -> Result<(), StoreError> {
        on_backend!(self, db => {
            let mut tx = db.write().await?;
            for entity in entities {
                sqlx::query("INSERT INTO forward_targets (entity) VALUES ($1) ON CONFLICT DO NOTHING")
                    .bind(entity)
                    .execute(&mut *tx)
                    .await?;
            }
            db.commit(tx).await?;
            Ok(())
        })
    }

    /// Takes the entity's deliveries until `until` (Unix seconds) if no other gateway holds
    /// them at `now`.
    pub async fn claim_forwarding(
        &self,
        entity: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE forward_targets SET claimed_until = $3 WHERE entity = $1 AND claimed_until <= $2";
        on_backend!(self, db => Ok(sqlx::query(sql)
            .bind(entity)
            .bind(now)
            .bind(until)
            .execute(&db.pool)
            .await?
            .rows_affected()
            == 1))
    }

    /// Keeps the entity's deliveries until `next`, if this gateway's claim (`until`) still
    /// holds them; false when it no longer does.
    pub async fn renew_forwarding(
        &self,
        entity: &str,
        until: i64,
        next: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE forward_targets SET claimed_until = $3 WHERE entity = $1 AND claimed_until = $2";
        on_backend!(self, db => Ok(sqlx::query(sql)
            .bind(entity)
            .bind(until)
            .bind(next)
            .execute(&db.pool)
            .await?
            .rows_affected()
            == 1))
    }

    /// Gives the entity's deliveries back, if this gateway's claim (`until`) still holds them.
    pub async fn release_forwarding(&self, entity: &str, until: i64) -> Result<(), StoreError> {
        let sql =
            "UPDATE forward_targets SET claimed_until = 0 WHERE entity = $1 AND claimed_until = $2";
        on_backend!(self, db => {
            sqlx::query(sql).bind(entity).bind(until).execute(&db.pool).await?;
            Ok(())
        })
    }

    /// Up to `limit` envelopes waiting for the entity, in id order after `after` ("" for the
    /// first page).
    pub async fn waiting(
        &self,
        entity: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT envelope_id FROM outbox WHERE entity = $1 AND envelope_id > $2 \
                   ORDER BY envelope_id LIMIT $3";
        on_backend!(self, db => {
            let found = sqlx::query(sql).bind(entity).bind(after).bind(limit).fetch_all(&db.pool).await?;
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

    /// Envelopes waiting for delivery, all entities together (a metric).
    pub async fn outbox_depth(&self) -> Result<i64, StoreError> {
        on_backend!(self, db => {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM outbox").fetch_one(&db.pool).await?;
            row.int("n")
        })
    }
}
