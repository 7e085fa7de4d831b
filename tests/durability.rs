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
    let recipient = common::first_recipient(&keyring);

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

#[tokio::test]
async fn sigterm_during_a_burst_lets_every_report_under_way_finish_and_then_stops() {
    let mut gateway = Gateway::start();
    // Thirty reports through the form at once: the server stretches each token, two at a time,
    // so most are still under way when the gateway is told to stop.
    let returned = Arc::new(Mutex::new(Vec::new()));
    let mut reporters = Vec::new();
    for i in 0..30 {
        // A client each: one request on one fresh connection, no pooled connection to race.
        let client = gateway.reporter();
        let url = format!("{}/report", gateway.public);
        let returned = returned.clone();
        reporters.push(tokio::spawn(async move {
            let body = format!("entity=minusca&description=report+{i}+during+shutdown");
            let response = client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await;
            let page = match response {
                Ok(r) if r.status() == 200 => r.text().await.ok(),
                _ => None,
            };
            if let Some(page) = page {
                returned.lock().await.push(common::token_on_page(&page));
                true
            } else {
                false
            }
        }));
    }
    for _ in 0..600 {
        if returned.lock().await.len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let at_signal = returned.lock().await.len();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &gateway.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut answered = 0;
    for r in reporters {
        if r.await.unwrap() {
            answered += 1;
        }
    }
    println!("sigterm: {at_signal} reports answered before the signal, {answered} of 30 in all");
    assert!(
        at_signal < 30,
        "the signal came while reports were under way"
    );
    assert_eq!(
        answered, 30,
        "every report under way at the signal was answered"
    );
    // The gateway stops by itself, having finished.
    let mut stopped = false;
    for _ in 0..400 {
        if !gateway.is_running() {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stopped, "the gateway stops after finishing");
    assert!(gateway.logs().contains("stopped"));

    // Every token shown finds its case after a restart.
    let tokens = returned.lock().await.clone();
    let restarted = Gateway::start_in(&gateway.data_dir);
    for token in &tokens {
        let page = restarted.status_page(token).await;
        assert!(
            page.contains("arrived safely"),
            "a token shown at shutdown finds no case"
        );
    }
}
