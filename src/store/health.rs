//! Whether the store can store: what operators, load balancers and reporters are told.
//!
//! Two states past "working", kept apart because they call for opposite answers:
//!
//! - **Failing** (a full disk, an unreachable database): every refused request is counted, the
//!   first one logs one line with the cause, and the first write stored at least [`QUIET`]
//!   after the last refusal logs one line with how long it lasted and how many requests were
//!   refused. (A nearly full disk still takes small writes while it refuses large ones: without
//!   the quiet time, each small write would end the outage and the next refusal start another,
//!   a pair of lines per request.) Nothing needs a
//!   restart, so `/readyz` stays ready: a load balancer that took the only gateway out would
//!   send it no write that could show the disk is back.
//! - **Stopped for good** (a failed sync of the SQLite WAL, or the committer unable to
//!   reconnect): after a failed `fdatasync` the kernel may have dropped pages it had accepted,
//!   so nothing more may be acknowledged by this process. `/readyz` answers 503, the metrics
//!   say so at once, and the server finishes the requests under way and exits with
//!   [`EXIT_STORAGE_STOPPED`], so that the supervisor restarts it and SQLite's recovery reads the
//!   WAL back from what is really on disk.
//!
//! Nothing here holds anything from a request: a cause is the store's own error text (which
//! names no report, token or client), a count is a number.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::StoreError;

/// The process's exit status once storage stopped for good (75: `EX_TEMPFAIL`, "try again
/// later"); any non-zero status makes systemd's `Restart=on-failure` start it again.
pub const EXIT_STORAGE_STOPPED: i32 = 75;

/// How long reporters are asked to wait before trying again, in minutes (also `Retry-After`).
pub const RETRY_MINUTES: u32 = 5;

/// How long no request may have been refused before a stored write ends an outage.
pub const QUIET: std::time::Duration = std::time::Duration::from_secs(10);

/// The store's health, shared by every clone of the store.
#[derive(Debug)]
pub struct Health {
    stopped: tokio::sync::watch::Sender<bool>,
    outage: Mutex<Option<Outage>>,
    /// Requests refused since the process started, for the metrics.
    refused_total: AtomicU64,
}

#[derive(Debug)]
struct Outage {
    since: Instant,
    last_refused: Instant,
    refused: u64,
}

impl Default for Health {
    fn default() -> Health {
        Health {
            stopped: tokio::sync::watch::Sender::new(false),
            outage: Mutex::new(None),
            refused_total: AtomicU64::new(0),
        }
    }
}

impl Health {
    /// Storage stopped for good (the caller logged why, once).
    pub fn stop_for_good(&self) {
        self.stopped.send_replace(true);
    }

    pub fn is_stopped(&self) -> bool {
        *self.stopped.borrow()
    }

    /// Waits until storage has stopped for good.
    pub async fn stopped(&self) {
        let mut watch = self.stopped.subscribe();
        let _ = watch.wait_for(|stopped| *stopped).await;
    }

    /// Whether writes are failing now (since a refusal, until a write is stored after a quiet
    /// time).
    pub fn is_failing(&self) -> bool {
        self.lock().is_some()
    }

    /// Requests refused because storage failed, since the start.
    pub fn refused_total(&self) -> u64 {
        self.refused_total.load(Ordering::Relaxed)
    }

    /// A request was refused because storage failed with `cause`. The first refusal of an
    /// outage logs; the others are only counted.
    pub fn refused(&self, cause: &str) {
        self.refused_total.fetch_add(1, Ordering::Relaxed);
        let mut outage = self.lock();
        match outage.as_mut() {
            Some(outage) => {
                outage.refused += 1;
                outage.last_refused = Instant::now();
            }
            None => {
                tracing::error!(
                    cause,
                    "storage is failing: requests that need it are refused (503, try again in \
                     {RETRY_MINUTES} minutes) until a write succeeds again"
                );
                *outage = Some(Outage {
                    since: Instant::now(),
                    last_refused: Instant::now(),
                    refused: 1,
                });
            }
        }
    }

    /// A write was stored: ends an outage whose last refusal is [`QUIET`] old, with one line
    /// that says how it went.
    pub fn stored(&self) {
        self.stored_at(Instant::now());
    }

    fn stored_at(&self, now: Instant) {
        let mut outage = self.lock();
        let quiet = outage
            .as_ref()
            .is_some_and(|o| now.saturating_duration_since(o.last_refused) >= QUIET);
        if quiet && let Some(ended) = outage.take() {
            tracing::warn!(
                refused = ended.refused,
                seconds = ended.since.elapsed().as_secs(),
                "storage works again"
            );
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Outage>> {
        // A panic while holding this lock leaves nothing half-done: the state stays usable.
        self.outage.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl StoreError {
    /// Whether this failure is the storage being unable to serve (full disk, unreachable or
    /// refusing database, failed sync) rather than a fault in what was asked: the request may
    /// succeed unchanged later, and the reporter is told so.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Committer | StoreError::Unconfirmed => true,
            StoreError::Database(e) => database_unavailable(e),
            StoreError::LookupTaken
            | StoreError::BatchFailed
            | StoreError::Migrate(_)
            | StoreError::Wal(_)
            | StoreError::UploadGone
            | StoreError::Corrupt(_)
            | StoreError::Conflict(_) => false,
        }
    }
}

impl StoreError {
    /// The same answer for another waiting reporter (a store error is not `Clone`: it may hold
    /// a driver's error).
    pub(super) fn same_kind(&self) -> StoreError {
        match self {
            StoreError::Unconfirmed => StoreError::Unconfirmed,
            StoreError::BatchFailed => StoreError::BatchFailed,
            _ => StoreError::Committer,
        }
    }

    /// Whether SQLite reported an I/O error (`SQLITE_IOERR` and its extended codes), after
    /// which what the kernel holds of the files is in doubt; a full disk or a busy lock is not
    /// one.
    pub fn is_disk_error(&self) -> bool {
        const SQLITE_IOERR: i32 = 10;
        match self {
            StoreError::Database(sqlx::Error::Database(db))
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() =>
            {
                db.code()
                    .and_then(|code| code.parse::<i32>().ok())
                    .is_some_and(|code| code & 0xff == SQLITE_IOERR)
            }
            _ => false,
        }
    }
}

fn database_unavailable(e: &sqlx::Error) -> bool {
    match e {
        // Not `Protocol` or `BeginFailed`: those are faults in what was sent (sqlx's "too many
        // arguments", an unexpected message), answered 500 and logged every time.
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else {
                return false;
            };
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                code.parse::<i32>().is_ok_and(sqlite_unavailable)
            } else {
                postgres_unavailable(&code)
            }
        }
        _ => false,
    }
}

/// SQLite's primary result codes (the low byte of an extended one) that mean "not now" rather
/// than "not this".
fn sqlite_unavailable(code: i32) -> bool {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    const SQLITE_NOMEM: i32 = 7;
    const SQLITE_READONLY: i32 = 8;
    const SQLITE_IOERR: i32 = 10;
    const SQLITE_FULL: i32 = 13;
    const SQLITE_CANTOPEN: i32 = 14;
    matches!(
        code & 0xff,
        SQLITE_BUSY
            | SQLITE_LOCKED
            | SQLITE_NOMEM
            | SQLITE_READONLY
            | SQLITE_IOERR
            | SQLITE_FULL
            | SQLITE_CANTOPEN
    )
}

/// PostgreSQL's SQLSTATE classes and codes that mean "not now" rather than "not this".
fn postgres_unavailable(code: &str) -> bool {
    // 08: connection exception; 53: insufficient resources (disk full, out of memory, too
    // many connections); 57P01–57P03: the server is shutting down or starting; 58: system error
    // (an I/O error on the server); 25006: a read-only transaction (a standby took over).
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("58")
        || matches!(code, "57P01" | "57P02" | "57P03" | "25006")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_counts_every_refusal_and_ends_at_the_first_write_stored_after_a_quiet_time() {
        let health = Health::default();
        assert!(!health.is_failing());
        health.stored();
        assert!(
            !health.is_failing(),
            "a write with no outage changes nothing"
        );
        for _ in 0..3 {
            health.refused("disk full");
        }
        assert!(health.is_failing());
        assert_eq!(health.lock().as_ref().map(|o| o.refused), Some(3));
        health.stored();
        assert!(
            health.is_failing(),
            "a small write right after a refusal does not end it"
        );
        health.stored_at(Instant::now() + QUIET);
        assert!(!health.is_failing());
        assert_eq!(health.refused_total(), 3);
        assert!(!health.is_stopped(), "an outage is not a stop");
    }

    #[tokio::test]
    async fn a_stop_for_good_wakes_whoever_waits_for_it_and_stays() {
        let health = std::sync::Arc::new(Health::default());
        let waiter = tokio::spawn({
            let health = health.clone();
            async move { health.stopped().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        health.stop_for_good();
        waiter.await.unwrap();
        health.stored();
        assert!(health.is_stopped(), "a later write does not undo a stop");
    }

    #[test]
    fn full_disks_and_lost_connections_are_unavailable_and_broken_data_is_not() {
        for code in [13, 10, 778, 5, 14, 3338] {
            assert!(sqlite_unavailable(code), "SQLite {code}");
        }
        for code in [19, 1, 2067, 11, 20] {
            assert!(!sqlite_unavailable(code), "SQLite {code}");
        }
        for code in ["08006", "53100", "57P01", "58030", "25006"] {
            assert!(postgres_unavailable(code), "PostgreSQL {code}");
        }
        for code in ["23505", "42P01", "22001", "40001", "P0001"] {
            assert!(!postgres_unavailable(code), "PostgreSQL {code}");
        }
        assert!(StoreError::Committer.is_unavailable());
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(!StoreError::Corrupt("x").is_unavailable());
        assert!(!StoreError::Conflict("x").is_unavailable());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_unavailable());
    }
}
