//! Victim assistance (resolution 78/331 para 15): assistance officers offer services and track
//! them; the survivor sees each offer in plain words with the token and accepts or declines it,
//! with or without JavaScript; assistance officers never see the investigation file, and nobody
//! outside the entity's assistance team reads their notes.

mod common;

use common::{Gateway, staff_ok, token_on_page};
use serde_json::{Value, json};

const REPORT: &str = "A peacekeeper made my sister work for food at the camp.";
const NOTE: &str = "She prefers a woman doctor; safe to call in the morning only.";
const HANDOVER: &str = "Asked for help with school fees for her son.";

/// Files a report; returns its token and case id (the case intake sees that is not in `known`).
async fn report(gateway: &Gateway, known: &[&str]) -> (String, String) {
    let (status, page) = gateway
        .submit_form(&[("entity", "minusca"), ("description", REPORT)])
        .await;
    assert_eq!(status, 200, "{page}");
    let token = token_on_page(&page);
    let cases = gateway.cases_seen_by("intake-minusca").await;
    let case = cases
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .find(|id| !known.contains(id))
        .unwrap()
        .to_string();
    (token, case)
}

async fn refer(gateway: &Gateway, case: &str, service: &str) -> String {
    let (status, body) = gateway
        .staff_post(
            "assistance-minusca",
            &format!("/api/v1/staff/cases/{case}/referrals"),
            json!({ "service": service, "provider": "clinic-bangui-2" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["state"], "offered");
    body["id"].as_str().unwrap().to_string()
}

/// Answers an offer from the no-JavaScript status page; returns (status, page).
async fn answer_on_page(
    gateway: &Gateway,
    token: &str,
    offer: &str,
    answer: &str,
) -> (u16, String) {
    let response = gateway
        .reporter()
        .post(format!("{}/status/assistance", gateway.public))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([("token", token), ("offer", offer), ("answer", answer)])
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn support_is_offered_answered_by_the_survivor_and_tracked_without_opening_the_case_file() {
    let gateway = Gateway::start();
    let (token, case) = report(&gateway, &[]).await;
    let (_, other_case) = report(&gateway, &[&case]).await;

    // The assistance officer sees the entity's cases, but not the investigation file.
    let (status, list) = gateway
        .staff_get("assistance-minusca", "/api/v1/staff/assistance")
        .await;
    assert_eq!(status, 200);
    assert!(list.as_array().unwrap().iter().any(|c| c["id"] == case));
    for path in [
        format!("/api/v1/staff/cases/{case}"),
        format!("/api/v1/staff/cases/{case}/envelopes"),
    ] {
        let (status, _) = gateway.staff_get("assistance-minusca", &path).await;
        assert_eq!(status, 404, "{path}");
    }

    // Offers; a provider named like a person is refused; other roles cannot offer.
    let medical = refer(&gateway, &case, "medical").await;
    let psychosocial = refer(&gateway, &case, "psychosocial").await;
    let elsewhere = refer(&gateway, &other_case, "legal").await;
    let (status, _) = gateway
        .staff_post(
            "assistance-minusca",
            &format!("/api/v1/staff/cases/{case}/referrals"),
            json!({ "service": "medical", "provider": "Dr Jane Doe" }),
        )
        .await;
    assert_eq!(status, 422);
    // The case's intake officer sees the case, so is told referrals are not theirs; anyone
    // else is answered as for a case that does not exist.
    for (name, refusal) in [
        ("intake-minusca", 403),
        ("intake-monusco", 404),
        ("auditor", 404),
        ("member-state-focal-point", 404),
    ] {
        let (status, _) = gateway
            .staff_post(
                name,
                &format!("/api/v1/staff/cases/{case}/referrals"),
                json!({ "service": "medical", "provider": "clinic" }),
            )
            .await;
        assert_eq!(status, refusal, "{name}");
    }

    // The survivor sees the offers in plain words and accepts one without JavaScript.
    let page = gateway.status_page(&token).await;
    assert!(page.contains("Support offered to you"), "{page}");
    assert!(page.contains("Medical care") && page.contains("Offered to you"));
    let (status, page) = answer_on_page(&gateway, &token, &medical, "accept").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You accepted"), "{page}");
    // The same answer again, another case's offer, and a made-up answer are refused.
    let (status, _) = answer_on_page(&gateway, &token, &medical, "accept").await;
    assert_eq!(status, 409);
    let (status, page) = answer_on_page(&gateway, &token, &elsewhere, "accept").await;
    assert_eq!(status, 404, "{page}");
    let (status, _) = answer_on_page(&gateway, &token, &"0".repeat(32), "accept").await;
    assert_eq!(status, 404);
    let (status, _) = answer_on_page(&gateway, &token, &medical, "maybe").await;
    assert_eq!(status, 400);

    // And declines the other through the API.
    let response = gateway
        .reporter()
        .post(format!("{}/api/v1/assistance", gateway.public))
        .json(&json!({ "token": token, "offer": psychosocial, "answer": "decline" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let view: Value = response.json().await.unwrap();
    let states: Vec<(&str, &str, bool)> = view["assistance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["service"].as_str().unwrap(),
                a["state"].as_str().unwrap(),
                a["may_accept"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(
        states.contains(&("medical", "accepted", false)),
        "{states:?}"
    );
    assert!(
        states.contains(&("psychosocial", "declined", true)),
        "a survivor may change their mind: {states:?}"
    );

    // The assistance officer tracks delivery; moves the table refuses are refused.
    staff_ok(
        &gateway,
        "assistance-minusca",
        &["referral", &medical, "delivered"],
    );
    let back = gateway.staff_cli("assistance-minusca", &["referral", &medical, "offered"]);
    assert!(!back.status.success());
    let (status, body) = gateway
        .staff_post(
            "assistance-minusca",
            &format!("/api/v1/staff/referrals/{medical}"),
            json!({ "state": "follow_up" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["delivered_on"].is_string() && body["followed_up_on"].is_string());

    // Consents: recorded by the assistance officer, seen by the case's intake officer, who does
    // not see the referrals; nobody outside the case sees either.
    staff_ok(
        &gateway,
        "assistance-minusca",
        &[
            "consent",
            &case,
            "--purpose",
            "receive_assistance",
            "--audience",
            "service_providers",
        ],
    );
    let (status, seen) = gateway
        .staff_get(
            "intake-minusca",
            &format!("/api/v1/staff/cases/{case}/assistance"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(seen["consents"][0]["purpose"], "receive_assistance");
    assert!(seen.get("referrals").is_none(), "{seen}");
    // (An investigator of the entity is told the case is someone else's, as everywhere.)
    for (name, refusal) in [
        ("intake-monusco", 404),
        ("auditor", 404),
        ("member-state-focal-point", 404),
        ("investigator-minusca", 403),
    ] {
        let (status, _) = gateway
            .staff_get(name, &format!("/api/v1/staff/cases/{case}/assistance"))
            .await;
        assert_eq!(status, refusal, "{name}");
    }

    // A note sealed to the assistance officers: they open it, the intake officer cannot.
    staff_ok(
        &gateway,
        "assistance-minusca",
        &["note", &case, "--message", NOTE],
    );
    let (_, seen) = gateway
        .staff_get(
            "assistance-minusca",
            &format!("/api/v1/staff/cases/{case}/assistance"),
        )
        .await;
    let note = seen["notes"][0]["id"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    staff_ok(
        &gateway,
        "assistance-minusca",
        &["open", &note, "--out", dir.path().to_str().unwrap()],
    );
    let out = dir.path().join(format!("envelope-{note}.json"));
    assert!(std::fs::read_to_string(&out).unwrap().contains(NOTE));
    let (status, _) = gateway
        .staff_get("intake-minusca", &format!("/api/v1/staff/envelopes/{note}"))
        .await;
    assert_eq!(status, 404);
    // An intake officer hands a need over in a note and keeps no copy, so assigning the case
    // does not carry notes into the investigation file.
    staff_ok(
        &gateway,
        "intake-minusca",
        &["note", &case, "--message", HANDOVER],
    );
    staff_ok(
        &gateway,
        "intake-minusca",
        &["assign", &case, "--to", "investigator-minusca"],
    );
    let (_, seen) = gateway
        .staff_get(
            "assistance-minusca",
            &format!("/api/v1/staff/cases/{case}/assistance"),
        )
        .await;
    assert_eq!(seen["notes"].as_array().unwrap().len(), 2, "{seen}");
    for (file, bytes) in common::pull(&gateway, "investigator-minusca", &case) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(NOTE) && !text.contains(HANDOVER),
            "a note reached the investigator in {file}"
        );
    }
    // The assigned investigator hands a need over too, and is told plainly that referrals are
    // the assistance officers' (not that the case is someone else's).
    staff_ok(
        &gateway,
        "investigator-minusca",
        &["note", &case, "--message", HANDOVER],
    );
    let (status, refusal) = gateway
        .staff_post(
            "investigator-minusca",
            &format!("/api/v1/staff/cases/{case}/referrals"),
            json!({ "service": "medical", "provider": "clinic-a" }),
        )
        .await;
    assert_eq!(status, 403, "{refusal}");
    assert_eq!(refusal["error"]["code"], "assistance_only", "{refusal}");
    assert!(
        refusal["error"]["message"]
            .as_str()
            .unwrap()
            .contains("confide staff note"),
        "{refusal}"
    );
    let (_, seen) = gateway
        .staff_get(
            "assistance-minusca",
            &format!("/api/v1/staff/cases/{case}/assistance"),
        )
        .await;
    assert_eq!(seen["notes"].as_array().unwrap().len(), 3, "{seen}");

    // Assistance does not depend on the complaint: a closed case can still get support.
    staff_ok(
        &gateway,
        "intake-minusca",
        &["status", &case, "acknowledged"],
    );
    staff_ok(
        &gateway,
        "intake-minusca",
        &["reply", &case, "--message", "Support stays open to you."],
    );
    staff_ok(&gateway, "intake-minusca", &["status", &case, "closed"]);
    refer(&gateway, &case, "livelihood_material").await;

    let (_, chain) = gateway.staff_get("auditor", "/api/v1/staff/audit").await;
    let actions: Vec<&str> = chain
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for expected in [
        "refer",
        "referral",
        "consent",
        "assistance-note",
        "view-assistance",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(
        !chain.to_string().contains("reporter"),
        "the survivor's own answers are not timed in the audit chain"
    );
}
