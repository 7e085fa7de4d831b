//! A full run of every flow, logging at its most verbose, leaves no client address, user agent,
//! token or report text in the logs or in any file under the data directory.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Gateway, USER_AGENT, contains, files_under, token_on_page};
use serde_json::{Value, json};

const FORM_TEXT: &str = "Distinctive-report-text-alpha: the officer at checkpoint seven-kilo.";
const API_TEXT: &str = "Distinctive-report-text-bravo: sealed on the client.";
const PLACE: &str = "Distinctive-place-charlie";
const REPLY: &str = "Distinctive-reply-delta: who else was there?";
const MESSAGE: &str = "Distinctive-message-echo: my sister saw it too.";
const FILE: &str = "Distinctive-file-foxtrot-content";
const NOTIFICATION: &str = "Distinctive-notification-golf: the XAA contingent's second platoon.";
const NATIONAL: &str = "Distinctive-national-hotel: Major Example appointed.";
const NOTE: &str = "Distinctive-note-india: call only in the morning.";

#[tokio::test]
async fn no_log_line_or_stored_byte_holds_a_client_address_user_agent_token_or_report_text() {
    let mut gateway = Gateway::start();
    let client = gateway.reporter();

    // Reporter flows: form report, API report (server token), status by form and API, a bad one.
    let (_, page) = gateway
        .submit_form(&[
            ("entity", "minusca"),
            ("description", FORM_TEXT),
            ("place", PLACE),
        ])
        .await;
    let form_token = token_on_page(&page);
    let keyring: Value = client
        .get(format!("{}/api/v1/keyring", gateway.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let recipient = common::first_recipient(&keyring);
    let sealed = confide::seal::seal(
        zeroize::Zeroizing::new(API_TEXT.as_bytes().to_vec()),
        &[recipient],
    )
    .unwrap();
    let api: Value = client
        .post(format!("{}/api/v1/reports", gateway.public))
        .json(&json!({ "entity": keyring["entities"][0]["id"], "envelope": STANDARD.encode(&sealed) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api_token = api["token"].as_str().unwrap().to_string();
    for token in [&form_token, &api_token] {
        let r = client
            .post(format!("{}/api/v1/status", gateway.public))
            .json(&json!({ "token": token }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = client
            .post(format!("{}/status", gateway.public))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string([("token", token.as_str())]).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = client
        .post(format!("{}/report", gateway.public))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "once={}&entity=nowhere&description={FORM_TEXT}",
            gateway.form_mark().await
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // Staff flows: list, envelopes, download, pull, assign, reply, status, overdue, audit.
    let cases = gateway.cases_seen_by("intake-minusca").await;
    assert!(!cases.is_empty());
    let first = cases[0]["id"].as_str().unwrap().to_string();
    common::staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &first, "--to", "investigator-minusca"],
    );
    common::staff_ok(
        &gateway,
        "investigator-minusca",
        &["reply", &first, "--message", REPLY],
    );
    common::staff_ok(
        &gateway,
        "investigator-minusca",
        &["status", &first, "acknowledged"],
    );
    common::staff_ok(&gateway, "intake-minusca", &["overdue"]);
    // What the resolution tracks: classification, notification, national action, assistance,
    // the survivor's answer to an offer, statistics.
    common::staff_ok(
        &gateway,
        "intake-minusca",
        &[
            "classify",
            &first,
            "--allegation",
            "sexual_abuse",
            "--implicated",
            "military_contingent:XAA",
            "--adults",
            "1",
        ],
    );
    common::staff_ok(
        &gateway,
        "intake-minusca",
        &[
            "notify",
            &first,
            "--member-state",
            "XAA",
            "--message",
            NOTIFICATION,
        ],
    );
    let (_, notifications) = gateway
        .staff_get("member-state-focal-point", "/api/v1/staff/notifications")
        .await;
    let notification = notifications[0]["id"].as_str().unwrap().to_string();
    common::staff_ok(
        &gateway,
        "member-state-focal-point",
        &["acknowledge", &notification],
    );
    common::staff_ok(
        &gateway,
        "member-state-focal-point",
        &[
            "national-action",
            &notification,
            "national_investigator_appointed",
            "--message",
            NATIONAL,
        ],
    );
    common::staff_ok(
        &gateway,
        "assistance-minusca",
        &["note", &first, "--message", NOTE],
    );
    let stats_out = tempfile::tempdir().unwrap();
    let (_, offer) = gateway
        .staff_post(
            "assistance-minusca",
            &format!("/api/v1/staff/cases/{first}/referrals"),
            json!({ "service": "medical", "provider": "clinic-1" }),
        )
        .await;
    common::staff_ok(
        &gateway,
        "auditor",
        &[
            "statistics",
            "--year",
            "2026",
            "--format",
            "html",
            "--out",
            stats_out.path().join("s.html").to_str().unwrap(),
        ],
    );
    let export = tempfile::tempdir().unwrap();
    common::staff_ok(
        &gateway,
        "auditor",
        &[
            "audit",
            "--out",
            export.path().join("a.jsonl").to_str().unwrap(),
        ],
    );
    // The reporter reads the reply and answers with a file, with and without JavaScript.
    let (code, _) = gateway
        .post_multipart(
            "/status/message",
            &[("token", &form_token), ("message", MESSAGE)],
            &[("files", "evidence.jpg", FILE.as_bytes())],
        )
        .await;
    assert_eq!(code, 200);
    let r = client
        .post(format!("{}/api/v1/status", gateway.public))
        .json(&json!({ "token": api_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Whichever case the offer went to, both reporters try to answer it: one is accepted, the
    // other refused.
    for token in [&form_token, &api_token] {
        client
            .post(format!("{}/status/assistance", gateway.public))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([
                    ("token", token.as_str()),
                    ("offer", offer["id"].as_str().unwrap()),
                    ("answer", "accept"),
                ])
                .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    for case in &cases {
        let pulled = gateway.staff_cli(
            "intake-minusca",
            &[
                "pull",
                case["id"].as_str().unwrap(),
                "--out",
                out.path().to_str().unwrap(),
            ],
        );
        assert!(pulled.status.success());
    }

    gateway.kill();
    let logs = gateway.logs();
    assert!(logs.contains("public listener"), "the logs were captured");
    let forbidden: Vec<(&str, Vec<u8>)> = vec![
        ("form report text", FORM_TEXT.as_bytes().to_vec()),
        ("form report place", PLACE.as_bytes().to_vec()),
        ("API report text", API_TEXT.as_bytes().to_vec()),
        ("staff reply", REPLY.as_bytes().to_vec()),
        ("reporter message", MESSAGE.as_bytes().to_vec()),
        ("attached file", FILE.as_bytes().to_vec()),
        ("notification", NOTIFICATION.as_bytes().to_vec()),
        ("national action details", NATIONAL.as_bytes().to_vec()),
        ("assistance note", NOTE.as_bytes().to_vec()),
        ("user agent", USER_AGENT.as_bytes().to_vec()),
        ("user agent fragment", b"unmistakable-agent".to_vec()),
        ("form token", form_token.clone().into_bytes()),
        (
            "form token digits",
            form_token.replace(' ', "").into_bytes(),
        ),
        ("API token", api_token.clone().into_bytes()),
        ("API token digits", api_token.replace(' ', "").into_bytes()),
    ];
    // The only place the loopback address may appear is the two lines saying where we listen.
    let log_without_listen_lines: String = logs
        .lines()
        .filter(|l| !l.contains(" listener: https://"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !log_without_listen_lines.contains("127.0.0.1"),
        "a client address reached the logs"
    );
    for (what, needle) in &forbidden {
        assert!(
            !contains(logs.as_bytes(), needle),
            "{what} reached the logs"
        );
    }
    let files = files_under(&gateway.data_dir);
    assert!(
        files.iter().any(|(p, _)| p.ends_with("confide.db")),
        "the database file was searched"
    );
    // A positive control: what is meant to be stored is found by the same search.
    assert!(
        files
            .iter()
            .any(|(_, b)| contains(b, b"investigator-minusca")),
        "the search reads stored rows"
    );
    assert!(
        files
            .iter()
            .any(|(_, b)| contains(b, b"national_investigator_appointed")),
        "the tracking flows ran and were searched"
    );
    for (path, bytes) in &files {
        assert!(
            !contains(bytes, b"127.0.0.1"),
            "a client address is stored in {}",
            path.display()
        );
        for (what, needle) in &forbidden {
            assert!(
                !contains(bytes, needle),
                "{what} is stored in {}",
                path.display()
            );
        }
    }
}
