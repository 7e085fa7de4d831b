//! The PostgreSQL backend, for deployments with several gateways on one database.
//!
//! The same tables as SQLite (`migrations/postgres/` mirrors `migrations/sqlite/`), the same
//! queries with PostgreSQL's placeholders. A commit returns only once it is durable
//! (`synchronous_commit` stays at its default, `on`). Appends to the audit chain take a
//! transaction-scoped advisory lock, so gateways sharing the database chain their records one
//! at a time, in commit order.

pub(in crate::store) mod audit;
mod cases;
pub(in crate::store) mod envelopes;

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, SqlStr};

use super::StoreError;
use super::health::Health;

fn migrator() -> Migrator {
    let migration = |version, description, sql| {
        Migration::new(
            version,
            Cow::Borrowed(description),
            MigrationType::Simple,
            SqlStr::from_static(sql),
            false,
        )
    };
    Migrator::with_migrations(vec![
        migration(
            1,
            "cases and envelopes",
            include_str!("../../../migrations/postgres/0001_cases_and_envelopes.sql"),
        ),
        migration(
            2,
            "case lifecycle",
            include_str!("../../../migrations/postgres/0002_case_lifecycle.sql"),
        ),
        migration(
            3,
            "client uploads",
            include_str!("../../../migrations/postgres/0003_client_uploads.sql"),
        ),
        migration(
            4,
            "chunk days",
            include_str!("../../../migrations/postgres/0004_chunk_days.sql"),
        ),
        migration(
            5,
            "retention",
            include_str!("../../../migrations/postgres/0005_retention.sql"),
        ),
        migration(
            6,
            "resolution tracking",
            include_str!("../../../migrations/postgres/0006_resolution_tracking.sql"),
        ),
        migration(
            7,
            "revocations",
            include_str!("../../../migrations/postgres/0007_revocations.sql"),
        ),
        migration(
            8,
            "forwarding",
            include_str!("../../../migrations/postgres/0008_forwarding.sql"),
        ),
        migration(
            9,
            "key rotation",
            include_str!("../../../migrations/postgres/0009_key_rotation.sql"),
        ),
        migration(
            10,
            "no recipient index",
            include_str!("../../../migrations/postgres/0010_no_recipient_index.sql"),
        ),
        migration(
            11,
            "last reply",
            include_str!("../../../migrations/postgres/0011_last_reply.sql"),
        ),
        migration(
            12,
            "cover writes",
            include_str!("../../../migrations/postgres/0012_cover_writes.sql"),
        ),
    ])
}

type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

#[derive(Clone)]
pub struct PostgresStore {
    pub(in crate::store) pool: PgPool,
    pub(in crate::store) health: Arc<Health>,
}

impl PostgresStore {
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?
            // Durable commits are what shows a token: keep them, whatever the server's default.
            .options([("synchronous_commit", "on")])
            // Statements carry no data (everything is bound), but the log stays quiet anyway.
            .log_statements(tracing::log::LevelFilter::Off)
            .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(60));
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .after_release(super::pool::is_clean::<PgConnection>)
            .connect_with(options)
            .await?;
        migrator().run(&pool).await?;
        let store = PostgresStore {
            pool,
            health: Arc::default(),
        };
        store.sweep(time::OffsetDateTime::now_utc().date()).await?;
        Ok(store)
    }

    pub async fn open_read_only(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?
            .options([("default_transaction_read_only", "on")])
            .log_statements(tracing::log::LevelFilter::Off);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        Ok(PostgresStore {
            pool,
            health: Arc::default(),
        })
    }

    pub(in crate::store) async fn write(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// Commits a write transaction; a stored write ends an outage (see `health`).
    pub(in crate::store) async fn commit(&self, tx: Tx) -> Result<(), StoreError> {
        match tx.commit().await {
            Ok(()) => {
                self.health.stored();
                Ok(())
            }
            // The COMMIT was sent but its answer was lost with the connection: the server may
            // have committed it.
            Err(sqlx::Error::Io(_)) => Err(StoreError::Unconfirmed),
            Err(sqlx::Error::Database(db)) if db.code().is_some_and(|c| c.starts_with("08")) => {
                Err(StoreError::Unconfirmed)
            }
            Err(e) => Err(e.into()),
        }
    }
}
