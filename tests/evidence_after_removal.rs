//! An investigator taken off a case keeps nothing of it on the gateway: not the copies made for
//! them, not the reporter's messages or the replies sealed to them while they were assigned. So
//! they can neither fetch those envelopes nor replace one with words of their choosing (the
//! re-seal of a key rotation), which intake would then read as the survivor's.

mod common;

use common::{Gateway, staff_ok};
use serde_json::json;

#[tokio::test]
async fn an_investigator_taken_off_a_case_can_neither_fetch_nor_replace_what_was_sealed_to_them() {
    let gateway = Gateway::start();
    let (status, page) = gateway
        .submit_form(&[("entity", "minusca"), ("description", "what happened")])
        .await;
    assert_eq!(status, 200);
    let token = common::token_on_page(&page);
    let case = gateway.first_case_seen_by("intake-minusca").await;
    staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca"],
    );
    // While assigned: the survivor writes, the investigator replies.
    let (status, page) = gateway
        .post_multipart(
            "/status/message",
            &[("token", &token), ("message", "He came back last night.")],
            &[],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    staff_ok(
        &gateway,
        "investigator-minusca",
        &["reply", &case, "--message", "Are you safe now?"],
    );
    let (_, theirs) = gateway
        .staff_get(
            "investigator-minusca",
            &format!("/api/v1/staff/cases/{case}/envelopes"),
        )
        .await;
    let message = theirs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "message")
        .expect("the message was sealed to the assignee")["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Taken off the case (given to another investigator).
    staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca-2"],
    );
    let (_, sealed) = gateway
        .staff_get("investigator-minusca", "/api/v1/staff/sealed-to-me")
        .await;
    assert!(
        !sealed
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["case_id"] == case.as_str()),
        "nothing of the case is listed as sealed to them: {sealed}"
    );
    let (status, _) = gateway
        .staff_get(
            "investigator-minusca",
            &format!("/api/v1/staff/envelopes/{message}"),
        )
        .await;
    assert_eq!(status, 404);
    // The forgery: the survivor's message replaced by other words. Refused as for an envelope
    // that does not exist (before, it reached the key-rotation check: 409).
    let forged = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"x");
    let (status, answer) = gateway
        .staff_post(
            "investigator-minusca",
            &format!("/api/v1/staff/envelopes/{message}/reseal"),
            json!({ "body": forged, "recipients": ["intake-minusca"] }),
        )
        .await;
    assert_eq!(status, 404, "{answer}");

    // Intake and the new assignee still read the survivor's words.
    for name in ["intake-minusca", "investigator-minusca-2"] {
        let files = common::pull(&gateway, name, &case);
        assert!(
            files
                .iter()
                .any(|(_, b)| String::from_utf8_lossy(b).contains("He came back last night.")),
            "{name} reads the message"
        );
    }
}
