//! Group commit for new cases.
//!
//! Every new report must be on disk before its token is shown, and on SQLite each commit costs
//! an fsync. One committer task takes the reports that arrived while the previous commit was
//! being synced and commits them together: one transaction, one fsync, however many reports.
//! No report waits for a timer: a report arriving on an idle server is committed at once, and
//! batches grow only as fast as reports queue up behind a sync. Each report is isolated in a
//! savepoint, so one that fails (a lookup key already taken) does not fail the others; every
//! caller is answered only after the commit that holds its report has returned.

use tokio::sync::{mpsc, oneshot};

use super::SqliteStore;
use crate::cases::Status;
use crate::store::{Day, NewCase, NewEnvelope, StoreError, day_format, random_id};

/// Most reports in one commit.
const MAX_BATCH: usize = 128;

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

impl SqliteStore {
    /// Stores a new case and its first envelopes durably. Returns the new case id.
    pub async fn create_case(&self, new: NewCase<'_>) -> Result<String, StoreError> {
        let (answer, answered) = oneshot::channel();
        let job = Job {
            entity: new.entity.to_string(),
            verifier: new.verifier.0,
            reply_recipient: new.reply_recipient,
            envelopes: new.envelopes,
            today: new.today,
            answer,
        };
        self.commits
            .send(job)
            .await
            .map_err(|_| StoreError::Committer)?;
        answered.await.map_err(|_| StoreError::Committer)?
    }
}

/// Starts the committer of `store`'s database; it ends when every sender is gone.
pub(super) fn start(pool: sqlx::SqlitePool) -> Queue {
    let (queue, mut jobs) = mpsc::channel::<Job>(4 * MAX_BATCH);
    tokio::spawn(async move {
        while let Some(first) = jobs.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            commit(&pool, batch).await;
        }
    });
    queue
}

async fn commit(pool: &sqlx::SqlitePool, batch: Vec<Job>) {
    let mut results = Vec::with_capacity(batch.len());
    let committed = async {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        for job in &batch {
            sqlx::query("SAVEPOINT one_case").execute(&mut *tx).await?;
            let result = insert(&mut tx, job).await;
            if result.is_err() {
                sqlx::query("ROLLBACK TO one_case")
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("RELEASE one_case").execute(&mut *tx).await?;
            results.push(result);
        }
        tx.commit().await
    }
    .await;
    match committed {
        Ok(()) => {
            for (job, result) in batch.into_iter().zip(results) {
                let _ = job.answer.send(result);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "committing a batch of reports failed");
            for job in batch {
                let _ = job.answer.send(Err(StoreError::Committer));
            }
        }
    }
}

async fn insert(tx: &mut super::Tx, job: &Job) -> Result<String, StoreError> {
    let case_id = random_id();
    let inserted = sqlx::query(
        "INSERT INTO cases (id, entity, status, received_on, lookup_verifier, reply_recipient)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&case_id)
    .bind(&job.entity)
    .bind(Status::Received.code())
    .bind(day_format::to_text(job.today))
    .bind(&job.verifier[..])
    .bind(&job.reply_recipient)
    .execute(&mut **tx)
    .await;
    if let Err(e) = inserted {
        return Err(match e.as_database_error() {
            Some(db) if db.is_unique_violation() => StoreError::LookupTaken,
            _ => e.into(),
        });
    }
    for envelope in &job.envelopes {
        super::envelopes::insert_envelope(tx, &case_id, envelope, job.today).await?;
    }
    Ok(case_id)
}
