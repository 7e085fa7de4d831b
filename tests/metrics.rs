//! `GET /metrics` on the staff listener: counters and histograms after a run of every reporter
//! and staff flow, for an auditor's certificate only, with no label that could single out a
//! reporter.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Gateway, staff_ok, token_on_page};
use serde_json::json;

const REPORT: &str = "metrics flow report";

#[tokio::test]
async fn metrics_after_every_flow_hold_aggregates_only_and_are_for_auditors() {
    // Live figures: the demo only (a real gateway publishes snapshots, see below).
    let gateway = Gateway::start_with_env(&[("CONFIDE_METRICS__INTERVAL_SECS", "0")]);
    let reporter = gateway.reporter();

    // A report through the form, one sealed "on the client" through the API.
    let (status, page) = gateway
        .submit_form(&[("entity", "minusca"), ("description", REPORT)])
        .await;
    assert_eq!(status, 200);
    let token = token_on_page(&page);
    let keyring = gateway.keyring().await;
    let recipient = common::first_recipient(&keyring);
    let sealed = confide::seal::seal(
        zeroize::Zeroizing::new(REPORT.as_bytes().to_vec()),
        &[recipient],
    )
    .unwrap();
    let api = reporter
        .post(format!("{}/api/v1/reports", gateway.public))
        .json(&json!({
            "entity": keyring["entities"][0]["id"],
            "envelope": STANDARD.encode(sealed),
            "lookup": STANDARD.encode([9u8; 32]),
            "reply_recipient": age::x25519::Identity::generate().to_public().to_string(),
        }))
        .header(
            "user-agent",
            "Mozilla/5.0 (Linux; Android 9) metrics-test-agent",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 201);

    // Follow-ups: the right number, a wrong one, bad input, something too large.
    gateway.status_page(&token).await;
    let wrong = reporter
        .post(format!("{}/api/v1/status", gateway.public))
        .json(&json!({ "lookup": STANDARD.encode([7u8; 32]) }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    let bad = reporter
        .post(format!("{}/api/v1/reports", gateway.public))
        .json(&json!({ "entity": "minusca" }))
        .send()
        .await
        .unwrap();
    assert!(bad.status().is_client_error());
    let large = reporter
        .post(format!("{}/api/v1/reports", gateway.public))
        .json(&json!({
            "entity": "minusca",
            "envelope": STANDARD.encode(vec![0u8; 600 * 1024]),
            "lookup": STANDARD.encode([8u8; 32]),
            "reply_recipient": age::x25519::Identity::generate().to_public().to_string(),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(large.status(), 413);

    // Staff: list, assign, reply, status.
    let case = gateway.first_case_seen_by("intake-minusca").await;
    staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca"],
    );
    staff_ok(
        &gateway,
        "intake-minusca",
        &["reply", &case, "--message", "we received it"],
    );
    staff_ok(
        &gateway,
        "intake-minusca",
        &["status", &case, "acknowledged"],
    );

    // Only an auditor reads the figures.
    let (status, _) = gateway.staff_get("intake-minusca", "/metrics").await;
    assert_eq!(status, 403);
    let response = gateway
        .staff_client("auditor")
        .get(format!("{}/metrics", gateway.staff))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    println!("{text}");

    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|l| {
                l.strip_prefix(series)
                    .and_then(|rest| rest.strip_prefix(' '))
            })
            .unwrap_or_else(|| panic!("{series} missing"))
            .parse()
            .unwrap()
    };
    assert_eq!(
        value("confide_reports_accepted_total{sealed_on=\"server\"}"),
        1.0
    );
    assert_eq!(
        value("confide_reports_accepted_total{sealed_on=\"client\"}"),
        1.0
    );
    assert_eq!(value("confide_refusals_total{kind=\"not_found\"}"), 1.0);
    assert_eq!(value("confide_refusals_total{kind=\"too_large\"}"), 1.0);
    assert!(value("confide_refusals_total{kind=\"bad_input\"}") >= 1.0);
    assert!(value("confide_request_duration_seconds_count{class=\"submit\"}") >= 4.0);
    assert!(value("confide_request_duration_seconds_count{class=\"staff\"}") >= 3.0);
    assert_eq!(value("confide_outbox_depth"), 0.0);
    assert_eq!(value("confide_overdue_cases{entity=\"minusca\"}"), 0.0);

    // Every label is one of a fixed few, with values from fixed lists or the keyring.
    let allowed: &[(&str, &[&str])] = &[
        ("sealed_on", &["client", "server"]),
        (
            "kind",
            &[
                "rate_limited",
                "bad_input",
                "too_large",
                "not_found",
                "timeout",
                "unavailable",
                "server_error",
            ],
        ),
        ("class", &["submit", "follow_up", "other", "staff"]),
        ("entity", &["minusca", "monusco"]),
    ];
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, number) = line.rsplit_once(' ').unwrap();
        number.parse::<f64>().unwrap();
        let Some((_, labels)) = series.split_once('{') else {
            continue;
        };
        for pair in labels.trim_end_matches('}').split(',') {
            let (name, value) = pair.split_once('=').unwrap();
            let value = value.trim_matches('"');
            if name == "le" {
                assert!(value == "+Inf" || value.parse::<f64>().is_ok(), "{line}");
                continue;
            }
            let known = allowed.iter().find(|(n, _)| *n == name);
            assert!(
                known.is_some_and(|(_, values)| values.contains(&value)),
                "unexpected label {name}={value} in {line}"
            );
        }
    }
    let digits: String = token.chars().filter(char::is_ascii_digit).collect();
    for secret in [
        digits.as_str(),
        &case,
        "127.0.0.1",
        "Mozilla",
        "metrics-test-agent",
        REPORT,
    ] {
        assert!(!text.contains(secret), "{secret} appears in the metrics");
    }
}

#[tokio::test]
async fn by_default_what_reporters_cause_shows_only_in_daily_snapshots() {
    let gateway = Gateway::start();
    let (status, _) = gateway
        .submit_form(&[("entity", "minusca"), ("description", REPORT)])
        .await;
    assert_eq!(status, 200);
    let text = gateway
        .staff_client("auditor")
        .get(format!("{}/metrics", gateway.staff))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("confide_snapshot_interval_seconds 86400"),
        "{text}"
    );
    assert!(
        text.contains("confide_reports_accepted_total{sealed_on=\"server\"} 0"),
        "the report waits for the next snapshot: {text}"
    );
    assert!(text.contains("confide_request_duration_seconds_count{class=\"submit\"} 0"));
    // The gateway's own state reads what it is from the start, not 0 until the first snapshot.
    let memory: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("confide_resident_memory_bytes "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(memory > 1 << 20, "resident memory from the start: {memory}");
}
