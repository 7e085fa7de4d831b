//! Checkpoints: copying the WAL into the database file so that the WAL can start again from
//! its beginning, without stalling the group committer.
//!
//! Under a steady stream of reports, a checkpoint that runs beside the committer never finds
//! the WAL fully copied (new frames arrive while it copies), so the WAL would only grow until
//! SQLite's own threshold ran a long checkpoint inside a commit (tens of milliseconds for every
//! reporter waiting behind it). And a checkpoint that locks the committer out makes it wait in
//! SQLite's busy handler, which sleeps in steps of up to 100 ms. So a checkpoint here has two
//! parts: a passive one on a pool connection copies the bulk beside the committer; then the
//! committer, between two batches and on its own connection, copies the frames that arrived
//! meanwhile (a few milliseconds' worth). Being the only writer, it finds the WAL fully copied
//! when it is done, and its next commit writes the WAL from its start.
//!
//! A checkpoint starts every second (the server's housekeeping calls
//! [`super::SqliteStore::checkpoint`]) and, under load, also after every
//! [`CASES_PER_CHECKPOINT`] new cases, so that the WAL stays within a few tens of megabytes
//! whatever the rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::mpsc;

use crate::store::StoreError;

/// New cases after which the committer asks for a checkpoint (each writes about a dozen pages
/// to the WAL).
pub(super) const CASES_PER_CHECKPOINT: usize = 1024;

/// What the two parts of a checkpoint share.
#[derive(Default)]
pub(super) struct Checkpoints {
    /// Set when the bulk is copied: the committer copies the rest.
    tail: AtomicBool,
    /// Checkpoints the committer finished (read by the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    finished: AtomicU64,
}

impl Checkpoints {
    /// The first part: copies what the WAL holds, beside the committer, then leaves the rest
    /// to it (unless another checkpoint was running: that one's tail will do).
    pub(super) async fn bulk(&self, pool: &SqlitePool) -> Result<(), StoreError> {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(pool)
            .await?;
        if busy == 0 {
            self.tail.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// The second part, on the committer's connection between two batches, when a bulk copy
    /// is done.
    pub(super) async fn finish(&self, committer: &mut SqliteConnection) -> Result<(), StoreError> {
        if self.tail.swap(false, Ordering::AcqRel) {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(committer)
                .await?;
            self.finished.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Starts the task that runs a bulk copy whenever the committer asks (see
/// [`CASES_PER_CHECKPOINT`]); it ends with the committer, when the returned sender is dropped.
pub(super) fn start(pool: SqlitePool, checkpoints: Arc<Checkpoints>) -> mpsc::Sender<()> {
    let (ask, mut asked) = mpsc::channel::<()>(1);
    tokio::spawn(async move {
        while asked.recv().await.is_some() {
            if let Err(e) = checkpoints.bulk(&pool).await {
                tracing::warn!(error = %e, "a WAL checkpoint failed");
            }
        }
    });
    ask
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::cases::EnvelopeKind;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{EnvelopeBody, NewCase, NewEnvelope, random_id};
    use crate::token::Verifier;

    use super::*;

    async fn report(store: &SqliteStore, n: usize) {
        let mut verifier = [0u8; 32];
        verifier[..8].copy_from_slice(&(n as u64).to_le_bytes());
        store
            .create_case(NewCase {
                entity: "minusca",
                verifier: &Verifier(verifier),
                reply_recipient: "age1reply".into(),
                envelopes: vec![NewEnvelope {
                    id: random_id(),
                    kind: EnvelopeKind::Report,
                    body: EnvelopeBody::Inline(vec![7; 4096]),
                    recipients: vec!["intake-minusca".into()],
                }],
                today: time::macros::date!(2026 - 11 - 27),
            })
            .await
            .unwrap();
    }

    /// Frames in the WAL now (a passive checkpoint reports them and copies nothing it need not).
    async fn wal_frames(store: &SqliteStore) -> i64 {
        let (_, frames, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        frames
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stream_of_reports_starts_the_wal_again_without_the_housekeeping_task() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        // More cases than CASES_PER_CHECKPOINT, sixteen at a time, and no call to
        // `SqliteStore::checkpoint`: the committer itself asks for one.
        let cases = CASES_PER_CHECKPOINT + 64;
        let mut tasks = Vec::new();
        for worker in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for n in (worker..cases).step_by(16) {
                    report(&store, n).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        // The bulk copy runs on its own; then a batch lets the committer copy the rest, and
        // the next one writes the WAL from its start.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut n = cases;
        while store.checkpoints.finished.load(Ordering::Relaxed) == 0
            && std::time::Instant::now() < deadline
        {
            report(&store, n).await;
            n += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        report(&store, n).await;
        // Each case writes at least three pages (its row, its envelope, the envelope's
        // overflow page): a WAL never started again would hold more than 3 000 frames.
        let frames = wal_frames(&store).await;
        assert!(
            frames < 1000,
            "the WAL started again after the checkpoint ({frames} frames in it)"
        );
    }
}
