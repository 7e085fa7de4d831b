//! A token is shown only after the report is on disk: a SIGKILL at any moment loses no report
//! whose token was returned.

mod common;
#[path = "common/postgres.rs"]
mod postgres;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Gateway, age_identity};
use serde_json::{Value, json};
use tokio::sync::Mutex;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_token_returned_before_a_sigkill_still_finds_its_case_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    kill_during_reports(data.path(), &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_token_returned_before_a_sigkill_still_finds_its_case_after_a_restart_on_postgres() {
    let Some(db) = postgres::TestDatabase::create().await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    kill_during_reports(data.path(), &["--database-url", &db.url]).await;
}

/// Eight reporters send reports back to back; the gateway is killed with SIGKILL while they are
/// at it and restarted on the same data; every token it returned must still find its case.
async fn kill_during_reports(data: &std::path::Path, options: &[&str]) {
    let mut gateway = Gateway::start_with(data, options);
    let keyring: Value = gateway.keyring().await;
    let recipient: age::x25519::Recipient = keyring["entities"][0]["recipients"][0]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    // Eight reporters send reports back to back; the server is killed while they are at it.
    let returned = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut reporters = Vec::new();
    for n in 0..8 {
        let client = gateway.reporter();
        let url = format!("{}/api/v1/reports", gateway.public);
        let returned = returned.clone();
        let recipient = recipient.clone();
        reporters.push(tokio::spawn(async move {
            for i in 0..1000 {
                let text = format!("report {n}-{i}");
                let sealed = confide::seal::seal(
                    zeroize::Zeroizing::new(text.into_bytes()),
                    std::slice::from_ref(&recipient),
                )
                .unwrap();
                let body = json!({ "entity": "minusca", "envelope": STANDARD.encode(sealed) });
                let Ok(response) = client.post(&url).json(&body).send().await else {
                    break;
                };
                let Ok(answer) = response.json::<Value>().await else {
                    break;
                };
                returned
                    .lock()
                    .await
                    .push(answer["token"].as_str().unwrap().to_string());
            }
        }));
    }
    // Kill once a fair number of reports were acknowledged, while the rest are in flight.
    for _ in 0..600 {
        if returned.lock().await.len() >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    gateway.kill();
    for r in reporters {
        r.await.unwrap();
    }
    let tokens = returned.lock().await.clone();
    assert!(
        tokens.len() >= 20,
        "reports were acknowledged before the kill ({})",
        tokens.len()
    );

    let gateway = Gateway::start_with(data, options);
    let client = gateway.reporter();
    for token in &tokens {
        let response = client
            .post(format!("{}/api/v1/status", gateway.public))
            .json(&json!({ "token": token }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "a token shown before the kill finds no case"
        );
    }
    // Every stored report still opens for the intake officer.
    let staff = gateway.staff_client("intake-minusca");
    let cases = gateway.cases_seen_by("intake-minusca").await;
    assert!(cases.len() >= tokens.len());
    let identity = age_identity("intake-minusca");
    for case in cases.iter().take(40) {
        let envelopes: Vec<Value> = staff
            .get(format!(
                "{}/api/v1/staff/cases/{}/envelopes",
                gateway.staff,
                case["id"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let body = staff
            .get(format!(
                "{}/api/v1/staff/envelopes/{}",
                gateway.staff,
                envelopes[0]["id"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(confide::seal::open(&body, &identity).is_ok());
    }
    println!(
        "{} reports acknowledged before SIGKILL, all found after restart",
        tokens.len()
    );
}
