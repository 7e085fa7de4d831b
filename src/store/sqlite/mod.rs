//! The SQLite backend: one file, WAL journal, `secure_delete`; every write is on disk before
//! it is acknowledged (`synchronous=FULL`, or the group committer's own sync: see `commit`).
//!
//! Every write runs in a `BEGIN IMMEDIATE` transaction: it takes the write lock up front, so a
//! transaction that reads before it writes (the audit chain reads its last hash) never fails
//! half-way on a lock upgrade.

pub(in crate::store) mod audit;
mod cases;
mod checkpoint;
mod commit;
pub(in crate::store) mod envelopes;

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, SqlStr, SqliteConnection};

use super::StoreError;
use super::health::Health;

/// The migrations, embedded in the binary so that a deployed gateway needs no source tree.
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
            include_str!("../../../migrations/sqlite/0001_cases_and_envelopes.sql"),
        ),
        migration(
            2,
            "case lifecycle",
            include_str!("../../../migrations/sqlite/0002_case_lifecycle.sql"),
        ),
        migration(
            3,
            "client uploads",
            include_str!("../../../migrations/sqlite/0003_client_uploads.sql"),
        ),
        migration(
            4,
            "chunk days",
            include_str!("../../../migrations/sqlite/0004_chunk_days.sql"),
        ),
        migration(
            5,
            "retention",
            include_str!("../../../migrations/sqlite/0005_retention.sql"),
        ),
        migration(
            6,
            "resolution tracking",
            include_str!("../../../migrations/sqlite/0006_resolution_tracking.sql"),
        ),
        migration(
            7,
            "revocations",
            include_str!("../../../migrations/sqlite/0007_revocations.sql"),
        ),
        migration(
            8,
            "forwarding",
            include_str!("../../../migrations/sqlite/0008_forwarding.sql"),
        ),
        migration(
            9,
            "key rotation",
            include_str!("../../../migrations/sqlite/0009_key_rotation.sql"),
        ),
        migration(
            10,
            "no recipient index",
            include_str!("../../../migrations/sqlite/0010_no_recipient_index.sql"),
        ),
        migration(
            11,
            "last reply",
            include_str!("../../../migrations/sqlite/0011_last_reply.sql"),
        ),
        migration(
            12,
            "cover writes",
            include_str!("../../../migrations/sqlite/0012_cover_writes.sql"),
        ),
    ])
}

type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;

/// The WAL file SQLite keeps beside the database file `db`.
fn wal_path(db: &std::path::Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

#[derive(Clone)]
pub struct SqliteStore {
    pub(in crate::store) pool: SqlitePool,
    /// New cases go through the group committer (see `commit`); a read-only store has none.
    commits: Option<commit::Queue>,
    /// Checkpoints in two parts, the second by the committer (see `checkpoint`).
    checkpoints: Arc<checkpoint::Checkpoints>,
    pub(in crate::store) health: Arc<Health>,
    /// The database file, its WAL and its shared-memory index, whose times cover writes set
    /// (`store::cover`); none for a read-only store.
    files: Arc<[std::path::PathBuf]>,
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk (WAL fsynced) before it returns, so an acknowledged
            // write is never lost to a crash or power cut. (The group committer's connection
            // syncs differently, to the same end: see `commit`.)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Deleted envelopes are overwritten with zeros, not left in free pages.
            .pragma("secure_delete", "ON")
            // Statement journals (the pages a multi-row insert changes, kept to undo it) stay in
            // memory: on disk they were written for every batch of reports, and left copies of
            // sealed envelopes in unlinked temporary files.
            .pragma("temp_store", "MEMORY")
            // When the WAL starts again after a checkpoint, it is cut back to 64 MiB: past its
            // live end it keeps old page images (of deleted rows, too) that secure_delete does
            // not reach, and this bounds them (a purge truncates it to nothing).
            .pragma("journal_size_limit", "67108864")
            // Checkpoints copy the WAL into the database file. Run automatically, they land on
            // the connection that just committed, inside the path of a request; they run in the
            // background instead (`checkpoint`), and this higher threshold (about 64 MiB of
            // WAL) is only the backstop.
            .pragma("wal_autocheckpoint", "16000")
            .busy_timeout(Duration::from_secs(30))
            // Statements carry no data (everything is bound), but the log stays quiet anyway.
            .log_statements(tracing::log::LevelFilter::Off)
            .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(60));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .after_release(super::pool::is_clean::<SqliteConnection>)
            .connect_with(options.clone())
            .await?;
        migrator().run(&pool).await?;
        // The group committer's own connection: it syncs through the committer's syncer rather
        // than inside each commit (see `commit`), and keeps its page cache to itself, warm.
        // SQLite follows symbolic links to name the WAL, so the syncer does too.
        let db = std::fs::canonicalize(options.get_filename()).map_err(StoreError::Wal)?;
        let wal = wal_path(&db);
        let mut shm = db.as_os_str().to_owned();
        shm.push("-shm");
        let files: Arc<[std::path::PathBuf]> = Arc::new([db, wal.clone(), shm.into()]);
        let committer_options = options
            .synchronous(SqliteSynchronous::Normal)
            // Its checkpoints come from `checkpoint`; SQLite's own, inside a commit, only if
            // those fell far behind (256 MiB of WAL).
            .pragma("wal_autocheckpoint", "65536");
        let committer = committer_options.connect().await?;
        let checkpoints = Arc::new(checkpoint::Checkpoints::default());
        let ask_checkpoint = checkpoint::start(pool.clone(), checkpoints.clone());
        let wal = commit::WalFile::open(wal).map_err(StoreError::Wal)?;
        let health = Arc::new(Health::default());
        let store = SqliteStore {
            commits: Some(commit::start(
                committer_options,
                committer,
                wal,
                checkpoints.clone(),
                ask_checkpoint,
                health.clone(),
            )?),
            checkpoints,
            pool,
            health,
            files,
        };
        store.sweep(time::OffsetDateTime::now_utc().date()).await?;
        Ok(store)
    }

    pub async fn open_read_only(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .read_only(true)
            .busy_timeout(Duration::from_secs(30))
            .log_statements(tracing::log::LevelFilter::Off);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            commits: None,
            checkpoints: Arc::default(),
            pool,
            health: Arc::default(),
            files: Arc::new([]),
        })
    }

    /// Writes a consistent copy of the live database to `path` (which must not exist yet).
    pub async fn backup_to(&self, path: &str) -> Result<(), StoreError> {
        sqlx::query("VACUUM INTO ?")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Copies what the WAL holds into the database file and lets the WAL start again from its
    /// beginning (the committer finishes it: see `checkpoint`); called every second by a
    /// background task.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        // Once storing stopped, the WAL's content is in doubt: nothing of it is copied into
        // the database file; the restart's recovery reads it back from what is on disk.
        if self.health.is_stopped() {
            return Ok(());
        }
        self.checkpoints.bulk(&self.pool).await
    }

    /// Sets the modification (and so the change) time of the database's files to now, by path:
    /// opening and closing one of them here would release every lock SQLite holds on it.
    pub(in crate::store) fn touch_files(&self) -> std::io::Result<()> {
        use rustix::fs::{AtFlags, CWD, Timespec, Timestamps, UTIME_NOW, UTIME_OMIT};
        let times = Timestamps {
            last_access: Timespec {
                tv_sec: 0,
                tv_nsec: UTIME_OMIT,
            },
            last_modification: Timespec {
                tv_sec: 0,
                tv_nsec: UTIME_NOW,
            },
        };
        for file in self.files.iter() {
            match rustix::fs::utimensat(CWD, file, &times, AtFlags::empty()) {
                Ok(()) | Err(rustix::io::Errno::NOENT) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// A write transaction that holds the database's write lock from its start. None once
    /// storing stopped for good: a write after a failed sync would be acknowledged into a WAL
    /// whose earlier frames the kernel may have dropped, and recovery stops at the first of
    /// those.
    pub(in crate::store) async fn write(&self) -> Result<Tx, StoreError> {
        if self.health.is_stopped() {
            return Err(StoreError::Committer);
        }
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Commits a write transaction; a stored write ends an outage (see `health`). A disk error
    /// in the commit (its sync of the WAL) stops storing for good, as a failed sync of the
    /// committer's does.
    pub(in crate::store) async fn commit(&self, tx: Tx) -> Result<(), StoreError> {
        if self.health.is_stopped() {
            return Err(StoreError::Committer);
        }
        match tx.commit().await.map_err(StoreError::from) {
            Ok(()) => {
                self.health.stored();
                Ok(())
            }
            Err(e) => {
                if e.is_disk_error() {
                    tracing::error!(
                        error = %e,
                        "a commit met a disk error: nothing is stored from now on; check the \
                         disk (the gateway restarts to recover)"
                    );
                    self.health.stop_for_good();
                    return Err(StoreError::Unconfirmed);
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_pools_connections_commit_to_disk_and_overwrite_deleted_data() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
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
    async fn a_database_reached_through_a_symbolic_link_stores_reports_and_syncs_its_real_wal() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let real = dir.path().join("real").join("t.db");
        std::fs::File::create(&real).unwrap();
        let link = dir.path().join("t.db");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let store = SqliteStore::open(&format!("sqlite://{}", link.display()))
            .await
            .unwrap();
        store
            .create_case(crate::store::NewCase {
                entity: "minusca",
                verifier: &crate::token::Verifier([3; 32]),
                reply_recipient: "age1reply".into(),
                envelopes: vec![],
                today: time::macros::date!(2026 - 11 - 27),
            })
            .await
            .unwrap();
        // SQLite keeps the WAL beside the real file; none appears beside the link.
        assert!(dir.path().join("real").join("t.db-wal").exists());
        assert!(!dir.path().join("t.db-wal").exists());
    }

    #[tokio::test]
    async fn pieces_of_an_upload_cut_off_days_ago_are_removed_at_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let long_ago = time::OffsetDateTime::now_utc().date() - time::Duration::days(2);
        let store = SqliteStore::open(&url).await.unwrap();
        store
            .put_chunk("pending", 0, &[9; 100], long_ago)
            .await
            .unwrap();
        store
            .put_chunk(
                "in-progress",
                0,
                &[9; 100],
                long_ago + time::Duration::days(2),
            )
            .await
            .unwrap();
        let reopened = SqliteStore::open(&url).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM envelope_chunks")
            .fetch_one(&reopened.pool)
            .await
            .unwrap();
        assert_eq!(n, 1, "only today's piece is kept");
    }
}
