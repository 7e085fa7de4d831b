//! Group commit for new cases, with the disk sync of one batch overlapping the writing of the
//! next.
//!
//! Every new report must be on disk before its token is shown. One committer task, on a
//! connection of its own, takes the reports that arrived while it was busy and commits them
//! together in one transaction, however many. No report waits for a timer: a report arriving on
//! an idle server is committed at once, and batches grow only as fast as reports queue up.
//!
//! The committer's connection runs with `synchronous=NORMAL`: its commit writes the batch to the
//! WAL file but does not wait for the disk. A syncer thread then syncs the WAL file
//! (`fdatasync`) and only then answers the reports of every batch committed before that sync
//! began. While it waits for the disk, the committer already writes the next batch. A
//! transaction in the WAL is durable once the WAL's bytes up to its commit frame are on disk,
//! whoever asked for the sync; this is the same sync that `synchronous=FULL` would make inside
//! the commit, moved off the writer's path. SQLite in WAL mode keeps the file consistent
//! whatever the sync setting, and never overwrites frames of the WAL before a checkpoint has
//! copied them into the database file and synced it. The committer's connection stays open for
//! the store's life, so its WAL file is never deleted under the syncer. Other writes (staff
//! actions, uploads) keep `synchronous=FULL` on the pool's connections.
//!
//! A report whose lookup key is taken inserts nothing and fails alone; a report that claims
//! uploads runs in a savepoint of its own. Any other failure fails the whole batch, and every
//! report in it gets an error (nobody is shown a token). A failed sync fails its batches and
//! every later one: after a failed `fdatasync` the kernel may have dropped the unwritten pages,
//! so nothing more is acknowledged until the gateway is restarted (the log says so once). A
//! report whose caller went away meanwhile is still stored: its token is lost with the
//! connection, as it would be a moment later.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::SqliteStore;
use super::checkpoint::{CASES_PER_CHECKPOINT, Checkpoints};
use crate::cases::Status;
use crate::store::health::Health;
use crate::store::{Day, EnvelopeBody, NewCase, NewEnvelope, StoreError, day_format, random_id};

/// Most reports in one commit.
const MAX_BATCH: usize = 128;

/// Committed batches that may wait for the syncer at once; beyond this the committer waits.
const MAX_UNSYNCED: usize = 32;

/// A new case as the committer takes it: owned, with the channel for its answer.
pub(super) struct Job {
    entity: String,
    verifier: [u8; 32],
    reply_recipient: String,
    envelopes: Vec<NewEnvelope>,
    today: Day,
    answer: oneshot::Sender<Result<String, StoreError>>,
}

pub(super) type Queue = mpsc::Sender<Job>;

/// Answers of a committed batch, waiting for the sync that makes them durable.
type Answers = Vec<(
    oneshot::Sender<Result<String, StoreError>>,
    Result<String, StoreError>,
)>;

impl SqliteStore {
    /// Stores a new case and its first envelopes durably. Returns the new case id.
    pub async fn create_case(&self, new: NewCase<'_>) -> Result<String, StoreError> {
        let commits = self.commits.as_ref().ok_or(StoreError::Committer)?;
        let (answer, answered) = oneshot::channel();
        let job = Job {
            entity: new.entity.to_string(),
            verifier: new.verifier.0,
            reply_recipient: new.reply_recipient,
            envelopes: new.envelopes,
            today: new.today,
            answer,
        };
        commits.send(job).await.map_err(|_| StoreError::Committer)?;
        answered.await.map_err(|_| StoreError::Committer)?
    }
}

/// Starts the committer on `conn`, a connection of its own made with `options`
/// (`synchronous=NORMAL`), and the syncer of its WAL file; both end when every sender is gone.
pub(super) fn start(
    options: SqliteConnectOptions,
    mut conn: SqliteConnection,
    wal: WalFile,
    checkpoints: Arc<Checkpoints>,
    ask_checkpoint: mpsc::Sender<()>,
    health: Arc<Health>,
) -> Result<Queue, StoreError> {
    let (queue, mut jobs) = mpsc::channel::<Job>(4 * MAX_BATCH);
    let (committed, unsynced) = mpsc::channel::<Answers>(MAX_UNSYNCED);
    let syncer_health = health.clone();
    std::thread::Builder::new()
        .name("confide-wal-sync".into())
        .spawn(move || answer_after_sync(unsynced, &syncer_health, || wal.sync()))
        .map_err(StoreError::Wal)?;
    tokio::spawn(async move {
        let mut since_checkpoint = 0;
        let mut failing = false;
        while let Some(first) = jobs.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            // After a failed sync nothing is stored any more: a reporter told to try again
            // later would otherwise leave a case behind with every try.
            if health.is_stopped() {
                for job in batch {
                    let _ = job.answer.send(Err(StoreError::Committer));
                }
                continue;
            }
            let cases = batch.len();
            let Some(answers) = commit(&mut conn, batch, &mut failing).await else {
                // SQLite undoes a transaction whose commit failed, but the driver may still
                // count it as open and refuse every later BEGIN: start again on a fresh
                // connection.
                match options.connect().await {
                    Ok(fresh) => {
                        let _ = std::mem::replace(&mut conn, fresh).close().await;
                    }
                    Err(e) => {
                        tracing::error!(
                            error = %e,
                            "the committer could not reconnect to the database: no report is \
                             stored from now on; check the disk, then restart the gateway"
                        );
                        health.stop_for_good();
                    }
                }
                continue;
            };
            if committed.send(answers).await.is_err() {
                break;
            }
            // While the syncer syncs: finish a checkpoint whose bulk is copied, and ask for
            // one after every CASES_PER_CHECKPOINT cases (see `checkpoint`). A checkpoint that
            // fails on this connection may have met a write error on the disk: nothing is
            // acknowledged any more.
            match checkpoints.finish(&mut conn).await {
                Err(e) if e.is_disk_error() => {
                    tracing::error!(
                        error = %e,
                        "a WAL checkpoint met a disk error on the committer's connection: no \
                         report is acknowledged from now on; check the disk, then restart the \
                         gateway"
                    );
                    health.stop_for_good();
                }
                Err(e) => tracing::warn!(error = %e, "a WAL checkpoint failed"),
                Ok(()) => {}
            }
            since_checkpoint += cases;
            if since_checkpoint >= CASES_PER_CHECKPOINT {
                since_checkpoint = 0;
                let _ = ask_checkpoint.try_send(());
            }
        }
        let _ = conn.close().await;
    });
    Ok(queue)
}

/// Commits one batch. Returns its answers for the syncer, or `None` when the commit failed and
/// every report of the batch was answered with an error already: `Committer` (nothing was
/// stored: the disk is full or the database gone), `Unconfirmed` (the COMMIT itself met a disk
/// error, so whether the batch is in the WAL is unknown) or `BatchFailed` (a fault of its own,
/// logged as such).
/// `failing` says whether the batch before failed because storage did, so that the cause is
/// logged once per run of such failures.
async fn commit(
    conn: &mut SqliteConnection,
    batch: Vec<Job>,
    failing: &mut bool,
) -> Option<Answers> {
    let mut committing = false;
    let committed = async {
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let results = insert_batch(&mut tx, &batch).await?;
        committing = true;
        tx.commit().await?;
        Ok::<_, StoreError>(results)
    }
    .await;
    match committed {
        Ok(results) => {
            *failing = false;
            Some(
                batch
                    .into_iter()
                    .zip(results)
                    .map(|(job, result)| (job.answer, result))
                    .collect(),
            )
        }
        Err(e) => {
            // A full disk or a lost database is logged once per outage by `health`, as the
            // refusals reach the HTTP layer (this line at debug only); anything else is a
            // fault of its own.
            let answer = if committing && e.is_disk_error() {
                tracing::error!(error = %e, "committing a batch of reports met a disk error");
                StoreError::Unconfirmed
            } else if e.is_unavailable() {
                // The cause the outage's one line (`health`) cannot name: once per run of
                // failed batches, at warn, and the rest at debug.
                if std::mem::replace(failing, true) {
                    tracing::debug!(error = %e, "committing a batch of reports failed");
                } else {
                    tracing::warn!(error = %e, "committing reports fails");
                }
                StoreError::Committer
            } else {
                tracing::error!(error = %e, "committing a batch of reports failed");
                StoreError::BatchFailed
            };
            for job in batch {
                let _ = job.answer.send(Err(answer.same_kind()));
            }
            None
        }
    }
}

/// The syncer: takes every batch committed so far, syncs once, then answers them all. A batch
/// is taken only after its commit returned, so the sync that follows covers it. After one
/// failed sync (or once the committer found the disk failing: storage stopped for good), every
/// later batch is refused too. A synced batch tells `health` that storing works.
fn answer_after_sync(
    mut unsynced: mpsc::Receiver<Answers>,
    health: &Health,
    mut sync: impl FnMut() -> std::io::Result<()>,
) {
    while let Some(first) = unsynced.blocking_recv() {
        let mut ready = vec![first];
        while let Ok(more) = unsynced.try_recv() {
            ready.push(more);
        }
        if !health.is_stopped()
            && let Err(e) = sync()
        {
            tracing::error!(
                error = %e,
                "syncing the database's WAL failed: no report is acknowledged from now on; \
                 check the disk, then restart the gateway"
            );
            health.stop_for_good();
        }
        let failed = health.is_stopped();
        if !failed {
            health.stored();
        }
        // A batch that reaches the syncer was committed: once a sync failed, whether it is on
        // disk is unknown (the kernel may have dropped its pages, or written them), so its
        // reporters are told that it could not be confirmed, not that nothing was saved.
        for (answer, result) in ready.into_iter().flatten() {
            let _ = answer.send(if failed {
                Err(StoreError::Unconfirmed)
            } else {
                result
            });
        }
    }
}

/// The committer's WAL file, held open from the start. Linux reports a failed write-back once
/// to each file description that was open when it failed, and a description opened afterwards
/// may never hear of it (SQLite's own descriptors can take the report first): so the syncer
/// syncs through this one, opened before any report is stored.
pub(super) struct WalFile {
    file: std::fs::File,
    path: PathBuf,
    inode: u64,
}

impl WalFile {
    /// Opens the WAL file `path` (the committer's connection must be open, so that it exists
    /// and stays) and syncs its directory, so that the file itself survives a power cut.
    pub(super) fn open(path: PathBuf) -> std::io::Result<WalFile> {
        use std::os::unix::fs::MetadataExt;
        let file = std::fs::File::open(&path)?;
        let inode = file.metadata()?.ino();
        if let Some(dir) = path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(WalFile { file, path, inode })
    }

    /// Syncs the WAL's data to disk. SQLite deletes the WAL only when its last connection
    /// closes, and the committer's stays open; should the file at the path ever be another
    /// one, this fails rather than sync the wrong file.
    fn sync(&self) -> std::io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        self.file.sync_data()?;
        if std::fs::metadata(&self.path)?.ino() != self.inode {
            return Err(std::io::Error::other(
                "the WAL file was replaced under the gateway",
            ));
        }
        Ok(())
    }
}

/// Inserts a batch with a few statements for the whole batch rather than a few per report:
/// every statement is a round trip to SQLite's thread, and those round trips, not the disk,
/// limit a batch. Reports that claim uploads (rare) go one by one, each in a savepoint, because
/// a claim can fail after the case row is in.
async fn insert_batch(
    conn: &mut SqliteConnection,
    batch: &[Job],
) -> Result<Vec<Result<String, StoreError>>, StoreError> {
    let claims = |job: &Job| {
        job.envelopes
            .iter()
            .any(|e| matches!(e.body, EnvelopeBody::Uploaded { .. }))
    };
    let mut results: Vec<Option<Result<String, StoreError>>> = batch.iter().map(|_| None).collect();
    let plain: Vec<(usize, String)> = batch
        .iter()
        .enumerate()
        .filter(|(_, job)| !claims(job))
        .map(|(n, _)| (n, random_id()))
        .collect();
    for chunk in plain.chunks(64) {
        let inserted = insert_cases(conn, batch, chunk).await?;
        let mut envelopes = Vec::new();
        for (n, case_id) in chunk {
            if inserted.contains(case_id) {
                envelopes.extend(
                    batch[*n]
                        .envelopes
                        .iter()
                        .map(|e| (case_id.as_str(), e, batch[*n].today)),
                );
                results[*n] = Some(Ok(case_id.clone()));
            } else {
                results[*n] = Some(Err(StoreError::LookupTaken));
            }
        }
        super::envelopes::insert_many(conn, &envelopes).await?;
    }
    for (n, job) in batch.iter().enumerate().filter(|(_, job)| claims(job)) {
        sqlx::query("SAVEPOINT one_case")
            .execute(&mut *conn)
            .await?;
        let result = insert(conn, job).await;
        if result.is_err() {
            sqlx::query("ROLLBACK TO one_case")
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query("RELEASE one_case").execute(&mut *conn).await?;
        results[n] = Some(result);
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every report has a result"))
        .collect())
}

/// One multi-row insert of case rows; a lookup key already taken inserts nothing. Returns the
/// ids of the rows inserted.
async fn insert_cases(
    conn: &mut SqliteConnection,
    batch: &[Job],
    chunk: &[(usize, String)],
) -> Result<std::collections::HashSet<String>, StoreError> {
    let rows = vec!["(?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
    let sql = format!(
        "INSERT INTO cases (id, entity, status, received_on, lookup_verifier, reply_recipient)
         VALUES {rows} ON CONFLICT (lookup_verifier) DO NOTHING RETURNING id"
    );
    let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
    for (n, case_id) in chunk {
        let job = &batch[*n];
        query = query
            .bind(case_id.clone())
            .bind(job.entity.clone())
            .bind(Status::Received.code())
            .bind(day_format::to_text(job.today))
            .bind(job.verifier.to_vec())
            .bind(job.reply_recipient.clone());
    }
    Ok(query.fetch_all(&mut *conn).await?.into_iter().collect())
}

async fn insert(conn: &mut SqliteConnection, job: &Job) -> Result<String, StoreError> {
    let case_id = random_id();
    // A lookup key already taken inserts nothing (rather than failing the statement), so that
    // no savepoint is needed to keep it from failing the rest of the batch.
    let inserted = sqlx::query(
        "INSERT INTO cases (id, entity, status, received_on, lookup_verifier, reply_recipient)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (lookup_verifier) DO NOTHING",
    )
    .bind(&case_id)
    .bind(&job.entity)
    .bind(Status::Received.code())
    .bind(day_format::to_text(job.today))
    .bind(&job.verifier[..])
    .bind(&job.reply_recipient)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(StoreError::LookupTaken);
    }
    for envelope in &job.envelopes {
        super::envelopes::insert_envelope(conn, &case_id, envelope, job.today).await?;
    }
    Ok(case_id)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc as std_mpsc;

    use super::*;

    type Answered = oneshot::Receiver<Result<String, StoreError>>;

    fn batch(case: &str) -> (Answers, Answered) {
        let (answer, answered) = oneshot::channel();
        (vec![(answer, Ok(case.to_string()))], answered)
    }

    /// A syncer whose sync calls say when they start and finish only when the test lets them.
    fn gated_syncer(
        results: Vec<std::io::Result<()>>,
    ) -> (
        mpsc::Sender<Answers>,
        std_mpsc::Receiver<()>,
        std_mpsc::Sender<()>,
        Arc<AtomicUsize>,
    ) {
        let (committed, unsynced) = mpsc::channel(MAX_UNSYNCED);
        let (started_tx, started) = std_mpsc::channel();
        let (gate, gate_rx) = std_mpsc::channel::<()>();
        let synced = Arc::new(AtomicUsize::new(0));
        let count = synced.clone();
        let mut results = results.into_iter();
        std::thread::spawn(move || {
            answer_after_sync(unsynced, &Health::default(), || {
                started_tx.send(()).unwrap();
                gate_rx.recv().unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                results.next().expect("no more syncs than planned")
            })
        });
        (committed, started, gate, synced)
    }

    #[test]
    fn a_batch_committed_while_a_sync_runs_waits_for_the_next_sync() {
        let (committed, started, gate, synced) = gated_syncer(vec![Ok(()), Ok(())]);
        let (a, a_answered) = batch("a");
        committed.blocking_send(a).unwrap();
        started.recv().unwrap();
        // B's commit returned after the first sync began: that sync may not cover it.
        let (b, mut b_answered) = batch("b");
        committed.blocking_send(b).unwrap();
        gate.send(()).unwrap();
        assert_eq!(a_answered.blocking_recv().unwrap().unwrap(), "a");
        assert_eq!(synced.load(Ordering::SeqCst), 1);
        started.recv().unwrap();
        assert!(
            b_answered.try_recv().is_err(),
            "B is not answered before its own sync"
        );
        gate.send(()).unwrap();
        assert_eq!(b_answered.blocking_recv().unwrap().unwrap(), "b");
        assert_eq!(synced.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn after_a_failed_sync_no_report_is_acknowledged_again() {
        let (committed, started, gate, synced) =
            gated_syncer(vec![Err(std::io::Error::other("disk gone"))]);
        let (a, a_answered) = batch("a");
        committed.blocking_send(a).unwrap();
        started.recv().unwrap();
        gate.send(()).unwrap();
        assert!(matches!(
            a_answered.blocking_recv().unwrap(),
            Err(StoreError::Unconfirmed)
        ));
        let (b, b_answered) = batch("b");
        committed.blocking_send(b).unwrap();
        assert!(matches!(
            b_answered.blocking_recv().unwrap(),
            Err(StoreError::Unconfirmed)
        ));
        assert_eq!(synced.load(Ordering::SeqCst), 1, "no sync is tried again");
    }
}
