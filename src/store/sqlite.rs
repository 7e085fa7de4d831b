//! The SQLite backend: one file, WAL journal, `synchronous=FULL`, `secure_delete`.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Row, SqlStr};

use super::{CaseRecord, Day, EnvelopeMeta, NewCase, StoreError, day_format, random_id};
use crate::cases::{EnvelopeKind, Status};
use crate::token::Verifier;

/// The migrations, embedded in the binary so that a deployed gateway needs no source tree.
fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        Cow::Borrowed("cases and envelopes"),
        MigrationType::Simple,
        SqlStr::from_static(include_str!(
            "../../migrations/sqlite/0001_cases_and_envelopes.sql"
        )),
        false,
    )])
}

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk (WAL fsynced) before it returns, so a shown token is
            // never lost to a crash or power cut.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Deleted envelopes are overwritten with zeros, not left in free pages.
            .pragma("secure_delete", "ON")
            .busy_timeout(Duration::from_secs(10))
            // Statements carry no data (everything is bound), but the log stays quiet anyway.
            .log_statements(tracing::log::LevelFilter::Off)
            .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(60));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        migrator().run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    pub async fn create_case(&self, new: NewCase<'_>) -> Result<String, StoreError> {
        let case_id = random_id();
        let day = day_format::to_text(new.today);
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO cases (id, entity, status, received_on, lookup_verifier, reply_recipient)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&case_id)
        .bind(new.entity)
        .bind(Status::Received.code())
        .bind(&day)
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
        insert_envelope(&mut tx, &case_id, EnvelopeKind::Report, &new.report, &day).await?;
        tx.commit().await?;
        Ok(case_id)
    }

    pub async fn find_case(&self, verifier: &Verifier) -> Result<Option<CaseRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, entity, status, received_on, reply_recipient, lookup_verifier
             FROM cases WHERE lookup_verifier = ?",
        )
        .bind(&verifier.0[..])
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) if verifier.matches(row.try_get::<&[u8], _>("lookup_verifier")?) => {
                Ok(Some(case_from_row(&row)?))
            }
            _ => Ok(None),
        }
    }

    pub async fn case(&self, id: &str) -> Result<Option<CaseRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, entity, status, received_on, reply_recipient FROM cases WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(case_from_row).transpose()
    }

    pub async fn cases_of_entity(&self, entity: &str) -> Result<Vec<CaseRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, entity, status, received_on, reply_recipient FROM cases
             WHERE entity = ? ORDER BY received_on, id",
        )
        .bind(entity)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(case_from_row).collect()
    }

    pub async fn envelopes_of_case(&self, case_id: &str) -> Result<Vec<EnvelopeMeta>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, case_id, kind, created_on, length(body) AS size FROM envelopes
             WHERE case_id = ? ORDER BY created_on, id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(envelope_from_row).collect()
    }

    pub async fn envelope(&self, id: &str) -> Result<Option<(EnvelopeMeta, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, case_id, kind, created_on, length(body) AS size, body FROM envelopes WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((envelope_from_row(&r)?, r.try_get("body")?)))
            .transpose()
    }

    pub async fn envelope_bodies(
        &self,
        case_id: &str,
        kind: EnvelopeKind,
    ) -> Result<Vec<(EnvelopeMeta, Vec<u8>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, case_id, kind, created_on, length(body) AS size, body FROM envelopes
             WHERE case_id = ? AND kind = ? ORDER BY created_on, id",
        )
        .bind(case_id)
        .bind(kind.code())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((envelope_from_row(r)?, r.try_get("body")?)))
            .collect()
    }

    pub async fn add_envelope(
        &self,
        case_id: &str,
        kind: EnvelopeKind,
        body: &[u8],
        today: Day,
    ) -> Result<String, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = insert_envelope(&mut tx, case_id, kind, body, &day_format::to_text(today)).await?;
        tx.commit().await?;
        Ok(id)
    }
}

async fn insert_envelope(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    case_id: &str,
    kind: EnvelopeKind,
    body: &[u8],
    day: &str,
) -> Result<String, StoreError> {
    let id = random_id();
    sqlx::query(
        "INSERT INTO envelopes (id, case_id, kind, created_on, body) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(case_id)
    .bind(kind.code())
    .bind(day)
    .bind(body)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

fn case_from_row(row: &SqliteRow) -> Result<CaseRecord, StoreError> {
    Ok(CaseRecord {
        id: row.try_get("id")?,
        entity: row.try_get("entity")?,
        status: Status::from_code(row.try_get("status")?)
            .ok_or(StoreError::Corrupt("unknown status code"))?,
        received_on: parse_day(row.try_get("received_on")?)?,
        reply_recipient: row.try_get("reply_recipient")?,
    })
}

fn envelope_from_row(row: &SqliteRow) -> Result<EnvelopeMeta, StoreError> {
    Ok(EnvelopeMeta {
        id: row.try_get("id")?,
        case_id: row.try_get("case_id")?,
        kind: EnvelopeKind::from_code(row.try_get("kind")?)
            .ok_or(StoreError::Corrupt("unknown envelope kind"))?,
        created_on: parse_day(row.try_get("created_on")?)?,
        size: row.try_get::<i64, _>("size")?.try_into().unwrap_or(0),
    })
}

fn parse_day(text: &str) -> Result<Day, StoreError> {
    day_format::from_text(text).ok_or(StoreError::Corrupt("a stored date is not YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        (dir, SqliteStore::open(&url).await.unwrap())
    }

    #[tokio::test]
    async fn every_connection_commits_to_disk_and_overwrites_deleted_data() {
        let (_dir, s) = store().await;
        let mut conn = s.pool.acquire().await.unwrap();
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let secure_delete: i64 = sqlx::query_scalar("PRAGMA secure_delete")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(journal, "wal");
        assert_eq!(synchronous, 2, "synchronous=FULL");
        assert_eq!(secure_delete, 1);
    }

    #[tokio::test]
    async fn a_case_is_found_by_its_verifier_and_a_second_use_of_the_verifier_is_refused() {
        let (_dir, s) = store().await;
        let v = Verifier([3u8; 32]);
        let new = || NewCase {
            entity: "minusca",
            verifier: &v,
            reply_recipient: "age1x".into(),
            report: vec![1, 2, 3],
            today: date!(2026 - 11 - 27),
        };
        let id = s.create_case(new()).await.unwrap();
        let found = s.find_case(&v).await.unwrap().unwrap();
        assert_eq!(found.id, id);
        assert_eq!(found.status, Status::Received);
        assert!(s.find_case(&Verifier([4u8; 32])).await.unwrap().is_none());
        assert!(matches!(
            s.create_case(new()).await,
            Err(StoreError::LookupTaken)
        ));
        let envs = s.envelopes_of_case(&id).await.unwrap();
        assert_eq!(envs.len(), 1);
        assert_eq!(envs[0].size, 3);
        assert_eq!(
            s.envelope(&envs[0].id).await.unwrap().unwrap().1,
            vec![1, 2, 3]
        );
        assert_eq!(s.cases_of_entity("monusco").await.unwrap().len(), 0);
    }
}
