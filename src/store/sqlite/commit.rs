//! Group commit for new cases.
//!
//! Every new report must be on disk before its token is shown, and on SQLite each commit costs
//! an fsync. One committer task takes the reports that arrived while the previous commit was
//! being synced and commits them together: one transaction, one fsync, however many reports.
//! No report waits for a timer: a report arriving on an idle server is committed at once, and
//! batches grow only as fast as reports queue up behind a sync. A report whose lookup key is
//! taken inserts nothing and fails alone; a report that claims uploads runs in a savepoint of
//! its own. Any other failure fails the whole batch, and every report in it gets an error
//! (nobody is shown a token). Every caller is answered only after the commit that holds its
//! report has returned. A report whose caller went away meanwhile is still stored: its token
//! is lost with the connection, as it would be a moment later.

use tokio::sync::{mpsc, oneshot};

use super::SqliteStore;
use crate::cases::Status;
use crate::store::{Day, EnvelopeBody, NewCase, NewEnvelope, StoreError, day_format, random_id};

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
    let committed = async {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let results = insert_batch(&mut tx, &batch).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(results)
    }
    .await;
    match committed {
        Ok(results) => {
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

/// Inserts a batch with a few statements for the whole batch rather than a few per report:
/// every statement is a round trip to SQLite's thread, and those round trips, not the disk,
/// limit a batch. Reports that claim uploads (rare) go one by one, each in a savepoint, because
/// a claim can fail after the case row is in.
async fn insert_batch(
    tx: &mut super::Tx,
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
        let inserted = insert_cases(tx, batch, chunk).await?;
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
        super::envelopes::insert_many(tx, &envelopes).await?;
    }
    for (n, job) in batch.iter().enumerate().filter(|(_, job)| claims(job)) {
        sqlx::query("SAVEPOINT one_case").execute(&mut **tx).await?;
        let result = insert(tx, job).await;
        if result.is_err() {
            sqlx::query("ROLLBACK TO one_case")
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query("RELEASE one_case").execute(&mut **tx).await?;
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
    tx: &mut super::Tx,
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
    Ok(query.fetch_all(&mut **tx).await?.into_iter().collect())
}

async fn insert(tx: &mut super::Tx, job: &Job) -> Result<String, StoreError> {
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
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(StoreError::LookupTaken);
    }
    for envelope in &job.envelopes {
        super::envelopes::insert_envelope(tx, &case_id, envelope, job.today).await?;
    }
    Ok(case_id)
}
