//! A case from intake to closure: assignment by re-sealing, two-way messages with files,
//! statuses, deadlines and the audit chain, over real TLS with the real binary.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Gateway, age_identity, pull, staff_ok, token_on_page};
use serde_json::{Value, json};

/// An audit row as stored: seq, at, actor, action, case id, detail, previous hash, hash.
type AuditRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    Vec<u8>,
    Vec<u8>,
);

const REPORT: &str = "The driver of a contingent truck took girls from the market to the base.";

/// A report with a photo, through the no-JavaScript form. Returns (token, case id).
async fn report_with_photo(gateway: &Gateway, photo: &[u8]) -> (String, String) {
    let (status, page) = gateway
        .post_multipart(
            "/report",
            &[
                ("entity", "minusca"),
                ("description", REPORT),
                ("when", "two weeks ago"),
            ],
            &[("files", "market.jpg", photo)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let token = token_on_page(&page);
    let cases = gateway.cases_seen_by("intake-minusca").await;
    let case = cases.last().unwrap()["id"].as_str().unwrap().to_string();
    (token, case)
}

fn photo(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

fn find<'a>(
    files: &'a [(String, Vec<u8>)],
    prefix: &str,
    suffix: &str,
) -> Vec<&'a (String, Vec<u8>)> {
    files
        .iter()
        .filter(|(n, _)| n.starts_with(prefix) && n.ends_with(suffix))
        .collect()
}

#[tokio::test]
async fn intake_assigns_by_resealing_and_only_the_assignee_can_open_the_case() {
    let gateway = Gateway::start();
    // 2.5 MiB: the photo is stored in several pieces and streamed back.
    let picture = photo(5 << 19);
    let (_, case) = report_with_photo(&gateway, &picture).await;

    // Intake opens the report and the photo.
    let files = pull(&gateway, "intake-minusca", &case);
    assert_eq!(find(&files, "attachment-", "-market.jpg")[0].1, picture);
    assert!(String::from_utf8_lossy(&find(&files, "report-", ".json")[0].1).contains(REPORT));

    // Before assignment, investigators see nothing.
    assert!(
        gateway
            .cases_seen_by("investigator-minusca")
            .await
            .is_empty()
    );
    let (status, _) = gateway
        .staff_get(
            "investigator-minusca",
            &format!("/api/v1/staff/cases/{case}/envelopes"),
        )
        .await;
    assert_eq!(
        status, 403,
        "an investigator of the entity is told the case is not theirs"
    );
    let (status, _) = gateway
        .staff_get(
            "intake-monusco",
            &format!("/api/v1/staff/cases/{case}/envelopes"),
        )
        .await;
    assert_eq!(status, 404, "another entity learns nothing");

    let said = staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca"],
    );
    assert!(said.contains("assigned to investigator-minusca"), "{said}");

    // The assignee sees the case and opens the re-sealed report and photo.
    let seen = gateway.cases_seen_by("investigator-minusca").await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["assignees"], json!(["investigator-minusca"]));
    let files = pull(&gateway, "investigator-minusca", &case);
    let copies: Vec<_> = files
        .iter()
        .filter(|(n, _)| n.starts_with("assignment-") && !n.ends_with(".age"))
        .collect();
    assert_eq!(
        copies.len(),
        2,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(
        copies
            .iter()
            .any(|(n, b)| n.ends_with("-market.jpg") && *b == picture)
    );
    assert!(
        copies
            .iter()
            .any(|(_, b)| String::from_utf8_lossy(b).contains(REPORT))
    );
    assert!(
        find(&files, "report-", "").is_empty(),
        "the original, sealed to intake only, is not listed to the assignee"
    );

    // The other investigator of the same entity sees nothing and is refused.
    assert!(
        gateway
            .cases_seen_by("investigator-minusca-2")
            .await
            .is_empty()
    );
    let output = gateway.staff_cli("investigator-minusca-2", &["pull", &case, "--out", "/tmp"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("assigned to someone else"), "{stderr}");

    // Reassignment moves the case; the first investigator loses it and its copies.
    staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca-2"],
    );
    assert!(
        gateway
            .cases_seen_by("investigator-minusca")
            .await
            .is_empty()
    );
    let files = pull(&gateway, "investigator-minusca-2", &case);
    assert!(
        files
            .iter()
            .any(|(n, b)| n.ends_with("-market.jpg") && *b == picture)
    );

    // An investigator cannot assign; intake cannot assign to someone of another entity.
    let output = gateway.staff_cli(
        "investigator-minusca-2",
        &["assign", &case, "--to", "investigator-minusca-2"],
    );
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("Only an intake officer"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (status, body) = gateway
        .staff_post(
            "intake-minusca",
            &format!("/api/v1/staff/cases/{case}/assignment"),
            json!({ "assignees": ["intake-monusco"], "copies": ["x"] }),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // Unassignment leaves the case to intake alone.
    staff_ok(&gateway, "intake-minusca", &["assign", &case, "--nobody"]);
    assert!(
        gateway
            .cases_seen_by("investigator-minusca-2")
            .await
            .is_empty()
    );
    assert_eq!(
        gateway.cases_seen_by("intake-minusca").await[0]["assignees"],
        json!([])
    );
}

#[tokio::test]
async fn the_reporter_reads_a_reply_and_answers_with_a_file_that_the_assignee_opens() {
    let gateway = Gateway::start();
    let (token, case) = report_with_photo(&gateway, &photo(1000)).await;
    staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca"],
    );
    let question = "Thank you. Can you tell us the colour of the truck?";
    staff_ok(
        &gateway,
        "investigator-minusca",
        &["reply", &case, "--message", question],
    );

    // Without JavaScript: the status page shows the reply, opened with the token.
    let page = gateway.status_page(&token).await;
    assert!(page.contains(question), "{page}");

    // With the API and the token: the same reply, opened. With only the lookup key: sealed,
    // and the key derived from the token opens it on the phone.
    let by_token: Value = gateway.api_status(json!({ "token": token })).await;
    assert_eq!(by_token["replies"][0]["text"], question);
    assert_eq!(
        by_token["staff_recipients"].as_array().unwrap().len(),
        2,
        "intake and the assignee"
    );

    // The reporter answers with a message and a file, from the status page's form.
    let answer = "It was white, with the number 12 on the door.";
    let second_photo = photo(70_000);
    let (status, page) = gateway
        .post_multipart(
            "/status/message",
            &[("token", &token), ("message", answer)],
            &[("files", "door.png", &second_photo)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("added"), "{page}");

    // The assignee opens both; so does intake; the other investigator gets nothing.
    for who in ["investigator-minusca", "intake-minusca"] {
        let files = pull(&gateway, who, &case);
        assert!(
            files.iter().any(|(n, b)| n.starts_with("message-")
                && n.ends_with(".json")
                && String::from_utf8_lossy(b).contains(answer)),
            "{who}"
        );
        assert!(
            files
                .iter()
                .any(|(n, b)| n.ends_with("-door.png") && *b == second_photo),
            "{who}"
        );
        assert!(
            files.iter().any(|(n, b)| n.starts_with("reply-")
                && n.ends_with(".json")
                && String::from_utf8_lossy(b).contains(question)),
            "{who}"
        );
    }
    assert!(
        gateway
            .cases_seen_by("investigator-minusca-2")
            .await
            .is_empty()
    );

    // A message sealed on the phone to the staff it was told about.
    let recipients: Vec<age::x25519::Recipient> = by_token["staff_recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().parse().unwrap())
        .collect();
    let sealed = confide::seal::seal(
        zeroize::Zeroizing::new(br#"{"text":"sealed on the phone"}"#.to_vec()),
        &recipients,
    )
    .unwrap();
    let response = gateway
        .reporter()
        .post(format!("{}/api/v1/messages", gateway.public))
        .json(&json!({ "token": token, "envelope": STANDARD.encode(&sealed) }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let files = pull(&gateway, "investigator-minusca", &case);
    assert!(
        files
            .iter()
            .any(|(_, b)| String::from_utf8_lossy(b).contains("sealed on the phone"))
    );

    // A message for the wrong number of people is refused.
    let wrong =
        confide::seal::seal(zeroize::Zeroizing::new(b"{}".to_vec()), &recipients[..1]).unwrap();
    let response = gateway
        .reporter()
        .post(format!("{}/api/v1/messages", gateway.public))
        .json(&json!({ "token": token, "envelope": STANDARD.encode(&wrong) }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);

    // The reply also opens with the standard age identity of the assignee.
    let replies: Vec<Value> = gateway
        .staff_get(
            "investigator-minusca",
            &format!("/api/v1/staff/cases/{case}/envelopes"),
        )
        .await
        .1
        .as_array()
        .unwrap()
        .clone();
    let reply = replies.iter().find(|e| e["kind"] == "reply").unwrap();
    assert!(
        reply["recipients"]
            .as_array()
            .unwrap()
            .contains(&json!("reporter"))
    );
    let body = gateway
        .download("investigator-minusca", reply["id"].as_str().unwrap())
        .await;
    assert!(confide::seal::open(&body, &age_identity("investigator-minusca")).is_ok());

    // Reassigned, the case's new investigator reads the whole exchange, the earlier reply too.
    staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca-2"],
    );
    let files = pull(&gateway, "investigator-minusca-2", &case);
    let copies: Vec<String> = files
        .iter()
        .filter(|(n, _)| n.starts_with("assignment-") && !n.ends_with(".age"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    for expected in [REPORT, question, answer] {
        assert!(
            copies.iter().any(|c| c.contains(expected)),
            "{expected:?} in {copies:?}"
        );
    }
    assert!(
        files
            .iter()
            .any(|(n, b)| n.ends_with("-door.png") && *b == second_photo)
    );
}

#[tokio::test]
async fn statuses_move_only_along_the_allowed_transitions_and_the_reporter_reads_each_in_plain_words()
 {
    let gateway = Gateway::start();
    let (token, case) = report_with_photo(&gateway, &photo(10)).await;
    let path = format!("/api/v1/staff/cases/{case}/status");
    let set = |status: &'static str| {
        let gateway = &gateway;
        let path = path.clone();
        async move {
            gateway
                .staff_post("intake-minusca", &path, json!({ "status": status }))
                .await
        }
    };
    let (code, body) = set("closed").await;
    assert_eq!(code, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("can become: acknowledged")
    );
    let (code, _) = set("lost").await;
    assert_eq!(code, 422);

    for (status, words) in [
        ("acknowledged", "has read your report"),
        ("preliminary_assessment", "checking what can be done"),
        ("under_investigation", "investigation has started"),
        ("referred_to_member_state", "country whose personnel"),
        ("not_substantiated", "could not confirm"),
        ("closed", "This case is closed"),
    ] {
        if status == "closed" {
            // Not before the reporter is told how it ended (`cases::check_final_reply`).
            let (code, body) = set(status).await;
            assert_eq!(code, 409, "{body}");
            assert_eq!(body["error"]["code"], "final_reply_missing", "{body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("Send the reporter a final reply before closing"),
                "{body}"
            );
            common::staff_ok(
                &gateway,
                "intake-minusca",
                &["reply", &case, "--message", "We could not confirm it."],
            );
        }
        let (code, body) = set(status).await;
        assert_eq!(code, 200, "{status}: {body}");
        assert!(
            gateway.status_page(&token).await.contains(words),
            "{status}"
        );
    }
    let (code, _) = set("under_investigation").await;
    assert_eq!(code, 409, "closed is final");

    // A closed case takes nothing more: no form for the reporter, no message, no reply.
    assert!(
        !gateway
            .status_page(&token)
            .await
            .contains("Add information")
    );
    let (code, page) = gateway
        .post_multipart(
            "/status/message",
            &[("token", &token), ("message", "one more thing")],
            &[],
        )
        .await;
    assert_eq!(code, 409, "{page}");
    assert!(page.contains("send a new report"), "{page}");
    let output = gateway.staff_cli("intake-minusca", &["reply", &case, "--message", "late"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("closed"));

    // Someone who does not work the case cannot change it.
    let (code, _) = gateway
        .staff_post("investigator-minusca", &path, json!({ "status": "closed" }))
        .await;
    assert_eq!(code, 403);
    let output = gateway.staff_cli("intake-monusco", &["status", &case, "acknowledged"]);
    assert!(!output.status.success());

    let record = gateway
        .staff_get("intake-minusca", &format!("/api/v1/staff/cases/{case}"))
        .await
        .1;
    for clock in ["acknowledged_at", "investigation_started_at", "closed_at"] {
        assert!(
            record[clock].as_str().unwrap().ends_with('Z'),
            "{clock} is an exact UTC time: {record}"
        );
    }
}

#[tokio::test]
async fn overdue_lists_follow_the_clock_and_acknowledging_clears_the_first_deadline() {
    let data = tempfile::tempdir().unwrap();
    let (case, intake_before) = {
        let gateway = Gateway::start_with(data.path(), &["--pretend-now", "2026-01-01T09:00:00Z"]);
        let (_, case) = report_with_photo(&gateway, &photo(10)).await;
        (case, staff_ok(&gateway, "intake-minusca", &["overdue"]))
    };
    assert!(
        intake_before.contains("acknowledge") && intake_before.contains("due soon"),
        "{intake_before}"
    );

    // Nine days later the acknowledgement is late, for intake and for auditors; not for
    // another entity's officer.
    let gateway = Gateway::start_with(data.path(), &["--pretend-now", "2026-01-10T09:00:00Z"]);
    let listed = staff_ok(&gateway, "intake-minusca", &["overdue"]);
    assert!(
        listed.contains("minusca:") && listed.contains(&case) && listed.contains("LATE"),
        "{listed}"
    );
    assert!(
        listed.contains("2026-01-08"),
        "due seven days after receipt: {listed}"
    );
    let (_, rows) = gateway.staff_get("auditor", "/api/v1/staff/overdue").await;
    assert_eq!(rows[0]["deadline"], "acknowledge");
    assert_eq!(rows[0]["overdue"], true);
    assert_eq!(
        staff_ok(&gateway, "intake-monusco", &["overdue"]).trim(),
        "nothing late or due soon"
    );

    staff_ok(
        &gateway,
        "intake-minusca",
        &["status", &case, "acknowledged"],
    );
    let listed = staff_ok(&gateway, "intake-minusca", &["overdue"]);
    assert_eq!(
        listed.trim(),
        "nothing late or due soon",
        "feedback is due in three months"
    );

    // Three months on, first feedback is late until someone replies.
    drop(gateway);
    let gateway = Gateway::start_with(data.path(), &["--pretend-now", "2026-04-15T09:00:00Z"]);
    let listed = staff_ok(&gateway, "intake-minusca", &["overdue"]);
    assert!(
        listed.contains("first_feedback") && listed.contains("LATE"),
        "{listed}"
    );
    staff_ok(
        &gateway,
        "intake-minusca",
        &["reply", &case, "--message", "We are looking into it."],
    );
    assert_eq!(
        staff_ok(&gateway, "intake-minusca", &["overdue"]).trim(),
        "nothing late or due soon"
    );
}

#[tokio::test]
async fn the_audit_chain_records_every_staff_action_and_a_changed_record_is_found() {
    let data = tempfile::tempdir().unwrap();
    let mut gateway = Gateway::start_in(data.path());
    let (_, case) = report_with_photo(&gateway, &photo(10)).await;
    staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca"],
    );
    staff_ok(
        &gateway,
        "investigator-minusca",
        &["reply", &case, "--message", "Noted."],
    );
    staff_ok(
        &gateway,
        "investigator-minusca",
        &["status", &case, "acknowledged"],
    );

    // Another entity's officer probing the case id is refused, and that is recorded too.
    let (code, _) = gateway
        .staff_get("intake-monusco", &format!("/api/v1/staff/cases/{case}"))
        .await;
    assert_eq!(code, 404);

    // Only auditors export; the export checks out.
    let (code, _) = gateway
        .staff_get("intake-minusca", "/api/v1/staff/audit")
        .await;
    assert_eq!(code, 403);
    let export = data.path().join("audit.jsonl");
    let said = staff_ok(
        &gateway,
        "auditor",
        &["audit", "--out", export.to_str().unwrap()],
    );
    assert!(said.contains("the chain verifies"), "{said}");
    let text = std::fs::read_to_string(&export).unwrap();
    let actions: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for action in [
        "list",
        "view",
        "list-envelopes",
        "download",
        "assign",
        "reply",
        "status",
        "refused",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} is audited: {actions:?}"
        );
    }
    assert!(
        !text.contains(REPORT) && !text.contains("Noted."),
        "the audit holds no content"
    );

    let verify = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_confide"))
            .args(["audit", "verify"])
            .args(args)
            .env("CONFIDE_DATA_DIR", data.path())
            .output()
            .unwrap()
    };
    let config = common::keys().join("confide.toml");
    let output = verify(&["--export", export.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    gateway.kill();
    let output = verify(&[
        "--config",
        config.to_str().unwrap(),
        "--against",
        export.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("intact"));

    // Cutting the last records leaves a valid chain; only the earlier export shows them missing.
    let url = format!("sqlite://{}", data.path().join("confide.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let last: i64 = sqlx::query_scalar("SELECT max(seq) FROM audit")
        .fetch_one(&pool)
        .await
        .unwrap();
    let saved: Vec<AuditRow> = sqlx::query_as(
        "SELECT seq, at, actor, action, case_id, detail, prev_hash, hash FROM audit WHERE seq >= ?",
    )
    .bind(last - 1)
    .fetch_all(&pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM audit WHERE seq >= ?")
        .bind(last - 1)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        verify(&["--config", config.to_str().unwrap()])
            .status
            .success(),
        "a cut chain is still a chain"
    );
    let output = verify(&[
        "--config",
        config.to_str().unwrap(),
        "--against",
        export.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("missing now"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for row in saved {
        sqlx::query("INSERT INTO audit (seq, at, actor, action, case_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(row.0).bind(row.1).bind(row.2).bind(row.3).bind(row.4).bind(row.5).bind(row.6).bind(row.7)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    // Someone with access to the database rewrites who replied.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE audit SET actor = 'intake-minusca' WHERE action = 'reply'")
        .execute(&pool)
        .await
        .unwrap();
    let seq: i64 = sqlx::query_scalar("SELECT seq FROM audit WHERE action = 'reply'")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    let output = verify(&["--config", config.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("broken at record {seq}")),
        "{stderr}"
    );

    // The exported copy is tampered with in the same way: found too.
    let tampered = text.replacen("\"action\":\"reply\"", "\"action\":\"view\"", 1);
    std::fs::write(&export, tampered).unwrap();
    assert!(
        !verify(&["--export", export.to_str().unwrap()])
            .status
            .success()
    );
}

/// Seals a file the way the browser does: streamed, padded, with its name at the end.
fn sealed_file(recipients: &[age::x25519::Recipient], content: &[u8], name: &str) -> Vec<u8> {
    let mut sealer = confide::seal::StreamSealer::new(recipients, Vec::new()).unwrap();
    for piece in content.chunks(50_000) {
        sealer.write(piece).unwrap();
    }
    sealer.finish(name, "image/jpeg").unwrap()
}

async fn upload(gateway: &Gateway, body: Vec<u8>) -> (u16, Value) {
    let response = gateway
        .reporter()
        .post(format!("{}/api/v1/uploads", gateway.public))
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn files_sealed_on_the_phone_stream_in_and_reach_the_people_they_are_sealed_to() {
    let gateway = Gateway::start();
    let keyring: Value = gateway.keyring().await;
    let minusca = keyring["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "minusca")
        .unwrap();
    let intake: Vec<age::x25519::Recipient> = minusca["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().parse().unwrap())
        .collect();

    let picture = photo(1_300_000);
    let (code, answer) = upload(&gateway, sealed_file(&intake, &picture, "camp.jpg")).await;
    assert_eq!(code, 201, "{answer}");
    let upload_id = answer["upload"].as_str().unwrap().to_string();

    // Refused uploads: not age, not padded.
    let (code, _) = upload(&gateway, b"hello".to_vec()).await;
    assert_eq!(code, 422);
    let (code, answer) = upload(
        &gateway,
        age::encrypt(&intake[0], &picture[..5000]).unwrap(),
    )
    .await;
    assert_eq!(code, 422, "{answer}");

    let report = confide::seal::seal(
        zeroize::Zeroizing::new(br#"{"description":"see the photo"}"#.to_vec()),
        &intake,
    )
    .unwrap();
    let send = |attachments: Vec<String>| {
        let client = gateway.reporter();
        let url = format!("{}/api/v1/reports", gateway.public);
        let body = json!({ "entity": "minusca", "envelope": STANDARD.encode(&report), "attachments": attachments });
        async move { client.post(url).json(&body).send().await.unwrap() }
    };
    // An unknown upload id is refused and stores nothing.
    assert_eq!(send(vec!["0".repeat(32)]).await.status(), 422);
    assert!(gateway.cases_seen_by("intake-minusca").await.is_empty());
    let response = send(vec![upload_id.clone()]).await;
    assert_eq!(response.status(), 201);
    let token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    // An upload is claimed once.
    assert_eq!(send(vec![upload_id]).await.status(), 422);

    let case = gateway.first_case_seen_by("intake-minusca").await;
    let files = pull(&gateway, "intake-minusca", &case);
    assert!(
        files
            .iter()
            .any(|(n, b)| n.ends_with("-camp.jpg") && *b == picture)
    );

    // A follow-up with only a file, sealed to the case's staff; a file sealed to the wrong
    // number of people is refused.
    let status: Value = gateway.api_status(json!({ "token": token })).await;
    let staff: Vec<age::x25519::Recipient> = status["staff_recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().parse().unwrap())
        .collect();
    let (_, wrong) = upload(
        &gateway,
        sealed_file(
            &[
                intake[0].clone(),
                age::x25519::Identity::generate().to_public(),
            ],
            b"x",
            "x",
        ),
    )
    .await;
    let response = gateway
        .reporter()
        .post(format!("{}/api/v1/messages", gateway.public))
        .json(&json!({ "token": token, "attachments": [wrong["upload"]] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let (_, more) = upload(&gateway, sealed_file(&staff, b"second file", "note.txt")).await;
    let response = gateway
        .reporter()
        .post(format!("{}/api/v1/messages", gateway.public))
        .json(&json!({ "token": token, "attachments": [more["upload"]] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let files = pull(&gateway, "intake-minusca", &case);
    assert!(
        files
            .iter()
            .any(|(n, b)| n.ends_with("-note.txt") && b == b"second file")
    );
}
