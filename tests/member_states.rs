//! Member State notification (resolution 78/331 paras 7 and 11): the case's staff classify a
//! case and notify the Member State whose personnel are implicated; its focal point, and nobody
//! else outside the case, reads the notification, acknowledges it and records national action;
//! the clocks show in the overdue list; every step is audited.

mod common;

use common::{Gateway, staff_ok};
use serde_json::{Value, json};

const REPORT: &str = "A soldier of the contingent at the northern checkpoint forced a girl.";
const SHARED: &str = "Allegation against a member of the XAA contingent at the northern post.";
const ACTION: &str = "Captain Example appointed as national investigation officer.";

async fn report(gateway: &Gateway) -> String {
    let (status, page) = gateway
        .submit_form(&[("entity", "minusca"), ("description", REPORT)])
        .await;
    assert_eq!(status, 200, "{page}");
    // The gateway's only case.
    let cases = gateway.cases_seen_by("intake-minusca").await;
    assert_eq!(cases.len(), 1);
    cases[0]["id"].as_str().unwrap().to_string()
}

fn deadlines(rows: &Value, case: &str) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["case_id"] == case)
        .map(|r| {
            format!(
                "{}:{}",
                r["deadline"].as_str().unwrap(),
                r["member_state"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn open(gateway: &Gateway, name: &str, envelope: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    staff_ok(
        gateway,
        name,
        &["open", envelope, "--out", dir.path().to_str().unwrap()],
    );
    std::fs::read_to_string(dir.path().join(format!("envelope-{envelope}.json"))).unwrap()
}

#[tokio::test]
async fn a_member_state_is_notified_acknowledges_and_records_national_action_and_nobody_else_sees_it()
 {
    let gateway = Gateway::start();
    let case = report(&gateway).await;

    // Notifying needs the classification to name the Member State.
    let early = gateway.staff_cli(
        "intake-minusca",
        &[
            "notify",
            &case,
            "--member-state",
            "XAA",
            "--message",
            SHARED,
        ],
    );
    assert!(!early.status.success());
    assert!(
        String::from_utf8_lossy(&early.stderr).contains("classification"),
        "{}",
        String::from_utf8_lossy(&early.stderr)
    );

    staff_ok(
        &gateway,
        "intake-minusca",
        &[
            "classify",
            &case,
            "--allegation",
            "sexual_abuse",
            "--implicated",
            "military_contingent:XAA,staff_member",
            "--children",
            "1",
        ],
    );
    let (status, shown) = gateway
        .staff_get(
            "intake-minusca",
            &format!("/api/v1/staff/cases/{case}/classification"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(shown["classification"]["victims"]["child"], 1);

    // The notification clock runs from receipt and shows, with the Member State, in the list.
    let (_, rows) = gateway
        .staff_get("intake-minusca", "/api/v1/staff/overdue")
        .await;
    assert!(
        deadlines(&rows, &case).contains(&"notify_member_state:XAA".to_string()),
        "{rows}"
    );

    // Refusals: a Member State not implicated, a bad code, identity without consent.
    for (member_state, identity, expected) in
        [("XBB", false, 422), ("xaa", false, 422), ("XAA", true, 403)]
    {
        let (status, body) = gateway
            .staff_post(
                "intake-minusca",
                &format!("/api/v1/staff/cases/{case}/notifications"),
                json!({ "member_state": member_state, "identity_shared": identity, "envelope": "AAAA" }),
            )
            .await;
        assert_eq!(status, expected, "{member_state} {identity}: {body}");
    }
    // An envelope not sealed to the focal point and the case's staff is refused.
    let wrong = crate_seal(&[common::age_identity("intake-minusca").to_public()]);
    let (status, _) = gateway
        .staff_post(
            "intake-minusca",
            &format!("/api/v1/staff/cases/{case}/notifications"),
            json!({ "member_state": "XAA", "envelope": wrong }),
        )
        .await;
    assert_eq!(status, 422);

    staff_ok(
        &gateway,
        "intake-minusca",
        &[
            "notify",
            &case,
            "--member-state",
            "XAA",
            "--message",
            SHARED,
        ],
    );
    let again = gateway.staff_cli(
        "intake-minusca",
        &[
            "notify",
            &case,
            "--member-state",
            "XAA",
            "--message",
            SHARED,
        ],
    );
    assert!(!again.status.success(), "one notification per Member State");

    // The focal point sees it and opens it; the notify clock has stopped, the others run.
    let (status, list) = gateway
        .staff_get("member-state-focal-point", "/api/v1/staff/notifications")
        .await;
    assert_eq!(status, 200);
    let notification = &list.as_array().unwrap()[0];
    let id = notification["id"].as_str().unwrap().to_string();
    assert_eq!(notification["member_state"], "XAA");
    assert_eq!(notification["identity_shared"], false);
    let envelope = notification["envelope_id"].as_str().unwrap().to_string();
    let opened = open(&gateway, "member-state-focal-point", &envelope);
    assert!(opened.contains(SHARED), "{opened}");
    let (_, rows) = gateway
        .staff_get("intake-minusca", "/api/v1/staff/overdue")
        .await;
    assert!(
        !deadlines(&rows, &case).contains(&"notify_member_state:XAA".to_string()),
        "{rows}"
    );

    // Nobody else outside the case reaches the notification, its envelope or the case file.
    for name in [
        "intake-monusco",
        "investigator-minusca",
        "assistance-minusca",
        "auditor",
    ] {
        let (status, _) = gateway
            .staff_get(name, &format!("/api/v1/staff/notifications/{id}"))
            .await;
        assert_eq!(status, 404, "{name}");
        let (status, _) = gateway
            .staff_get(name, &format!("/api/v1/staff/envelopes/{envelope}"))
            .await;
        assert_eq!(status, 404, "{name}");
    }
    let (status, _) = gateway
        .staff_get(
            "member-state-focal-point",
            &format!("/api/v1/staff/cases/{case}/envelopes"),
        )
        .await;
    assert_eq!(status, 404, "the focal point never sees the case file");
    let (status, _) = gateway
        .staff_get("intake-minusca", "/api/v1/staff/notifications")
        .await;
    assert_eq!(status, 403, "the focal points' list is theirs only");

    // Only the focal point acknowledges, once.
    let ack = format!("/api/v1/staff/notifications/{id}/acknowledgement");
    let (status, _) = gateway.staff_post("intake-minusca", &ack, json!({})).await;
    assert_eq!(status, 403);
    staff_ok(&gateway, "member-state-focal-point", &["acknowledge", &id]);
    let (status, _) = gateway
        .staff_post("member-state-focal-point", &ack, json!({}))
        .await;
    assert_eq!(status, 409);

    // National action with sealed details, readable by the case's intake officer too.
    staff_ok(
        &gateway,
        "member-state-focal-point",
        &[
            "national-action",
            &id,
            "national_investigator_appointed",
            "--message",
            ACTION,
        ],
    );
    let (status, body) = gateway
        .staff_post(
            "member-state-focal-point",
            &format!("/api/v1/staff/notifications/{id}/actions"),
            json!({ "action": "medal_awarded" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("use one of: national_investigator_appointed"),
        "{body}"
    );
    assert!(!body.to_string().contains("medal"), "{body}");
    let (_, list) = gateway
        .staff_get(
            "intake-minusca",
            &format!("/api/v1/staff/cases/{case}/notifications"),
        )
        .await;
    let n = &list.as_array().unwrap()[0];
    assert!(n["acknowledged_at"].is_string());
    let action = &n["actions"][0];
    assert_eq!(action["action"], "national_investigator_appointed");
    let details = open(
        &gateway,
        "intake-minusca",
        action["envelope_id"].as_str().unwrap(),
    );
    assert!(details.contains(ACTION), "{details}");
    let (_, rows) = gateway
        .staff_get("member-state-focal-point", "/api/v1/staff/overdue")
        .await;
    assert!(
        deadlines(&rows, &case).is_empty(),
        "acknowledged and investigator appointed; the outcome is months away: {rows}"
    );

    // With the victim's consent, identity may be shared with another Member State notified.
    staff_ok(
        &gateway,
        "intake-minusca",
        &[
            "classify",
            &case,
            "--allegation",
            "sexual_abuse",
            "--implicated",
            "military_contingent:XAA,formed_police_unit:XAB",
        ],
    );
    // Only an assistance officer records the consent the notifying staff would rely on.
    let own_consent = gateway.staff_cli(
        "intake-minusca",
        &[
            "consent",
            &case,
            "--purpose",
            "share_identity",
            "--audience",
            "member_state",
        ],
    );
    assert!(!own_consent.status.success());
    staff_ok(
        &gateway,
        "assistance-minusca",
        &[
            "consent",
            &case,
            "--purpose",
            "share_identity",
            "--audience",
            "member_state",
        ],
    );
    let no_focal_point = gateway.staff_cli(
        "intake-minusca",
        &[
            "notify",
            &case,
            "--member-state",
            "XAB",
            "--identity-shared",
            "--message",
            SHARED,
        ],
    );
    assert!(
        String::from_utf8_lossy(&no_focal_point.stderr).contains("No focal point"),
        "{}",
        String::from_utf8_lossy(&no_focal_point.stderr)
    );

    // Every step is in the audit chain.
    let (_, chain) = gateway.staff_get("auditor", "/api/v1/staff/audit").await;
    let actions: Vec<&str> = chain
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for expected in [
        "classify",
        "notify",
        "acknowledge-notification",
        "national-action",
        "consent",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    // The chain outlives the case: its details hold ids, never what the case is about.
    let details: Vec<&str> = chain
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["detail"].as_str().unwrap())
        .collect();
    for secret in [
        "XAA",
        "sexual_abuse",
        "share_identity",
        "national_investigator",
        "identity",
    ] {
        assert!(
            !details.iter().any(|d| d.contains(secret)),
            "{secret} in an audit detail: {details:?}"
        );
    }
}

/// Base64 of an envelope sealed to `recipients` only, padded as staff clients pad.
fn crate_seal(recipients: &[age::x25519::Recipient]) -> String {
    use base64::Engine;
    let sealed = confide::seal::seal(
        zeroize::Zeroizing::new(b"not for the focal point".to_vec()),
        recipients,
    )
    .unwrap();
    base64::engine::general_purpose::STANDARD.encode(sealed)
}
