//! A token is shown only after the report is on disk: a SIGKILL at any moment loses no report
//! whose token was returned.

mod common;
#[path = "common/postgres.rs"]
mod postgres;

use std::sync::Arc;
use std::time::Duration;

use common::Gateway;
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
    let tokens = common::reports_until(&gateway, 20).await;
    gateway.kill();
    let tokens = tokens.await;
    let gateway = Gateway::start_with(data, options);
    common::every_token_finds_its_case(&gateway, &tokens).await;
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
    // The report page's marks first, so that the thirty are sent at once.
    let mut marks = Vec::new();
    for _ in 0..30 {
        marks.push(gateway.form_mark().await);
    }
    let mut reporters = Vec::new();
    for (i, mark) in marks.into_iter().enumerate() {
        // A client each: one request on one fresh connection, no pooled connection to race.
        let client = gateway.reporter();
        let url = format!("{}/report", gateway.public);
        let returned = returned.clone();
        reporters.push(tokio::spawn(async move {
            let body = format!("once={mark}&entity=minusca&description=report+{i}+during+shutdown");
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
