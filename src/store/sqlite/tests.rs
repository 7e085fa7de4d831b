use time::macros::date;

use super::*;
use crate::cases::{EnvelopeKind, Status};
use crate::store::{EnvelopeBody, NewCase, NewEnvelope, random_id};
use crate::token::Verifier;

async fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    (dir, SqliteStore::open(&url).await.unwrap())
}

fn report(body: &[u8]) -> NewEnvelope {
    NewEnvelope {
        id: random_id(),
        kind: EnvelopeKind::Report,
        body: EnvelopeBody::Inline(body.to_vec()),
        recipients: vec!["intake-minusca".into()],
    }
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
        envelopes: vec![report(&[1, 2, 3])],
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
    assert_eq!(envs[0].recipients, vec!["intake-minusca".to_string()]);
    assert_eq!(s.envelope_body(&envs[0].id).await.unwrap(), vec![1, 2, 3]);
    assert_eq!(s.cases_of_entity("monusco").await.unwrap().len(), 0);
}

#[tokio::test]
async fn chunks_without_an_envelope_are_removed_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let s = SqliteStore::open(&url).await.unwrap();
    s.put_chunk("pending", 0, &[9; 100]).await.unwrap();
    let count = || async {
        let s = SqliteStore::open(&url).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM envelope_chunks")
            .fetch_one(&s.pool)
            .await
            .unwrap();
        n
    };
    assert_eq!(count().await, 0);
}
