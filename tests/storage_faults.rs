//! Storage faults on a real file system: a gateway whose disk fills up for a moment refuses
//! honestly while it is full and works again, for staff and reporters alike, within seconds of
//! space returning.
//!
//! The disk is a small tmpfs mounted for the test (root only: CI runs as root; elsewhere the test
//! skips with a loud line, and fails under `CI`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::Gateway;
use serde_json::{Value, json};

/// A tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    mount: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mount = dir.path().join("disk");
        std::fs::create_dir(&mount).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&mount)
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(SmallDisk { mount, _dir: dir }),
            other => {
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must be able to mount a tmpfs (it runs as root): {why}"
                );
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs here ({}); run as root to test a full disk",
                    why.trim()
                );
                None
            }
        }
    }

    /// Fills what is left of the disk with one file; returns its path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.mount.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 << 10];
        while file.write_all(&block).is_ok() {}
        // The last blocks, a page at a time, so that not even a WAL frame fits.
        while file.write_all(&block[..4096]).is_ok() {}
        while file.write_all(&block[..1]).is_ok() {}
        let _ = file.flush();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

/// A message of `bytes` sealed to the case's staff, as the reporter's browser would send it.
async fn send_message(
    gateway: &Gateway,
    token: &str,
    bytes: usize,
) -> (u16, Value, Option<String>) {
    let status = gateway.api_status(json!({ "token": token })).await;
    let recipients: Vec<age::x25519::Recipient> = status["staff_recipients"]
        .as_array()
        .expect("the status answer names the case's staff")
        .iter()
        .map(|r| r.as_str().unwrap().parse().unwrap())
        .collect();
    let sealed =
        confide::seal::seal(zeroize::Zeroizing::new(vec![b'm'; bytes]), &recipients).unwrap();
    let response = gateway
        .reporter()
        .post(format!("{}/api/v1/messages", gateway.public))
        .json(&json!({ "token": token, "envelope": STANDARD.encode(sealed) }))
        .send()
        .await
        .unwrap();
    let code = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (code, response.json().await.unwrap_or(Value::Null), retry)
}

async fn report(gateway: &Gateway) -> (u16, Value) {
    let keyring = gateway.keyring().await;
    let recipient = common::first_recipient(&keyring);
    let sealed = confide::seal::seal(
        zeroize::Zeroizing::new(b"what happened".to_vec()),
        std::slice::from_ref(&recipient),
    )
    .unwrap();
    let response = gateway
        .reporter()
        .post(format!("{}/api/v1/reports", gateway.public))
        .json(&json!({ "entity": "minusca", "envelope": STANDARD.encode(sealed) }))
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// A log line without its terminal colours (`ESC [ … m`).
fn without_colours(line: &str) -> String {
    let mut plain = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

fn data_on(disk: &Path) -> PathBuf {
    disk.join("data")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_of_full_disk_is_refused_honestly_and_everything_works_again_once_space_returns() {
    let Some(disk) = SmallDisk::mount(24) else {
        return;
    };
    let gateway = Gateway::start_in(&data_on(&disk.mount));
    let (code, answer) = report(&gateway).await;
    assert_eq!(code, 201, "{answer}");
    let token = answer["token"].as_str().unwrap().to_string();
    let (code, _, _) = send_message(&gateway, &token, 1000).await;
    assert_eq!(code, 201);
    let case = gateway.first_case_seen_by("intake-minusca").await;
    // The report and every message answered 201; a refused one must have left nothing.
    let mut stored = 2;

    // The disk fills up. Messages large enough to need new pages in the WAL fail; each leaves
    // the pool connection it ran on as SQLite left it.
    let filler = disk.fill();
    let mut refused = 0;
    for _ in 0..8 {
        let (code, body, retry) = send_message(&gateway, &token, 200 << 10).await;
        if code == 503 {
            refused += 1;
            assert_eq!(body["error"]["code"], "storage_unavailable", "{body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("nothing was saved"),
                "{body}"
            );
            assert_eq!(retry.as_deref(), Some("300"));
        } else {
            assert_eq!(code, 201, "a message is either stored or refused: {body}");
            stored += 1;
        }
        // Staff work goes on meanwhile (each request appends to the audit chain).
        let (code, _) = gateway
            .staff_get("intake-minusca", "/api/v1/staff/cases")
            .await;
        assert!(code == 200 || code == 503, "{code}");
    }
    let (code, body) = report(&gateway).await;
    assert!(code == 201 || code == 503, "{code} {body}");
    assert!(
        refused > 0,
        "the disk was full: some message must have been refused"
    );
    let logs_while_full = gateway.logs();
    assert_eq!(
        logs_while_full.matches("storage is failing").count(),
        1,
        "one line when storage stops, not one per refusal:\n{logs_while_full}"
    );

    // Space returns. From the very next request on, every request works, on every pooled
    // connection: none is retried or waited for.
    std::fs::remove_file(filler).unwrap();
    for round in 0..12 {
        let (code, body) = gateway
            .staff_get("intake-minusca", "/api/v1/staff/cases")
            .await;
        assert_eq!(
            code, 200,
            "staff request {round} after space returned: {body}"
        );
        let (code, body, _) = send_message(&gateway, &token, 200 << 10).await;
        assert_eq!(code, 201, "message {round} after space returned: {body}");
        stored += 1;
    }
    let (code, envelopes) = gateway
        .staff_get(
            "intake-minusca",
            &format!("/api/v1/staff/cases/{case}/envelopes"),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        envelopes.as_array().unwrap().len(),
        stored,
        "what was refused with \"nothing was saved\" left nothing: {envelopes}"
    );
    let (code, body) = report(&gateway).await;
    assert_eq!(code, 201, "a report after space returned: {body}");
    // The outage ends, in the log, at the first write after a quiet time without refusals.
    tokio::time::sleep(confide::store::health::QUIET).await;
    let (code, _) = gateway
        .staff_get("intake-minusca", "/api/v1/staff/cases")
        .await;
    assert_eq!(code, 200);
    // The line is read from the gateway's output by another thread: wait for it a little.
    let mut logs = gateway.logs();
    for _ in 0..100 {
        if logs.contains("storage works again") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        logs = gateway.logs();
    }
    let recovered = logs
        .lines()
        .find(|l| l.contains("storage works again"))
        .unwrap_or_else(|| panic!("one line when storage works again:\n{logs}"));
    let plain = without_colours(recovered);
    let counted: u32 = plain
        .split("refused=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the count refused: {recovered}"));
    assert!(
        counted >= refused,
        "the line counts every refusal (messages, reports and staff requests): {plain}"
    );
    assert!(!logs.contains("non-zero transaction depth"), "{logs}");
}
