//! Several gateways on one PostgreSQL database serve the same cases at the same time: nothing in
//! a gateway's memory is needed for correctness.

mod common;
#[path = "common/postgres.rs"]
mod postgres;

use common::{Gateway, pull, staff_ok, token_on_page};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_on_one_database_serve_reporters_and_staff_interchangeably() {
    let Some(db) = postgres::TestDatabase::create().await else {
        return;
    };
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Gateway::start_with(data_a.path(), &["--database-url", &db.url]);
    let b = Gateway::start_with(data_b.path(), &["--database-url", &db.url]);

    // Reports arrive on both, at the same time.
    let mut sent = Vec::new();
    for round in 0..3 {
        let (text_a, text_b) = (
            format!("via A, round {round}"),
            format!("via B, round {round}"),
        );
        let (fields_a, fields_b) = (
            [("entity", "minusca"), ("description", &text_a)],
            [("entity", "minusca"), ("description", &text_b)],
        );
        let (ra, rb) = tokio::join!(a.submit_form(&fields_a), b.submit_form(&fields_b));
        sent.push(token_on_page(&ra.1));
        sent.push(token_on_page(&rb.1));
    }
    // Each gateway sees every case, and a token made by one works on the other.
    assert_eq!(a.cases_seen_by("intake-minusca").await.len(), 6);
    assert_eq!(b.cases_seen_by("intake-minusca").await.len(), 6);
    for (n, token) in sent.iter().enumerate() {
        let other = if n % 2 == 0 { &b } else { &a };
        assert!(other.status_page(token).await.contains("arrived safely"));
    }

    // Staff work across both: assign on A, reply on B, read on A, answer on B, open on A.
    let case = a.cases_seen_by("intake-minusca").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    staff_ok(
        &a,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca"],
    );
    assert_eq!(b.cases_seen_by("investigator-minusca").await.len(), 1);
    staff_ok(
        &b,
        "investigator-minusca",
        &["reply", &case, "--message", "Asked through B."],
    );
    staff_ok(
        &a,
        "investigator-minusca",
        &["status", &case, "acknowledged"],
    );
    let token = {
        // Find the token of the assigned case: the one whose status page shows the reply.
        let mut found = None;
        for token in &sent {
            if a.status_page(token).await.contains("Asked through B.") {
                found = Some(token.clone());
            }
        }
        found.expect("the reply is readable through the other gateway")
    };
    let (code, _) = b
        .post_multipart(
            "/status/message",
            &[("token", &token), ("message", "Answered through B.")],
            &[],
        )
        .await;
    assert_eq!(code, 200);
    let files = pull(&a, "investigator-minusca", &case);
    assert!(
        files
            .iter()
            .any(|(_, body)| String::from_utf8_lossy(body).contains("Answered through B."))
    );

    // Concurrent status changes from both gateways: exactly one wins.
    let path = format!("/api/v1/staff/cases/{case}/status");
    let (x, y) = tokio::join!(
        a.staff_post(
            "intake-minusca",
            &path,
            json!({ "status": "preliminary_assessment" })
        ),
        b.staff_post(
            "investigator-minusca",
            &path,
            json!({ "status": "preliminary_assessment" })
        ),
    );
    let mut codes = [x.0, y.0];
    codes.sort();
    assert_eq!(codes, [200, 409], "{x:?} {y:?}");

    // One audit chain, appended from both gateways, verifies.
    let export = data_a.path().join("audit.jsonl");
    let said = staff_ok(&b, "auditor", &["audit", "--out", export.to_str().unwrap()]);
    assert!(said.contains("the chain verifies"), "{said}");
    let actors: Vec<Value> = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(actors.len() > 10);
}
