//! What a reporter receives is padded to size buckets: a network observer who sees only the
//! length of the answers cannot tell a case's status, its replies, or a wrong number from them.

mod common;

use common::{Gateway, staff_ok, token_on_page};

/// Files a report through the no-JavaScript form; returns its follow-up number.
async fn report(gateway: &Gateway) -> String {
    let (status, page) = gateway
        .submit_form(&[("entity", "minusca"), ("description", "what happened")])
        .await;
    assert_eq!(status, 200, "{page}");
    token_on_page(&page)
}

#[tokio::test]
async fn status_answers_are_the_same_length_whatever_the_status_the_replies_or_a_wrong_number() {
    let gateway = Gateway::start();
    let quiet = report(&gateway).await;
    let answered = report(&gateway).await;
    let cases = gateway.cases_seen_by("intake-minusca").await;
    // The case with the second token: the one the reply goes to is told by its status page.
    for case in cases.iter().map(|c| c["id"].as_str().unwrap().to_string()) {
        staff_ok(
            &gateway,
            "intake-minusca",
            &["status", &case, "acknowledged"],
        );
    }
    let case = cases[0]["id"].as_str().unwrap().to_string();
    for n in 0..3 {
        staff_ok(
            &gateway,
            "intake-minusca",
            &[
                "reply",
                &case,
                "--message",
                &format!("Reply number {n}: we read what you sent."),
            ],
        );
    }
    let first = gateway.status_page(&quiet).await;
    let second = gateway.status_page(&answered).await;
    let wrong = gateway.status_page("1234 5678 9012 3456 7890").await;
    let with_replies = if first.contains("Reply number 0") {
        &first
    } else {
        &second
    };
    let without = if first.contains("Reply number 0") {
        &second
    } else {
        &first
    };
    assert!(with_replies.contains("Reply number 2"), "{with_replies}");
    assert_eq!(
        (with_replies.len(), without.len(), wrong.len()),
        (4096, 4096, 4096),
        "a status page with three replies, one without, and a wrong number"
    );
    assert!(
        without.trim_end().ends_with("-->"),
        "the padding is an HTML comment"
    );

    // JSON too: a check of a number that does not exist, padded and still JSON.
    let response = gateway
        .reporter()
        .post(format!("{}/api/v1/status", gateway.public))
        .json(&serde_json::json!({ "token": "12345678901234567890" }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len(), 4096, "answered {status}");
    let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(parsed["error"]["code"].is_string(), "{parsed}");
}
